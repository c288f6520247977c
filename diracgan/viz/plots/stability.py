"""Stability maps: the spectral radius ρ of one update step at the equilibrium over a grid of
two parameters (a heatmap with the ρ = 1 boundary) or along one (a curve);
:func:`stability_figure` is the ``diracgan stability`` figure.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from .style import PALETTE, line_width, new_figure, param_label, rc_params

__all__ = ["rho_norm", "plot_stability_map", "stability_colorbar", "stability_figure"]


def rho_norm(lo: float, hi: float):
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
        return labels[name] if name in labels else param_label(smap.game, name)

    # ρ = inf (the update map overflows the float range: unstable) is drawn in the colour of
    # "above the scale", not left blank as NaN (not differentiable) is.
    overflow = np.isposinf(smap.rho)
    finite = np.ma.masked_invalid(smap.rho)
    if smap.y is None:
        ax.plot(smap.x, finite, color=PALETTE["blue"], lw=line_width(1.4))
        if overflow.any():         # at the top edge of the axes: ρ is beyond any scale there
            ax.plot(smap.x[overflow], np.ones(int(overflow.sum())), transform=ax.get_xaxis_transform(),
                    ls="none", marker="^", color=PALETTE["vermillion"], clip_on=False,
                    label="ρ overflows the float range (unstable)")
        ax.axhline(1.0, color=PALETTE["vermillion"], lw=line_width(1.0), label="ρ = 1")
        ax.set_xlabel(label(smap.x_name))
        ax.set_ylabel("spectral radius ρ")
        ax.grid(True, lw=0.3, alpha=0.5)
        return ax
    if norm is None:
        lo = float(finite.min()) if finite.count() else 0.5
        hi = float(finite.max()) if finite.count() else 2.0
        norm = rho_norm(lo, hi)
    rho = np.ma.masked_invalid(np.where(overflow, 2.0 * norm.vmax, smap.rho))
    cmap = matplotlib.colormaps["RdBu_r"].with_extremes(under="#053061", over="#67001f")
    mesh = ax.pcolormesh(smap.x, smap.y, rho, cmap=cmap, norm=norm, shading="nearest", rasterized=True)
    if rho.count() and rho.min() < 1 < rho.max():
        # Marginal points (ρ = 1 up to rounding, e.g. alternating steps at λ = 0) count as not
        # expanding, so the contour is the boundary of {ρ > 1} and not rounding noise.
        edge = np.where(np.abs(rho - 1) < 1e-9, 1 - 1e-9, rho)
        ax.contour(smap.x, smap.y, edge, levels=[1.0], colors=PALETTE["black"], linewidths=line_width(1.2))
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
    with matplotlib.rc_context(rc_params(style)):
        fig = new_figure(style, 6.4, 4.8)
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
