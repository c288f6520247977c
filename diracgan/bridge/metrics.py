"""How close a generator's samples are to the data: the bridge's metrics, for one seed or S.

``evaluate(samples, dataset, reference)`` takes the generator's samples X (n, 2) and a fixed
evaluation batch Y (m, 2) of the data (``dataset.reference(m)``) and returns floats:

* ``dist_to_target`` (dirac only): (1/n) Σ_i ‖x_i − t‖, the mean Euclidean distance of the
  samples to the data's point t (the Dirac game's ‖θ‖ when t = 0 and G is a bias).
* ``modes_covered``, ``high_quality`` (ring8, grid25): the definitions of VEEGAN (Srivastava
  et al. 2017, §5.1; akashgit/VEEGAN ``index.md``, "Synthetic Dataset"), implemented as
  PacGAN does (fjxmlzn/PacGAN ``synthetic_data_experiments/PacGAN/pacgan/extensions.py``,
  ``MetricLogger``).  Each sample goes to its nearest mode μ_k (Euclidean, which is PacGAN's
  Mahalanobis rule since every mode has the same isotropic σ); it is *high quality* iff
  ‖x − μ_k‖ < 3σ (PacGAN's strict ``min_dis < dis_thre`` with ``dis_thre = 3``; VEEGAN's
  notebook uses ≤, the same up to a null set).  ``high_quality`` is the fraction of HQ samples
  (in [0, 1]; the papers print it as a percentage) and ``modes_covered`` the number of modes
  that are the nearest mode of at least ``min_count`` HQ samples.  Both sources use
  ``min_count = 1`` (VEEGAN: "nearest to at least one high quality sample"; PacGAN:
  ``len(nonzero(detail_of_coverage))``), so that is the default: no larger minimum count.
* ``emd`` (all data): the exact earth mover's distance between the uniform empirical measures
  of X and Y with the Euclidean ground cost, W₁ = min_γ Σ γ_ij ‖x_i − y_j‖ (POT ``ot.emd2``,
  network simplex, on the cost matrix ‖x_i − y_j‖ from ``scipy.spatial.distance.cdist``:
  POT's ``ot.dist(metric="euclidean")`` expands the square, which costs ~1e-8 after the root).  W₁ rather than W₂: it is the
  distance the name EMD and the WGAN critic refer to, it is in the data's units without a
  square root, it grows linearly (not quadratically) with far outliers such as a diverging
  run's samples, and on a point mass it is exactly ``dist_to_target``.  Both give ‖v‖ for a
  shift by v.
* ``sliced_w``: POT's ``ot.sliced_wasserstein_distance(X, Y, n_projections=200, p=1,
  seed=0)``, the Monte-Carlo sliced W₁, (1/P) Σ_p W₁(⟨θ_p, X⟩, ⟨θ_p, Y⟩) over P = 200 fixed
  directions θ_p uniform on the circle (POT's ``get_random_projections(2, 200, seed=0)``, the
  same directions at every call, so values over time are comparable).  p = 1 matches ``emd``:
  each projection is 1-Lipschitz, so ``sliced_w`` ≤ ``emd`` always; for a shift by v it is
  (1/P) Σ_p |⟨θ_p, v⟩| → (2/π)‖v‖.
* ``mmd``: the maximum mean discrepancy with the Gaussian (RBF) kernel
  k(x, y) = exp(−‖x − y‖² / (2h²)), the **biased** (V-statistic) estimator
  MMD_b = sqrt(mean k(X, X) + mean k(Y, Y) − 2 mean k(X, Y)) (Gretton et al. 2012, JMLR,
  eq. 5): the RKHS distance between the two empirical mean embeddings, so it is ≥ 0, a metric
  between the empirical measures, and exactly 0 for identical sets (the unbiased estimator can
  be negative and has no square root).  Bandwidth: the median heuristic on the *reference*
  alone, h = median of the nonzero pairwise distances ‖y_i − y_j‖ (i < j) — fixed by the data,
  not by the samples, so one run's values are on one scale over time; h = 1 (the Dirac game's
  unit) when the reference is a point mass.

Samples with a non-finite coordinate (a diverged run) give ``emd``, ``sliced_w`` and ``mmd``
NaN and never count as high quality; their distance to the target is inf.
``evaluate_seeds`` does the same for S seeds at once ((S, n, 2) → arrays (S,)): the distances
to the target, the mode assignment and the sliced distance (when n = m, by sorting all seeds'
projections together) are vectorised; the exact EMD is one network-simplex solve per seed and
the MMD one kernel matrix per seed (the reference's own kernel sum is computed once).  When
n = m (the bridge's case) the sliced distance is computed from POT's projections by sorting —
uniform weights and equal sizes make the 1-D optimal coupling the sorted pairing — which equals
``ot.sliced_wasserstein_distance`` to rounding (tested) at a fifteenth of its cost; otherwise
POT's function is called.
POT is imported on first use; without it the metrics raise a one-line InputError.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError, check_memory

__all__ = ["evaluate", "evaluate_seeds", "metric_names", "mode_counts", "emd", "sliced_wasserstein", "mmd",
           "mmd_bandwidth", "HQ_STDS", "SLICED_PROJECTIONS", "SLICED_SEED", "SLICED_P", "MAX_EMD_PAIRS"]

HQ_STDS = 3.0
"""A sample is high quality within this many σ of its nearest mode (VEEGAN, PacGAN)."""
SLICED_PROJECTIONS = 200
SLICED_SEED = 0
SLICED_P = 1
MAX_EMD_PAIRS = 25_000_000
"""The exact EMD is refused above n·m = 25·10⁶ (5000 × 5000; its cost grows like n³)."""
EMD_MAX_ITER = 10_000_000


def metric_names(dataset) -> tuple[str, ...]:
    """The keys :func:`evaluate` returns for ``dataset``, in order."""
    head = {"point": ("dist_to_target",), "mixture": ("modes_covered", "high_quality")}.get(dataset.kind, ())
    return head + ("emd", "sliced_w", "mmd")


def evaluate(samples, dataset, reference, *, min_count: int = 1, bandwidth: float | None = None) -> dict[str, float]:
    """The metrics of one seed's ``samples`` (n, 2) against the evaluation batch ``reference``
    (m, 2) of ``dataset`` (see the module doc); keys :func:`metric_names`.  ``bandwidth``: the
    MMD's h if already known (``mmd_bandwidth(reference)``, the default), to compute it once
    per run rather than at every record."""
    x = _points(samples, "samples", 2)
    y = _points(reference, "reference", 2)
    if not np.all(np.isfinite(y)):
        raise InputError("reference must hold finite points")
    out = _head(x[None], dataset, min_count)
    out = {k: float(v[0]) for k, v in out.items()}
    finite = bool(np.all(np.isfinite(x)))
    out["emd"] = emd(x, y) if finite else float("nan")
    out["sliced_w"] = float(_sliced_seeds(x[None], y, np.array([finite]))[0])
    out["mmd"] = mmd(x, y, bandwidth) if finite else float("nan")
    return out


def evaluate_seeds(samples, dataset, reference, *, min_count: int = 1,
                   bandwidth: float | None = None) -> dict[str, np.ndarray]:
    """:func:`evaluate` for S seeds at once: ``samples`` (S, n, 2) → each metric an (S,)
    float array, equal to :func:`evaluate` seed by seed."""
    x = _points(samples, "samples", 3)
    y = _points(reference, "reference", 2)
    if not np.all(np.isfinite(y)):
        raise InputError("reference must hold finite points")
    s = x.shape[0]
    out = _head(x, dataset, min_count)
    finite = np.all(np.isfinite(x), axis=(1, 2))
    emds = np.full(s, np.nan)
    mmds = np.full(s, np.nan)
    h = mmd_bandwidth(y) if bandwidth is None else _bandwidth(bandwidth)
    kyy = _kernel_mean(y, y, h)
    for i in np.flatnonzero(finite):
        emds[i] = emd(x[i], y)
        mmds[i] = _mmd_from(x[i], y, h, kyy)
    out["emd"] = emds
    out["sliced_w"] = _sliced_seeds(x, y, finite)
    out["mmd"] = mmds
    return out


def mode_counts(samples, modes, std: float) -> np.ndarray:
    """Per seed and mode, the number of high-quality samples whose nearest mode it is:
    ``samples`` (..., n, 2), ``modes`` (K, 2) → integer array (..., K).  Nearest by Euclidean
    distance; high quality iff that distance < 3·``std`` (non-finite samples never are)."""
    x = np.asarray(samples, dtype=float)
    mu = np.asarray(modes, dtype=float)
    lead = x.shape[:-2]
    x = x.reshape((-1,) + x.shape[-2:])
    s, n, k = x.shape[0], x.shape[1], mu.shape[0]
    check_memory(8.0 * s * n * k, f"assigning {s}×{n} samples to {k} modes", "lower the number of samples")
    with np.errstate(invalid="ignore", over="ignore"):
        d2 = ((x[:, :, None, :] - mu[None, None]) ** 2).sum(-1)
        nearest = np.argmin(np.where(np.isnan(d2), np.inf, d2), axis=-1)
        dmin = np.take_along_axis(d2, nearest[..., None], axis=-1)[..., 0]
        hq = np.sqrt(dmin) < HQ_STDS * std
    flat = (nearest + k * np.arange(s)[:, None])[hq]
    return np.bincount(flat, minlength=s * k).reshape(lead + (k,))


def emd(x, y) -> float:
    """Exact W₁ between the uniform empirical measures of ``x`` (n, 2) and ``y`` (m, 2) with
    the Euclidean ground cost (POT ``ot.emd2``)."""
    ot = _ot()
    n, m = len(x), len(y)
    if n * m > MAX_EMD_PAIRS:
        raise InputError(f"the exact EMD of {n} × {m} points is limited to {MAX_EMD_PAIRS:.3g} pairs; "
                         "use fewer samples or a smaller reference batch")
    check_memory(8.0 * n * m, f"the {n} × {m} cost matrix of the EMD", "use fewer samples")
    # scipy's cdist takes the differences x_i − y_j; ot.dist(metric="euclidean") expands
    # ‖x‖² + ‖y‖² − 2x·y, whose rounding (~1e-16) becomes ~1e-8 after the square root, so a
    # cloud against a copy of itself would not give 0.
    from scipy.spatial.distance import cdist

    cost = cdist(np.asarray(x, dtype=float), np.asarray(y, dtype=float), "euclidean")
    return float(ot.emd2(ot.unif(n), ot.unif(m), cost, numItermax=EMD_MAX_ITER))


def sliced_wasserstein(x, y) -> float:
    """POT's sliced W₁ with the module's fixed projections (200 directions, seed 0)."""
    ot = _ot()
    return float(ot.sliced_wasserstein_distance(np.asarray(x, dtype=float), np.asarray(y, dtype=float),
                                                n_projections=SLICED_PROJECTIONS, p=SLICED_P, seed=SLICED_SEED))


def mmd_bandwidth(reference) -> float:
    """The RBF bandwidth h: the median of the reference's nonzero pairwise distances, or 1
    for a point mass."""
    from scipy.spatial.distance import pdist

    y = np.asarray(reference, dtype=float)
    check_memory(8.0 * len(y) ** 2 / 2, f"the pairwise distances of {len(y)} reference points",
                 "use a smaller reference batch")
    d = pdist(y)
    d = d[d > 0]
    return float(np.median(d)) if d.size else 1.0


def mmd(x, y, bandwidth: float | None = None) -> float:
    """The biased RBF MMD between ``x`` (n, 2) and ``y`` (m, 2); ``bandwidth`` None: the
    median heuristic on ``y`` (:func:`mmd_bandwidth`)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    h = mmd_bandwidth(y) if bandwidth is None else _bandwidth(bandwidth)
    return _mmd_from(x, y, h, _kernel_mean(y, y, h))


def _bandwidth(h) -> float:
    try:
        h = float(h)
    except (TypeError, ValueError):
        raise InputError(f"bandwidth must be a finite number > 0, got {h!r}") from None
    if not (np.isfinite(h) and h > 0):
        raise InputError(f"bandwidth must be a finite number > 0, got {h!r}")
    return h


def _mmd_from(x, y, h: float, kyy: float) -> float:
    sq = _kernel_mean(x, x, h) + kyy - 2.0 * _kernel_mean(x, y, h)
    return float(np.sqrt(max(sq, 0.0)))


def _kernel_mean(a, b, h: float) -> float:
    from scipy.spatial.distance import cdist

    check_memory(8.0 * len(a) * len(b), f"the {len(a)} × {len(b)} kernel matrix of the MMD", "use fewer samples")
    return float(np.exp(-cdist(a, b, "sqeuclidean") / (2.0 * h * h)).mean())


def _sliced_seeds(x, y, finite) -> np.ndarray:
    # POT's value; for n = m computed by sorting all seeds' projections at once (the same
    # number to rounding, ~15× faster than POT's general quantile-function path).
    s, n = x.shape[0], x.shape[1]
    out = np.full(s, np.nan)
    if n != len(y):
        for i in np.flatnonzero(finite):
            out[i] = sliced_wasserstein(x[i], y)
        return out
    # Equal sizes and uniform weights: the 1-D optimal coupling pairs the sorted values.
    ot = _ot()
    proj = ot.sliced.get_random_projections(2, SLICED_PROJECTIONS, seed=SLICED_SEED)
    check_memory(8.0 * s * n * SLICED_PROJECTIONS, f"{s}×{n} samples on {SLICED_PROJECTIONS} projections",
                 "lower the number of samples")
    ys = np.sort(y @ proj, axis=0)
    xs = np.sort(x[finite] @ proj, axis=1)
    w = (np.abs(xs - ys[None]) ** SLICED_P).mean(axis=1)
    out[finite] = w.mean(axis=1) ** (1.0 / SLICED_P)
    return out


def _head(x, dataset, min_count: int) -> dict[str, np.ndarray]:
    kind = dataset.kind
    if kind == "point":
        with np.errstate(invalid="ignore", over="ignore"):
            dist = np.linalg.norm(x - np.asarray(dataset.target, dtype=float), axis=-1)
        return {"dist_to_target": np.where(np.isfinite(dist), dist, np.inf).mean(axis=1)}
    if kind == "mixture":
        if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
            raise InputError(f"min_count must be a whole number ≥ 1, got {min_count!r}")
        counts = mode_counts(x, dataset.modes, dataset.std)
        return {"modes_covered": (counts >= min_count).sum(axis=1).astype(float),
                "high_quality": counts.sum(axis=1) / x.shape[1]}
    return {}


def _points(a, name: str, ndim: int) -> np.ndarray:
    if hasattr(a, "detach"):  # a torch tensor, possibly on cuda
        a = a.detach().cpu().numpy()
    a = np.asarray(a, dtype=float)
    want = "(n, 2)" if ndim == 2 else "(S, n, 2)"
    if a.ndim != ndim or a.shape[-1] != 2 or a.shape[-2] == 0 or (ndim == 3 and a.shape[0] == 0):
        raise InputError(f"{name} must be an array of shape {want} with n ≥ 1, got shape {a.shape}")
    return a


def _ot():
    try:
        import ot
    except ImportError:
        raise InputError("the bridge metrics need POT (Python Optimal Transport): "
                         "pip install 'diracgan[bridge]'") from None
    return ot
