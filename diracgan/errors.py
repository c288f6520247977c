"""Errors shared by every layer (the bottom of the package: imports nothing from diracgan).

* :class:`InputError`: bad input from a user (a usage error, exit code 2 in the CLI).
* :class:`OutputError`: a file could not be written (disk full, read-only file system, …) after
  the computation (exit code 1 in the CLI); nothing partial is left behind.
* :class:`Interrupted`: SIGINT or SIGTERM arrived (:func:`raise_on_signals` turns them into
  this exception, so that every ``finally`` and cleanup runs); exit code 128 + the signal.
* :func:`check_memory`: refuse an allocation larger than :data:`MAX_BYTES`, naming the option
  to change, *before* anything is allocated.
"""

from __future__ import annotations

import contextlib
import signal
import threading

__all__ = ["InputError", "OutputError", "Interrupted", "raise_on_signals", "MAX_BYTES", "check_memory"]


class InputError(ValueError):
    """Bad input from a user: the message is one line that names the valid choices."""


class OutputError(OSError):
    """A write failed (the message is one line naming the file and the reason)."""


class Interrupted(BaseException):
    """SIGINT or SIGTERM during a command (a BaseException, like KeyboardInterrupt, so that
    ``except Exception`` does not swallow it)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def message(self) -> str:
        return "Interrupted." if self.signum == signal.SIGINT else "Terminated."


@contextlib.contextmanager
def raise_on_signals(signums=(signal.SIGINT, signal.SIGTERM)):
    """Within the block, SIGINT and SIGTERM raise :class:`Interrupted` (only in the main
    thread, where Python delivers signals); the previous handlers are restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Interrupted(signum)

    previous = {}
    try:
        for s in signums:
            previous[s] = signal.signal(s, handler)
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


MAX_BYTES = 4 * 2**30
"""The largest array (or set of arrays) a command will allocate: 4 GiB."""


def check_memory(nbytes: float, what: str, remedy: str, limit: float = MAX_BYTES) -> None:
    """Refuse (:class:`InputError`) when ``nbytes`` exceeds ``limit``: '``what`` would need
    X GiB (the limit is 4 GiB); ``remedy``'.  Call it before allocating."""
    if nbytes > limit:
        raise InputError(f"{what} would need {_size(nbytes)} (the limit is {_size(limit)}); {remedy}")


def _size(n: float) -> str:
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} bytes"
