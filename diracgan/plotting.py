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

from .integrate import Status, Trajectories
from .io import FIGURE_FORMATS, atomic_output, check_output

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
    for r in range(traj.n_runs):
        _, z = traj.run(r)
        ax.plot(z[:, i], z[:, j], color=color, lw=lw, alpha=alpha, label=label if r == 0 else None)
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
    dtheta, dphi = game.velocity(theta[..., None], phi[..., None])
    u = np.ma.masked_invalid(dtheta[..., 0])
    v = np.ma.masked_invalid(dphi[..., 0])
    speed = np.ma.sqrt(u**2 + v**2)
    ax.streamplot(grid, grid, u, v, density=density, color=PALETTE["sky"], linewidth=0.6,
                  arrowsize=0.7, zorder=1)
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    return speed


def plot_state_plane(ax, traj: Trajectories, *, field: bool = True, color=None, label=None):
    """d = 1: the (θ, φ) plane with the vector field (streamlines) and the trajectories."""
    if traj.dim != 1:
        raise ValueError("the (θ, φ) plane is for d = 1")
    color = color or PALETTE["blue"]
    lw, alpha = _many(traj.n_runs)
    extent = 0.0
    stops: dict = {}
    for r in range(traj.n_runs):
        _, z = traj.run(r)
        extent = max(extent, float(np.max(np.abs(z))))
    extent = max(1.15 * extent, 0.1)
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
    ax.set_xlabel("θ (generator)")
    ax.set_ylabel("φ (discriminator)")
    ax.set_aspect("equal")
    return ax


def plot_norms(ax, traj: Trajectories, *, floor: float = 1e-16):
    """‖θ‖ and ‖φ‖ against time on a log scale (the median over runs when there are many)."""
    lw, alpha = _many(traj.n_runs)
    colors = {"θ": PALETTE["blue"], "φ": PALETTE["orange"]}
    d = traj.dim
    for r in range(traj.n_runs):
        t, z = traj.run(r)
        for name, part in (("θ", z[:, :d]), ("φ", z[:, d:])):
            ax.plot(t, np.maximum(np.linalg.norm(part, axis=1), floor), color=colors[name], lw=lw,
                    alpha=alpha, label=f"‖{name}‖" if r == 0 and traj.n_runs == 1 else None)
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
