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
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import InputError, check_memory

__all__ = ["SEED_THETA", "SEED_PHI", "DEFAULT_BOX", "default_start", "random_starts", "load_starts", "parse_vector",
           "read_numeric_file", "read_npy_array", "read_csv_table"]

SEED_THETA = (0.2, 0.1)
SEED_PHI = (0.1, 0.2)
DEFAULT_BOX = 0.5


def default_start(dim: int) -> tuple[np.ndarray, np.ndarray]:
    """The seed's start in ``dim`` dimensions (zero-padded or truncated): two (d,) arrays."""
    _check_dim(dim)
    check_memory(16.0 * dim, f"a start in d = {dim}", "lower --dim")
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
    check_memory(16.0 * n * dim, f"{n} random starts in d = {dim}", "lower --n-init or --dim")
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


MAX_START_FILE_BYTES = 256 * 2**20
"""Largest start file :func:`load_starts` reads (256 MiB)."""
MAX_JSON_DEPTH = 3
"""``{"theta": [[…]]}``: the object, the list of starts, each start's numbers."""


def load_starts(path: str | Path, dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Starts from a file (see module doc): two (N, d) arrays.

    Every malformed file is an :class:`InputError` with one line: an empty or header-only
    file, a header without matching ``theta_1..theta_d`` and ``phi_1..phi_d`` columns, rows of
    unequal length, an odd number of columns or none (d = 0), a value that is not a real
    number (text, dates, complex numbers; booleans in JSON), numbers beyond the float range,
    a ``.npy`` whose dtype is not real numeric (strings, objects, structured, complex,
    dates), JSON nested deeper than a list of starts, a file over 256 MiB.
    """
    name = str(path)
    z = read_numeric_file(path, "starts", {".npy": _read_npy_starts, ".csv": _read_csv_starts,
                                           ".json": _read_json_starts})
    if z.ndim == 1:
        z = z[None]
    if z.ndim != 2 or z.shape[0] == 0 or z.shape[1] == 0 or z.shape[1] % 2:
        raise InputError(f"starts in {name!r} must be rows of 2d numbers (θ_1..θ_d, φ_1..φ_d, d ≥ 1), "
                         f"got shape {z.shape}")
    if not np.all(np.isfinite(z)):
        raise InputError(f"starts in {name!r} contain non-finite numbers (nan, inf, or beyond ±1.8e308)")
    d = z.shape[1] // 2
    if dim is not None and d != dim:
        raise InputError(f"starts in {name!r} have d = {d} but --dim is {dim}")
    return z[:, :d].copy(), z[:, d:].copy()


def read_numeric_file(path: str | Path, what: str, readers: dict[str, Callable[[Path], np.ndarray]],
                      max_bytes: int = MAX_START_FILE_BYTES) -> np.ndarray:
    """The checks every file of numbers shares (start files here, the data files of
    :mod:`diracgan.bridge.data`): the file exists, its extension is one of ``readers``' keys
    (lower-case, with the dot), it is not empty and at most ``max_bytes``; then
    ``readers[ext](path)`` reads it.  Every failure, a reader's ``ValueError`` included, is an
    :class:`InputError` of one line naming ``what`` ("``what`` file 'x.csv' is empty",
    "cannot read ``what`` from 'x.npy': …").  The caller checks the array's shape and values.
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise InputError(f"{what} file {name!r} does not exist")
    ext = path.suffix.lower()
    if ext not in readers:
        kinds = list(readers)
        listed = ", ".join(kinds[:-1]) + " or " + kinds[-1] if len(kinds) > 1 else kinds[0]
        raise InputError(f"{what} file must be {listed}, got {name!r}")
    try:
        size = path.stat().st_size
        if size == 0:
            raise InputError(f"{what} file {name!r} is empty")
        if size > max_bytes:
            raise InputError(f"{what} file {name!r} has {size / 2**20:.0f} MiB; the limit is "
                             f"{max_bytes // 2**20} MiB")
        return readers[ext](path)
    except InputError:
        raise
    except RecursionError:
        raise InputError(f"cannot read {what} from {name!r}: nested too deeply") from None
    except (OSError, ValueError, KeyError, TypeError, EOFError, OverflowError, UnicodeDecodeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(f"cannot read {what} from {name!r}: {reason}") from None


class _Malformed(ValueError):
    """A start file's content is not starts (the message says why)."""


def _read_npy_starts(path: Path) -> np.ndarray:
    return read_npy_array(path, "(N, 2d)")


def read_npy_array(path: Path, shape: str) -> np.ndarray:
    """A ``.npy`` file's array as floats; a ``ValueError`` (for :func:`read_numeric_file`)
    unless it is one plain real array (no pickles, strings, structured or complex dtypes,
    dates, booleans).  ``shape`` is named in the advice, e.g. "(N, 2d)"."""
    z = np.load(path, allow_pickle=False)
    if not isinstance(z, np.ndarray):
        raise _Malformed("not a single array")
    kind = z.dtype.kind
    if z.dtype.names is not None:
        raise _Malformed(f"a structured array (dtype {z.dtype}); save a plain {shape} float array")
    if kind == "c":
        raise _Malformed(f"complex numbers (dtype {z.dtype}); the values must be real")
    if kind not in "fiu":
        raise _Malformed(f"dtype {z.dtype} is not real numbers; save a plain {shape} float array")
    with np.errstate(over="ignore"):
        return z.astype(float)


def _json_float(text: str) -> float:
    # Integers of any length become floats (a 400-digit one is inf, refused as non-finite).
    return float(text)


def _refuse_constant(text: str):
    raise _Malformed(f"{text} is not a finite number")


def _json_matrix(value, key: str) -> np.ndarray:
    """A list of numbers (one start) or a list of lists of numbers, as a 2-D float array."""
    if not isinstance(value, list):
        raise _Malformed(f"{key!r} must be a list of numbers or a list of such lists")
    rows = value if value and isinstance(value[0], list) else [value]
    width = None
    for i, row in enumerate(rows):
        if not isinstance(row, list):
            raise _Malformed(f"{key!r}: start {i} is not a list of numbers")
        for x in row:
            if isinstance(x, bool) or not isinstance(x, float):
                raise _Malformed(f"{key!r}: start {i} holds {json.dumps(x)[:40]}, not a number")
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise _Malformed(f"{key!r}: start {i} has {len(row)} numbers, start 0 has {width}")
    return np.array(rows, dtype=float).reshape(len(rows), width or 0)


def _read_json_starts(path: Path) -> np.ndarray:
    text = path.read_text(encoding="utf-8")
    # Deeper than {"theta": [[x]]} is malformed: refuse before the parser recurses.
    depth = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise _Malformed(f"nested deeper than {MAX_JSON_DEPTH} levels "
                                 '(expected {"theta": [[…], …], "phi": [[…], …]})')
        elif ch in "]}":
            depth -= 1
    data = json.loads(text, parse_int=_json_float, parse_float=_json_float, parse_constant=_refuse_constant)
    if not isinstance(data, dict) or "theta" not in data or "phi" not in data:
        raise _Malformed('expected an object {"theta": [[…], …], "phi": [[…], …]}')
    theta = _json_matrix(data["theta"], "theta")
    phi = _json_matrix(data["phi"], "phi")
    if theta.shape != phi.shape:
        raise _Malformed(f"theta has shape {theta.shape} but phi has {phi.shape}")
    return np.hstack([theta, phi])


_COLUMN = re.compile(r"^(theta|phi)_([1-9][0-9]*)$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _cell(x: str, row: int, col: int) -> float:
    try:
        return float(x)
    except ValueError:
        raise _Malformed(f"row {row}, column {col}: {x.strip()[:40]!r} is not a real number") from None


def read_csv_table(path: Path) -> tuple[list[str] | None, np.ndarray]:
    """A CSV of numbers: ``(header, data)``, ``header`` the first line's names when it is a
    header (every cell an identifier, none a number) else ``None``; ``data`` an (N, width)
    float array.  Blank lines and lines starting with ``#`` are skipped.  A ``ValueError`` (for
    :func:`read_numeric_file`) for no rows, a header without rows, rows of unequal length, a
    cell that is not a real number."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = [(n, r) for n, r in enumerate(csv.reader(fh), start=1)
                if r and any(c.strip() for c in r) and not r[0].lstrip().startswith("#")]
    if not rows:
        raise _Malformed("no rows")
    header = None
    first = [c.strip() for c in rows[0][1]]
    if not all(_is_number(c) for c in first) and all(_NAME.match(c) for c in first):
        header, rows = first, rows[1:]
    if not rows:
        raise _Malformed("a header but no rows of numbers")
    width = len(header) if header is not None else len(rows[0][1])
    data = []
    for n, r in rows:
        if len(r) != width:
            raise _Malformed(f"row {n} has {len(r)} values, expected {width}")
        data.append([_cell(x, n, j) for j, x in enumerate(r, start=1)])
    return header, np.array(data, dtype=float).reshape(len(data), width)


def _read_csv_starts(path: Path) -> np.ndarray:
    header, data = read_csv_table(path)
    if header is None:
        return data
    found = {}
    for i, h in enumerate(header):
        m = _COLUMN.match(h)
        if m:
            found[(m.group(1), int(m.group(2)))] = i
    d = sum(1 for kind, _ in found if kind == "theta")
    want = [("theta", i) for i in range(1, d + 1)] + [("phi", i) for i in range(1, d + 1)]
    if d == 0 or sorted(found) != sorted(want):
        names = ", ".join(h for h in header if _COLUMN.match(h)) or "none"
        raise _Malformed(f"the header needs columns theta_1..theta_d and phi_1..phi_d (d ≥ 1), has: {names}")
    cols = [found[k] for k in want]
    if "t" in header and "run" in header:
        # A simulate CSV: take each run's first row (its start).
        run = data[:, header.index("run")]
        _, first_rows = np.unique(run, return_index=True)
        data = data[np.sort(first_rows)]
    elif "t" in header:
        data = data[:1]
    return data[:, cols]


def _is_number(x: str) -> bool:
    try:
        float(x)
    except ValueError:
        return False
    return True
