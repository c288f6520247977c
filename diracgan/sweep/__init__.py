"""Layer ``sweep``: grids of runs on Dask distributed, resumable and fault-tolerant.

``diracgan.sweep(command, grid, ...)`` (this package is callable: it runs
:func:`.engine.sweep`) runs a command (``train``, ``eig``, ``simulate``; :data:`RUNNERS`) over
every combination of the grid's values × seeds, one task per configuration × seed with a
stable key (:mod:`.grid`), on a LocalCluster or an existing Dask cluster (:mod:`.engine`), and
stores one row per task in a Parquet folder or a CSV file that a rerun resumes (:mod:`.store`).
Dask and pyarrow are the optional ``sweep`` extra (``pip install "diracgan[sweep]"``), imported
only when a sweep runs.  May import every layer below it (never ``viz`` or ``cli``).
"""

from __future__ import annotations

import sys
import types

from .engine import INSTALL_HINT, SweepOutcome, load, require_sweep, run_sweep, sweep
from .grid import Task, build_tasks, normalise, task_key
from .runners import RUNNERS, Runner, get_runner, register

__all__ = ["sweep", "run_sweep", "load", "SweepOutcome", "RUNNERS", "Runner", "get_runner", "register", "Task",
           "build_tasks", "normalise", "task_key", "require_sweep", "INSTALL_HINT"]


class _CallableModule(types.ModuleType):
    """``diracgan.sweep`` is this package; calling it runs :func:`sweep` (one name for the
    function and the package, as the issue asks for ``diracgan.sweep(...)``)."""

    def __call__(self, *args, **kwargs):
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
