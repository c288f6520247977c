"""The bridge's real data: the Dirac point mass, a Gaussian, the two standard 2-D mixtures, a file.

Every data set is a distribution on R² with a sampler built from torch ops only (so that it
runs on the generator's device and batches), deterministic for a given ``torch.Generator``.

========== ======================================================================================
name       distribution
========== ======================================================================================
dirac      δ_t, the point mass at ``target`` t (default the origin): the real data of the Dirac
           game (Mescheder et al. 2018, §2).  ``modes`` = [t], ``std`` = 0.  Sampling draws no
           random numbers.
gaussian   N(t, I₂), t = ``target``: the *standard* 2-D normal by default.  Unit covariance is
           chosen because it is the generator's latent law (z ~ N(0, I_k), default k = 2), so
           G(z) = z + t is an exact solution that a one-layer MLP can express: a known answer
           for the bridge.  Its mean is ``target`` so that it is the Dirac data blurred at unit
           scale (δ_t is its σ → 0 limit) and shares the Dirac game's equilibrium mean.
           ``modes`` = None, ``std`` = 1.
ring8      (1/8) Σ_k N(μ_k, σ² I₂), μ_k = 2·(cos 2πk/8, sin 2πk/8), k = 0..7, σ = 0.02: eight
           modes on the circle of radius 2, the set of Metz et al. 2016 (Unrolled GANs,
           arXiv:1611.02163, App. A).  The radius-2/σ-0.02 numbers are the paper's as recalled
           in /work/shared/docs/literature.md §1.1 and as widely reimplemented; the PDF was not
           re-read here.  Checked against code: the angles 2πk/8 (8 distinct modes, first mode
           at (2, 0)) follow PacGAN's ``MEANS = [(cos(2πk/8), sin(2πk/8))]``
           (fjxmlzn/PacGAN, ``synthetic_data_experiments/2DRing_GAN&PacGAN/config.py``), not the
           Unrolled-GAN notebook's ``np.linspace(0, 2π, 8)`` whose first and last modes coincide
           (poolio/unrolled_gan, ``Unrolled GAN demo.ipynb``, ``sample_mog``).  NB: VEEGAN and
           PacGAN use the same ring at radius 1 with σ = 0.01 (PacGAN config
           ``VARIANCES = 0.01**2 * I``); ring8 here is that geometry scaled by 2, so the mode
           separation in units of σ (2·sin(π/8)/σ ≈ 38) is the same in both.
grid25     (1/25) Σ_{i,j} N((i, j), σ² I₂), i, j ∈ {−4, −2, 0, 2, 4}, σ = 0.05: a 5 × 5 grid of
           spacing 2 centred at 0, the set of VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et
           al. 2018), checked in fjxmlzn/PacGAN
           ``synthetic_data_experiments/2DGrid_GAN&PacGAN/config.py``
           (``MEANS = product(range(-4, 5, 2), range(-4, 5, 2))``,
           ``VARIANCES = 0.05**2 * I``).  Modes are ordered as that product (row i, then j).
file       the empirical distribution of a user's (n, 2) points (``file=``: ``.npy`` or
           ``.csv``): sampling draws rows uniformly with replacement.  ``modes`` = None,
           ``std`` = the points' root-mean-square per-coordinate standard deviation (a scale
           for plots; no mixture is assumed).
========== ======================================================================================

Mixture sampling draws the mode indices first (``torch.randint``), then the noise
(``torch.randn``), both from the given generator on its device.  ``target`` moves only the
unimodal sets (dirac, gaussian); the mixtures keep the published geometry, and a non-default
``target`` with them is refused rather than ignored.

A data file is read by the same code as a start file (:func:`diracgan.dynamics.starts.
read_numeric_file`: exists, extension, not empty, size bound, one-line read errors; the
``.npy`` and CSV readers), then checked here: shape (n, 2) with 1 ≤ n ≤ 10⁶, all finite.  A CSV
may have a header line; with columns named ``x`` and ``y`` those are taken, otherwise it must
have exactly two columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..dynamics.starts import read_csv_table, read_npy_array, read_numeric_file
from ..errors import InputError

__all__ = ["DATASETS", "Dataset", "make_dataset", "load_points", "RING_RADIUS", "RING_STD", "GRID_SPACING",
           "GRID_STD", "MAX_DATA_FILE_BYTES", "MAX_DATA_POINTS"]

DATASETS = ("dirac", "gaussian", "ring8", "grid25")

RING_RADIUS = 2.0
RING_STD = 0.02
GRID_SPACING = 2.0
GRID_STD = 0.05
GAUSSIAN_STD = 1.0

MAX_DATA_FILE_BYTES = 64 * 2**20
"""Largest data file read (64 MiB: about 4 million float64 points in a .npy)."""
MAX_DATA_POINTS = 1_000_000
"""Most points a data file may hold (16 MB as float64; far more than a 2-D toy needs)."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """A 2-D data distribution (see the module doc for each ``name``).

    ``modes``: (K, 2) read-only float64 array of the mixture means (dirac: the one point;
    gaussian and file: None).  ``std``: the per-mode standard deviation σ (dirac 0,
    gaussian 1; file: the points' scale).  ``target``: (2,) the point of dirac and the mean of
    gaussian (the origin otherwise).  ``points``: (n, 2) read-only array of a file's rows, else
    None.  ``source``: the file's path, else None.
    """

    name: str
    modes: np.ndarray | None
    std: float
    target: np.ndarray = field(default_factory=lambda: _frozen(np.zeros(2)))
    points: np.ndarray | None = None
    source: str | None = None
    _tensors: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def kind(self) -> str:
        """``"point"`` (dirac), ``"gaussian"``, ``"mixture"`` (ring8, grid25) or ``"file"``."""
        if self.points is not None:
            return "file"
        if self.modes is None:
            return "gaussian"
        return "point" if self.std == 0 else "mixture"

    def sample(self, n: int, generator, dtype=None):
        """``n`` points, a torch tensor (n, 2) of ``dtype`` (None: torch.float64) on
        ``generator``'s device.  Deterministic for the generator's state; torch ops only."""
        import torch

        n = _count(n, "n")
        dtype = torch.float64 if dtype is None else dtype
        device = generator.device
        kind = self.kind
        if kind == "file":
            rows = self._tensor("points", dtype, device)
            return rows[torch.randint(rows.shape[0], (n,), generator=generator, device=device)]
        if kind == "gaussian":
            noise = torch.randn(n, 2, generator=generator, dtype=dtype, device=device)
            return self._tensor("target", dtype, device) + self.std * noise
        modes = self._tensor("modes", dtype, device)
        if kind == "point":
            return modes[0].expand(n, 2).clone()
        index = torch.randint(modes.shape[0], (n,), generator=generator, device=device)
        noise = torch.randn(n, 2, generator=generator, dtype=dtype, device=device)
        return modes[index] + self.std * noise

    def reference(self, n: int = 2000, seed: int = 0) -> np.ndarray:
        """A fixed evaluation batch: ``n`` points (float64 numpy (n, 2)) sampled on the CPU
        from ``torch.Generator().manual_seed(seed)``."""
        import torch

        return self.sample(n, torch.Generator().manual_seed(int(seed))).numpy()

    def describe(self) -> dict:
        """Plain-JSON metadata: name, kind, number of modes, std, target, file and its size."""
        return {"name": self.name, "kind": self.kind,
                "modes": None if self.modes is None else int(self.modes.shape[0]),
                "std": float(self.std), "target": [float(x) for x in self.target],
                "file": self.source, "points": None if self.points is None else int(self.points.shape[0])}

    def _tensor(self, what: str, dtype, device):
        # Converted once per (array, dtype, device): a file's rows are not copied every step.
        key = (what, dtype, str(device))
        t = self._tensors.get(key)
        if t is None:
            import torch

            t = torch.as_tensor(np.array(getattr(self, what)), dtype=dtype, device=device)
            self._tensors[key] = t
        return t


def make_dataset(name: str | None, *, target=(0.0, 0.0), file: str | Path | None = None) -> Dataset:
    """The data set ``name`` (one of :data:`DATASETS`), or the points of ``file`` when it is
    given (then ``name`` is only checked: None, ``"file"`` or a valid name, and the file wins).
    ``target``: two finite numbers, the point of dirac and the mean of gaussian."""
    allowed = DATASETS if file is None else DATASETS + ("file", None)
    if name not in allowed or not (name is None or isinstance(name, str)):
        raise InputError(f"unknown data set {name!r}; choose one of {', '.join(DATASETS)} (or give file=)")
    t = _target(target)
    if file is not None:
        if np.any(t != 0):
            raise InputError("target= moves only the dirac and gaussian data sets, not a data file")
        points = load_points(file)
        scale = float(np.sqrt(points.var(axis=0).mean()))
        return Dataset("file", None, scale, points=_frozen(points), source=str(file))
    if name == "dirac":
        return Dataset(name, _frozen(t[None].copy()), 0.0, target=_frozen(t))
    if name == "gaussian":
        return Dataset(name, None, GAUSSIAN_STD, target=_frozen(t))
    if np.any(t != 0):
        raise InputError(f"target= moves only the dirac and gaussian data sets; {name} keeps its published "
                         "geometry (centred at 0)")
    if name == "ring8":
        angles = 2 * np.pi * np.arange(8) / 8
        modes = RING_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        return Dataset(name, _frozen(modes), RING_STD)
    axis = GRID_SPACING * np.arange(-2, 3)
    modes = np.array([(i, j) for i in axis for j in axis], dtype=float)
    return Dataset(name, _frozen(modes), GRID_STD)


def load_points(path: str | Path) -> np.ndarray:
    """The (n, 2) float64 points of a ``.npy`` or ``.csv`` file (see the module doc); every
    malformed file (missing, empty, over 64 MiB or 10⁶ points, not (n, 2), NaN/inf, text) is
    an :class:`InputError` of one line."""
    name = str(path)
    z = read_numeric_file(path, "data", {".npy": _read_npy_points, ".csv": _read_csv_points},
                          max_bytes=MAX_DATA_FILE_BYTES)
    if z.ndim != 2 or z.shape[1] != 2 or z.shape[0] == 0:
        raise InputError(f"data in {name!r} must be an (n, 2) array of points with n ≥ 1, got shape {z.shape}")
    if z.shape[0] > MAX_DATA_POINTS:
        raise InputError(f"data in {name!r} has {z.shape[0]} points; the limit is {MAX_DATA_POINTS}")
    if not np.all(np.isfinite(z)):
        raise InputError(f"data in {name!r} contain non-finite numbers (nan, inf, or beyond ±1.8e308)")
    return np.ascontiguousarray(z, dtype=float)


def _read_npy_points(path: Path) -> np.ndarray:
    return read_npy_array(path, "(n, 2)")


def _read_csv_points(path: Path) -> np.ndarray:
    header, data = read_csv_table(path)
    if header is None:
        return data
    names = [h.lower() for h in header]
    if "x" in names and "y" in names:
        return data[:, [names.index("x"), names.index("y")]]
    if data.shape[1] != 2:
        raise ValueError(f"the header has {len(header)} columns ({', '.join(header)[:80]}); "
                         "name two of them x and y, or keep exactly two")
    return data


def _target(target) -> np.ndarray:
    try:
        t = np.array(target, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise InputError(f"target must be two finite numbers like (0.0, 0.0), got {target!r}") from None
    if t.shape != (2,) or not np.all(np.isfinite(t)):
        raise InputError(f"target must be two finite numbers like (0.0, 0.0), got {target!r}")
    return t


def _count(n, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"{what} must be a whole number ≥ 1, got {n!r}")
    return int(n)


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a
