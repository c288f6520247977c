"""One entry of the figure catalogue (see :mod:`diracgan.viz.catalogue`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from matplotlib.figure import Figure

__all__ = ["Entry"]


@dataclass(frozen=True)
class Entry:
    """One committed figure.

    ``draw(style)`` returns a Figure, or for animations ``animate(path, style)`` writes the
    GIF.  ``command`` is the shell command (run from the repository's root) that regenerates
    exactly this file; the README gallery shows it and a test runs it.

    Two hints for rendering in parallel processes (neither changes a byte):

    * ``cost``: about how long the entry takes relative to the others (a plain seed figure is
      1); the longest jobs start first, so that the two workers end together.
    * ``batch``: entries with the same batch are rendered one after the other in one process,
      so that a computation they share (memoised in their module, e.g. the same trajectory) is
      done once.  Default: the entry's own name (a job of its own).
    """

    name: str
    filename: str
    caption: str
    command: str
    draw: Callable[..., Figure] | None = None
    animate: Callable[..., None] | None = None
    params: dict = field(default_factory=dict)
    cost: float = 1.0
    batch: str | None = None

    def __post_init__(self):
        if (self.draw is None) == (self.animate is None):
            raise ValueError(f"entry {self.name!r} needs exactly one of draw= and animate=")

    @property
    def job(self) -> str:
        """The batch this entry is rendered in (its own name unless ``batch`` says otherwise)."""
        return self.batch or self.name
