"""Catalogue entries of the gradient flow: Su's seed figures (one game each), every game from
the same start (θ-plane and distance), the d = 1 planes with the field, and the animations.

The seed runs are memoised per process (:func:`seed_run`): the seed figures, ``compare-games``
and ``distance-all-games`` share several of them, and share the ``seed`` batch so that the
parallel renderer draws them in one process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Callable

import matplotlib
from matplotlib.figure import Figure

from ...dynamics.flow import Trajectories, simulate
from ...dynamics.starts import default_start
from ...games import make_game
from .. import plotting
from ..plots.style import figure_legend, new_figure, rc_params
from .entry import Entry

__all__ = ["SEED_T", "SEED_PARAMS", "SOURCE", "GAMES6", "seed_game", "seed_run", "STILLS", "ANIMATIONS"]

SEED_T = {"vanilla": 100.0, "minimax": 100.0, "wgan": 10.0, "gp0": 40.0, "gp1": 40.0, "qp": 40.0}
"""The horizons of Su's figures (kexue.fm 2019): vanilla T = 100, wgan T = 10, gp0/gp1/qp T = 40."""
SEED_PARAMS = {"gp0": {"lam": 0.1}, "gp1": {"lam": 0.1}, "qp": {"lam": 1.0}}
SOURCE = "Su, “GAN的第三个阶段”, kexue.fm 2019"
"""The blog post whose figures the ``seed-*`` entries reproduce (its title is Chinese; figures
spell it "Su 2019" because the default font has no CJK glyphs)."""
GAMES6 = ("vanilla", "minimax", "wgan", "gp0", "gp1", "qp")


def seed_game(name):
    return make_game(name, **SEED_PARAMS.get(name, {}))


def seed_run(name, t_max=None, dim=2, samples=None) -> Trajectories:
    """The flow of ``name`` (with the seed's parameters) from the seed's start to ``t_max``
    (default the seed's horizon); computed once per process for the same arguments."""
    return _seed_run(name, float(t_max or SEED_T[name]), dim, samples)


@lru_cache(maxsize=64)
def _seed_run(name, t_max, dim, samples):
    return simulate(seed_game(name), *default_start(dim), t_max=t_max, samples=samples)


def _seed_figure(name: str) -> Callable[..., Figure]:
    # Exactly what `diracgan phase --loss NAME --t-max T [--lam λ]` draws (the caption's command).
    def draw(style="paper"):
        return plotting.phase_figure(seed_run(name), style=style)
    return draw


def _seed_command(name: str) -> str:
    lam = f" --lam {SEED_PARAMS[name]['lam']:g}" if name in SEED_PARAMS else ""
    return f"diracgan phase --loss {name} --t-max {SEED_T[name]:g}{lam} --out figures/seed-{name}.png"


def _compare_games(style="paper") -> Figure:
    t_max = 40.0
    with matplotlib.rc_context(rc_params(style)):
        fig = new_figure(style, 10.0, 7.2)
        axes = fig.subplots(2, 3, sharex=True, sharey=True).ravel()
        for ax, name in zip(axes, GAMES6):
            run = seed_run(name, t_max=t_max)
            plotting.plot_theta_plane(ax, run)
            ax.set_title(run.game.label())
            ax.label_outer()
        lim = 1.08
        for ax in axes:
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_aspect("equal", adjustable="box")
        figure_legend(fig, ncols=4)
        fig.suptitle(f"Every game from the same start θ = (0.2, 0.1), φ = (0.1, 0.2), to the same time "
                     f"T = {t_max:g}, on the same scale:\n"
                     "only gp0 reaches the equilibrium; gp1 ends on the circle ‖θ‖ = 1")
    return fig


def _distances(style="paper") -> Figure:
    with matplotlib.rc_context(rc_params(style)):
        fig = new_figure(style, 10.0, 4.6)
        ax_log, ax_lin = fig.subplots(1, 2, width_ratios=[1.0, 1.0])
        runs = {}
        for name in GAMES6:
            run = seed_run(name, t_max=100.0)
            runs[run.game.label()] = run
        plotting.plot_distances(ax_log, runs)
        ax_log.set_title("all six games (log scale)")
        orbiting = {k: v for k, v in runs.items() if v.game.name in ("vanilla", "minimax", "wgan", "qp")}
        plotting.plot_distances(ax_lin, orbiting, log=False, end_labels=True)
        ax_lin.set_ylim(0.2, 0.48)
        ax_lin.set_xlim(0, 135)
        ax_lin.set_title("the four that keep orbiting (linear scale, end values)")
        figure_legend(fig, ncols=6)
        fig.suptitle("Distance to the equilibrium from θ = (0.2, 0.1), φ = (0.1, 0.2), d = 2:\n"
                     "gp0 falls like e^(−0.1 t), gp1 settles at ‖θ‖ = 1, the rest orbit")
    return fig


def _planes_1d(style="paper") -> Figure:
    with matplotlib.rc_context(rc_params(style)):
        fig = new_figure(style, 10.0, 7.4)
        axes = fig.subplots(2, 3).ravel()
        for ax, name in zip(axes, GAMES6):
            game = seed_game(name)
            run = simulate(game, [[1.0], [-0.5]], [[1.0], [0.3]], t_max=30.0, samples=3001)
            plotting.plot_state_plane(ax, run, extent=1.6)
            ax.set_title(game.label())
            ax.label_outer()
        figure_legend(fig, ncols=4)
        fig.suptitle("d = 1: the (θ, φ) plane with the vector field, as drawn by Mescheder et al. (2018), "
                     "two starts, T = 30")
    return fig


def _animation(name: str, dim: int, t_max: float) -> Callable[..., None]:
    # Exactly what `diracgan animate --loss NAME --dim DIM --t-max T` writes.
    def animate(path: Path, style="paper") -> None:
        game = seed_game(name)
        run = simulate(game, *default_start(dim), t_max=t_max, samples=max(1601, 4 * 72))
        plotting.animate_phase(run, path, frames=72, fps=18, style=style)
    return animate


_SEED_NOTE = {"vanilla": "it circles the equilibrium and settles towards a circle",
              "wgan": "it keeps orbiting",
              "gp0": "it spirals into the equilibrium at rate λ = 0.1",
              "gp1": "it ends on the circle ‖θ‖ = c = 1",
              "qp": "it ends on a circle of radius 0.173"}

STILLS: tuple[Entry, ...] = (
    *(Entry(f"seed-{n}", f"seed-{n}.png",
            f"{n}: the θ-plane figure of {SOURCE} (start θ = (0.2, 0.1), φ = (0.1, 0.2), T = {SEED_T[n]:g}); "
            + _SEED_NOTE[n],
            _seed_command(n), draw=_seed_figure(n), params={"loss": n, "T": SEED_T[n], **SEED_PARAMS.get(n, {})},
            batch=None if n == "wgan" else "seed")     # seed-wgan's run (T = 10) is in no other figure
      for n in ("vanilla", "wgan", "gp1", "gp0", "qp")),
    Entry("compare-games", "compare-games.png",
          "All six games from the same start, to the same time, on the same scale.",
          "diracgan figures --only compare-games", draw=_compare_games, cost=4, batch="seed"),
    Entry("distance-all-games", "distance-all-games.png",
          "Distance to the equilibrium against time for every game: all six on a log scale, the four that "
          "orbit on a linear one.",
          "diracgan figures --only distance-all-games", draw=_distances, cost=6, batch="seed"),
    Entry("planes-1d", "planes-1d.png",
          "d = 1: the (θ, φ) plane with the vector field and two trajectories for each game.",
          "diracgan figures --only planes-1d", draw=_planes_1d, cost=8),
)

ANIMATIONS: tuple[Entry, ...] = (
    Entry("anim-vanilla", "anim-vanilla.gif", "Animation: vanilla orbiting the equilibrium (d = 2, T = 100).",
          "diracgan animate --loss vanilla --dim 2 --t-max 100 --out figures/anim-vanilla.gif",
          animate=_animation("vanilla", 2, 100.0), cost=6.5),
    Entry("anim-gp0", "anim-gp0.gif", "Animation: gp0 spiralling into the equilibrium (d = 2, T = 40).",
          "diracgan animate --loss gp0 --dim 2 --t-max 40 --out figures/anim-gp0.gif",
          animate=_animation("gp0", 2, 40.0), cost=6.5),
)
