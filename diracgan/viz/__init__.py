"""Layer 8, viz: pictures.

:mod:`.plotting` (the public plot functions and whole figures for trajectories, training runs,
sweeps and stability maps, and GIF animation, re-exported from :mod:`.plots`, one module per
figure kind sharing the one style of :mod:`.plots.style`) and :mod:`.catalogue` (the committed
figures of ``figures/``, rendered reproducibly by ``diracgan figures``).  May import every layer below it.
"""

from .plotting import phase_figure, save_figure, stability_figure, sweep_figure, training_figure

__all__ = ["phase_figure", "save_figure", "stability_figure", "sweep_figure", "training_figure"]
