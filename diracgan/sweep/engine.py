"""Running a sweep on Dask distributed: chunks of tasks as futures, rows stored as they come.

The client (this process) builds the tasks (:mod:`.grid`), skips the keys already in the store
(:mod:`.store`), submits one Dask task per chunk (``Client.map`` with an explicit key per
chunk and ``pure=False``), and stores each chunk's rows when it completes (``as_completed``):
the store lives on the client's file system, so workers need no shared disk.  Faults:

* a row's own failure (a value the library refuses, a run that raises) is caught on the worker
  and becomes that row, with ``status="error"`` and the one-line message; the sweep goes on;
* a worker process that dies (killed, out of memory) loses its running chunk: the scheduler
  reschedules it on another worker, up to ``distributed.scheduler.allowed-failures`` times
  (default 3), after which the chunk errs with ``KilledWorker``; its rows are then reported as
  errors but not stored, so a rerun tries them again;
* an interrupted client (Ctrl-C, SIGTERM) stops submitting; every chunk stored so far stays,
  whole; the rerun computes the rest.

Sources: dask/distributed ``client.py`` (``Client.map``: explicit keys as a list, ``retries``
for exceptions, ``pure``), ``scheduler.py`` (``remove_worker``: a dead worker's tasks get
``suspicious += 1`` and are released for rescheduling until ``allowed_failures``, then
``KilledWorker``), ``distributed.yaml`` (``allowed-failures: 3``), ``deploy/local.py``
(``LocalCluster``).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

from ..errors import InputError
from .grid import Task, build_tasks, chunk_key, diracgan_version, make_chunks
from .runners import FLOAT, INT, STR, Runner, get_runner

__all__ = ["sweep", "run_sweep", "SweepOutcome", "run_chunk", "run_task", "require_sweep", "load", "columns_of",
           "INSTALL_HINT", "CONNECT_TIMEOUT"]

INSTALL_HINT = 'pip install "diracgan[sweep]"'
CONNECT_TIMEOUT = 5.0
"""Seconds to wait for ``scheduler=`` before giving up (at most; dask's connect timeout if lower)."""

RESERVED = ("key", "command", "verdict", "status", "message", "seconds", "worker")


def require_sweep(parts=("distributed", "pyarrow")) -> None:
    """Raise a one-line :class:`InputError` naming the install command when Dask distributed
    or pyarrow (the ``sweep`` extra) cannot be imported."""
    import importlib

    for name in parts:
        try:
            importlib.import_module(name)
        except ImportError:
            what = "Dask distributed and pyarrow" if len(parts) > 1 else name
            raise InputError(f"sweeps need {what} ({name} is not installed): {INSTALL_HINT}") from None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if isinstance(exc, InputError) else f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- the worker side -------------------------------------------------------------------------

def run_task(runner: Runner, key: str, options: dict, point: dict, worker: str = "local") -> dict:
    """One row: the runner on ``options`` (status ok), or its one-line error (status error)."""
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            # Overflow and 0/0 are expected at blow-ups; the rows report them as verdicts.
            warnings.simplefilter("ignore", RuntimeWarning)
            metrics = runner.run(dict(options))
        status, message = "ok", None
    except Exception as exc:   # the row's own failure; the sweep goes on (see module doc)
        metrics, status, message = {}, "error", _one_line(exc)
    row = {"key": key, "command": runner.name, **point}
    if runner.seeded:
        row["seed"] = options.get("seed")
    row.update({c: metrics.get(c) for c in runner.columns})
    row.update(verdict=metrics.get("verdict"), status=status, message=message,
               seconds=time.perf_counter() - t0, worker=worker)
    return row


def run_chunk(items: list, command: str) -> list[dict]:
    """The Dask task: the rows of one chunk, ``items`` = [(key, options, point), ...]."""
    try:
        from distributed import get_worker

        worker = get_worker().address
    except (ImportError, ValueError):
        worker = "local"
    runner = get_runner(command)
    return [run_task(runner, key, options, point, worker) for key, options, point in items]


# -- the client side -------------------------------------------------------------------------

@dataclass
class SweepOutcome:
    """What :func:`run_sweep` did: ``table`` (pyarrow, one row per task in grid order),
    counts of tasks, ``stored`` (skipped), ``computed``, ``errors``, ``killed`` (chunks lost
    to dying workers, not stored), the chunks, workers and wall ``seconds``."""

    table: object
    command: str
    axes: list
    tasks: int
    stored: int = 0
    computed: int = 0
    errors: int = 0
    killed: int = 0
    chunks: int = 0
    workers: int = 0
    seconds: float = 0.0
    dashboard: str | None = None
    notes: list = field(default_factory=list)


def columns_of(runner: Runner, axes: list) -> list:
    """The row columns ``[(name, kind), ...]``: key, command, the axes, seed, the metrics,
    verdict, status, message, seconds, worker."""
    cols = [("key", STR), ("command", STR)]
    for name in axes:
        if name in RESERVED or name in runner.columns:
            raise InputError(f"a grid axis cannot be named {name!r} (a column of the rows)")
        if name != "seed":
            cols.append((name, runner.options[name][0] if name in runner.options else FLOAT))
    if runner.seeded:
        cols.append(("seed", INT))
    cols += list(runner.columns.items())
    cols += [("verdict", STR), ("status", STR), ("message", STR), ("seconds", FLOAT), ("worker", STR)]
    return cols


@contextlib.contextmanager
def _connect(scheduler: str | None, workers: int | None, client):
    """(client, threads, dashboard link): the given client, a client of ``scheduler``, or a
    new LocalCluster with ``workers`` processes (default: one per core) of one thread each."""
    if client is not None:
        yield client, _threads(client), _dashboard(client)
        return
    import dask
    import distributed

    if scheduler is not None:
        timeout = min(CONNECT_TIMEOUT, _seconds(dask.config.get("distributed.comm.timeouts.connect")))
        try:
            own = distributed.Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            raise InputError(f"cannot reach the scheduler at {scheduler} within {timeout:g} s "
                             f"({_one_line(exc)})") from None
        try:
            yield own, _threads(own), _dashboard(own)
        finally:
            own.close()
        return
    import importlib.util

    has_bokeh = importlib.util.find_spec("bokeh") is not None
    cluster = distributed.LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                       processes=True, dashboard_address=":8787" if has_bokeh else None,
                                       silence_logs=logging.ERROR)
    own = distributed.Client(cluster, set_as_default=False)
    try:
        yield own, _threads(own), _dashboard(own) if has_bokeh else None
    finally:
        with contextlib.suppress(Exception):
            own.close(timeout=10)
        with contextlib.suppress(Exception):
            cluster.close(timeout=10)


def _seconds(value) -> float:
    from dask.utils import parse_timedelta

    return float(parse_timedelta(value, default="seconds"))


def _threads(client) -> int:
    try:
        return max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()))
    except Exception:
        return 1


def _dashboard(client) -> str | None:
    """The dashboard's address (a scheduler serves it when bokeh is installed there)."""
    try:
        return client.dashboard_link
    except Exception:
        return None


def _progress_bar(total: int, progress: bool | None):
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress or not total:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="task", desc="sweep", file=sys.stderr, dynamic_ncols=True)


def run_sweep(command: str, grid: dict | None = None, *, seeds=None, out=None, force: bool = False,
              scheduler: str | None = None, workers: int | None = None, client=None, chunk: int | None = None,
              progress: bool | None = None, log: tuple = (), echo: Callable[[str], None] | None = None,
              callback: Callable[[int, int], None] | None = None, **options) -> SweepOutcome:
    """Run a sweep and return a :class:`SweepOutcome` (see :func:`sweep` for the arguments;
    ``echo(text)`` receives the status lines, ``callback(done, todo)`` is called after each
    stored chunk)."""
    require_sweep()
    t0 = time.perf_counter()
    runner = get_runner(command)
    if workers is not None and (int(workers) != workers or workers < 1):
        raise InputError(f"workers= must be a whole number ≥ 1, got {workers!r}")
    if chunk is not None and (int(chunk) != chunk or chunk < 1):
        raise InputError(f"chunk= must be a whole number ≥ 1, got {chunk!r}")
    if scheduler is not None and client is not None:
        raise InputError("give scheduler= or client=, not both")
    tasks, axes, base = build_tasks(runner, options, grid, seeds)
    columns = columns_of(runner, axes)
    unknown_log = sorted(set(log) - set(axes))
    if unknown_log:
        raise InputError(f"log= names {unknown_log[0]!r}, which is not a grid axis ({', '.join(axes) or 'none'})")
    store = None
    if out is not None:
        from .store import open_store

        manifest = {"command": command, "axes": [a for a in axes if a != "seed"], "fixed": base,
                    "diracgan": diracgan_version(), "columns": columns, "log": sorted(log)}
        store = open_store(out, manifest)
    say = echo or (lambda text: None)
    stored = set(store.keys()) if store is not None else set()
    keys = {t.key for t in tasks}
    if force and store is not None:
        dropped = store.drop(keys & stored)
        if dropped:
            say(f"force: removed {dropped} stored rows of this sweep; recomputing them")
        stored = set()
    todo = [t for t in tasks if t.key not in stored]
    outcome = SweepOutcome(None, command, axes, len(tasks), stored=len(tasks) - len(todo))
    fresh: list[dict] = []
    if todo:
        _compute(runner, todo, store, outcome, fresh, scheduler, workers, client, chunk, progress, say, callback)
    outcome.table = _table_of(tasks, store, fresh, columns)
    outcome.seconds = time.perf_counter() - t0
    return outcome


def _compute(runner, todo, store, outcome, fresh, scheduler, workers, client, chunk, progress, say, callback):
    """Submit the chunks of ``todo`` and store their rows as they complete."""
    from distributed import KilledWorker, as_completed

    with _connect(scheduler, workers, client) as (cl, threads, dashboard):
        chunks = make_chunks(runner, todo, threads, chunk)
        outcome.chunks, outcome.workers, outcome.dashboard = len(chunks), threads, dashboard
        say(f"{len(todo)} of {outcome.tasks} tasks to run ({outcome.stored} stored) in {len(chunks)} chunks on "
            f"{threads} worker thread{'s' if threads != 1 else ''}; dashboard: "
            + (dashboard or "not available (pip install bokeh for Dask's dashboard)"))
        payloads = [[(t.key, t.options, t.point) for t in c] for c in chunks]
        by_key = {}
        for c, p in zip(chunks, payloads):
            by_key[chunk_key(runner.name, c)] = (c, p)
        futures = cl.map(run_chunk, [p for _, p in by_key.values()], key=list(by_key), pure=False, retries=1,
                         command=runner.name)
        bar = _progress_bar(len(todo), progress)
        done = 0
        try:
            for fut in as_completed(futures, loop=cl.loop):
                chunk_tasks, _ = by_key[fut.key]
                try:
                    rows = fut.result()
                except KilledWorker as exc:
                    rows = [_lost_row(runner, t, f"its worker died {exc.allowed_failures + 1} times running it "
                                                 f"(KilledWorker); not stored, a rerun tries again")
                            for t in chunk_tasks]
                    outcome.killed += 1
                except Exception as exc:
                    rows = [_lost_row(runner, t, f"the chunk failed on the cluster: {_one_line(exc)}")
                            for t in chunk_tasks]
                    outcome.killed += 1
                else:
                    if store is not None:
                        store.append(rows)
                fresh.extend(rows)
                outcome.computed += len(rows)
                outcome.errors += sum(r["status"] != "ok" for r in rows)
                done += len(rows)
                fut.release()
                if bar is not None:
                    bar.update(len(rows))
                if callback is not None:
                    callback(done, len(todo))
        finally:
            if store is not None:
                store.flush()
            if bar is not None:
                bar.close()


def _lost_row(runner: Runner, task: Task, message: str) -> dict:
    row = {"key": task.key, "command": runner.name, **task.point}
    if runner.seeded:
        row["seed"] = task.options.get("seed")
    row.update({c: None for c in runner.columns})
    row.update(verdict=None, status="error", message=message, seconds=math.nan, worker=None)
    return row


def _table_of(tasks: list[Task], store, fresh: list[dict], columns: list):
    """The rows of ``tasks`` in grid order: from the store, else from this run."""
    import pyarrow as pa

    from .store import arrow_schema

    schema = arrow_schema(columns)
    rows = {r["key"]: r for r in fresh}
    if store is not None:
        table = store.read()
        stored = {k: i for i, k in reversed(list(enumerate(table.column("key").to_pylist())))}
        index = [stored[t.key] for t in tasks if t.key in stored]
        lost = [rows[t.key] for t in tasks if t.key not in stored and t.key in rows]
        parts = [table.take(index)] + ([pa.Table.from_pylist(lost, schema=schema)] if lost else [])
        return pa.concat_tables(parts)
    return pa.Table.from_pylist([rows[t.key] for t in tasks if t.key in rows], schema=schema)


def as_frame(table):
    """``table`` as a pandas DataFrame when pandas is installed, else the pyarrow Table."""
    try:
        import pandas  # noqa: F401
    except ImportError:
        return table
    return table.to_pandas()


def sweep(command: str, grid: dict | None = None, *, seeds=None, out=None, force: bool = False,
          scheduler: str | None = None, workers: int | None = None, client=None, chunk: int | None = None,
          progress: bool | None = False, log: tuple = (), **options):
    """Run ``command`` over a grid of configurations × seeds on Dask distributed.

    Parameters
    ----------
    command : {"train", "eig", "simulate"}
        What each task runs (:data:`diracgan.sweep.RUNNERS`): :func:`diracgan.train`,
        :func:`diracgan.analyse` + :func:`diracgan.numeric_verdict`, :func:`diracgan.simulate`.
    grid : dict of name → sequence, optional
        The axes: any option of the command (``lr``, ``n_critic``, ``momentum``, ``loss``,
        ``optimizer``, …) or parameter of the game (``lam``, ``c``, ``clip``, ``r1_gamma``), each
        with its values; every combination is one configuration (first axis slowest).
    seeds : int or sequence of int, optional
        Seeds of the random starts (a count S means 0 … S−1); each configuration runs once per
        seed.  Without an explicit start each seed draws one start (``n_init=1``).
    out : path, optional
        A folder (an append-only Parquet dataset) or a ``.csv`` file; rerunning the same sweep
        skips the stored keys (``force=True`` recomputes them).  Without it nothing is stored.
    scheduler, workers, client
        ``"tcp://HOST:PORT"`` of a running scheduler, or a new LocalCluster with ``workers``
        processes (default one per core), or your own ``distributed.Client``.
    chunk : int, optional
        Tasks per Dask task (default: about one second of estimated work, ≥ 4 chunks per worker).
    progress : bool or None
        A progress bar on stderr (None: on a terminal).
    log : names of axes spaced logarithmically (recorded for plots).
    **options
        Fixed options of the command (library names, as the functions above take them).

    Returns
    -------
    pandas.DataFrame, or pyarrow.Table without pandas
        One row per configuration × seed, in grid order: ``key``, ``command``, the axes,
        ``seed``, the command's metrics, ``verdict``, ``status`` (ok / error), ``message``,
        ``seconds``, ``worker``.

    Raises
    ------
    InputError
        Before any task runs: an unknown option or axis, a value of the wrong kind, a store of
        another sweep, an unreachable scheduler, or the ``sweep`` extra not installed.

    Notes
    -----
    The LocalCluster spawns its worker processes, which import the calling script again: in a
    script, call ``sweep`` under ``if __name__ == "__main__":`` (notebooks need nothing).

    Examples
    --------
    >>> import diracgan
    >>> table = diracgan.sweep("eig", {"lam": [0.0, 0.5, 1.0]}, loss="gp0", numeric=False)  # doctest: +SKIP
    """
    return as_frame(run_sweep(command, grid, seeds=seeds, out=out, force=force, scheduler=scheduler, workers=workers,
                              client=client, chunk=chunk, progress=progress, log=log, **options).table)


def load(path):
    """A stored sweep (a folder or ``.csv``) as a pandas DataFrame, or a pyarrow Table
    without pandas; ``pandas.read_parquet(folder)`` reads the same folder in one call."""
    require_sweep(("pyarrow",))
    from .store import read_store

    return as_frame(read_store(path)[0])
