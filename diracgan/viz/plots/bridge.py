"""Bridge runs (MLP GANs on 2-D data): the generator's samples over the data at recorded steps,
the metrics against steps, several runs side by side, and the linear-shape run's θ path beside
the Dirac-GAN's gradient flow.  :func:`bridge_figure` is the ``diracgan bridge --plot`` figure.

Every function takes a :class:`diracgan.bridge.training.BridgeRun` (``steps`` (R,), ``samples``
(S, R, n, 2), ``metrics`` name → (S, R), ``reference`` (m, 2), ``dataset``) and draws only
from it: nothing is recomputed, so a figure is as reproducible as the run.  A sample panel's
limits come from the data (its extent and modes, padded), not from the samples, so panels of one
run (and of runs on the same data) share one frame; samples beyond it are counted in the panel.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from .style import (PALETTE, auto_scale, draw_runs, figure_legend, line_width, mark_equilibrium, marker_size,
                    new_figure, overlay_style, rc_params, wrap_title)

__all__ = ["METRIC_LABELS", "default_records", "plot_bridge_samples", "plot_bridge_metric", "plot_bridge_theta",
           "bridge_figure", "bridge_samples_figure"]

METRIC_LABELS = {
    "dist_to_target": "mean distance to the point",
    "modes_covered": "modes covered",
    "high_quality": "high-quality fraction (< 3σ)",
    "emd": "EMD (exact W₁)",
    "sliced_w": "sliced W₁",
    "mmd": "MMD (RBF, biased)",
    "d_norm": "‖D's weights‖",
}
"""Axis labels of the metrics (:mod:`diracgan.bridge.metrics`) and of ``d_norm``."""


def default_records(run, n: int = 4) -> list[int]:
    """``n`` record indices spread evenly from the start to the last record (fewer if the run
    has fewer records)."""
    r = len(run.steps)
    return sorted({int(round(x)) for x in np.linspace(0, r - 1, min(n, r))})


def _frame(run) -> float:
    """Half-width of the square frame of the sample panels: the data's extent, padded."""
    ref = np.asarray(run.reference, float)
    reach = float(np.max(np.abs(ref))) if ref.size else 0.0
    modes = getattr(run.dataset, "modes", None)
    if modes is not None and len(modes):
        reach = max(reach, float(np.max(np.abs(modes))))
    return max(1.0, 1.25 * reach + 0.25)


def plot_bridge_samples(ax, run, record: int = -1, *, seed: int = 0, ema: bool = False, data: bool = True,
                        extent: float | None = None, title: bool = True):
    """The generator's samples of one seed at one record, over the data.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    run : BridgeRun
    record : int
        Index into ``run.steps`` (negative from the end).
    seed : int
        Index of the seed (0..S−1), not the seed's number.
    ema : bool
        Draw the EMA generator's samples (the run must have an EMA).
    data : bool
        Draw the reference batch (grey) and the modes (black crosses; the point of ``dirac`` as
        a red star).
    extent : float, optional
        Half-width of the square frame (default: from the data).
    title : bool
        Title the panel with the step (and "stopped" after the seed's last step).

    Returns
    -------
    matplotlib.axes.Axes
    """
    steps = np.asarray(run.steps)
    r = int(record) % len(steps)
    if not 0 <= seed < run.n_seeds:
        raise ValueError(f"seed must be an index 0..{run.n_seeds - 1}, got {seed!r}")
    if ema and run.ema_samples is None:
        raise ValueError("this run has no EMA (train it with ema=)")
    pts = np.asarray((run.ema_samples if ema else run.samples)[seed, r], float)
    lim = _frame(run) if extent is None else float(extent)
    if data:
        ref = np.asarray(run.reference, float)
        ax.plot(ref[:, 0], ref[:, 1], ".", ls="none", color="0.6", ms=marker_size(2.4), zorder=2, label="data")
        modes = getattr(run.dataset, "modes", None)
        if modes is not None and run.dataset.kind == "point":
            ax.plot(modes[:, 0], modes[:, 1], "*", ls="none", ms=marker_size(11), color=PALETTE["vermillion"],
                    mec="white", mew=0.6, zorder=7, label="the data's point")
        elif modes is not None:
            ax.plot(modes[:, 0], modes[:, 1], "+", ls="none", color=PALETTE["black"], ms=marker_size(5),
                    mew=line_width(0.8), zorder=5, label="modes")
    finite = np.all(np.isfinite(pts), axis=1)
    inside = finite & np.all(np.abs(pts) <= lim, axis=1)
    ax.plot(pts[inside, 0], pts[inside, 1], ".", ls="none", color=PALETTE["blue"], alpha=0.6,
            ms=marker_size(2.6), zorder=4, label="EMA generator's samples" if ema else "generator's samples")
    outside = int(np.count_nonzero(~inside))
    if outside:
        what = "not finite" if not finite.any() else "outside the frame"
        ax.text(0.02, 0.02, f"{outside} of {len(pts)} samples {what}", transform=ax.transAxes, fontsize="small",
                va="bottom", ha="left", color=PALETTE["vermillion"])
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    if title:
        stopped = steps[r] > run.stop_step[seed]
        ax.set_title(f"step {int(steps[r])}" + (" (stopped)" if stopped else ""))
    return ax


def _series(run, key: str) -> np.ndarray:
    if key == "d_norm":
        return np.asarray(run.d_norm, float)
    if key not in run.metrics:
        names = ", ".join(list(run.metrics) + ["d_norm"])
        raise ValueError(f"unknown metric {key!r}; this run has: {names}")
    return np.asarray(run.metrics[key], float)


def plot_bridge_metric(ax, run, key: str, *, color=None, label: str | None = None, median: bool = True):
    """One metric against steps: each seed a thin line, their median a thick one.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    run : BridgeRun
    key : str
        A key of ``run.metrics`` or ``"d_norm"``.
    color : optional
        Line colour (default blue).
    label : str, optional
        Legend label of the median (default "median of S seeds").
    median : bool
        Draw the median over the seeds (at records where at least one seed is still running).

    Returns
    -------
    matplotlib.axes.Axes
        ``modes_covered`` gets the number of modes as a dotted line and a linear scale; the
        distances a log scale when they span more than about a decade.
    """
    values = _series(run, key)
    steps = np.asarray(run.steps)
    color = color or PALETTE["blue"]
    s = values.shape[0]
    lw, alpha = overlay_style(s)
    curves = []
    # One seed: its own line in full; several: thin seed lines under their median.
    thin = (0.7 * lw, 0.45 * alpha) if s > 1 else (lw, 1.0)
    for i in range(s):
        ok = np.isfinite(values[i])
        curves.append(values[i, ok])
        ax.plot(steps[ok], values[i, ok], color=color, lw=thin[0], alpha=thin[1], zorder=2)
    if median and s > 1:
        with np.errstate(all="ignore"):
            live = np.isfinite(values).any(axis=0)
            med = np.full(len(steps), np.nan)
            med[live] = np.nanmedian(values[:, live], axis=0)
        ax.plot(steps, med, color=color, lw=line_width(1.8), zorder=3,
                label=label or f"median of {s} seeds")
    elif label:
        ax.lines[-1].set_label(label)
    modes = getattr(run.dataset, "modes", None)
    if key == "modes_covered" and modes is not None:
        ax.axhline(len(modes), color=PALETTE["black"], lw=line_width(0.7), ls=":", zorder=1)
        ax.set_ylim(-0.5, len(modes) + 0.8)
    elif key == "high_quality":
        ax.set_ylim(-0.03, 1.03)
    else:
        auto_scale(ax, curves)
    ax.set_xlabel("step")
    ax.set_ylabel(METRIC_LABELS.get(key, key))
    ax.grid(True, lw=0.3, alpha=0.5)
    return ax


def plot_bridge_theta(ax, run, *, ode=None, seeds=None):
    """The θ path of a run with the linear generator (``--g linear``: G(z) = θ), beside the
    Dirac-GAN's gradient flow from the same start.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    run : BridgeRun
        Trained with the linear generator (``run.theta`` not None).
    ode : Trajectories, optional
        The gradient flow from the run's start (:func:`diracgan.simulate`), drawn dashed; its
        time is lr × steps when the run is plain gradient descent.
    seeds : sequence of int, optional
        Seed indices to draw (default all).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if run.theta is None:
        raise ValueError("this run has no θ path: train it with the linear generator (G(z) = θ)")
    if ode is not None:
        for r in range(ode.n_runs):
            _, z = ode.run(r)
            ax.plot(z[:, 0], z[:, 1], color="0.35", lw=line_width(1.0), ls="--", zorder=2,
                    label=f"Dirac-GAN gradient flow to t = {ode.t_max:g}" if r == 0 else None)
    idx = range(run.n_seeds) if seeds is None else list(seeds)
    curves, statuses = [], []
    for i in idx:
        ok = np.asarray(run.steps) <= run.stop_step[i]
        curves.append((run.theta[i, ok, 0], run.theta[i, ok, 1]))
        statuses.append(int(run.status[i]))
    draw_runs(ax, curves, statuses, color=PALETTE["sky"], label="bridge run θ" if len(curves) == 1 else
              f"bridge runs θ ({len(curves)} seeds)")
    target = np.asarray(run.dataset.target, float)
    if np.any(target != 0):
        ax.plot([target[0]], [target[1]], "*", ls="none", ms=marker_size(12), color=PALETTE["vermillion"],
                mec="white", mew=0.6, zorder=7, label="the data's point")
    else:
        mark_equilibrium(ax, label="the data's point (equilibrium θ = 0)")
    ax.set_xlabel("θ$_1$")
    ax.set_ylabel("θ$_2$")
    ax.set_aspect("equal", adjustable="datalim")
    return ax


def bridge_figure(run, *, records=None, seed: int = 0, ema: bool = False, title: str | None = None,
                  style: str = "paper") -> Figure:
    """The ``diracgan bridge --plot`` figure: one seed's samples over the data at a few steps
    (top row) and every metric against steps for all seeds (bottom row).

    Parameters
    ----------
    run : BridgeRun
    records : sequence of int, optional
        Record indices of the sample panels (default :func:`default_records`, 4 of them).
    seed : int
        Seed index of the sample panels.
    ema : bool
        Samples of the EMA generator.
    title : str, optional
    style : {"paper", "talk"}

    Returns
    -------
    matplotlib.figure.Figure
    """
    records = default_records(run) if records is None else [int(r) for r in records]
    keys = list(run.metrics)
    if run.dataset.kind == "point" or not keys:
        keys.append("d_norm")
    with matplotlib.rc_context(rc_params(style)):
        ncol = max(len(records), len(keys))
        fig = new_figure(style, 2.35 * ncol, 5.2)
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.1, 1.0])
        for ax, r in zip(np.atleast_1d(top.subplots(1, len(records))), records):
            plot_bridge_samples(ax, run, r, seed=seed, ema=ema)
        for ax, key in zip(np.atleast_1d(bottom.subplots(1, len(keys))), keys):
            plot_bridge_metric(ax, run, key)
        figure_legend(fig, ncols=4)
        if title is None:
            width = int(30 * ncol) if style == "paper" else int(24 * ncol)
            head = (f"{run.game.label()} on {run.dataset.name}, {run.scheme.describe()}, {int(run.steps[-1])} steps, "
                    f"{run.n_seeds} seed{'s' if run.n_seeds != 1 else ''} (samples: seed {run.seeds[seed]})")
            title = wrap_title(head, width) + "\n" + run.models.describe()
        fig.suptitle(title)
    return fig


def bridge_samples_figure(runs: dict, *, records=None, seed: int = 0, style: str = "paper") -> Figure:
    """Several runs on the same data side by side: one row per run (label → BridgeRun), one
    column per recorded step (the same record indices for every run; default
    :func:`default_records` of the first run), one frame for all panels.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not runs:
        raise ValueError("runs must hold at least one labelled BridgeRun")
    first = next(iter(runs.values()))
    records = default_records(first) if records is None else [int(r) for r in records]
    lim = max(_frame(run) for run in runs.values())
    with matplotlib.rc_context(rc_params(style)):
        fig = new_figure(style, 2.3 * len(records) + 0.6, 2.35 * len(runs) + 0.6)
        axes = np.atleast_2d(fig.subplots(len(runs), len(records), squeeze=False))
        for row, (label, run) in zip(axes, runs.items()):
            for ax, r in zip(row, records):
                plot_bridge_samples(ax, run, r, seed=seed, extent=lim)
            row[0].set_ylabel(label, fontsize="medium")
        figure_legend(fig, ncols=3)
        fig.suptitle(f"{first.dataset.name}: samples of seed {first.seeds[seed]} over training")
    return fig
