"""The figure catalogue: one entry per committed file in ``figures/``, its parameters in one place.

``diracgan figures`` renders every entry (``--only NAME`` one of them) into ``figures/`` and
writes ``figures/manifest.json`` (the versions of the libraries that drew them and each file's
SHA-256).  ``diracgan figures --check`` renders into a temporary folder and compares bytes with
the committed files: the same versions give byte-identical files (PNG/GIF metadata fixed, no
timestamps).  Entries only compute and draw (:mod:`diracgan.viz.entries`); this module owns the
files.

With ``jobs=2`` (the CLI's default) the entries are rendered in two worker processes: the
longest jobs start first (``Entry.cost``), entries of one ``Entry.batch`` go to one process
(their shared computations are memoised there), results are reported in catalogue order, and
each worker draws exactly the bytes a serial render draws (the figures depend on nothing but
their inputs: no pyplot state, fixed metadata, the same fonts).  The workers are forked from a
single-threaded parent (the CLI), else started from a fork server that imported this module.

Adding an entry: define an :class:`Entry` in a module of :mod:`diracgan.viz.entries` (see
there) and list it in ``CATALOGUE`` below.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import matplotlib
import numpy as np

from ..io import atomic_output
from . import plotting
from .entries import discrete, flows, local
from .entries.entry import Entry

__all__ = ["Entry", "CATALOGUE", "NAMES", "get_entry", "render", "render_all", "render_entries", "check",
           "manifest", "versions"]

CATALOGUE: tuple[Entry, ...] = (*flows.STILLS, *discrete.ENTRIES, *local.ENTRIES, *flows.ANIMATIONS)
"""Every committed figure, in the order ``--list`` and ``--check`` show them."""

NAMES = tuple(e.name for e in CATALOGUE)


def get_entry(name: str) -> Entry:
    from ..errors import InputError

    for e in CATALOGUE:
        if e.name == name:
            return e
    raise InputError(f"unknown figure {name!r}; choose one of: {', '.join(NAMES)}")


def render(entry: Entry, folder: Path, style: str = "paper") -> Path:
    """Render one entry into ``folder`` (atomically) in ``style``; returns the file's path."""
    path = Path(folder) / entry.filename
    if entry.animate is not None:
        entry.animate(path, style=style)
    else:
        plotting.save_figure(entry.draw(style=style), path, style=style)
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def versions() -> dict:
    """Library versions that determine the bytes of the figures."""
    import PIL
    import scipy
    import sympy

    return {"matplotlib": matplotlib.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
            "sympy": sympy.__version__, "pillow": PIL.__version__}


def manifest(folder: Path) -> dict:
    return {"versions": versions(),
            "files": {e.filename: _sha256(Path(folder) / e.filename) for e in CATALOGUE
                      if (Path(folder) / e.filename).exists()}}


def _write_manifest(folder: Path) -> None:
    with atomic_output(folder / "manifest.json") as tmp:
        tmp.write_text(json.dumps(manifest(folder), indent=2, sort_keys=True) + "\n")


# -- progress -------------------------------------------------------------------------------

class _Progress:
    """Per finished entry: a tqdm bar on a terminal, else one line ``[3/16] ema.png 1.2 s`` on
    stderr (logs and CI show which entry took how long); ``progress`` True forces the bar,
    False shows nothing."""

    def __init__(self, total: int, progress: bool | None, desc: str):
        self.total, self.count, self.bar = total, 0, None
        tty = getattr(sys.stderr, "isatty", lambda: False)()
        self.lines = progress is None and not tty
        if progress or (progress is None and tty):
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, desc=desc, unit="fig", leave=False)

    def done(self, entry: Entry, seconds: float) -> None:
        self.count += 1
        if self.bar is not None:
            self.bar.set_postfix_str(entry.name)
            self.bar.update(1)
        elif self.lines:
            print(f"[{self.count}/{self.total}] {entry.filename} {seconds:.1f} s", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# -- rendering many entries --------------------------------------------------------------------

def _render_job(names: list[str], folder: str, style: str) -> list[tuple[str, float, float]]:
    """A worker's job: render these entries one after the other; (name, wall s, CPU s) each."""
    out = []
    for name in names:
        wall, cpu = time.perf_counter(), time.process_time()
        render(get_entry(name), Path(folder), style=style)
        out.append((name, time.perf_counter() - wall, time.process_time() - cpu))
    return out


def _jobs(entries: list[Entry]) -> list[list[Entry]]:
    """Entries grouped by batch (catalogue order inside a batch), the costliest batch first."""
    groups: dict[str, list[Entry]] = {}
    for e in entries:
        groups.setdefault(e.job, []).append(e)
    return sorted(groups.values(), key=lambda g: -sum(e.cost for e in g))


def _context():
    """fork from a single-threaded process (cheap: the workers inherit the imports); else a fork
    server that imports this module once (forking a threaded process can deadlock)."""
    import multiprocessing
    import threading

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
        return ctx
    return multiprocessing.get_context("spawn")


def render_entries(entries: list[Entry], folder: Path, *, style: str = "paper", jobs: int = 1,
                   done: Callable[[Entry, float, float], None] | None = None) -> dict[str, tuple[float, float]]:
    """Render ``entries`` into ``folder`` with ``jobs`` worker processes (1: in this process, in
    the given order); ``done(entry, wall s, CPU s)`` is called in this process as each one
    finishes.  Returns name → (wall s, CPU s) of each entry (CPU: of the process that drew it).

    When interrupted, the jobs not started are cancelled and the running ones end (they got the
    signal too on a terminal) before this returns or raises, so no worker writes afterwards;
    every file is written atomically, so each is complete or absent."""
    times: dict[str, tuple[float, float]] = {}

    def finished(name, wall, cpu):
        times[name] = (wall, cpu)
        if done is not None:
            done(get_entry(name), wall, cpu)

    groups = _jobs(entries)
    if jobs <= 1 or len(groups) <= 1:
        for entry in entries:
            wall, cpu = time.perf_counter(), time.process_time()
            render(entry, folder, style=style)
            finished(entry.name, time.perf_counter() - wall, time.process_time() - cpu)
        return times
    from concurrent.futures import ProcessPoolExecutor, as_completed

    pool = ProcessPoolExecutor(max_workers=min(jobs, len(groups)), mp_context=_context())
    try:
        futures = [pool.submit(_render_job, [e.name for e in g], str(folder), style) for g in groups]
        for future in as_completed(futures):
            for name, wall, cpu in future.result():
                finished(name, wall, cpu)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return times


def render_all(folder: Path, only: list[str] | None = None, progress: bool | None = None,
               style: str = "paper", jobs: int = 1) -> list[Path]:
    """Render the catalogue (or ``only`` these entries) into ``folder`` with ``jobs`` processes
    and update the manifest (the manifest only for the ``paper`` style, which is what
    ``figures/`` holds).  Returns the paths in catalogue order.

    The manifest is rewritten after every figure and once more on the way out (also when
    interrupted or when a write fails), so it always lists the hashes of the files on disk."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    entries = [get_entry(n) for n in only] if only else list(CATALOGUE)
    paper = style == "paper"
    bar = _Progress(len(entries), progress, "figures")
    written: list[Entry] = []

    def done(entry, wall, cpu):
        written.append(entry)
        if paper:
            _write_manifest(folder)
        bar.done(entry, wall)

    try:
        render_entries(entries, folder, style=style, jobs=jobs, done=done)
    finally:
        bar.close()
        if paper:
            _write_manifest(folder)
    return [folder / e.filename for e in entries if e in written]


def check(folder: Path, only: list[str] | None = None, progress: bool | None = None,
          jobs: int = 1) -> list[tuple[str, str]]:
    """Render into a temporary folder (with ``jobs`` processes) and compare with ``folder``:
    (filename, 'ok' | 'differs' | 'missing') per entry, in catalogue order."""
    folder = Path(folder)
    entries = [get_entry(n) for n in only] if only else list(CATALOGUE)
    bar = _Progress(len(entries), progress, "checking")
    with tempfile.TemporaryDirectory() as tmp:
        try:
            render_entries(entries, Path(tmp), jobs=jobs, done=lambda e, wall, cpu: bar.done(e, wall))
        finally:
            bar.close()
        results = []
        for entry in entries:
            committed = folder / entry.filename
            if not committed.exists():
                results.append((entry.filename, "missing"))
            elif (Path(tmp) / entry.filename).read_bytes() == committed.read_bytes():
                results.append((entry.filename, "ok"))
            else:
                results.append((entry.filename, "differs"))
    return results
