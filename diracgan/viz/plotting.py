"""Plot functions: each draws on an ``Axes`` it is given and returns it.

Nothing here calls ``pyplot``, shows a window or touches global state; figures are plain
``matplotlib.figure.Figure`` objects and only :func:`save_figure` writes files (atomically,
with fixed metadata so that the same inputs give byte-identical files).  The palette is
Okabe & Ito's colour-blind-safe set.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..derivation.numeric import velocity
from ..dynamics.flow import Status, Trajectories
from ..io import FIGURE_FORMATS, atomic_output, check_output

__all__ = [
    "PALETTE",
    "plot_theta_plane",
    "plot_state_plane",
    "plot_vector_field",
    "plot_norms",
    "phase_figure",
    "save_figure",
]

# Okabe & Ito (2008), "Color Universal Design".
PALETTE = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
CYCLE = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")]
STYLE = {
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.labelsize": 9,
    "legend.fontsize": 7.5,
    "axes.prop_cycle": matplotlib.cycler(color=CYCLE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "diracgan",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
}
_SAVE_METADATA = {
    ".png": {"Software": None},
    ".pdf": {"Creator": None, "Producer": None, "CreationDate": None},
    ".svg": {"Creator": None, "Date": None},
}


def _many(n: int) -> tuple[float, float]:
    """Line width and alpha for ``n`` overlaid runs."""
    if n <= 1:
        return 1.4, 1.0
    if n <= 10:
        return 1.0, 0.85
    return 0.6, max(0.08, min(0.5, 12.0 / n))


def _lines(ax, curves, *, color, lw, alpha, label=None, zorder=2, **kw):
    """Draw many (x, y) curves: one LineCollection when there are many (fast), else plot()."""
    from matplotlib.collections import LineCollection

    curves = [(np.asarray(x), np.asarray(y)) for x, y in curves if len(x)]
    if len(curves) > 10:
        coll = LineCollection([np.column_stack(c) for c in curves], colors=color, linewidths=lw, alpha=alpha,
                              zorder=zorder, label=label, **kw)
        ax.add_collection(coll)
        ax.autoscale_view()
        return
    for n, (x, y) in enumerate(curves):
        ax.plot(x, y, color=color, lw=lw, alpha=alpha, zorder=zorder, label=label if n == 0 else None, **kw)


def _mark_equilibrium(ax, label="equilibrium θ = φ = 0"):
    ax.plot([0], [0], marker="*", ms=11, color=PALETTE["vermillion"], mec="white", mew=0.6,
            ls="none", zorder=5, label=label)


def _mark_stops(ax, traj: Trajectories, points: dict) -> None:
    """× at the last point of runs that stopped early, one legend entry per kind."""
    for code, marker in ((Status.DIVERGED, "x"), (Status.SINGULAR, "X"), (Status.FAILED, "d")):
        pts = points.get(code)
        if pts:
            pts = np.array(pts)
            ax.plot(pts[:, 0], pts[:, 1], marker=marker, ls="none", color=PALETTE["black"], ms=6,
                    zorder=6, label=f"stopped: {Status.NAMES[code]} ({len(pts)})")


def plot_theta_plane(ax, traj: Trajectories, *, color=None, label=None, coords=(0, 1), equilibrium=True):
    """θ-plane trajectories (θ_i against θ_j, the first two coordinates by default).

    Each run is drawn up to where it ended; runs that stopped early end in a marker.
    """
    i, j = coords
    d = traj.dim
    if d < 2:
        raise ValueError("the θ-plane needs d ≥ 2; use plot_state_plane for d = 1")
    color = color or PALETTE["blue"]
    lw, alpha = _many(traj.n_runs)
    stops: dict = {}
    runs = [traj.run(r)[1] for r in range(traj.n_runs)]
    _lines(ax, [(z[:, i], z[:, j]) for z in runs], color=color, lw=lw, alpha=alpha, label=label)
    for r, z in enumerate(runs):
        if traj.n_runs <= 10:
            ax.plot(z[0, i], z[0, j], "o", color=color, ms=4, mec="white", mew=0.5,
                    label="start" if r == 0 and label is None else None)
        if traj.status[r] != Status.FINISHED:
            stops.setdefault(int(traj.status[r]), []).append((z[-1, i], z[-1, j]))
    if equilibrium:
        _mark_equilibrium(ax)
    _mark_stops(ax, traj, stops)
    suffix = f" (coordinates {i + 1}, {j + 1} of d = {d})" if d > 2 else ""
    ax.set_xlabel(f"θ$_{{{i + 1}}}$" + suffix)
    ax.set_ylabel(f"θ$_{{{j + 1}}}$")
    ax.set_aspect("equal", adjustable="datalim")
    return ax


def plot_vector_field(ax, game, extent: float, *, density: float = 1.1, n: int = 61):
    """Streamlines of the d = 1 field (θ', φ') over [−extent, extent]², θ horizontal."""
    grid = np.linspace(-extent, extent, n)
    theta, phi = np.meshgrid(grid, grid)
    dtheta, dphi = velocity(game, theta[..., None], phi[..., None])
    u = np.ma.masked_invalid(dtheta[..., 0])
    v = np.ma.masked_invalid(dphi[..., 0])
    speed = np.ma.sqrt(u**2 + v**2)
    ax.streamplot(grid, grid, u, v, density=density, color=PALETTE["sky"], linewidth=0.6,
                  arrowsize=0.7, zorder=1)
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    return speed


def plot_state_plane(ax, traj: Trajectories, *, field: bool = True, color=None, label=None,
                     extent: float | None = None):
    """d = 1: the (θ, φ) plane with the vector field (streamlines) and the trajectories, over
    [−extent, extent]² (default: the trajectories' range)."""
    if traj.dim != 1:
        raise ValueError("the (θ, φ) plane is for d = 1")
    color = color or PALETTE["blue"]
    lw, alpha = _many(traj.n_runs)
    stops: dict = {}
    if extent is None:
        extent = max(max(float(np.max(np.abs(traj.run(r)[1]))) for r in range(traj.n_runs)) * 1.15, 0.1)
    if field and traj.game is not None:
        plot_vector_field(ax, traj.game, extent)
    for r in range(traj.n_runs):
        _, z = traj.run(r)
        ax.plot(z[:, 0], z[:, 1], color=color, lw=lw + 0.2, alpha=alpha, zorder=3,
                label=label if r == 0 else None)
        if traj.n_runs <= 10:
            ax.plot(z[0, 0], z[0, 1], "o", color=color, ms=4, mec="white", mew=0.5, zorder=4,
                    label="start" if r == 0 and label is None else None)
        if traj.status[r] != Status.FINISHED:
            stops.setdefault(int(traj.status[r]), []).append((z[-1, 0], z[-1, 1]))
    _mark_equilibrium(ax)
    _mark_stops(ax, traj, stops)
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_xlabel("θ (generator)")
    ax.set_ylabel("φ (discriminator)")
    ax.set_aspect("equal")
    return ax


def plot_norms(ax, traj: Trajectories, *, floor: float = 1e-16):
    """‖θ‖ and ‖φ‖ against time on a log scale (the median over runs when there are many)."""
    lw, alpha = _many(traj.n_runs)
    colors = {"θ": PALETTE["blue"], "φ": PALETTE["orange"]}
    d = traj.dim
    runs = [traj.run(r) for r in range(traj.n_runs)]
    for name, sl in (("θ", slice(0, d)), ("φ", slice(d, 2 * d))):
        _lines(ax, [(t, np.maximum(np.linalg.norm(z[:, sl], axis=1), floor)) for t, z in runs], color=colors[name],
               lw=lw, alpha=alpha, label=f"‖{name}‖" if traj.n_runs == 1 else None)
    if traj.n_runs > 1:
        for name, part in (("θ", traj.theta), ("φ", traj.phi)):
            with np.errstate(all="ignore"):
                med = np.nanmedian(np.linalg.norm(part, axis=-1), axis=0) if np.isfinite(part).any() else None
            if med is not None:
                ax.plot(traj.t, np.maximum(med, floor), color=colors[name], lw=1.8,
                        label=f"median ‖{name}‖ over {traj.n_runs} runs")
    ax.set_yscale("log")
    ax.set_xlabel("time t")
    ax.set_ylabel("norm (log scale)")
    ax.grid(True, which="major", lw=0.3, alpha=0.5)
    return ax


def phase_figure(traj: Trajectories, *, title: str | None = None) -> Figure:
    """The ``diracgan phase`` figure: the plane (θ-plane, or (θ, φ) with the field for
    d = 1) beside ‖θ‖, ‖φ‖ against time; title with the game, d and the solver."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(9.0, 4.2), layout="constrained")
        ax_plane, ax_norm = fig.subplots(1, 2, width_ratios=[1.0, 1.15])
        if traj.dim == 1:
            plot_state_plane(ax_plane, traj)
            ax_plane.set_title("(θ, φ) plane with the vector field")
        else:
            plot_theta_plane(ax_plane, traj)
            ax_plane.set_title("generator θ-plane" + (f" (first 2 of d = {traj.dim})" if traj.dim > 2 else ""))
        ax_plane.legend(loc="best", frameon=False)
        plot_norms(ax_norm, traj)
        ax_norm.set_title("distance to the equilibrium")
        ax_norm.legend(loc="best", frameon=False)
        if title is None:
            game = traj.game.label() if traj.game is not None else "custom field"
            runs = f", {traj.n_runs} starts" if traj.n_runs > 1 else ""
            title = (f"{game}, d = {traj.dim}{runs}: gradient flow to T = {traj.t_max:g} "
                     f"({traj.method}, rtol = {traj.rtol:g})")
        fig.suptitle(title, fontsize=10.5)
    return fig


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Save ``fig`` atomically by extension (.png/.pdf/.svg) with fixed metadata."""
    path = check_output(path, FIGURE_FORMATS)
    ext = path.suffix.lower()
    with matplotlib.rc_context(STYLE), atomic_output(path) as tmp:
        fig.savefig(tmp, format=ext[1:], dpi=150, metadata=_SAVE_METADATA[ext])
    return path


def plot_eigenvalue_paths(ax, sweep, *, cmap: str = "viridis"):
    """Eigenvalues of the equilibrium's Jacobian in the complex plane as a parameter varies.

    One path per eigenvalue branch of M (each eigenvalue is ×d in J), coloured by the
    parameter value; the stability boundary Re μ = 0 is drawn and the unstable half-plane
    shaded.  Points where the field is not differentiable are left out.
    """
    import matplotlib.colors as mcolors

    vals = sweep.values[sweep.valid]
    eig = sweep.eigenvalues[sweep.valid]
    norm = mcolors.Normalize(vmin=float(sweep.values.min()), vmax=float(sweep.values.max()))
    cm = matplotlib.colormaps[cmap]
    for b in range(eig.shape[1]):
        ax.plot(eig[:, b].real, eig[:, b].imag, color=PALETTE["black"], lw=0.6, alpha=0.5, zorder=2)
        sc = ax.scatter(eig[:, b].real, eig[:, b].imag, c=vals, cmap=cm, norm=norm, s=14, zorder=3,
                        edgecolors="none")
    sym = sweep.game.spec.param(sweep.name).symbol
    if len(vals):
        ax.plot(eig[0].real, eig[0].imag, "o", mfc="none", mec=PALETTE["black"], ms=8, zorder=4,
                label=f"{sym} = {vals[0]:g}")
        ax.plot(eig[-1].real, eig[-1].imag, "s", mfc="none", mec=PALETTE["black"], ms=8, zorder=4,
                label=f"{sym} = {vals[-1]:g}")
    ax.axvline(0.0, color=PALETTE["vermillion"], lw=1.2, zorder=1, label="stability boundary Re μ = 0")
    lo, hi = ax.get_xlim()
    ax.axvspan(0.0, max(hi, 0.05 * (hi - lo)), color=PALETTE["vermillion"], alpha=0.07, zorder=0, lw=0)
    ax.set_xlim(lo, max(hi, 0.05 * (hi - lo)))
    ax.axhline(0.0, color="0.6", lw=0.5, zorder=1)
    ax.set_xlabel("Re μ")
    ax.set_ylabel("Im μ")
    ax.grid(True, lw=0.3, alpha=0.5)
    if len(vals):
        cb = ax.figure.colorbar(sc, ax=ax)
        cb.set_label(sweep.game.spec.param(sweep.name).symbol + f" (--{sweep.name})")
    return ax


def sweep_figure(sweep) -> Figure:
    """The ``diracgan eig --sweep`` figure: eigenvalue paths with the stability boundary."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(6.4, 4.8), layout="constrained")
        ax = fig.subplots()
        plot_eigenvalue_paths(ax, sweep)
        ax.legend(loc="best", frameon=False)
        others = {k: v for k, v in sweep.game.params.items() if k != sweep.name}
        fixed = ", ".join(f"{sweep.game.spec.param(k).symbol} = {v:g}" for k, v in others.items())
        sym = sweep.game.spec.param(sweep.name).symbol
        ax.set_title(f"{sweep.game.name}: eigenvalues of J(0) as {sym} runs from {sweep.values[0]:g} to "
                     f"{sweep.values[-1]:g}" + (f" ({fixed})" if fixed else "") + "\n(each eigenvalue has multiplicity d)")
    return fig


def plot_training_plane(ax, run, *, ode=None, coords=(0, 1)):
    """θ-plane of a training run: raw iterates, their EMA and (optionally) the gradient flow
    from the same start (``ode``: a Trajectories).  d = 1 uses the (θ, φ) plane instead."""
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
    lw, alpha = _many(run.n_runs)
    if ode is not None:
        for r in range(ode.n_runs):
            _, z = ode.run(r)
            x, y = get(z[:, :d], z[:, d:])
            ax.plot(x, y, color="0.45", lw=1.0, ls="--", zorder=2,
                    label=f"gradient flow to t = {ode.t_max:g}" if r == 0 else None)
    stops = []
    for r in range(run.n_runs):
        ok = run.valid(r)
        x, y = get(run.theta[r, ok], run.phi[r, ok])
        ax.plot(x, y, color=PALETTE["sky"], lw=0.7 * lw, alpha=alpha, zorder=3,
                label="iterates" if r == 0 else None)
        if run.ema is not None:
            ex, ey = get(run.ema_theta[r, ok], run.ema_phi[r, ok])
            ax.plot(ex, ey, color=PALETTE["blue"], lw=1.6 * lw, alpha=min(1.0, 2 * alpha), zorder=4,
                    label=f"EMA (decay {run.ema:g})" if r == 0 else None)
        if run.status[r] != 0:
            stops.append((x[-1], y[-1]))
    if run.n_runs <= 10:
        x0, y0 = get(run.theta[:, 0], run.phi[:, 0])
        ax.plot(x0, y0, "o", color=PALETTE["black"], ms=4, zorder=5, label="start")
    if stops:
        pts = np.array(stops)
        ax.plot(pts[:, 0], pts[:, 1], "x", color=PALETTE["black"], ms=6, zorder=6,
                label=f"stopped: diverged ({len(pts)})")
    _mark_equilibrium(ax)
    ax.set_aspect("equal", adjustable="datalim")
    return ax


def plot_training_distance(ax, run, *, floor: float = 1e-16):
    """Distance ‖(θ, φ)‖ to the equilibrium against steps, raw and EMA, log scale."""
    lw, alpha = _many(run.n_runs)
    raw, avg = run.distance(), run.distance(ema=True)
    for r in range(run.n_runs):
        ok = run.valid(r)
        ax.plot(run.steps[ok], np.maximum(raw[r, ok], floor), color=PALETTE["sky"], lw=lw, alpha=alpha,
                label="iterate" if r == 0 else None)
        if run.ema is not None:
            ax.plot(run.steps[ok], np.maximum(avg[r, ok], floor), color=PALETTE["blue"], lw=1.4 * lw,
                    alpha=min(1.0, 2 * alpha), label=f"EMA (decay {run.ema:g})" if r == 0 else None)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("‖(θ, φ)‖ (log scale)")
    ax.grid(True, lw=0.3, alpha=0.5)
    return ax


def training_figure(run, *, ode=None, title: str | None = None) -> Figure:
    """The ``diracgan train --plot`` figure: the plane beside the distance to the equilibrium."""
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(9.0, 4.2), layout="constrained")
        ax_plane, ax_dist = fig.subplots(1, 2, width_ratios=[1.0, 1.15])
        plot_training_plane(ax_plane, run, ode=ode)
        ax_plane.legend(loc="best", frameon=False)
        ax_plane.set_title("generator θ-plane" if run.dim > 1 else "(θ, φ) plane")
        plot_training_distance(ax_dist, run)
        ax_dist.legend(loc="best", frameon=False)
        gain = run.ema_gain()
        sub = "distance to the equilibrium"
        if gain is not None and np.isfinite(gain).any():
            sub += f" (last quarter: iterate / EMA = {np.nanmedian(gain):.3g})"
        ax_dist.set_title(sub)
        if title is None:
            runs = f", {run.n_runs} starts" if run.n_runs > 1 else ""
            title = f"{run.game.label()}, d = {run.dim}{runs}: {run.scheme.describe()}, {run.steps[-1]} steps"
        fig.suptitle(title, fontsize=10.5)
    return fig


def plot_stability_map(ax, smap):
    """Heatmap of the spectral radius ρ of the update map, with the ρ = 1 contour (1-D: a curve)."""
    import matplotlib.colors as mcolors

    labels = {"lr": "learning rate lr", "lr_d": "lr_d (discriminator)", "lr_g": "lr_g (generator)",
              "momentum": "momentum μ", "dampening": "dampening"}

    def label(name):
        if name in labels:
            return labels[name]
        p = smap.game.spec.param(name)
        return f"{p.symbol} (--{p.name})"

    rho = np.ma.masked_invalid(smap.rho)
    if smap.y is None:
        ax.plot(smap.x, rho, color=PALETTE["blue"], lw=1.4)
        ax.axhline(1.0, color=PALETTE["vermillion"], lw=1.0, label="ρ = 1")
        ax.set_xlabel(label(smap.x_name))
        ax.set_ylabel("spectral radius ρ")
        ax.grid(True, lw=0.3, alpha=0.5)
        ax.legend(frameon=False)
        return ax
    lo = float(min(rho.min(), 0.999)) if rho.count() else 0.0
    hi = float(max(rho.max(), 1.001)) if rho.count() else 2.0
    norm = mcolors.TwoSlopeNorm(vmin=lo, vcenter=1.0, vmax=hi)
    mesh = ax.pcolormesh(smap.x, smap.y, rho, cmap="RdBu_r", norm=norm, shading="nearest", rasterized=True)
    if rho.count() and rho.min() < 1 < rho.max():
        # Marginal points (ρ = 1 up to rounding, e.g. alternating steps at λ = 0) count as not
        # expanding, so the contour is the boundary of {ρ > 1} and not rounding noise.
        edge = np.where(np.abs(rho - 1) < 1e-9, 1 - 1e-9, rho)
        ax.contour(smap.x, smap.y, edge, levels=[1.0], colors=PALETTE["black"], linewidths=1.2)
    cb = ax.figure.colorbar(mesh, ax=ax)
    lower = np.linspace(lo, 1.0, 3)[:-1]
    upper = np.linspace(1.0, hi, 4)
    cb.set_ticks(np.concatenate([lower, upper]))
    cb.set_ticklabels([f"{x:.3g}" for x in np.concatenate([lower, upper])])
    cb.set_label("spectral radius ρ (< 1: converges locally)")
    ax.set_xlabel(label(smap.x_name))
    ax.set_ylabel(label(smap.y_name))
    return ax


def stability_figure(smap) -> Figure:
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(6.4, 4.8), layout="constrained")
        ax = fig.subplots()
        plot_stability_map(ax, smap)
        fixed = {k: v for k, v in smap.game.params.items() if k not in (smap.x_name, smap.y_name)}  # swept ones vary
        fixed_text = ", ".join(f"{smap.game.spec.param(k).symbol} = {v:g}" for k, v in fixed.items())
        ax.set_title(f"{smap.game.name}{' (' + fixed_text + ')' if fixed_text else ''}: {smap.scheme.opt_g.name}, "
                     f"{smap.scheme.mode}\nlocal stability of the update map at θ = φ = 0 "
                     f"(stable: {100 * smap.stable_fraction():.0f}% of the grid)")
    return fig


def plot_distances(ax, runs: dict, *, floor: float = 1e-16):
    """‖(θ, φ)‖ against time for several games on one log-scale panel (``runs``: label →
    single-run Trajectories)."""
    for (label, traj), color in zip(runs.items(), CYCLE):
        t, z = traj.run(0)
        ax.plot(t, np.maximum(np.linalg.norm(z, axis=1), floor), color=color, lw=1.3, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("time t")
    ax.set_ylabel("‖(θ, φ)‖, distance to the equilibrium (log scale)")
    ax.grid(True, lw=0.3, alpha=0.5)
    return ax


def plot_discrete_vs_flow(ax, ode: Trajectories, runs: dict):
    """θ-plane: the gradient flow against discrete training runs (label → TrainingRun)."""
    _, z = ode.run(0)
    ax.plot(z[:, 0], z[:, 1], color=PALETTE["black"], lw=0.6, ls="--", label=f"gradient flow (t ≤ {ode.t_max:g})",
            zorder=4)
    for n, ((label, run), color) in enumerate(zip(runs.items(), (PALETTE["orange"], PALETTE["sky"], PALETTE["green"],
                                                                 PALETTE["purple"]))):
        ok = run.valid(0)
        ax.plot(run.theta[0, ok, 0], run.theta[0, ok, 1], color=color, lw=0.9, label=label, zorder=2 + 0.1 * n)
        if run.status[0] != 0:
            ax.plot(run.theta[0, ok, 0][-1], run.theta[0, ok, 1][-1], "x", color=PALETTE["black"], zorder=5)
    ax.plot(z[0, 0], z[0, 1], "o", color=PALETTE["black"], ms=4, zorder=6, label="start")
    _mark_equilibrium(ax)
    ax.set_xlabel("θ$_1$")
    ax.set_ylabel("θ$_2$")
    ax.set_aspect("equal", adjustable="datalim")
    return ax


def animate_phase(traj: Trajectories, path, *, frames: int = 80, fps: int = 20, trail: bool = True,
                  title: str | None = None) -> Path:
    """A GIF of run 0 moving in the θ-plane (or the (θ, φ) plane with its field for d = 1),
    with the ‖θ‖, ‖φ‖ panel filling in; through matplotlib's PillowWriter (no external
    program).  ``frames`` frames at ``fps`` per second; written atomically."""
    from matplotlib.animation import PillowWriter

    path = check_output(path, (".gif",))
    if int(frames) != frames or frames < 2:
        raise ValueError(f"frames must be a whole number ≥ 2, got {frames!r}")
    t, z = traj.run(0)
    d = traj.dim
    idx = np.unique(np.linspace(0, len(t) - 1, int(frames)).round().astype(int))
    if len(idx) < frames:   # fewer samples than frames: interpolate the times
        idx = np.linspace(0, len(t) - 1, int(frames)).round().astype(int)
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(7.2, 3.4), dpi=90, layout="constrained")
        ax, ax_n = fig.subplots(1, 2, width_ratios=[1.0, 1.2])
        if d == 1:
            extent = max(float(np.abs(z).max()) * 1.15, 0.1)
            plot_vector_field(ax, traj.game, extent, density=0.9)
            xs, ys = z[:, 0], z[:, 1]
            ax.set_xlabel("θ")
            ax.set_ylabel("φ")
        else:
            xs, ys = z[:, 0], z[:, 1]
            pad = 0.1 * max(np.ptp(xs), np.ptp(ys), 1e-3)
            ax.set_xlim(min(xs.min(), 0) - pad, max(xs.max(), 0) + pad)
            ax.set_ylim(min(ys.min(), 0) - pad, max(ys.max(), 0) + pad)
            ax.set_xlabel("θ$_1$")
            ax.set_ylabel("θ$_2$")
        ax.set_aspect("equal", adjustable="box")
        _mark_equilibrium(ax)
        (line,) = ax.plot([], [], color=PALETTE["blue"], lw=1.2)
        (dot,) = ax.plot([], [], "o", color=PALETTE["orange"], ms=6, zorder=6)
        nt = np.maximum(np.linalg.norm(z[:, :d], axis=1), 1e-16)
        nphi = np.maximum(np.linalg.norm(z[:, d:], axis=1), 1e-16)
        ax_n.set_yscale("log")
        ax_n.set_xlim(t[0], t[-1])
        lo = min(nt.min(), nphi.min())
        hi = max(nt.max(), nphi.max())
        ax_n.set_ylim(lo / 1.5, hi * 1.5)
        (ln_t,) = ax_n.plot([], [], color=PALETTE["blue"], lw=1.2, label="‖θ‖")
        (ln_p,) = ax_n.plot([], [], color=PALETTE["orange"], lw=1.2, label="‖φ‖")
        ax_n.legend(loc="upper right", frameon=False)
        ax_n.set_xlabel("time t")
        ax_n.grid(True, lw=0.3, alpha=0.5)
        label = traj.game.label() if traj.game is not None else "field"
        fig.suptitle(title or f"{label}, d = {d}", fontsize=10)

        def draw(k):
            i = idx[k]
            if trail:
                line.set_data(xs[: i + 1], ys[: i + 1])
            dot.set_data([xs[i]], [ys[i]])
            ln_t.set_data(t[: i + 1], nt[: i + 1])
            ln_p.set_data(t[: i + 1], nphi[: i + 1])
            return line, dot, ln_t, ln_p

        # Lay the figure out once, then freeze it: constrained layout per frame is slow.  The
        # writer is driven directly so that each frame is drawn exactly once.
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig).draw()
        fig.set_layout_engine("none")
        writer = PillowWriter(fps=fps)
        with atomic_output(path) as tmp, writer.saving(fig, tmp, dpi=fig.dpi):
            for k in range(len(idx)):
                draw(k)
                writer.grab_frame()
    return path
