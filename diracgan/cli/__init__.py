"""Layer 9, cli: the ``diracgan`` command, a thin click layer over the library.

:mod:`.options` (parameter types, including the one ``START:STOP:COUNT`` range type, and the
option groups shared by commands) and :mod:`.commands` (the group and its commands).  Heavy
modules are imported inside the commands.  May import every layer below it.
"""

from .commands import cli, main

__all__ = ["cli", "main"]
