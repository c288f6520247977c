"""The renderings of ``diracgan games`` (text, JSON, Markdown), stored with the package.

Rendering the registry derives every game's field with sympy (about a second, most of it
importing sympy and scipy); the listing itself only changes when a game, a regulariser, the
derivation or the renderer does.  So the three renderings are stored in ``games.json`` beside
this module, and ``diracgan games`` prints the stored one when it lists exactly the registry's
games and regularisers (a game added to the registry falls back to deriving).  The stored
renderings are a build artefact with one source: ``tests/test_cli.py`` renders the registry
afresh and fails, naming the command below, if they differ.

Regenerate with ``python -m diracgan.cli.games_cache``.
"""

from __future__ import annotations

import json
import os

# A plain path (pathlib costs a few ms of start-up that `diracgan games` is measured against).
STORE = os.path.join(os.path.dirname(__file__), "games.json")
KINDS = ("text", "json", "markdown")


def fresh() -> dict:
    """Every rendering, derived now: {"games": names, "regularisers": names, kind: text}."""
    from ..games import GAMES, REGULARISERS
    from ..report import games_json, games_markdown, games_text

    return {"games": list(GAMES), "regularisers": list(REGULARISERS),
            "text": games_text(), "json": games_json(), "markdown": games_markdown()}


def stored(kind: str) -> str | None:
    """The stored rendering of ``kind``, or None when the store is missing, unreadable or lists
    other games or regularisers than the registry (then the caller derives)."""
    from ..games import GAMES, REGULARISERS

    try:
        with open(STORE, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError):
        return None
    if doc.get("games") != list(GAMES) or doc.get("regularisers") != list(REGULARISERS):
        return None
    text = doc.get(kind)
    return text if isinstance(text, str) else None


def rendering(kind: str) -> str:
    """What ``diracgan games`` prints for ``kind`` ("text", "json" or "markdown")."""
    text = stored(kind)
    return text if text is not None else fresh()[kind]


def write() -> str:
    """Store the renderings derived now (atomically: a reader never sees half a file)."""
    from ..io import atomic_output

    with atomic_output(STORE) as tmp:
        tmp.write_text(json.dumps(fresh(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return STORE


if __name__ == "__main__":  # pragma: no cover
    print(f"wrote {write()}")
