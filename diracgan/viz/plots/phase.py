"""Phase portraits: trajectories in the generator's θ-plane or the d = 1 (θ, φ) plane with the
field's streamlines, and the distance ‖(θ, φ)‖ to the equilibrium against time (one game or
several on one panel); :func:`phase_figure` is the ``diracgan phase`` figure.

Plot functions draw on the Axes they are given and return it; figure functions return a
Figure (see :mod:`.style` for the look and the saving).
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ...derivation.numeric import velocity
from ...dynamics.flow import Status, Trajectories
from .style import (CYCLE, PALETTE, auto_scale, draw_lines, draw_runs, figure_legend, line_width, mark_equilibrium,
                    marker_size, new_figure, overlay_style, rc_params, wrap_title)

__all__ = ["plot_theta_plane", "plot_vector_field", "plot_state_plane", "plot_distance", "plot_norms", "phase_figure",
           "GAME_STYLES", "plot_distances"]


def _mark_stops(ax, traj: Trajectories, points: dict) -> None:
    """× at the last point of runs that stopped early, one legend entry per kind."""
    for code, marker in ((Status.DIVERGED, "x"), (Status.SINGULAR, "X"), (Status.FAILED, "d")):
        pts = points.get(code)
        if pts:
            pts = np.array(pts)
            ax.plot(pts[:, 0], pts[:, 1], marker=marker, ls="none", color=PALETTE["black"], ms=marker_size(6),
                    zorder=8, label=f"stopped: {Status.NAMES[code]} ({len(pts)})")


def plot_theta_plane(ax, traj: Trajectories, *, color=None, label=None, coords=(0, 1), equilibrium=True):
    """Draw trajectories in the generator's θ-plane.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    traj : Trajectories
        The runs (``d ≥ 2``).
    color : str, optional
        Line colour (default: the palette's blue).
    label : str, optional
        Legend label of the paths.
    coords : (int, int)
        Which two coordinates of θ to draw (default the first two).
    equilibrium : bool
        Mark the equilibrium θ = 0.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``.  Up to 10 runs get start/end markers and direction arrows; more runs are drawn
        thin with a dot where each ends.
    """
    i, j = coords
    d = traj.dim
    if d < 2:
        raise ValueError("the θ-plane needs d ≥ 2; use plot_state_plane for d = 1")
    color = color or PALETTE["blue"]
    stops: dict = {}
    runs = [traj.run(r)[1] for r in range(traj.n_runs)]
    draw_runs(ax, [(z[:, i], z[:, j]) for z in runs], [int(s) for s in traj.status], color=color,
              label=label, t_end=traj.t_max, stops_as=stops)
    if equilibrium:
        mark_equilibrium(ax)
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
    ax.streamplot(grid, grid, u, v, density=density, color="#A9D3EF", linewidth=line_width(0.6),
                  arrowsize=0.7 * marker_size(1.0), zorder=1)
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    return speed


def plot_state_plane(ax, traj: Trajectories, *, field: bool = True, color=None, label=None,
                     extent: float | None = None):
    """d = 1: the (θ, φ) plane with the vector field (streamlines) and the trajectories.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    traj : Trajectories
        Runs with ``d = 1``.
    field : bool
        Draw the streamlines of the game's field underneath.
    color, label : str, optional
        Colour and legend label of the paths.
    extent : float, optional
        Draw [−extent, extent]² (default: the trajectories' range).

    Returns
    -------
    matplotlib.axes.Axes
    """
    if traj.dim != 1:
        raise ValueError("the (θ, φ) plane is for d = 1")
    color = color or PALETTE["blue"]
    stops: dict = {}
    if extent is None:
        extent = max(max(float(np.nanmax(np.abs(traj.run(r)[1]))) for r in range(traj.n_runs)) * 1.15, 0.1)
    if field and traj.game is not None:
        plot_vector_field(ax, traj.game, extent)
    runs = [traj.run(r)[1] for r in range(traj.n_runs)]
    draw_runs(ax, [(z[:, 0], z[:, 1]) for z in runs], [int(s) for s in traj.status], color=color,
              label=label, t_end=traj.t_max, stops_as=stops)
    mark_equilibrium(ax)
    _mark_stops(ax, traj, stops)
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_xlabel("θ (generator)")
    ax.set_ylabel("φ (discriminator)")
    ax.set_aspect("equal")
    return ax


def plot_distance(ax, traj: Trajectories, *, components: bool | None = None, floor: float = 1e-16):
    """The distance ‖(θ, φ)‖ to the equilibrium against time.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    traj : Trajectories
    components : bool, optional
        Also draw ‖θ‖ and ‖φ‖ (thin).  Default: for a single run with d ≥ 2 (in d = 1 the
        components cross zero, which would only add spikes).
    floor : float
        Values below it are drawn at it (log scale).

    Returns
    -------
    matplotlib.axes.Axes
        The y-axis is logarithmic when the distance spans more than about a decade and
        linear otherwise; many runs are drawn thin with their median bold.
    """
    d = traj.dim
    if components is None:
        components = traj.n_runs == 1 and d >= 2
    lw, alpha = overlay_style(traj.n_runs)
    runs = [traj.run(r) for r in range(traj.n_runs)]
    dist = [np.linalg.norm(z, axis=1) for _, z in runs]
    curves = list(dist)
    draw_lines(ax, [(t, np.maximum(r, floor)) for (t, _), r in zip(runs, dist)], color=PALETTE["black"],
               lw=lw * 1.2, alpha=alpha, label="‖(θ, φ)‖" if traj.n_runs == 1 else None, zorder=3)
    if traj.n_runs > 1:
        with np.errstate(all="ignore"):
            z = np.concatenate([traj.theta, traj.phi], axis=-1)
            med = np.nanmedian(np.linalg.norm(z, axis=-1), axis=0) if np.isfinite(z).any() else None
        if med is not None:
            ax.plot(traj.t, np.maximum(med, floor), color=PALETTE["vermillion"], lw=line_width(2.0), zorder=4,
                    label=f"median ‖(θ, φ)‖ over {traj.n_runs} runs")
    if components:
        for name, sl, color, ls in (("θ", slice(0, d), PALETTE["blue"], "--"), ("φ", slice(d, 2 * d),
                                                                                 PALETTE["orange"], ":")):
            for r, (t, z) in enumerate(runs):
                comp = np.linalg.norm(z[:, sl], axis=1)
                curves.append(comp)
                ax.plot(t, np.maximum(comp, floor), color=color, lw=line_width(1.1), ls=ls, zorder=2,
                        label=f"‖{name}‖" if r == 0 else None)
    log = auto_scale(ax, curves)
    ax.set_xlabel("time t")
    ax.set_ylabel("distance to θ = φ = 0" + (" (log scale)" if log else ""))
    ax.grid(True, which="major", lw=0.3, alpha=0.5)
    return ax


def plot_norms(ax, traj: Trajectories, *, floor: float = 1e-16):
    """Deprecated name of :func:`plot_distance` (kept for old scripts)."""
    return plot_distance(ax, traj, floor=floor)


def _figure_title(traj: Trajectories) -> str:
    game = traj.game.label() if traj.game is not None else "custom field"
    if traj.n_runs == 1:
        _, z = traj.run(0)
        d = traj.dim
        start = f", from θ = {_short(z[0, :d])}, φ = {_short(z[0, d:])}"
    else:
        start = f", {traj.n_runs} starts"
    return (f"{game}, d = {traj.dim}{start}: gradient flow to T = {traj.t_max:g} "
            f"({traj.method}, rtol = {traj.rtol:g})")


def _short(v) -> str:
    v = [float(x) for x in np.ravel(v)]
    if len(v) > 4:
        return "(" + ", ".join(f"{x:.3g}" for x in v[:3]) + ", …)"
    return f"{v[0]:.3g}" if len(v) == 1 else "(" + ", ".join(f"{x:.3g}" for x in v) + ")"


def phase_figure(traj: Trajectories, *, title: str | None = None, style: str = "paper") -> Figure:
    """The ``diracgan phase`` figure: the plane beside the distance to the equilibrium.

    Parameters
    ----------
    traj : Trajectories
        From :func:`diracgan.simulate`.
    title : str, optional
        Figure title (default: game, d, start, horizon and solver).
    style : {"paper", "talk"}
        ``talk``: larger fonts and thicker lines, for slides.

    Returns
    -------
    matplotlib.figure.Figure
        The θ-plane (d ≥ 2) or the (θ, φ) plane with the vector field (d = 1), beside
        ‖(θ, φ)‖ against time.  Jupyter shows it inline; :func:`save_figure` writes it.

    Examples
    --------
    >>> from diracgan import make_game, simulate, phase_figure
    >>> fig = phase_figure(simulate(make_game("gp0"), [0.2, 0.1], [0.1, 0.2], t_max=40))
    """
    with matplotlib.rc_context(rc_params(style)):
        fig = new_figure(style, 9.0, 4.6)
        ax_plane, ax_norm = fig.subplots(1, 2, width_ratios=[1.0, 1.15])
        if traj.dim == 1:
            plot_state_plane(ax_plane, traj)
            ax_plane.set_title("(θ, φ) plane with the vector field")
        else:
            plot_theta_plane(ax_plane, traj)
            ax_plane.set_title("generator θ-plane" + (f" (first 2 of d = {traj.dim})" if traj.dim > 2 else ""))
        plot_distance(ax_norm, traj)
        ax_norm.set_title("distance to the equilibrium")
        figure_legend(fig, ncols=4)
        fig.suptitle(wrap_title(title or _figure_title(traj), 95 if style == "paper" else 80))
    return fig


# Distinct colour *and* line style per game, so that curves that lie on each other stay apart.
GAME_STYLES = {
    "vanilla": dict(color=PALETTE["blue"], ls="-"),
    "minimax": dict(color=PALETTE["orange"], ls=(0, (5, 2))),
    "wgan": dict(color=PALETTE["green"], ls="-", lw=0.7, alpha=0.55, zorder=1),   # fast: drawn under the rest
    "gp0": dict(color=PALETTE["vermillion"], ls="-"),
    "gp1": dict(color=PALETTE["purple"], ls=(0, (1, 1.2))),
    "qp": dict(color=PALETTE["black"], ls=(0, (6, 1.5, 1, 1.5))),
}


def plot_distances(ax, runs: dict, *, floor: float = 1e-16, styles: dict | None = None, log: bool = True,
                   end_labels: bool = False):
    """‖(θ, φ)‖ against time for several games on one panel.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    runs : dict
        Label → single-run Trajectories.
    styles : dict, optional
        Label → keyword arguments of ``ax.plot`` (colour, line style); default by game name.
    log : bool
        Log scale.
    end_labels : bool
        Write each label at the right end of its curve (direct labels instead of a legend).

    Returns
    -------
    matplotlib.axes.Axes
    """
    for n, (label, traj) in enumerate(runs.items()):
        t, z = traj.run(0)
        kw = dict((styles or {}).get(label) or GAME_STYLES.get(traj.game.name if traj.game else "", {})
                  or dict(color=CYCLE[n % len(CYCLE)]))
        kw["lw"] = line_width(kw.get("lw", 1.8))
        kw.setdefault("zorder", 3)
        dist = np.maximum(np.linalg.norm(z, axis=1), floor)
        ax.plot(t, dist, label=label, **kw)
        if end_labels:
            tail = dist[len(dist) * 3 // 4:]
            value = f"{dist[-1]:.3g}" if np.ptp(tail) < 0.1 * np.mean(tail) else f"{tail.min():.2f} to {tail.max():.2f}"
            y = dist[-1] if np.ptp(tail) < 0.1 * np.mean(tail) else np.mean(tail)
            ax.annotate(f"{label}: {value}", xy=(t[-1], y), xytext=(4, 0), textcoords="offset points",
                        va="center", fontsize=matplotlib.rcParams["legend.fontsize"], color=kw.get("color"))
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("time t")
    ax.set_ylabel("‖(θ, φ)‖" + (" (log scale)" if log else ""))
    ax.grid(True, lw=0.3, alpha=0.5)
    return ax
