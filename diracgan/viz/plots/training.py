"""Training curves: discrete training runs (iterates and their EMA) in the θ-plane and their
distance to the equilibrium against steps, the gradient flow beside discrete runs;
:func:`training_figure` is the ``diracgan train --plot`` figure.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ...dynamics.flow import Trajectories
from .style import (PALETTE, auto_scale, direction_arrows, draw_runs, figure_legend, line_width, mark_end,
                    mark_equilibrium, mark_start, marker_size, new_figure, overlay_style, rc_params, wrap_title)

__all__ = ["plot_training_plane", "plot_training_distance", "training_figure", "plot_discrete_vs_flow"]


def _ema_decays(run) -> np.ndarray | None:
    """(N,) the EMA decay of each run (a scalar decay or one per run), or None."""
    if run.ema is None:
        return None
    return np.broadcast_to(np.asarray(run.ema, float).reshape(-1), (run.n_runs,)) \
        if np.size(run.ema) in (1, run.n_runs) else np.full(run.n_runs, np.nan)


def _ema_label(run, r: int) -> str:
    decays = _ema_decays(run)
    if np.size(np.unique(decays)) == 1:
        return f"EMA (decay {decays[0]:g})"
    return f"EMA (decay {decays[r]:g})"


def plot_training_plane(ax, run, *, ode=None, coords=(0, 1)):
    """θ-plane of a training run: iterates, their EMA and the gradient flow from the same start.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    run : TrainingRun
        From :func:`diracgan.train`; ``ema`` may be one decay or one per run.
    ode : Trajectories, optional
        The gradient flow from the same starts (drawn dashed).
    coords : (int, int)
        Coordinates of θ to draw (d ≥ 2); d = 1 uses the (θ, φ) plane.

    Returns
    -------
    matplotlib.axes.Axes
    """
    d = run.dim
    if d == 1:
        get = lambda arr_t, arr_p: (arr_t[..., 0], arr_p[..., 0])  # noqa: E731
        ax.set_xlabel("θ (generator)")
        ax.set_ylabel("φ (discriminator)")
    else:
        i, j = coords
        get = lambda arr_t, arr_p: (arr_t[..., i], arr_t[..., j])  # noqa: E731
        ax.set_xlabel(f"θ$_{{{i + 1}}}$" + (f" (coordinates {i + 1}, {j + 1} of d = {d})" if d > 2 else ""))
        ax.set_ylabel(f"θ$_{{{j + 1}}}$")
    lw, alpha = overlay_style(run.n_runs)
    if ode is not None:
        for r in range(ode.n_runs):
            _, z = ode.run(r)
            x, y = get(z[:, :d], z[:, d:])
            ax.plot(x, y, color="0.35", lw=line_width(1.0), ls="--", zorder=2,
                    label=f"gradient flow to t = lr·steps = {ode.t_max:g}" if r == 0 else None)
    curves, statuses = [], []
    for r in range(run.n_runs):
        ok = run.valid(r)
        curves.append(get(run.theta[r, ok], run.phi[r, ok]))
        statuses.append(int(run.status[r]))
    draw_runs(ax, curves, statuses, color=PALETTE["sky"], label="iterates", t_end=None)
    labelled = set()
    if run.ema is not None:
        for r in range(run.n_runs):
            ok = run.valid(r)
            ex, ey = get(run.ema_theta[r, ok], run.ema_phi[r, ok])
            lab = _ema_label(run, r)
            ax.plot(ex, ey, color=PALETTE["blue"], lw=1.6 * lw, alpha=min(1.0, 2 * alpha), zorder=4,
                    label=lab if lab not in labelled else None)
            labelled.add(lab)
    stops = [c for c, s in zip(curves, statuses) if s != 0 and len(c[0])]
    if stops:
        pts = np.array([(c[0][-1], c[1][-1]) for c in stops])
        ax.plot(pts[:, 0], pts[:, 1], "x", color=PALETTE["black"], ms=marker_size(6), zorder=8,
                label=f"stopped: diverged ({len(pts)})")
    mark_equilibrium(ax)
    ax.set_aspect("equal", adjustable="datalim")
    return ax


def plot_training_distance(ax, run, *, floor: float = 1e-16):
    """Distance ‖(θ, φ)‖ to the equilibrium against steps, of the iterate and its EMA.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    run : TrainingRun
    floor : float
        Values below it are drawn at it (log scale).

    Returns
    -------
    matplotlib.axes.Axes
        Log scale when the distances span more than about a decade, else linear.
    """
    lw, alpha = overlay_style(run.n_runs)
    raw, avg = run.distance(), run.distance(ema=True)
    curves, labelled = [], set()
    for r in range(run.n_runs):
        ok = run.valid(r)
        curves.append(raw[r, ok])
        ax.plot(run.steps[ok], np.maximum(raw[r, ok], floor), color=PALETTE["sky"], lw=lw, alpha=alpha,
                label="iterates" if r == 0 else None)
        if run.ema is not None:
            curves.append(avg[r, ok])
            lab = _ema_label(run, r)
            ax.plot(run.steps[ok], np.maximum(avg[r, ok], floor), color=PALETTE["blue"], lw=1.4 * lw,
                    alpha=min(1.0, 2 * alpha), label=lab if lab not in labelled else None)
            labelled.add(lab)
    log = auto_scale(ax, curves)
    ax.set_xlabel("step")
    ax.set_ylabel("‖(θ, φ)‖" + (" (log scale)" if log else ""))
    ax.grid(True, lw=0.3, alpha=0.5)
    return ax


def training_figure(run, *, ode=None, title: str | None = None, style: str = "paper") -> Figure:
    """The ``diracgan train --plot`` figure: the plane beside the distance to the equilibrium.

    Parameters
    ----------
    run : TrainingRun
    ode : Trajectories, optional
        The gradient flow from the same starts, drawn for comparison.
    title : str, optional
    style : {"paper", "talk"}

    Returns
    -------
    matplotlib.figure.Figure
    """
    with matplotlib.rc_context(rc_params(style)):
        fig = new_figure(style, 9.0, 4.6)
        ax_plane, ax_dist = fig.subplots(1, 2, width_ratios=[1.0, 1.15])
        plot_training_plane(ax_plane, run, ode=ode)
        ax_plane.set_title("generator θ-plane" if run.dim > 1 else "(θ, φ) plane")
        plot_training_distance(ax_dist, run)
        gain = run.ema_gain()
        sub = "distance to the equilibrium"
        if gain is not None and np.isfinite(gain).any():
            sub += f"\n(last quarter: the iterate is {np.nanmedian(gain):.3g}× farther than its EMA)"
        ax_dist.set_title(sub)
        figure_legend(fig, ncols=4)
        if title is None:
            runs = f", {run.n_runs} starts" if run.n_runs > 1 else ""
            title = f"{run.game.label()}, d = {run.dim}{runs}: {run.scheme.describe()}, {run.steps[-1]} steps"
        fig.suptitle(wrap_title(title, 95 if style == "paper" else 80))
    return fig


def plot_discrete_vs_flow(ax, ode: Trajectories, runs: dict):
    """θ-plane: the gradient flow against discrete training runs (label → TrainingRun)."""
    _, z = ode.run(0)
    ax.plot(z[:, 0], z[:, 1], color=PALETTE["black"], lw=line_width(0.8), ls="--",
            label=f"gradient flow (t ≤ {ode.t_max:g})", zorder=4)
    for n, ((label, run), color) in enumerate(zip(runs.items(), (PALETTE["orange"], PALETTE["sky"], PALETTE["green"],
                                                                 PALETTE["purple"]))):
        ok = run.valid(0)
        x, y = run.theta[0, ok, 0], run.theta[0, ok, 1]
        ax.plot(x, y, color=color, lw=line_width(0.9), label=label, zorder=2 + 0.1 * n)
        direction_arrows(ax, x, y, color=color, n=2)
        if run.status[0] != 0:
            ax.plot(x[-1], y[-1], "x", color=PALETTE["black"], zorder=8)
        else:
            mark_end(ax, [x[-1]], [y[-1]], color, label=None)
    mark_start(ax, [z[0, 0]], [z[0, 1]], PALETTE["black"])
    ax.plot([], [], "s", color="0.5", mec=PALETTE["black"], mew=line_width(0.6), ms=marker_size(5.5),
            label="end (in the run's colour)")
    mark_equilibrium(ax)
    ax.set_xlabel("θ$_1$")
    ax.set_ylabel("θ$_2$")
    ax.set_aspect("equal", adjustable="datalim")
    return ax
