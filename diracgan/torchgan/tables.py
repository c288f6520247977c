"""The report of ``diracgan check``: the rows of :mod:`.checks` (``CheckResult``) as a text table and
as JSON."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Sequence

__all__ = ["checks_table", "checks_json"]


def _fmt(x: float) -> str:
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return f"{x:.3g}" if 1e-3 <= abs(x) < 1e4 or x == 0 else f"{x:.2e}"


def checks_table(results: Sequence, detail: bool = False) -> str:
    """An aligned text table (check, loss, case, measured, tolerance, PASS/FAIL) with a
    summary line; ``detail`` adds each row's detail on the line below it."""
    head = ("check", "loss", "case", "measured", "tolerance", "result")
    body = [(r.check, r.loss, r.case, _fmt(r.measured), _fmt(r.tolerance), "PASS" if r.passed else "FAIL")
            for r in results]
    widths = [max(len(head[i]), *(len(row[i]) for row in body)) if body else len(head[i]) for i in range(6)]
    right = {3, 4}

    def line(row):
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip()

    lines = [line(head), line(tuple("-" * w for w in widths))]
    for r, row in zip(results, body):
        lines.append(line(row))
        if detail:
            lines.append("    " + r.detail)
    n_fail = sum(not r.passed for r in results)
    lines.append(f"{len(results)} checks: {len(results) - n_fail} passed, {n_fail} failed"
                 + ("" if n_fail else " — torch and the symbolic side agree"))
    return "\n".join(lines)


def checks_json(results: Sequence) -> list[dict]:
    """The rows as JSON-ready dicts (non-finite numbers become None)."""
    out = []
    for r in results:
        d = asdict(r)
        for k in ("measured", "tolerance"):
            d[k] = float(d[k]) if math.isfinite(d[k]) else None
        d["passed"] = bool(d["passed"])
        out.append(d)
    return out

