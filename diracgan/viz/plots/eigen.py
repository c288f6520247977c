"""Eigenvalue paths: the equilibrium Jacobian's eigenvalues in the complex plane as a game
parameter varies, with the stability boundary Re μ = 0; :func:`sweep_figure` is the
``diracgan eig --sweep`` figure.
"""

from __future__ import annotations

import matplotlib
from matplotlib.figure import Figure

from .style import PALETTE, figure_legend, line_width, marker_size, new_figure, param_label, rc_params

__all__ = ["plot_eigenvalue_paths", "sweep_figure"]


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
        ax.plot(eig[:, b].real, eig[:, b].imag, color=PALETTE["black"], lw=line_width(0.6), alpha=0.5, zorder=2)
        sc = ax.scatter(eig[:, b].real, eig[:, b].imag, c=vals, cmap=cm, norm=norm, s=14 * marker_size(1.0) ** 2,
                        zorder=3, edgecolors="none")
    sym = sweep.game.spec.param(sweep.name).symbol
    if len(vals):
        ax.plot(eig[0].real, eig[0].imag, "o", mfc="none", mec=PALETTE["black"], ms=marker_size(8), zorder=4,
                label=f"{sym} = {vals[0]:g}")
        ax.plot(eig[-1].real, eig[-1].imag, "s", mfc="none", mec=PALETTE["black"], ms=marker_size(8), zorder=4,
                label=f"{sym} = {vals[-1]:g}")
    ax.axvline(0.0, color=PALETTE["vermillion"], lw=line_width(1.2), zorder=1, label="stability boundary Re μ = 0")
    lo, hi = ax.get_xlim()
    ax.axvspan(0.0, max(hi, 0.05 * (hi - lo)), color=PALETTE["vermillion"], alpha=0.07, zorder=0, lw=0)
    ax.set_xlim(lo, max(hi, 0.05 * (hi - lo)))
    ax.axhline(0.0, color="0.6", lw=0.5, zorder=1)
    ax.set_xlabel("Re μ")
    ax.set_ylabel("Im μ")
    ax.grid(True, lw=0.3, alpha=0.5)
    if len(vals):
        cb = ax.figure.colorbar(sc, ax=ax)
        cb.set_label(param_label(sweep.game, sweep.name))
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
    with matplotlib.rc_context(rc_params(style)):
        fig = new_figure(style, 6.4, 5.2)
        ax = fig.subplots()
        plot_eigenvalue_paths(ax, sweep)
        figure_legend(fig, ncols=3)
        others = {k: v for k, v in sweep.game.params.items() if k != sweep.name}
        fixed = ", ".join(f"{sweep.game.spec.param(k).symbol} = {v:g}" for k, v in others.items())
        sym = sweep.game.spec.param(sweep.name).symbol
        ax.set_title(f"{sweep.game.name}: eigenvalues of J(0) as {sym} runs from {sweep.values[0]:g} to "
                     f"{sweep.values[-1]:g}" + (f" ({fixed})" if fixed else "")
                     + "\n(each eigenvalue has multiplicity d)")
    return fig
