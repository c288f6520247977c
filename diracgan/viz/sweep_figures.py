"""Figures of a stored sweep (``diracgan sweep --plot FILE``).

Two grid axes: two heatmaps over the grid, the verdict as colour (one colour per verdict,
errors grey) and the command's main metric (e.g. train's final/initial distance ratio, eig's
max Re μ) on a colour scale.  One axis: the metric against the axis, each configuration's
marker coloured by its verdict.  Over several seeds a configuration shows its most common
verdict and the median of the metric (:func:`diracgan.sweep.summary.aggregate`).  Axes
recorded as logarithmic (``--log``) are drawn on a log scale; choices (``loss``, ``optimizer``)
as categories.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..errors import InputError
from ..sweep.runners import RUNNERS
from ..sweep.summary import aggregate
from .plots.style import CYCLE, PALETTE, line_width, new_figure, rc_params

__all__ = ["plot_sweep_verdicts", "plot_sweep_metric", "plot_sweep_line", "sweep_table_figure"]

VERDICT_COLOURS = {
    "converges": PALETTE["green"], "asymptotically stable": PALETTE["green"], "finished": PALETTE["green"],
    "oscillates": PALETTE["orange"], "centre": PALETTE["orange"], "marginal": PALETTE["yellow"],
    "does not converge": PALETTE["orange"], "stalls": PALETTE["yellow"],
    "diverges": PALETTE["vermillion"], "unstable": PALETTE["vermillion"], "diverged": PALETTE["vermillion"],
    "singular": PALETTE["purple"], "not differentiable": PALETTE["purple"], "failed": PALETTE["purple"],
    "undetermined": PALETTE["sky"], "error": "#9a9a9a",
}


def _positions(values: list):
    """(sorted distinct values, numeric positions, tick labels or None for numbers)."""
    distinct = sorted(set(values), key=lambda v: (isinstance(v, str), v))
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in distinct):
        return distinct, np.asarray(distinct, dtype=float), None
    return distinct, np.arange(len(distinct), dtype=float), [str(v) for v in distinct]


def _verdict_colours(verdicts) -> dict:
    spare = iter(c for c in CYCLE if c not in VERDICT_COLOURS.values())
    return {v: VERDICT_COLOURS.get(v) or next(spare, PALETTE["black"]) for v in sorted(set(verdicts))}


def _axis(ax, which: str, name: str, labels, log: bool):
    setter = ax.set_xticks if which == "x" else ax.set_yticks
    if labels is not None:
        setter(range(len(labels)), labels)
    elif log:
        (ax.set_xscale if which == "x" else ax.set_yscale)("log")
    (ax.set_xlabel if which == "x" else ax.set_ylabel)(name)


def _grid(agg: dict, xs: list, ys: list, pick):
    z = np.full((len(ys), len(xs)), np.nan)
    ix, iy = {v: i for i, v in enumerate(xs)}, {v: i for i, v in enumerate(ys)}
    for (x, y), value in agg.items():
        z[iy[y], ix[x]] = pick(value)
    return z


def plot_sweep_verdicts(ax, agg: dict, names: tuple, log: tuple = ()):
    """Heatmap of the verdict per configuration (``agg`` from :func:`aggregate` over two axes)."""
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    xs, px, lx = _positions([p[0] for p in agg])
    ys, py, ly = _positions([p[1] for p in agg])
    colours = _verdict_colours(v for v, _ in agg.values())
    order = list(colours)
    z = _grid(agg, xs, ys, lambda v: order.index(v[0]))
    cmap = ListedColormap([colours[v] for v in order])
    norm = BoundaryNorm(np.arange(len(order) + 1) - 0.5, len(order))
    ax.pcolormesh(px, py, np.ma.masked_invalid(z), cmap=cmap, norm=norm, shading="nearest", rasterized=True)
    _axis(ax, "x", names[0], lx, names[0] in log)
    _axis(ax, "y", names[1], ly, names[1] in log)
    ax.legend(handles=[Patch(color=colours[v], label=v) for v in order], loc="upper left",
              bbox_to_anchor=(0.0, -0.16), ncols=min(3, len(order)), frameon=False)
    ax.set_title("verdict")
    return ax


def plot_sweep_metric(ax, agg: dict, names: tuple, metric: str, log: tuple = ()):
    """Heatmap of the metric (median over seeds) per configuration, with a colour bar; a log
    colour scale when the values are positive and span more than two decades."""
    from matplotlib.colors import LogNorm, Normalize

    xs, px, lx = _positions([p[0] for p in agg])
    ys, py, ly = _positions([p[1] for p in agg])
    z = np.ma.masked_invalid(_grid(agg, xs, ys, lambda v: v[1]))
    norm = Normalize()
    if z.count() and z.min() > 0 and z.max() / z.min() > 100:
        norm = LogNorm(vmin=float(z.min()), vmax=float(z.max()))
    mesh = ax.pcolormesh(px, py, z, cmap="viridis", norm=norm, shading="nearest", rasterized=True)
    ax.figure.colorbar(mesh, ax=ax, label=metric)
    _axis(ax, "x", names[0], lx, names[0] in log)
    _axis(ax, "y", names[1], ly, names[1] in log)
    ax.set_title(f"{metric} (median over seeds)" if metric else "")
    return ax


def plot_sweep_line(ax, agg: dict, name: str, metric: str, log: tuple = ()):
    """The metric against one axis; markers coloured by verdict."""
    xs, px, lx = _positions([p[0] for p in agg])
    values = np.array([agg[(x,)][1] for x in xs])
    verdicts = [agg[(x,)][0] for x in xs]
    ax.plot(px, values, color=PALETTE["black"], lw=line_width(0.8), zorder=1)
    colours = _verdict_colours(verdicts)
    for v, c in colours.items():
        mask = np.array([u == v for u in verdicts])
        ax.plot(px[mask], values[mask], ls="none", marker="o", color=c, label=v, zorder=2)
    _axis(ax, "x", name, lx, name in log)
    finite = values[np.isfinite(values)]
    if len(finite) and finite.min() > 0 and finite.max() / finite.min() > 100:
        ax.set_yscale("log")
    ax.set_ylabel(f"{metric} (median over seeds)")
    ax.grid(True, lw=0.3, alpha=0.5)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, title="verdict")
    return ax


def sweep_table_figure(table, manifest: dict, *, metric: str | None = None, style: str = "paper") -> Figure:
    """The figure of a stored sweep (``table``: pyarrow Table or dict of columns; ``manifest``
    its record): two heatmaps for two axes, a line plot for one (see module doc)."""
    cols = table if isinstance(table, dict) else table.to_pydict()
    axes = list(manifest.get("axes", []))
    if len(axes) not in (1, 2):
        raise InputError(f"--plot draws one or two grid axes; this sweep has {len(axes)}"
                         + (f" ({', '.join(axes)})" if axes else "") + ": load the table to plot it your way")
    runner = RUNNERS.get(manifest.get("command"))
    metric = metric or (runner.main_metric if runner is not None else "")
    if metric not in cols:
        raise InputError(f"the sweep has no column {metric!r}")
    if not len(cols["key"]):
        raise InputError("the sweep has no rows to plot yet")
    agg = aggregate(cols, axes, metric)
    log = tuple(manifest.get("log", ()))
    fixed = manifest.get("fixed", {})
    shown = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(fixed.items())
                      if k in ("loss", "optimizer", "lr", "lam", "steps", "dim") and not isinstance(v, (list, tuple)))
    title = f"sweep of {manifest.get('command')}" + (f": {shown}" if shown else "")
    with matplotlib.rc_context(rc_params(style)):
        if len(axes) == 2:
            fig = new_figure(style, 10.0, 4.6)
            a1, a2 = fig.subplots(1, 2)
            plot_sweep_verdicts(a1, agg, tuple(axes), log)
            plot_sweep_metric(a2, agg, tuple(axes), metric, log)
        else:
            fig = new_figure(style, 6.4, 4.2)
            plot_sweep_line(fig.subplots(), agg, axes[0], metric, log)
        n = len(cols["key"])
        fig.suptitle(f"{title}\n{n} rows, {len(agg)} configurations")
    return fig
