"""Output files: validated up front, written atomically, full float precision.

Every writer goes through :func:`atomic_output`: the data is written to a temporary file in
the target's folder and moved into place only when complete, so a failure never leaves a
partial file.  :func:`check_output` validates a path (known extension, writable folder)
*before* any computation, so bad options fail fast.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from .errors import InputError, OutputError

__all__ = ["DATA_FORMATS", "FIGURE_FORMATS", "check_output", "atomic_output", "write_table", "write_trajectories"]

DATA_FORMATS = (".csv", ".json", ".npz")
FIGURE_FORMATS = (".png", ".pdf", ".svg")


def check_output(path: str | os.PathLike, formats: Sequence[str]) -> Path:
    """Validate an output path: extension in ``formats`` and a writable existing folder.

    The folder is probed by creating (and removing) an empty temporary file in it, so a
    read-only file system, ``/proc`` or ``/sys`` fail here, before any computation, not after.
    """
    text = os.fspath(path)
    if text.endswith(("/", os.sep)):
        raise InputError(f"cannot write {text!r}: a trailing slash names a folder; give a file name")
    path = Path(text)
    ext = path.suffix.lower()
    if ext not in formats:
        raise InputError(f"cannot write {str(path)!r}: unknown extension {ext or '(none)'!r}; "
                         f"use one of {', '.join(formats)}")
    folder = path.parent if str(path.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise InputError(f"cannot write {str(path)!r}: {str(folder)!r} is a file, not a folder")
    if not folder.is_dir():
        missing = next((p for p in [folder, *folder.parents] if p.exists() and not p.is_dir()), None)
        if missing is not None:
            raise InputError(f"cannot write {str(path)!r}: {str(missing)!r} is a file, not a folder")
        raise InputError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    if path.is_dir():
        raise InputError(f"cannot write {str(path)!r}: it is a folder")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InputError(f"cannot write {str(path)!r}: permission denied")
    if path.exists() and not path.is_file():
        raise InputError(f"cannot write {str(path)!r}: it is not a regular file")
    probe_folder(folder, f"cannot write {str(path)!r}")
    return path


def check_output_folder(folder: str | os.PathLike, option: str = "--dir") -> Path:
    """Validate a folder to write into (created later if missing): not empty, not a file, no
    file among its ancestors, and the nearest existing ancestor writable (probed)."""
    text = os.fspath(folder)
    if not text.strip():
        raise InputError(f"{option} is empty; give a folder name (use . for the current folder)")
    path = Path(text)
    for p in [path, *path.parents]:
        if p.exists():
            if not p.is_dir():
                raise InputError(f"{option} {text!r}: {str(p)!r} is a file, not a folder")
            probe_folder(p, f"cannot write into {text!r}")
            break
    return path


def probe_folder(folder: str | os.PathLike, what: str) -> None:
    """Create and remove an empty temporary file in ``folder``; :class:`InputError` ('``what``:
    reason') if that fails (read-only file system, ``/proc``, ``/sys``, no permission)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".diracgan-probe.", dir=folder)
        os.close(fd)
        os.unlink(tmp)
    except OSError as exc:
        raise InputError(f"{what}: {exc.strerror or exc}") from None


def _new_file_mode(path: Path) -> int:
    """The mode the file would get from ``open()``: an existing file's own mode, else
    0o666 minus the umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success move it onto ``path``.

    The temporary file is removed on any failure (an exception, SIGINT or SIGTERM turned into
    :class:`~diracgan.errors.Interrupted`), so ``path`` is either the complete new file or the
    previous one, untouched.  The new file gets the previous file's mode, or 0o666 minus the
    umask for a new one (as ``open()`` would).  A failing write (disk full, read-only file
    system, …) raises :class:`~diracgan.errors.OutputError` with one line.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=folder)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or exc}") from None
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, _new_file_mode(path))
        with open(tmp, "rb") as fh:      # flush to the device: a full disk shows here, not later
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise OutputError(f"cannot write {str(path)!r}: {exc.strerror or ' '.join(str(exc).split())}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _fmt(x: float) -> str:
    # repr of a Python float is the shortest string that round-trips exactly (+ 0.0: no "-0.0").
    return repr(float(x) + 0.0)


def write_table(path: Path, header: Sequence[str], rows: np.ndarray, int_columns: int = 0) -> None:
    """CSV with a header; the first ``int_columns`` columns written as integers."""
    with atomic_output(path) as tmp, tmp.open("w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow([str(int(v)) for v in row[:int_columns]] + [_fmt(v) for v in row[int_columns:]])


def state_columns(dim: int, prefix: str = "") -> list[str]:
    """``['theta_1', …, 'theta_d', 'phi_1', …, 'phi_d']`` (with an optional prefix)."""
    return [f"{prefix}theta_{i}" for i in range(1, dim + 1)] + [f"{prefix}phi_{i}" for i in range(1, dim + 1)]


def write_trajectories(traj, path: str | os.PathLike, metadata: dict | None = None) -> Path:
    """Write a :class:`~diracgan.dynamics.flow.Trajectories` by extension (.csv, .json, .npz).

    * ``.csv``: header ``t,theta_1..theta_d,phi_1..phi_d``, with a leading ``run`` column
      when there are several starts; each run's valid samples, ending with its final state
      if it stopped early.
    * ``.json``: metadata (game, parameters, solver) and per run ``status``, ``message``,
      ``t_end``, ``t``, ``theta``, ``phi``.
    * ``.npz``: ``t`` (S,), ``theta``/``phi`` (N, S, d) NaN after a stop, ``t_end``,
      ``theta_end``, ``phi_end``, ``status`` (codes), ``messages``, ``metadata`` (JSON text).
    """
    path = check_output(path, DATA_FORMATS)
    meta = trajectory_metadata(traj)
    meta.update(metadata or {})
    ext = path.suffix.lower()
    d = traj.dim
    if ext == ".csv":
        several = traj.n_runs > 1
        blocks = []
        for i in range(traj.n_runs):
            t, z = traj.run(i)
            cols = [t[:, None], z]
            if several:
                cols.insert(0, np.full((len(t), 1), i))
            blocks.append(np.hstack(cols))
        header = (["run"] if several else []) + ["t"] + state_columns(d)
        write_table(path, header, np.vstack(blocks), int_columns=1 if several else 0)
    elif ext == ".json":
        runs = []
        for i in range(traj.n_runs):
            t, z = traj.run(i)
            runs.append({
                "run": i,
                "status": traj.status_name(i),
                "message": traj.messages[i],
                "t_end": float(traj.t_end[i]),
                "t": t.tolist(),
                "theta": z[:, :d].tolist(),
                "phi": z[:, d:].tolist(),
            })
        with atomic_output(path) as tmp:
            tmp.write_text(json.dumps({**meta, "runs": runs}, ensure_ascii=False) + "\n")
    else:
        with atomic_output(path) as tmp, tmp.open("wb") as fh:
            np.savez_compressed(
                fh,
                t=traj.t,
                theta=traj.theta,
                phi=traj.phi,
                t_end=traj.t_end,
                theta_end=traj.state_end[:, :d],
                phi_end=traj.state_end[:, d:],
                status=traj.status,
                messages=np.array(traj.messages),
                metadata=np.array(json.dumps(meta, ensure_ascii=False)),
            )
    return path


def trajectory_metadata(traj) -> dict:
    """Game, parameters and solver settings of a run, as plain JSON-able values."""
    game = traj.game
    return {
        "loss": game.name if game is not None else None,
        "params": game.params if game is not None else {},
        "dim": traj.dim,
        "n_runs": traj.n_runs,
        "method": traj.method,
        "rtol": traj.rtol,
        "atol": traj.atol,
        "bound": traj.bound,
        "t_max": traj.t_max,
        "state_order": "theta_1..theta_d, phi_1..phi_d",
    }


def write_sweep(sweep, path: str | os.PathLike, dim: int = 1) -> Path:
    """Eigenvalue sweep data: ``.csv`` rows ``<param>,branch,re,im,multiplicity`` (valid
    points only), or ``.json`` (values, per-branch re/im lists with null where the field is
    not differentiable, stability-boundary crossings)."""
    path = check_output(path, (".csv", ".json"))
    name = sweep.name
    if path.suffix.lower() == ".csv":
        rows = [(v, b, mu.real, mu.imag, dim)
                for v, ok, mus in zip(sweep.values, sweep.valid, sweep.eigenvalues) if ok
                for b, mu in enumerate(mus)]
        with atomic_output(path) as tmp, tmp.open("w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow([name, "branch", "re", "im", "multiplicity"])
            for v, b, re, im, m in rows:
                w.writerow([_fmt(v), b, _fmt(re), _fmt(im), m])
    else:
        doc = {
            "loss": sweep.game.name,
            "params": sweep.game.params,
            "sweep": name,
            "values": [float(v) for v in sweep.values],
            "differentiable": [bool(x) for x in sweep.valid],
            # (null where not differentiable, and where a value exceeds the float range: JSON has no inf)
            "branches": [{"re": [float(x) if ok and np.isfinite(x) else None
                                 for x, ok in zip(sweep.eigenvalues[:, b].real, sweep.valid)],
                          "im": [float(x) if ok and np.isfinite(x) else None
                                 for x, ok in zip(sweep.eigenvalues[:, b].imag, sweep.valid)]}
                         for b in range(sweep.eigenvalues.shape[1])],
            "multiplicity": dim,
            "stability_crossings": sweep.crossings(),
        }
        with atomic_output(path) as tmp:
            tmp.write_text(json.dumps(doc) + "\n")
    return path


def write_training(run, path: str | os.PathLike) -> Path:
    """Write a :class:`~diracgan.dynamics.training.TrainingRun` by extension.

    ``.csv``: ``step,theta_1..,phi_1..`` plus ``ema_theta_1..,ema_phi_1..`` when an EMA was
    kept, with a leading ``run`` column for several starts; each run up to its last completed
    step.  ``.json``: the configuration and per run ``status``, ``message``, ``steps``,
    ``theta``, ``phi`` (and ``ema_theta``, ``ema_phi``).  ``.npz``: ``steps``, the (N, S, d)
    arrays (NaN after a stop), ``status``, ``stop_step``, ``messages``, ``metadata``.
    """
    from .dynamics.training import TrainStatus

    path = check_output(path, DATA_FORMATS)
    d = run.dim
    meta = {"loss": run.game.name, "params": run.game.params, "dim": d, "n_runs": run.n_runs, **run.config}
    ext = path.suffix.lower()
    has_ema = run.ema is not None
    if ext == ".csv":
        several = run.n_runs > 1
        blocks = []
        for i in range(run.n_runs):
            ok = run.valid(i)
            cols = [run.steps[ok, None], run.theta[i, ok], run.phi[i, ok]]
            if has_ema:
                cols += [run.ema_theta[i, ok], run.ema_phi[i, ok]]
            if several:
                cols.insert(0, np.full((int(ok.sum()), 1), i))
            blocks.append(np.hstack(cols))
        header = (["run"] if several else []) + ["step"] + state_columns(d) + (state_columns(d, "ema_") if has_ema else [])
        write_table(path, header, np.vstack(blocks), int_columns=2 if several else 1)
    elif ext == ".json":
        runs = []
        for i in range(run.n_runs):
            ok = run.valid(i)
            rec = {"run": i, "status": TrainStatus.NAMES[int(run.status[i])], "message": run.messages[i],
                   "steps": run.steps[ok].tolist(), "theta": run.theta[i, ok].tolist(), "phi": run.phi[i, ok].tolist()}
            if has_ema:
                rec["ema_theta"] = run.ema_theta[i, ok].tolist()
                rec["ema_phi"] = run.ema_phi[i, ok].tolist()
            runs.append(rec)
        with atomic_output(path) as tmp:
            tmp.write_text(json.dumps({**meta, "runs": runs}, ensure_ascii=False) + "\n")
    else:
        with atomic_output(path) as tmp, tmp.open("wb") as fh:
            np.savez_compressed(fh, steps=run.steps, theta=run.theta, phi=run.phi, ema_theta=run.ema_theta,
                                ema_phi=run.ema_phi, status=run.status, stop_step=run.stop_step,
                                messages=np.array(run.messages), metadata=np.array(json.dumps(meta)))
    return path


def write_stability_map(smap, path: str | os.PathLike) -> Path:
    """ρ over the grid: ``.csv`` (``x,[y,]rho``, one row per grid point, NaN-free: points where
    the field is not differentiable are left out; ``inf`` where ρ overflowed), ``.json`` (ρ with
    null for both, and an ``overflow`` mask) or ``.npz`` (axes and the ρ array, NaN and inf)."""
    path = check_output(path, DATA_FORMATS)
    ext = path.suffix.lower()
    if ext == ".csv":
        if smap.y is None:
            header, rows = [smap.x_name, "rho"], np.column_stack([smap.x, smap.rho])
        else:
            xx, yy = np.meshgrid(smap.x, smap.y)
            header, rows = [smap.x_name, smap.y_name, "rho"], np.column_stack([xx.ravel(), yy.ravel(), smap.rho.ravel()])
        write_table(path, header, rows[~np.isnan(rows).any(axis=1)])   # ρ = inf (overflow) is kept
    elif ext == ".json":
        doc = {"loss": smap.game.name, "params": smap.game.params, "scheme": smap.scheme.describe(),
               "x_name": smap.x_name, "x": smap.x.tolist(), "y_name": smap.y_name,
               "y": None if smap.y is None else smap.y.tolist(),
               "rho": np.where(np.isfinite(smap.rho), smap.rho, np.nan).tolist(),
               "overflow": np.isinf(smap.rho).tolist()}
        text = json.dumps(doc).replace("NaN", "null")
        with atomic_output(path) as tmp:
            tmp.write_text(text + "\n")
    else:
        with atomic_output(path) as tmp, tmp.open("wb") as fh:
            np.savez_compressed(fh, x=smap.x, y=np.array([]) if smap.y is None else smap.y, rho=smap.rho,
                                x_name=np.array(smap.x_name), y_name=np.array(smap.y_name or ""))
    return path
