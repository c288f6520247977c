"""The public plot functions and figures (re-exported from :mod:`diracgan.viz.plots`).

Each ``plot_*`` function draws on an ``Axes`` it is given and returns it; each ``*_figure``
function returns a ``matplotlib.figure.Figure`` (Jupyter displays it inline without importing
pyplot); only :func:`save_figure` writes files (atomically, with fixed metadata, so that the
same inputs give byte-identical files).  Nothing here calls ``pyplot`` or touches global state.

Two styles: ``"paper"`` (the default, the committed figures) and ``"talk"`` (larger fonts and
thicker lines for slides); every ``*_figure`` function takes ``style=``.

Where each lives (one module per figure kind, one shared style):

=====================================  =============================================
:mod:`~diracgan.viz.plots.style`       palette, styles, marks, legends, saving
:mod:`~diracgan.viz.plots.phase`       θ-plane, (θ, φ) plane with the field, distances
:mod:`~diracgan.viz.plots.eigen`       eigenvalue paths of a parameter sweep
:mod:`~diracgan.viz.plots.training`    discrete training runs and their EMA
:mod:`~diracgan.viz.plots.stability`   spectral-radius maps of the update step
:mod:`~diracgan.viz.plots.animation`   GIF of a run
=====================================  =============================================
"""

from __future__ import annotations

from .plots.animation import animate_phase
from .plots.eigen import plot_eigenvalue_paths, sweep_figure
from .plots.phase import (GAME_STYLES, phase_figure, plot_distance, plot_distances, plot_norms, plot_state_plane,
                          plot_theta_plane, plot_vector_field)
from .plots.stability import plot_stability_map, rho_norm, stability_colorbar, stability_figure
from .plots.style import (CYCLE, PALETTE, STYLES, DiracFigure, auto_scale, direction_arrows, figure_legend, line_width,
                          mark_end, mark_equilibrium, mark_start, marker_size, new_figure, rc_params, save_figure)
from .plots.training import plot_discrete_vs_flow, plot_training_distance, plot_training_plane, training_figure

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
