"""Initial conditions: the seed's default start, random batches, and files of starts.

The state of a run is z = (θ, φ) ∈ R^{2d}; a batch of starts is a pair of (N, d) arrays.

* Default: the seed's start (θ, φ) = ((0.2, 0.1), (0.1, 0.2)) in d = 2.  In other
  dimensions the same numbers are truncated or padded with zeros: d = 1 starts at
  (θ, φ) = (0.2, 0.1); d ≥ 3 at θ = (0.2, 0.1, 0, …, 0), φ = (0.1, 0.2, 0, …, 0).  Every
  game here is rotation-invariant, so the plane spanned by θ₀ and φ₀ is invariant and a
  d ≥ 3 run from the default start repeats the d = 2 run in its first two coordinates.
* Random: N starts with every coordinate of θ and φ independent and uniform in
  [−box, box] (default box = 0.5), from ``numpy.random.default_rng(seed)``.
* File: ``.npy`` (an (N, 2d) array), ``.csv`` (one start per row: θ_1..θ_d, φ_1..φ_d, with
  an optional header line; the columns of a ``simulate`` CSV are recognised), ``.json``
  (``{"theta": [[...]], "phi": [[...]]}``).
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["SEED_THETA", "SEED_PHI", "DEFAULT_BOX", "default_start", "random_starts", "load_starts", "parse_vector"]

SEED_THETA = (0.2, 0.1)
SEED_PHI = (0.1, 0.2)
DEFAULT_BOX = 0.5


def default_start(dim: int) -> tuple[np.ndarray, np.ndarray]:
    """The seed's start in ``dim`` dimensions (zero-padded or truncated): two (d,) arrays."""
    _check_dim(dim)
    theta = np.zeros(dim)
    phi = np.zeros(dim)
    m = min(dim, 2)
    theta[:m] = SEED_THETA[:m]
    phi[:m] = SEED_PHI[:m]
    return theta, phi


def random_starts(n: int, dim: int, seed: int | None = 0, box: float = DEFAULT_BOX):
    """``n`` starts uniform in [−box, box]^{2d}: two (n, d) arrays (θ first)."""
    _check_dim(dim)
    if int(n) != n or n < 1:
        raise InputError(f"n-init must be a whole number ≥ 1, got {n!r}")
    if not (math.isfinite(box) and box > 0):
        raise InputError(f"box must be finite and > 0, got {box!r}")
    rng = np.random.default_rng(seed)
    z = rng.uniform(-box, box, size=(int(n), 2 * dim))
    return z[:, :dim], z[:, dim:]


def _check_dim(dim) -> None:
    if int(dim) != dim or dim < 1:
        raise InputError(f"dim must be a whole number ≥ 1, got {dim!r}")


def parse_vector(text: str, name: str, dim: int | None = None, expected: str = "--dim is") -> np.ndarray:
    """``'0.2,0.1'`` → array([0.2, 0.1]); finite numbers only, ``dim`` of them if given
    (the error says "``expected`` ``dim``", e.g. "--dim is 2")."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = np.array([float(p) for p in parts], dtype=float)
    except ValueError:
        raise InputError(f"{name} must be comma-separated numbers like 0.2,0.1, got {text!r}") from None
    if not np.all(np.isfinite(values)):
        raise InputError(f"{name} must be finite numbers, got {text!r}")
    if dim is not None and len(values) != dim:
        raise InputError(f"{name} has {len(values)} value(s) but {expected} {dim}")
    return values


def load_starts(path: str | Path, dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Starts from a file (see module doc): two (N, d) arrays."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"starts file {str(path)!r} does not exist")
    ext = path.suffix.lower()
    try:
        if ext == ".npy":
            z = np.load(path, allow_pickle=False)
        elif ext == ".json":
            data = json.loads(path.read_text())
            theta = np.array(data["theta"], dtype=float, ndmin=2)
            phi = np.array(data["phi"], dtype=float, ndmin=2)
            if theta.shape != phi.shape:
                raise ValueError("theta and phi have different shapes")
            z = np.hstack([theta, phi])
        elif ext == ".csv":
            z = _read_csv_starts(path)
        else:
            raise InputError(f"starts file must be .npy, .csv or .json, got {str(path)!r}")
    except InputError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"cannot read starts from {str(path)!r}: {exc}") from None
    z = np.array(z, dtype=float, ndmin=2)
    if z.ndim != 2 or z.shape[1] % 2 or z.shape[0] == 0:
        raise InputError(f"starts in {str(path)!r} must be rows of 2d numbers (θ then φ), got shape {z.shape}")
    if not np.all(np.isfinite(z)):
        raise InputError(f"starts in {str(path)!r} contain non-finite numbers")
    d = z.shape[1] // 2
    if dim is not None and d != dim:
        raise InputError(f"starts in {str(path)!r} have d = {d} but --dim is {dim}")
    return z[:, :d], z[:, d:]


def _read_csv_starts(path: Path) -> np.ndarray:
    with path.open(newline="") as fh:
        rows = [r for r in csv.reader(fh) if r and not r[0].startswith("#")]
    if not rows:
        raise ValueError("no rows")
    header = None
    try:
        float(rows[0][0])
    except ValueError:
        header, rows = [h.strip() for h in rows[0]], rows[1:]
    data = np.array([[float(x) for x in r] for r in rows], dtype=float, ndmin=2)
    if header is None:
        return data
    cols = [i for i, h in enumerate(header) if h.startswith("theta_")] + \
           [i for i, h in enumerate(header) if h.startswith("phi_")]
    if not cols:
        raise ValueError("header has no theta_* / phi_* columns")
    if "t" in header and "run" in header:
        # A simulate CSV: take each run's first row (its start).
        run = data[:, header.index("run")]
        _, first = np.unique(run, return_index=True)
        data = data[np.sort(first)]
    elif "t" in header:
        data = data[:1]
    return data[:, cols]
