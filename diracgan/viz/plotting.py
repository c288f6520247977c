"""Plot functions: each draws on an ``Axes`` it is given and returns it.

Nothing here calls ``pyplot``, shows a window or touches global state; figures are plain
``matplotlib.figure.Figure`` objects (Jupyter displays them inline without importing pyplot)
and only :func:`save_figure` writes files (atomically, with fixed metadata so that the same
inputs give byte-identical files).  The palette is Okabe & Ito's colour-blind-safe set.

Two styles: ``"paper"`` (the default, the committed figures) and ``"talk"`` (larger fonts and
thicker lines for slides); every ``*_figure`` function takes ``style=``.

Conventions of every picture: a start is a white-filled circle, where a run ends a filled
square, arrows on a trajectory show the direction of motion, the equilibrium θ = φ = 0 a red
star; legends sit outside the data.
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
    "STYLES",
    "plot_theta_plane",
    "plot_state_plane",
    "plot_vector_field",
    "plot_distance",
    "plot_norms",
    "plot_eigenvalue_paths",
    "plot_training_plane",
    "plot_training_distance",
    "plot_stability_map",
    "plot_distances",
    "phase_figure",
    "training_figure",
    "sweep_figure",
    "stability_figure",
    "animate_phase",
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
    "figure.titlesize": 10.5,
    "lines.linewidth": 1.5,
    "lines.markersize": 6.0,
    "axes.prop_cycle": matplotlib.cycler(color=CYCLE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "diracgan",
    "svg.fonttype": "none",     # SVG text stays text (editable, searchable)
    "pdf.fonttype": 42,
}
TALK = {
    **STYLE,
    "font.size": 14,
    "axes.titlesize": 15,
    "axes.labelsize": 14,
    "legend.fontsize": 12,
    "figure.titlesize": 16,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "lines.linewidth": 2.6,
    "lines.markersize": 9.0,
    "axes.linewidth": 1.2,
}
STYLES = {"paper": STYLE, "talk": TALK}
"""rc parameters by style name: ``paper`` (default) and ``talk`` (slides)."""
_SIZE = {"paper": 1.0, "talk": 1.45}   # figure size factor per style
_SAVE_METADATA = {
    ".png": {"Software": None},
    ".pdf": {"Creator": None, "Producer": None, "CreationDate": None},
    ".svg": {"Creator": None, "Date": None},
}


class DiracFigure(Figure):
    """A matplotlib Figure that Jupyter displays inline without importing pyplot (``_repr_png_``).

    Everything else is matplotlib's :class:`~matplotlib.figure.Figure`; save it with
    :func:`save_figure` (byte-reproducible) or ``fig.savefig``.
    """

    def _repr_png_(self) -> bytes:
        import io

        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=90, metadata={"Software": None})
        return buf.getvalue()


def _rc(style: str) -> dict:
    try:
        return STYLES[style]
    except KeyError:
        raise ValueError(f"style must be one of {', '.join(map(repr, STYLES))}, got {style!r}") from None


def _figure(style: str, width: float, height: float) -> Figure:
    f = _SIZE[style] if style in _SIZE else 1.0
    return DiracFigure(figsize=(width * f, height * f), layout="constrained")


def _w(x: float) -> float:
    """A line width scaled with the active style (``lines.linewidth`` 1.5 is the reference)."""
    return x * matplotlib.rcParams["lines.linewidth"] / 1.5


def _ms(x: float) -> float:
    """A marker size scaled with the active style."""
    return x * matplotlib.rcParams["lines.markersize"] / 6.0


def _many(n: int) -> tuple[float, float]:
    """Line width and alpha for ``n`` overlaid runs."""
    if n <= 1:
        return _w(1.4), 1.0
    if n <= 10:
        return _w(1.0), 0.85
    return _w(0.6), max(0.08, min(0.5, 12.0 / n))


def figure_legend(fig: Figure, ncols: int | None = None, **kw):
    """One legend for the whole figure, below the panels (outside every axes), built from the
    labelled artists of all panels with duplicates removed."""
    handles, labels = [], []
    for ax in fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    if not handles:
        return None
    ncols = ncols or min(len(handles), 4)
    return fig.legend(handles, labels, loc="outside lower center", ncols=ncols, frameon=False, **kw)


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


def direction_arrows(ax, x, y, *, color, n: int = 3, zorder: float = 4, size: float = 11.0):
    """Arrow heads on the curve (x, y) pointing the way it is travelled, at ``n`` places spread
    along its arc length."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 3:
        return
    s = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    if s[-1] <= 0:
        return
    for f in (np.arange(n) + 0.5) / n * 0.9:
        j = int(np.searchsorted(s, f * s[-1]))
        j = min(max(j, 1), len(x) - 1)
        k = int(np.searchsorted(s, s[j] - 0.004 * s[-1]))
        k = min(k, j - 1)
        ax.annotate("", xy=(x[j], y[j]), xytext=(x[k], y[k]), zorder=zorder,
                    arrowprops=dict(arrowstyle="-|>", color=color, lw=0, shrinkA=0, shrinkB=0,
                                    mutation_scale=size * _ms(1.0)))


def _mark_start(ax, x, y, color, label="start"):
    ax.plot(x, y, "o", ls="none", mfc="white", mec=color, mew=_w(1.4), ms=_ms(6.5), zorder=6, label=label)


def _mark_end(ax, x, y, color, label="end"):
    ax.plot(x, y, "s", ls="none", color=color, mec=PALETTE["black"], mew=_w(0.6), ms=_ms(5.5), zorder=6,
            label=label)


def _mark_equilibrium(ax, label="equilibrium θ = φ = 0"):
    ax.plot([0], [0], marker="*", ms=_ms(12), color=PALETTE["vermillion"], mec="white", mew=0.6,
            ls="none", zorder=7, label=label)


def _mark_stops(ax, traj: Trajectories, points: dict) -> None:
    """× at the last point of runs that stopped early, one legend entry per kind."""
    for code, marker in ((Status.DIVERGED, "x"), (Status.SINGULAR, "X"), (Status.FAILED, "d")):
        pts = points.get(code)
        if pts:
            pts = np.array(pts)
            ax.plot(pts[:, 0], pts[:, 1], marker=marker, ls="none", color=PALETTE["black"], ms=_ms(6),
                    zorder=8, label=f"stopped: {Status.NAMES[code]} ({len(pts)})")


def _draw_runs(ax, curves, statuses, *, color, label=None, t_end=None, stops_as=None):
    """Trajectories in a plane: each run's path; few runs get a start circle, an end square and
    direction arrows; many runs are thin and their ends drawn as dots (where they end matters,
    the overlapping paths do not)."""
    n = len(curves)
    lw, alpha = _many(n)
    _lines(ax, curves, color=color, lw=lw, alpha=alpha, label=label, zorder=3)
    when = f" (t = {t_end:g})" if t_end is not None else ""
    finished = [c for c, s in zip(curves, statuses) if s == 0 and len(c[0])]
    if n <= 10:
        for r, (x, y) in enumerate(curves):
            direction_arrows(ax, x, y, color=color)
        _mark_start(ax, [c[0][0] for c in curves], [c[1][0] for c in curves], color,
                    label="start" if n == 1 else "starts")
        if finished:
            _mark_end(ax, [c[0][-1] for c in finished], [c[1][-1] for c in finished], color,
                      label=("end" if n == 1 else "ends") + when)
    else:
        ax.plot([c[0][0] for c in curves], [c[1][0] for c in curves], ".", color="0.55", ms=_ms(2.5), zorder=4,
                label=f"{n} starts")
        if finished:
            ax.plot([c[0][-1] for c in finished], [c[1][-1] for c in finished], "o", ls="none", color=color,
                    mec=PALETTE["black"], mew=_w(0.4), ms=_ms(3.2), zorder=6,
                    label=f"where the {len(finished)} runs end{when}")
    if stops_as is not None:
        for r, (x, y) in enumerate(curves):
            if statuses[r] != 0 and len(x):
                stops_as.setdefault(int(statuses[r]), []).append((x[-1], y[-1]))


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
    _draw_runs(ax, [(z[:, i], z[:, j]) for z in runs], [int(s) for s in traj.status], color=color, label=label,
               t_end=traj.t_max, stops_as=stops)
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
    ax.streamplot(grid, grid, u, v, density=density, color="#A9D3EF", linewidth=_w(0.6),
                  arrowsize=0.7 * _ms(1.0), zorder=1)
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
    _draw_runs(ax, [(z[:, 0], z[:, 1]) for z in runs], [int(s) for s in traj.status], color=color, label=label,
               t_end=traj.t_max, stops_as=stops)
    _mark_equilibrium(ax)
    _mark_stops(ax, traj, stops)
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_xlabel("θ (generator)")
    ax.set_ylabel("φ (discriminator)")
    ax.set_aspect("equal")
    return ax


def _auto_scale(ax, curves, *, decades: float = 1.3) -> bool:
    """Log y-axis when the positive values span more than ``decades`` decades, else linear.
    Returns True for log."""
    vals = np.concatenate([np.asarray(c, float).ravel() for c in curves]) if curves else np.array([])
    vals = vals[np.isfinite(vals) & (vals > 0)]
    log = bool(len(vals)) and np.log10(vals.max() / vals.min()) > decades
    ax.set_yscale("log" if log else "linear")
    if not log and len(vals):
        lo, hi = vals.min(), vals.max()
        pad = 0.08 * (hi - lo) if hi > lo else 0.1 * hi
        ax.set_ylim(max(0.0, lo - pad) if lo - pad > 0 else 0.0, hi + pad)
    return log


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
    lw, alpha = _many(traj.n_runs)
    runs = [traj.run(r) for r in range(traj.n_runs)]
    dist = [np.linalg.norm(z, axis=1) for _, z in runs]
    curves = list(dist)
    _lines(ax, [(t, np.maximum(r, floor)) for (t, _), r in zip(runs, dist)], color=PALETTE["black"], lw=lw * 1.2,
           alpha=alpha, label="‖(θ, φ)‖" if traj.n_runs == 1 else None, zorder=3)
    if traj.n_runs > 1:
        with np.errstate(all="ignore"):
            z = np.concatenate([traj.theta, traj.phi], axis=-1)
            med = np.nanmedian(np.linalg.norm(z, axis=-1), axis=0) if np.isfinite(z).any() else None
        if med is not None:
            ax.plot(traj.t, np.maximum(med, floor), color=PALETTE["vermillion"], lw=_w(2.0), zorder=4,
                    label=f"median ‖(θ, φ)‖ over {traj.n_runs} runs")
    if components:
        for name, sl, color, ls in (("θ", slice(0, d), PALETTE["blue"], "--"), ("φ", slice(d, 2 * d),
                                                                                 PALETTE["orange"], ":")):
            for r, (t, z) in enumerate(runs):
                comp = np.linalg.norm(z[:, sl], axis=1)
                curves.append(comp)
                ax.plot(t, np.maximum(comp, floor), color=color, lw=_w(1.1), ls=ls, zorder=2,
                        label=f"‖{name}‖" if r == 0 else None)
    log = _auto_scale(ax, curves)
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
    with matplotlib.rc_context(_rc(style)):
        fig = _figure(style, 9.0, 4.6)
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
        fig.suptitle(_wrap(title or _figure_title(traj), 95 if style == "paper" else 80))
    return fig


def _wrap(text: str, width: int) -> str:
    """Fit a title on the figure: break a long one after its first ": " (else wrap by words)."""
    import textwrap

    if len(text) <= width or "\n" in text:
        return text
    head, sep, tail = text.partition(": ")
    if sep and len(head) < width and len(tail) < width:
        return f"{head}:\n{tail}"
    return "\n".join(textwrap.wrap(text, width))


def save_figure(fig: Figure, path: str | Path, *, style: str = "paper") -> Path:
    """Save a figure atomically, by extension, with fixed metadata (byte-reproducible).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        ``.png``, ``.pdf`` or ``.svg``.
    style : {"paper", "talk"}
        The style the figure was drawn in (fonts of the file's text).

    Returns
    -------
    Path
        The written file.
    """
    path = check_output(path, FIGURE_FORMATS)
    ext = path.suffix.lower()
    with matplotlib.rc_context(_rc(style)), atomic_output(path) as tmp:
        fig.savefig(tmp, format=ext[1:], dpi=150, metadata=_SAVE_METADATA[ext])
    return path


def _param_label(game, name: str) -> str:
    """A parameter's axis label: symbol and meaning, never a CLI flag."""
    p = game.spec.param(name)
    meaning = p.doc.split("(")[0].split(":")[0].strip()
    return f"{p.symbol}, {meaning}" if meaning else p.symbol


def plot_eigenvalue_paths(ax, sweep, *, cmap: str = "viridis"):
    """Eigenvalues of the equilibrium's Jacobian in the complex plane as a parameter varies.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    sweep : EigenvalueSweep
        From :func:`diracgan.eigenvalue_sweep`.
    cmap : str
        Colour map of the parameter value.

    Returns
    -------
    matplotlib.axes.Axes
        One path per eigenvalue branch of M (each eigenvalue is ×d in J), coloured by the
        parameter; the stability boundary Re μ = 0 drawn and the unstable half-plane shaded.
        Points where the field is not differentiable are left out.
    """
    import matplotlib.colors as mcolors

    vals = sweep.values[sweep.valid]
    eig = sweep.eigenvalues[sweep.valid]
    norm = mcolors.Normalize(vmin=float(sweep.values.min()), vmax=float(sweep.values.max()))
    cm = matplotlib.colormaps[cmap]
    for b in range(eig.shape[1]):
        ax.plot(eig[:, b].real, eig[:, b].imag, color=PALETTE["black"], lw=_w(0.6), alpha=0.5, zorder=2)
        sc = ax.scatter(eig[:, b].real, eig[:, b].imag, c=vals, cmap=cm, norm=norm, s=14 * _ms(1.0) ** 2, zorder=3,
                        edgecolors="none")
    sym = sweep.game.spec.param(sweep.name).symbol
    if len(vals):
        ax.plot(eig[0].real, eig[0].imag, "o", mfc="none", mec=PALETTE["black"], ms=_ms(8), zorder=4,
                label=f"{sym} = {vals[0]:g}")
        ax.plot(eig[-1].real, eig[-1].imag, "s", mfc="none", mec=PALETTE["black"], ms=_ms(8), zorder=4,
                label=f"{sym} = {vals[-1]:g}")
    ax.axvline(0.0, color=PALETTE["vermillion"], lw=_w(1.2), zorder=1, label="stability boundary Re μ = 0")
    lo, hi = ax.get_xlim()
    ax.axvspan(0.0, max(hi, 0.05 * (hi - lo)), color=PALETTE["vermillion"], alpha=0.07, zorder=0, lw=0)
    ax.set_xlim(lo, max(hi, 0.05 * (hi - lo)))
    ax.axhline(0.0, color="0.6", lw=0.5, zorder=1)
    ax.set_xlabel("Re μ")
    ax.set_ylabel("Im μ")
    ax.grid(True, lw=0.3, alpha=0.5)
    if len(vals):
        cb = ax.figure.colorbar(sc, ax=ax)
        cb.set_label(_param_label(sweep.game, sweep.name))
    return ax


def sweep_figure(sweep, *, style: str = "paper") -> Figure:
    """The ``diracgan eig --sweep`` figure: eigenvalue paths with the stability boundary.

    Parameters
    ----------
    sweep : EigenvalueSweep
    style : {"paper", "talk"}

    Returns
    -------
    matplotlib.figure.Figure
    """
    with matplotlib.rc_context(_rc(style)):
        fig = _figure(style, 6.4, 5.2)
        ax = fig.subplots()
        plot_eigenvalue_paths(ax, sweep)
        figure_legend(fig, ncols=3)
        others = {k: v for k, v in sweep.game.params.items() if k != sweep.name}
        fixed = ", ".join(f"{sweep.game.spec.param(k).symbol} = {v:g}" for k, v in others.items())
        sym = sweep.game.spec.param(sweep.name).symbol
        ax.set_title(f"{sweep.game.name}: eigenvalues of J(0) as {sym} runs from {sweep.values[0]:g} to "
                     f"{sweep.values[-1]:g}" + (f" ({fixed})" if fixed else "") + "\n(each eigenvalue has multiplicity d)")
    return fig


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
    lw, alpha = _many(run.n_runs)
    if ode is not None:
        for r in range(ode.n_runs):
            _, z = ode.run(r)
            x, y = get(z[:, :d], z[:, d:])
            ax.plot(x, y, color="0.35", lw=_w(1.0), ls="--", zorder=2,
                    label=f"gradient flow to t = lr·steps = {ode.t_max:g}" if r == 0 else None)
    curves, statuses = [], []
    for r in range(run.n_runs):
        ok = run.valid(r)
        curves.append(get(run.theta[r, ok], run.phi[r, ok]))
        statuses.append(int(run.status[r]))
    _draw_runs(ax, curves, statuses, color=PALETTE["sky"], label="iterates", t_end=None)
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
        ax.plot(pts[:, 0], pts[:, 1], "x", color=PALETTE["black"], ms=_ms(6), zorder=8,
                label=f"stopped: diverged ({len(pts)})")
    _mark_equilibrium(ax)
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
    lw, alpha = _many(run.n_runs)
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
    log = _auto_scale(ax, curves)
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
    with matplotlib.rc_context(_rc(style)):
        fig = _figure(style, 9.0, 4.6)
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
        fig.suptitle(_wrap(title, 95 if style == "paper" else 80))
    return fig


def _nice_rho_norm(lo: float, hi: float):
    """A log colour scale for ρ centred on 1 (white) and symmetric in decades, with round ticks."""
    import matplotlib.colors as mcolors

    lo = max(lo, 1e-3)
    span = max(abs(np.log10(lo)), abs(np.log10(max(hi, 1.0001))), 0.1)
    steps = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0)
    span = next((s for s in steps if s >= span), span)
    return mcolors.LogNorm(vmin=10 ** -span, vmax=10 ** span)


def _rho_ticks(norm) -> list[float]:
    cands = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0]
    if norm.vmax <= 4:
        cands = [0.25, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 4.0]
    ticks = [x for x in cands if norm.vmin <= x <= norm.vmax]
    return ticks


def plot_stability_map(ax, smap, *, norm=None, colorbar: bool = True):
    """Heatmap of the spectral radius ρ of the update map, with the ρ = 1 contour (1-D: a curve).

    Points where ρ overflows the float range (ρ = inf: unstable) take the colour above the scale
    (1-D: triangles at the top edge); points where the field is not differentiable (NaN) stay
    blank.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
    smap : StabilityMap
        From :func:`diracgan.stability_map`.
    norm : matplotlib.colors.Normalize, optional
        Colour scale (pass one to several panels to compare them); default a log scale centred
        on ρ = 1 with round ticks.
    colorbar : bool
        Draw a colour bar beside ``ax``.

    Returns
    -------
    matplotlib.axes.Axes
        The mesh is ``ax.collections[0]`` (for a shared colour bar).
    """
    labels = {"lr": "learning rate lr", "lr_d": "lr_d (discriminator)", "lr_g": "lr_g (generator)",
              "momentum": "momentum μ", "dampening": "dampening"}

    def label(name):
        return labels[name] if name in labels else _param_label(smap.game, name)

    # ρ = inf (the update map overflows the float range: unstable) is drawn in the colour of
    # "above the scale", not left blank as NaN (not differentiable) is.
    overflow = np.isposinf(smap.rho)
    finite = np.ma.masked_invalid(smap.rho)
    if smap.y is None:
        ax.plot(smap.x, finite, color=PALETTE["blue"], lw=_w(1.4))
        if overflow.any():         # at the top edge of the axes: ρ is beyond any scale there
            ax.plot(smap.x[overflow], np.ones(int(overflow.sum())), transform=ax.get_xaxis_transform(),
                    ls="none", marker="^", color=PALETTE["vermillion"], clip_on=False,
                    label="ρ overflows the float range (unstable)")
        ax.axhline(1.0, color=PALETTE["vermillion"], lw=_w(1.0), label="ρ = 1")
        ax.set_xlabel(label(smap.x_name))
        ax.set_ylabel("spectral radius ρ")
        ax.grid(True, lw=0.3, alpha=0.5)
        return ax
    if norm is None:
        lo = float(finite.min()) if finite.count() else 0.5
        hi = float(finite.max()) if finite.count() else 2.0
        norm = _nice_rho_norm(lo, hi)
    rho = np.ma.masked_invalid(np.where(overflow, 2.0 * norm.vmax, smap.rho))
    cmap = matplotlib.colormaps["RdBu_r"].with_extremes(under="#053061", over="#67001f")
    mesh = ax.pcolormesh(smap.x, smap.y, rho, cmap=cmap, norm=norm, shading="nearest", rasterized=True)
    if rho.count() and rho.min() < 1 < rho.max():
        # Marginal points (ρ = 1 up to rounding, e.g. alternating steps at λ = 0) count as not
        # expanding, so the contour is the boundary of {ρ > 1} and not rounding noise.
        edge = np.where(np.abs(rho - 1) < 1e-9, 1 - 1e-9, rho)
        ax.contour(smap.x, smap.y, edge, levels=[1.0], colors=PALETTE["black"], linewidths=_w(1.2))
    if colorbar:
        stability_colorbar(ax.figure, mesh, ax)
    ax.set_xlabel(label(smap.x_name))
    ax.set_ylabel(label(smap.y_name))
    return ax


def stability_colorbar(fig, mesh, ax):
    """The colour bar of :func:`plot_stability_map` (``ax``: one axes or a list to share it)."""
    from matplotlib.ticker import FixedLocator, NullLocator

    with np.errstate(over="ignore"):     # a scale up to ρ ~ 1e300 extends past the float range
        cb = fig.colorbar(mesh, ax=ax, extend="both")
    ticks = _rho_ticks(mesh.norm)
    cb.ax.yaxis.set_major_locator(FixedLocator(ticks))
    cb.ax.yaxis.set_minor_locator(NullLocator())
    cb.set_ticklabels([f"{x:g}" for x in ticks])
    cb.set_label("spectral radius ρ (< 1: converges locally)")
    return cb


def stability_figure(smap, *, style: str = "paper") -> Figure:
    """The ``diracgan stability`` figure: ρ over a grid (or a curve), with the ρ = 1 boundary.

    Parameters
    ----------
    smap : StabilityMap
    style : {"paper", "talk"}

    Returns
    -------
    matplotlib.figure.Figure
    """
    with matplotlib.rc_context(_rc(style)):
        fig = _figure(style, 6.4, 4.8)
        ax = fig.subplots()
        plot_stability_map(ax, smap)
        if smap.y is None:
            ax.legend(loc="upper left", frameon=False)
        fixed = {k: v for k, v in smap.game.params.items() if k not in (smap.x_name, smap.y_name)}  # swept ones vary
        fixed_text = ", ".join(f"{smap.game.spec.param(k).symbol} = {v:g}" for k, v in fixed.items())
        ax.set_title(f"{smap.game.name}{' (' + fixed_text + ')' if fixed_text else ''}: {smap.scheme.opt_g.name}, "
                     f"{smap.scheme.mode}\nlocal stability of the update map at θ = φ = 0 "
                     f"(stable: {100 * smap.stable_fraction():.0f}% of the grid)")
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
        kw["lw"] = _w(kw.get("lw", 1.8))
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


def plot_discrete_vs_flow(ax, ode: Trajectories, runs: dict):
    """θ-plane: the gradient flow against discrete training runs (label → TrainingRun)."""
    _, z = ode.run(0)
    ax.plot(z[:, 0], z[:, 1], color=PALETTE["black"], lw=_w(0.8), ls="--",
            label=f"gradient flow (t ≤ {ode.t_max:g})", zorder=4)
    for n, ((label, run), color) in enumerate(zip(runs.items(), (PALETTE["orange"], PALETTE["sky"], PALETTE["green"],
                                                                 PALETTE["purple"]))):
        ok = run.valid(0)
        x, y = run.theta[0, ok, 0], run.theta[0, ok, 1]
        ax.plot(x, y, color=color, lw=_w(0.9), label=label, zorder=2 + 0.1 * n)
        direction_arrows(ax, x, y, color=color, n=2)
        if run.status[0] != 0:
            ax.plot(x[-1], y[-1], "x", color=PALETTE["black"], zorder=8)
        else:
            _mark_end(ax, [x[-1]], [y[-1]], color, label=None)
    _mark_start(ax, [z[0, 0]], [z[0, 1]], PALETTE["black"])
    ax.plot([], [], "s", color="0.5", mec=PALETTE["black"], mew=_w(0.6), ms=_ms(5.5), label="end (in the run's colour)")
    _mark_equilibrium(ax)
    ax.set_xlabel("θ$_1$")
    ax.set_ylabel("θ$_2$")
    ax.set_aspect("equal", adjustable="datalim")
    return ax


def animate_phase(traj: Trajectories, path, *, frames: int = 80, fps: int = 20, trail: bool = True,
                  title: str | None = None, style: str = "paper", dpi: int = 110,
                  progress: bool | None = False) -> Path:
    """Write a GIF of run 0 moving in its plane, with the distance panel filling in.

    Parameters
    ----------
    traj : Trajectories
        The run to animate (run 0): the θ-plane, or the (θ, φ) plane with its field for d = 1.
    path : str or Path
        A ``.gif`` file (written atomically, through matplotlib's PillowWriter).
    frames, fps : int
        Number of frames and frames per second.
    trail : bool
        Draw the path travelled so far.
    title : str, optional
    style : {"paper", "talk"}
    dpi : int
        Resolution (the default 110 gives about 1000 × 480 pixels, large enough for a projector).
    progress : bool or None
        A tqdm.auto bar over the frames: False none, True always, None on a terminal.

    Returns
    -------
    Path
    """
    path = check_output(path, (".gif",))
    if int(frames) != frames or frames < 2:
        raise ValueError(f"frames must be a whole number ≥ 2, got {frames!r}")
    t, z = traj.run(0)
    d = traj.dim
    idx = np.unique(np.linspace(0, len(t) - 1, int(frames)).round().astype(int))
    if len(idx) < frames:   # fewer samples than frames: interpolate the times
        idx = np.linspace(0, len(t) - 1, int(frames)).round().astype(int)
    with matplotlib.rc_context(_rc(style)):
        fig = Figure(figsize=(9.0, 4.3), dpi=dpi, layout="constrained")
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
        _mark_start(ax, [xs[0]], [ys[0]], PALETTE["blue"])
        (line,) = ax.plot([], [], color=PALETTE["blue"], lw=_w(1.4))
        (dot,) = ax.plot([], [], "o", color=PALETTE["orange"], mec=PALETTE["black"], mew=0.6, ms=_ms(8), zorder=8,
                         label="now")
        dist = np.maximum(np.linalg.norm(z, axis=1), 1e-16)
        ax_n.set_xlim(t[0], t[-1])
        log = _auto_scale(ax_n, [dist])
        if log:
            ax_n.set_ylim(dist.min() / 1.5, dist.max() * 1.5)
        (ln_d,) = ax_n.plot([], [], color=PALETTE["black"], lw=_w(1.4), label="‖(θ, φ)‖")
        ax_n.set_xlabel("time t")
        ax_n.set_ylabel("distance to θ = φ = 0" + (" (log scale)" if log else ""))
        ax_n.grid(True, lw=0.3, alpha=0.5)
        clock = ax_n.text(0.98, 0.96, "", transform=ax_n.transAxes, ha="right", va="top",
                          fontsize=matplotlib.rcParams["axes.titlesize"] * 1.15, family="monospace",
                          bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="0.7"))
        label = traj.game.label() if traj.game is not None else "field"
        fig.suptitle(title or f"{label}, d = {d}, gradient flow to T = {t[-1]:g}")
        width = len(f"{t[-1]:.1f}")

        def draw(k):
            i = idx[k]
            if trail:
                line.set_data(xs[: i + 1], ys[: i + 1])
            dot.set_data([xs[i]], [ys[i]])
            ln_d.set_data(t[: i + 1], dist[: i + 1])
            clock.set_text(f"t = {t[i]:{width}.1f}")
            return line, dot, ln_d, clock

        # Lay the figure out once (with every artist in its final state), then draw the static
        # part once and blit only the moving artists onto it for each frame: redrawing the axes'
        # ticks and labels per frame was most of the cost.  Frames go to Pillow as
        # PillowWriter would give them (RGB, one duration, looping).
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from PIL import Image

        moving = (line, dot, ln_d, clock)
        draw(len(idx) - 1)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        fig.set_layout_engine("none")
        for artist in moving:
            artist.set_animated(True)
        canvas.draw()
        background = canvas.copy_from_bbox(fig.bbox)
        images = []
        from tqdm.auto import tqdm

        for k in tqdm(range(len(idx)), desc="frames", unit="frame", leave=False,
                      disable=None if progress is None else not progress):
            draw(k)
            canvas.restore_region(background)
            for artist in moving:
                fig.draw_artist(artist)
            images.append(Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba(), "raw", "RGBA",
                                           0, 1).convert("RGB"))
        with atomic_output(path) as tmp:
            images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], duration=int(1000 / fps),
                           loop=0)
    return path
