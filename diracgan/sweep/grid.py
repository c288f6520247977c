"""A sweep's tasks: the grid's configurations × seeds, each normalised and keyed.

A configuration is the command's options (library argument names) with every value cast to
its kind (floats as floats, whole numbers as ints, vectors as tuples of floats), absent (None)
values dropped and the command's defaults filled in, so that ``lr=1`` and ``lr=1.0``, or an
option left out and the same option at its default, are one configuration.  Its **key** is
the first 20 hex digits of the SHA-1 of the JSON text of ``[command, configuration,
diracgan.__version__]`` with sorted keys (floats are written by ``repr``, which round-trips
exactly): the same configuration has the same key in every run of the sweep, on every machine,
and a new diracgan version computes everything again.

Tasks are grouped into chunks (one Dask task each) so that tiny tasks do not drown in the
scheduler's overhead: a chunk holds about :data:`CHUNK_SECONDS` of estimated work, and there
are at least four chunks per worker when the grid allows it; long tasks are one chunk each.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import numbers
import sys
from dataclasses import dataclass

from ..errors import InputError
from .runners import BOOL, FLOAT, INT, STR, VECTOR, Runner, check_names

__all__ = ["diracgan_version", "Task", "normalise", "task_key", "build_tasks", "make_chunks", "chunk_key", "CHUNK_SECONDS"]

CHUNK_SECONDS = 1.0
"""Estimated work per chunk (seconds) when tasks are grouped automatically."""

MAX_TASKS = 10_000_000


@dataclass(frozen=True)
class Task:
    """One configuration × seed: ``key``, the normalised ``options`` and the grid ``point``
    (axis name → value, and ``seed`` for seeded commands)."""

    key: str
    options: dict
    point: dict


def cast(name: str, kind: str, value, command: str):
    """``value`` as the kind of option ``name`` (InputError naming ``name=`` otherwise)."""
    if value is None:
        return None
    try:
        if kind == FLOAT:
            if isinstance(value, (bool, str)) or not isinstance(value, numbers.Real):
                raise TypeError
            return float(value)
        if kind == INT:
            if isinstance(value, (bool, str)) or not isinstance(value, numbers.Real) or value != int(value):
                raise TypeError
            return int(value)
        if kind == BOOL:
            if type(value).__name__ not in ("bool", "bool_"):
                raise TypeError
            return bool(value)
        if kind == STR:
            if not isinstance(value, str):
                raise TypeError
            return value
        if kind == VECTOR:
            import numpy as np

            arr = np.asarray(value, dtype=float)
            if arr.ndim not in (1, 2) or arr.size == 0:
                raise TypeError
            return tuple(map(tuple, arr.tolist())) if arr.ndim == 2 else tuple(arr.tolist())
    except (TypeError, ValueError, OverflowError):
        want = {FLOAT: "a number", INT: "a whole number", BOOL: "True or False", STR: "a string",
                VECTOR: "a vector of numbers"}[kind]
        raise InputError(f"{name}= of {command} must be {want}, got {value!r}") from None
    raise AssertionError(kind)


def normalise(runner: Runner, options: dict) -> dict:
    """The normal form of a configuration (see module doc), keys sorted."""
    out = {k: d for k, (_, d) in runner.options.items() if d is not None}
    for k, v in options.items():
        kind = runner.options[k][0] if k in runner.options else FLOAT   # game parameters are numbers
        v = cast(k, kind, v, runner.name)
        if v is None:
            out.pop(k, None)
        else:
            out[k] = v
    if out.get("loss_d") is not None:
        out.pop("loss", None)      # a custom game: the pair of losses names it
    return dict(sorted(out.items()))


def diracgan_version() -> str:
    """``diracgan.__version__``: read from the package object, which Python has initialised
    before any of its submodules (an ``import`` of the facade would go up the layers)."""
    return sys.modules[__name__.partition(".")[0]].__version__


def task_key(command: str, options: dict) -> str:
    """The stable key of a normalised configuration (see module doc)."""
    text = json.dumps([command, options, diracgan_version()], sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def build_tasks(runner: Runner, fixed: dict, grid: dict | None, seeds=None) -> tuple[list[Task], list[str], dict]:
    """The tasks of a sweep: every combination of the ``grid``'s values (axis name → sequence,
    the first axis varying slowest) × ``seeds``, on top of the ``fixed`` options.

    ``seeds``: a count S (seeds 0 … S−1) or a sequence of seeds; each task's ``seed`` option.
    Without an explicit start (``theta``/``phi``/``n_init``) each seed draws one random start
    (``n_init=1``) uniform in [−box, box]^(2d).  Returns (tasks, axis names incl. ``seed``, the
    normalised fixed options).
    Names and kinds are checked here, before any task runs; a value the library refuses is
    that task's error row."""
    grid = dict(grid or {})
    fixed = {k: v for k, v in fixed.items() if v is not None}
    for name in list(grid) + list(fixed):
        if not isinstance(name, str) or not name.isidentifier():
            raise InputError(f"option names are identifiers (e.g. lr, n_critic), got {name!r}")
    both = sorted(set(grid) & set(fixed))
    if both:
        raise InputError(f"{both[0]} is both a grid axis and a fixed option; give it once")
    axes = {}
    for name, values in grid.items():
        kind = runner.options[name][0] if name in runner.options else FLOAT
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise InputError(f"grid axis {name}= must be a sequence of values, got {values!r}")
        values = [cast(name, kind, v, runner.name) for v in values]
        if not values:
            raise InputError(f"grid axis {name}= has no values")
        axes[name] = values
    if seeds is not None:
        if not runner.seeded:
            raise InputError(f"{runner.name} has no seed (it is deterministic): drop seeds=")
        if "seed" in axes or "seed" in fixed:
            raise InputError("give the seeds once: seeds=, or seed as a grid axis or fixed option")
        seed_list = list(range(seeds)) if isinstance(seeds, numbers.Integral) else list(seeds)
        axes["seed"] = [cast("seeds", INT, s, runner.name) for s in seed_list]
        if not axes["seed"] or min(axes["seed"]) < 0:
            raise InputError(f"seeds= must be a count ≥ 1 or seeds ≥ 0, got {seeds!r}")
        if not any(k in fixed or k in axes for k in ("theta", "phi", "n_init")):
            fixed["n_init"] = 1
    size = math.prod(len(v) for v in axes.values())
    if size > MAX_TASKS:
        raise InputError(f"the grid has {size:,} tasks; the limit is {MAX_TASKS:,}")
    names = list(axes)
    tasks, seen = [], set()
    base = normalise(runner, fixed)
    for combo in itertools.product(*axes.values()):
        point = dict(zip(names, combo))
        options = normalise(runner, {**base, **point})
        key = task_key(runner.name, options)
        if key not in seen:         # the same configuration twice (a repeated value) runs once
            seen.add(key)
            tasks.append(Task(key, options, point))
    losses = {t.options.get("loss") for t in tasks}
    params = {k for t in tasks for k in t.options if k not in runner.options}
    check_names(runner, losses, params)
    return tasks, names, {k: v for k, v in base.items() if k not in axes}


def make_chunks(runner: Runner, tasks: list[Task], workers: int, chunk: int | None = None) -> list[list[Task]]:
    """Group ``tasks`` into chunks (see module doc); ``chunk`` fixes the tasks per chunk."""
    if not tasks:
        return []
    if chunk is None:
        sample = tasks[:: max(1, len(tasks) // 64)]
        cost = max(sum(runner.cost(t.options) for t in sample) / len(sample), 1e-4)
        spread = math.ceil(len(tasks) / (4 * max(1, workers)))
        chunk = max(1, min(int(CHUNK_SECONDS / cost), spread, 1000))
    return [tasks[i:i + chunk] for i in range(0, len(tasks), chunk)]


def chunk_key(command: str, chunk: list[Task]) -> str:
    """The Dask key of a chunk: ``diracgan-<command>-`` and a hash of its task keys."""
    digest = hashlib.sha1(",".join(t.key for t in chunk).encode()).hexdigest()[:16]
    return f"diracgan-{command}-{digest}"
