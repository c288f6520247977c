"""Layer 9, cli: the ``diracgan`` command, a thin click layer over the library.

:mod:`.options` (parameter types, among them the one ``START:STOP:COUNT`` range type, and the
option groups shared by commands), :mod:`.group` (the click group: one-line errors, and the
table of commands, each loaded on first use), and one module per command group: :mod:`.flow`
(simulate, phase, animate), :mod:`.analysis` (eig, stability), :mod:`.training` (train, check),
:mod:`.catalogue` (games, figures, explore).  Heavy modules are imported inside the commands.
May import every layer below it.
"""

from .group import cli, main

__all__ = ["cli", "main"]
