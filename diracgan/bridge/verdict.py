"""The bridge's verdicts, in the vocabulary of ``eig`` and ``train``: converges, cycles, diverges,
collapses.

A seed's verdict is read off its recorded metrics over the *tail*, the records in the last
quarter of the steps it completed (medians over the tail, so one noisy record does not decide):

* **diverges**: a weight became non-finite or reached the bound (the run stopped), or the
  samples went farther than ``diverge_scale`` × the data's radius from the origin;
* for ``dirac`` data: **converges** when the median distance of the samples to the point
  (``dist_to_target``) over the tail is at most ``dirac_converged`` (data units), else **cycles**
  (bounded and not settled at the point: rotation around it, or a drift too slow for the
  horizon);
* for mixtures (``modes`` known): **converges** when every mode is covered (median
  ``modes_covered`` = K) and the median fraction of high-quality samples (within 3 std of a mode)
  is at least ``high_quality``; **collapses** when the samples are on modes (high quality at
  least that fraction) but fewer than K modes are covered (mode dropping); **cycles** otherwise
  (the samples are not settled on the modes);
* for data without modes (``gaussian``, a data file): **converges** when the median exact EMD to
  the reference batch is at most ``emd_converged`` × the data's std, else **cycles**.

The Dirac-GAN's own runs (:func:`dirac_train_verdict`) use the same words: converges when
‖(θ, φ)‖ over the tail is at most ``train_converged`` × its start, diverges when the run stopped
or it grew beyond ``train_diverged`` × its start, cycles otherwise.  All thresholds are in
:data:`THRESHOLDS` and reported with every verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["THRESHOLDS", "VERDICTS", "BridgeVerdict", "bridge_verdicts", "dirac_train_verdict", "LINEAR_TO_VERDICT"]

VERDICTS = ("converges", "cycles", "diverges", "collapses")

THRESHOLDS = {
    "tail": 0.25,             # the last quarter of the completed steps
    "dirac_converged": 0.05,  # median distance of the samples to the Dirac point over the tail
    "high_quality": 0.5,      # median fraction of samples within 3 std of a mode (mixtures)
    "emd_converged": 0.25,    # median EMD over the tail ≤ this × the data's std (data without modes)
    "diverge_scale": 100.0,   # samples beyond this × the data's radius: diverges
    "train_converged": 0.05,  # Dirac-GAN run: tail ‖(θ, φ)‖ ≤ this × start
    "train_diverged": 10.0,   # … ≥ this × start (or the run stopped): diverges
}

LINEAR_TO_VERDICT = {"asymptotically stable": "converges", "centre": "cycles", "marginal": "cycles",
                     "unstable": "diverges", "not differentiable": "undetermined"}
"""``eig``'s linear verdict in the bridge's words (centre and marginal: the linearisation rotates
or is flat, so the prediction is no convergence)."""


@dataclass(frozen=True)
class BridgeVerdict:
    verdict: str
    message: str
    numbers: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"verdict": self.verdict, "message": self.message, "numbers": self.numbers}


def _tail(steps: np.ndarray, valid: np.ndarray, fraction: float) -> np.ndarray:
    last = steps[valid][-1]
    return valid & (steps >= (1 - fraction) * last)


def _radius(dataset) -> float:
    modes = getattr(dataset, "modes", None)
    r = float(np.max(np.linalg.norm(modes, axis=1))) if modes is not None and len(modes) else 0.0
    return max(1.0, r + 3 * float(dataset.std))


def _median(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(np.median(x)) if len(x) else float("nan")


def one_verdict(run, i: int, t: dict) -> BridgeVerdict:
    """The verdict of seed ``i`` of a :class:`~diracgan.bridge.training.BridgeRun`."""
    valid = run.valid(i)
    numbers = {"stop_step": int(run.stop_step[i])}
    if run.status[i] != 0:
        return BridgeVerdict("diverges", run.messages[i], numbers)
    tail = _tail(run.steps, valid, t["tail"])
    with np.errstate(all="ignore"):
        reach = float(np.nanmax(np.linalg.norm(run.samples[i, tail], axis=-1)))
    numbers["sample_radius"] = reach
    scale = t["diverge_scale"] * _radius(run.dataset)
    if not np.isfinite(reach) or reach > scale:
        return BridgeVerdict("diverges", f"samples reach ‖x‖ = {reach:.3g} > {t['diverge_scale']:g} × the data's "
                                         f"radius ({scale:.3g}) over the last quarter", numbers)
    m = {k: _median(v[i, tail]) for k, v in run.metrics.items()}
    numbers.update(m)
    name = run.dataset.name
    modes = getattr(run.dataset, "modes", None)
    if name == "dirac":
        d = m.get("dist_to_target", float("nan"))
        if d <= t["dirac_converged"]:
            return BridgeVerdict("converges", f"median distance of the samples to the point {d:.3g} ≤ "
                                              f"{t['dirac_converged']:g} over the last quarter", numbers)
        return BridgeVerdict("cycles", f"median distance of the samples to the point {d:.3g} > "
                                       f"{t['dirac_converged']:g} over the last quarter (bounded, not settled)", numbers)
    if modes is not None and "modes_covered" in m:
        k, cov, hq = len(modes), m["modes_covered"], m.get("high_quality", float("nan"))
        text = f"median {cov:g} of {k} modes covered, {100 * hq:.0f}% high-quality samples over the last quarter"
        if hq >= t["high_quality"]:
            if cov >= k:
                return BridgeVerdict("converges", text, numbers)
            return BridgeVerdict("collapses", text + f" (on modes, but {k - cov:g} dropped)", numbers)
        return BridgeVerdict("cycles", text + f" (< {100 * t['high_quality']:.0f}%: not settled on the modes)", numbers)
    emd, std = m.get("emd", float("nan")), float(run.dataset.std)
    tol = t["emd_converged"] * max(std, 1e-12)
    verdict = "converges" if emd <= tol else "cycles"
    return BridgeVerdict(verdict, f"median EMD to the data {emd:.3g} {'≤' if emd <= tol else '>'} "
                                  f"{t['emd_converged']:g} × std ({tol:.3g}) over the last quarter", numbers)


def bridge_verdicts(run, thresholds: dict | None = None) -> list[BridgeVerdict]:
    """One :class:`BridgeVerdict` per seed of ``run`` (see module doc)."""
    t = {**THRESHOLDS, **(thresholds or {})}
    return [one_verdict(run, i, t) for i in range(run.n_seeds)]


def dirac_train_verdict(run, i: int = 0, thresholds: dict | None = None) -> BridgeVerdict:
    """The verdict of run ``i`` of a Dirac-GAN :class:`~diracgan.dynamics.training.TrainingRun`."""
    t = {**THRESHOLDS, **(thresholds or {})}
    dist = run.distance()[i]
    valid = run.valid(i)
    start = float(dist[0])
    numbers = {"start_distance": start, "stop_step": int(run.stop_step[i])}
    if run.status[i] != 0:
        return BridgeVerdict("diverges", run.messages[i], numbers)
    tail = _tail(run.steps, valid, t["tail"])
    end = float(np.max(dist[tail]))
    numbers["tail_max_distance"] = end
    ratio = end / max(start, 1e-300)
    if ratio <= t["train_converged"]:
        return BridgeVerdict("converges", f"‖(θ, φ)‖ over the last quarter ≤ {end:.3g} = {ratio:.3g} × the start "
                                          f"(≤ {t['train_converged']:g})", numbers)
    if ratio >= t["train_diverged"]:
        return BridgeVerdict("diverges", f"‖(θ, φ)‖ grew to {end:.3g} = {ratio:.3g} × the start "
                                         f"(≥ {t['train_diverged']:g})", numbers)
    return BridgeVerdict("cycles", f"‖(θ, φ)‖ over the last quarter up to {end:.3g} = {ratio:.3g} × the start "
                                   f"(bounded, not settled)", numbers)
