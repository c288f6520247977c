"""The one style of every picture: palette, rc parameters, figure sizes, marks, legends, saving.

Every plot module of :mod:`diracgan.viz.plots` draws with these, so that all figures look
alike and the same inputs give byte-identical files.  The palette is Okabe & Ito's
colour-blind-safe set (Okabe & Ito 2008, "Color Universal Design").

Two styles: ``"paper"`` (the default, the committed figures) and ``"talk"`` (larger fonts and
thicker lines for slides).  A figure function opens ``matplotlib.rc_context(rc_params(style))``,
makes its figure with :func:`new_figure` and sizes its lines and markers with
:func:`line_width` and :func:`marker_size` (relative to the active style).

Conventions: a start is a white-filled circle (:func:`mark_start`), where a run ends a filled
square (:func:`mark_end`), arrows on a trajectory show the direction of motion
(:func:`direction_arrows`), the equilibrium θ = φ = 0 a red star (:func:`mark_equilibrium`);
legends sit outside the data (:func:`figure_legend`).  Only :func:`save_figure` writes files
(atomically, with fixed metadata).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ...io import FIGURE_FORMATS, atomic_output, check_output

__all__ = ["PALETTE", "CYCLE", "STYLES", "DiracFigure", "rc_params", "new_figure", "line_width", "marker_size",
           "overlay_style", "figure_legend", "draw_lines", "direction_arrows", "mark_start", "mark_end",
           "mark_equilibrium", "draw_runs", "auto_scale", "wrap_title", "param_label", "save_figure"]

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
SIZE_FACTOR = {"paper": 1.0, "talk": 1.45}   # figure size factor per style
SAVE_METADATA = {
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


def rc_params(style: str) -> dict:
    """The rc parameters of ``style`` (for ``matplotlib.rc_context``); ValueError naming the styles."""
    try:
        return STYLES[style]
    except KeyError:
        raise ValueError(f"style must be one of {', '.join(map(repr, STYLES))}, got {style!r}") from None


def new_figure(style: str, width: float, height: float) -> Figure:
    """A constrained-layout :class:`DiracFigure` of ``width`` × ``height`` inches (paper style;
    the talk style scales both by :data:`SIZE_FACTOR`)."""
    f = SIZE_FACTOR[style] if style in SIZE_FACTOR else 1.0
    return DiracFigure(figsize=(width * f, height * f), layout="constrained")


def line_width(x: float) -> float:
    """A line width scaled with the active style (``lines.linewidth`` 1.5 is the reference)."""
    return x * matplotlib.rcParams["lines.linewidth"] / 1.5


def marker_size(x: float) -> float:
    """A marker size scaled with the active style."""
    return x * matplotlib.rcParams["lines.markersize"] / 6.0


def overlay_style(n: int) -> tuple[float, float]:
    """Line width and alpha for ``n`` overlaid runs."""
    if n <= 1:
        return line_width(1.4), 1.0
    if n <= 10:
        return line_width(1.0), 0.85
    return line_width(0.6), max(0.08, min(0.5, 12.0 / n))


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


def draw_lines(ax, curves, *, color, lw, alpha, label=None, zorder=2, **kw):
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
                                    mutation_scale=size * marker_size(1.0)))


def mark_start(ax, x, y, color, label="start"):
    """Starts: white-filled circles edged in ``color``."""
    ax.plot(x, y, "o", ls="none", mfc="white", mec=color, mew=line_width(1.4), ms=marker_size(6.5), zorder=6,
            label=label)


def mark_end(ax, x, y, color, label="end"):
    """Where runs end: squares filled with ``color``."""
    ax.plot(x, y, "s", ls="none", color=color, mec=PALETTE["black"], mew=line_width(0.6), ms=marker_size(5.5),
            zorder=6, label=label)


def mark_equilibrium(ax, label="equilibrium θ = φ = 0"):
    """The equilibrium θ = φ = 0: a red star."""
    ax.plot([0], [0], marker="*", ms=marker_size(12), color=PALETTE["vermillion"], mec="white", mew=0.6,
            ls="none", zorder=7, label=label)


def draw_runs(ax, curves, statuses, *, color, label=None, t_end=None, stops_as=None):
    """Trajectories in a plane: each run's path; few runs get a start circle, an end square and
    direction arrows; many runs are thin and their ends drawn as dots (where they end matters,
    the overlapping paths do not)."""
    n = len(curves)
    lw, alpha = overlay_style(n)
    draw_lines(ax, curves, color=color, lw=lw, alpha=alpha, label=label, zorder=3)
    when = f" (t = {t_end:g})" if t_end is not None else ""
    finished = [c for c, s in zip(curves, statuses) if s == 0 and len(c[0])]
    if n <= 10:
        for r, (x, y) in enumerate(curves):
            direction_arrows(ax, x, y, color=color)
        mark_start(ax, [c[0][0] for c in curves], [c[1][0] for c in curves], color,
                   label="start" if n == 1 else "starts")
        if finished:
            mark_end(ax, [c[0][-1] for c in finished], [c[1][-1] for c in finished], color,
                     label=("end" if n == 1 else "ends") + when)
    else:
        ax.plot([c[0][0] for c in curves], [c[1][0] for c in curves], ".", color="0.55", ms=marker_size(2.5),
                zorder=4, label=f"{n} starts")
        if finished:
            ax.plot([c[0][-1] for c in finished], [c[1][-1] for c in finished], "o", ls="none", color=color,
                    mec=PALETTE["black"], mew=line_width(0.4), ms=marker_size(3.2), zorder=6,
                    label=f"where the {len(finished)} runs end{when}")
    if stops_as is not None:
        for r, (x, y) in enumerate(curves):
            if statuses[r] != 0 and len(x):
                stops_as.setdefault(int(statuses[r]), []).append((x[-1], y[-1]))


def auto_scale(ax, curves, *, decades: float = 1.3) -> bool:
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


def wrap_title(text: str, width: int) -> str:
    """Fit a title on the figure: break a long one after its first ": " (else wrap by words)."""
    import textwrap

    if len(text) <= width or "\n" in text:
        return text
    head, sep, tail = text.partition(": ")
    if sep and len(head) < width and len(tail) < width:
        return f"{head}:\n{tail}"
    return "\n".join(textwrap.wrap(text, width))


def param_label(game, name: str) -> str:
    """A parameter's axis label: symbol and meaning, never a CLI flag."""
    p = game.spec.param(name)
    meaning = p.doc.split("(")[0].split(":")[0].strip()
    return f"{p.symbol}, {meaning}" if meaning else p.symbol


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
    with matplotlib.rc_context(rc_params(style)), atomic_output(path) as tmp:
        fig.savefig(tmp, format=ext[1:], dpi=150, metadata=SAVE_METADATA[ext])
    return path
