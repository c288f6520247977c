"""Catalogue entries of the local analysis at the equilibrium: how gp0's eigenvalues move with
λ, and where one SGD step is a contraction (simultaneous against alternating).
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ...games import make_game
from .. import plotting
from ..plots.stability import rho_norm
from ..plots.style import new_figure, rc_params
from .entry import Entry

__all__ = ["ENTRIES"]


def _eig_gp0(style="paper") -> Figure:
    # Exactly what `diracgan eig --loss gp0 --sweep lam=0:3:61` draws.
    from ...analysis.sweeps import eigenvalue_sweep

    sweep = eigenvalue_sweep(make_game("gp0"), "lam", np.linspace(0, 3, 61))
    return plotting.sweep_figure(sweep, style=style)


def _stability(style="paper") -> Figure:
    from ...analysis.stability import scheme_factory, stability_map

    lrs, lams = np.linspace(0.01, 2.5, 200), np.linspace(0.0, 2.0, 160)
    maps = [stability_map(make_game("gp0"), scheme_factory("sgd", mode=mode), {"lr": lrs, "lam": lams})
            for mode in ("simultaneous", "alternating")]
    lo = min(float(np.nanmin(m.rho)) for m in maps)
    hi = max(float(np.nanmax(m.rho)) for m in maps)
    norm = rho_norm(lo, hi)
    with matplotlib.rc_context(rc_params(style)):
        fig = new_figure(style, 10.0, 4.4)
        axes = fig.subplots(1, 2, sharey=True)
        for ax, smap in zip(axes, maps):
            plotting.plot_stability_map(ax, smap, norm=norm, colorbar=False)
            ax.set_title(f"{smap.scheme.mode} SGD: stable on {100 * smap.stable_fraction():.0f}% of the grid")
        axes[1].set_ylabel("")
        plotting.stability_colorbar(fig, axes[0].collections[0], list(axes))
        fig.suptitle("gp0: spectral radius ρ of one SGD step at the equilibrium, over lr × λ "
                     "(one colour scale; black line: ρ = 1)")
    return fig


ENTRIES: tuple[Entry, ...] = (
    Entry("eig-gp0-lambda", "eig-gp0-lambda.png",
          "gp0: eigenvalues of the equilibrium's Jacobian as λ runs from 0 to 3 (complex for λ < 1, real beyond).",
          "diracgan eig --loss gp0 --sweep lam=0:3:61 --out figures/eig-gp0-lambda.png", draw=_eig_gp0),
    Entry("stability-gp0", "stability-gp0.png",
          "gp0: where one SGD step is a contraction at the equilibrium, simultaneous vs alternating.",
          "diracgan figures --only stability-gp0", draw=_stability),
)
