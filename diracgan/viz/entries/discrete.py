"""Catalogue entries of discrete training: Mescheder et al.'s comparison in d = 1, simultaneous
and alternating SGD against the flow, and weight averaging (EMA) of an orbiting iterate.
"""

from __future__ import annotations

from typing import Callable

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ...dynamics.flow import simulate
from ...dynamics.starts import default_start
from ...games import make_game
from .. import plotting
from ..plots.style import (PALETTE, auto_scale, direction_arrows, figure_legend, line_width, mark_end, mark_equilibrium,
                           mark_start, new_figure, rc_params)
from .entry import Entry
from .flows import seed_game
from .scalar_train import sgd_with_emas

__all__ = ["MESCHEDER_START", "MESCHEDER_PANELS", "MESCHEDER_LR", "MESCHEDER_STEPS", "ENTRIES"]

MESCHEDER_START = (1.0, -1.0)
"""Mescheder et al.'s start (θ, ψ) = (1, 1) in their sign of D (ψ = −φ): (θ, φ) = (1, −1) here."""
MESCHEDER_PANELS = (
    ("unregularised (non-saturating)", "vanilla", {}),
    ("WGAN, weight clipping c = 0.5", "wgan-clip", {"clip": 0.5}),
    ("WGAN-GP, λ = 0.3", "gp1", {"lam": 0.3}),
    ("consensus optimisation, γ = 1", "vanilla+consensus", {"consensus_gamma": 1.0}),
    ("instance noise, σ = 0.7", "vanilla+noise", {"noise_sigma": 0.7}),
    ("R1 penalty, γ = 1", "vanilla+r1", {"r1_gamma": 1.0}),
)
MESCHEDER_LR, MESCHEDER_STEPS = 0.1, 400


def _mescheder_1d(style="paper") -> Figure:
    """Mescheder et al. 2018, Fig. 3 in d = 1: each method's vector field with a simultaneous and an
    alternating gradient-descent trajectory from the same start."""
    from ...dynamics.training import train

    schemes = (("simultaneous", PALETTE["orange"]), ("alternating", PALETTE["blue"]))
    with matplotlib.rc_context(rc_params(style)):
        fig = new_figure(style, 10.0, 7.6)
        axes = fig.subplots(2, 3).ravel()
        for ax, (title, name, params) in zip(axes, MESCHEDER_PANELS):
            game = make_game(name, **params)
            plotting.plot_vector_field(ax, game, 2.0, density=0.9)
            for mode, color in schemes:
                run = train(game, [MESCHEDER_START[0]], [MESCHEDER_START[1]], optimizer="sgd", lr=MESCHEDER_LR,
                            mode=mode, steps=MESCHEDER_STEPS)
                ok = run.valid(0)
                x, y = run.theta[0, ok, 0], run.phi[0, ok, 0]
                ax.plot(x, y, color=color, lw=line_width(1.1), zorder=3,
                        label=f"{mode} gradient descent, lr {MESCHEDER_LR:g}")
                direction_arrows(ax, x, y, color=color, n=2)
                mark_end(ax, x[-1], y[-1], color, label="end")
            mark_start(ax, *MESCHEDER_START, PALETTE["black"], label="start (θ, φ) = (1, −1)")
            mark_equilibrium(ax)
            ax.set_title(title)
            ax.set_xlabel("θ")
            ax.set_ylabel("φ")
            ax.label_outer()
        figure_legend(fig, ncols=3)
        fig.suptitle(f"The comparison of Mescheder et al. (2018, Fig. 3) in d = 1: {MESCHEDER_STEPS} steps "
                     f"of lr {MESCHEDER_LR:g} on each method's vector field")
    return fig


def _discrete(name: str, lr: float, steps: int) -> Callable[..., Figure]:
    def draw(style="paper"):
        from ...dynamics.training import train

        game = seed_game(name)
        start = default_start(2)
        ode = simulate(game, *start, t_max=lr * steps, samples=4001)
        runs = {
            f"simultaneous SGD, lr {lr:g}": train(game, *start, optimizer="sgd", lr=lr, mode="simultaneous",
                                                  steps=steps),
            f"alternating SGD (D first), lr {lr:g}": train(game, *start, optimizer="sgd", lr=lr, mode="alternating",
                                                          steps=steps),
        }
        with matplotlib.rc_context(rc_params(style)):
            fig = new_figure(style, 9.0, 4.8)
            ax, ax_d = fig.subplots(1, 2, width_ratios=[1.0, 1.15])
            plotting.plot_discrete_vs_flow(ax, ode, runs)
            ax.set_title("generator θ-plane")
            t, z = ode.run(0)
            flow = np.linalg.norm(z, axis=1)
            ax_d.plot(t / lr, flow, color=PALETTE["black"], lw=line_width(1.6), ls="--")
            curves = [flow]
            for (label, run), color in zip(runs.items(), (PALETTE["orange"], PALETTE["sky"])):
                ax_d.plot(run.steps, run.distance()[0], color=color, lw=line_width(1.0))
                curves.append(run.distance()[0])
            log = auto_scale(ax_d, curves)
            ax_d.set_xlabel("step (the flow at t = lr · step)")
            ax_d.set_ylabel("‖(θ, φ)‖" + (" (log scale)" if log else ""))
            ax_d.set_title("distance to the equilibrium")
            ax_d.grid(True, lw=0.3, alpha=0.5)
            figure_legend(fig, ncols=3)
            fig.suptitle(f"{game.label()}: {steps} discrete steps of lr {lr:g} against the gradient flow "
                         "from θ = (0.2, 0.1), φ = (0.1, 0.2)")
        return fig
    return draw


def _ema(style="paper") -> Figure:
    game = make_game("vanilla")
    decays = (0.999, 0.9999)
    th, ph = default_start(2)
    # train(game, [th, th], [ph, ph], optimizer="sgd", lr=0.05, mode="alternating", steps=60_000,
    # record_every=4, ema=[[0.999], [0.9999]]): two copies of the start, each averaged with its own
    # decay; the same numbers in Python floats, about 9× cheaper (see scalar_train).
    run = sgd_with_emas(game, th, ph, lr=0.05, mode="alternating", steps=60_000, record_every=4, decays=decays)
    gain = run.ema_gain()
    colors = (PALETTE["blue"], PALETTE["vermillion"])
    with matplotlib.rc_context(rc_params(style)):
        fig = new_figure(style, 9.6, 5.0)
        ax, ax_d = fig.subplots(1, 2, width_ratios=[1.0, 1.15])
        last = run.steps >= run.steps[-1] - 2000
        ax.plot(run.theta[0, last, 0], run.theta[0, last, 1], color=PALETTE["sky"], lw=line_width(0.8),
                label="iterate (θ over the last 2,000 steps)")
        for i, (decay, color) in enumerate(zip(decays, colors)):
            x, y = run.ema_theta[i, :, 0], run.ema_theta[i, :, 1]
            ax.plot(x, y, color=color, lw=line_width(1.4), label=f"EMA of θ, decay {decay:g} "
                                                                   f"(ends {gain[i]:.3g}× closer than the iterate)")
            direction_arrows(ax, x, y, color=color, n=2)
        mark_start(ax, [th[0]], [th[1]], PALETTE["black"])
        mark_equilibrium(ax)
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("θ$_1$")
        ax.set_ylabel("θ$_2$")
        ax.set_title("generator θ-plane")
        ax_d.plot(run.steps, run.distance()[0], color=PALETTE["sky"], lw=line_width(0.8))
        for i, (decay, color) in enumerate(zip(decays, colors)):
            ax_d.plot(run.steps, run.distance(ema=True)[i], color=color, lw=line_width(1.4))
        ax_d.set_yscale("log")
        ax_d.set_xlabel("step")
        ax_d.set_ylabel("‖(θ, φ)‖ (log scale)")
        ax_d.grid(True, lw=0.3, alpha=0.5)
        ax_d.set_title("distance to the equilibrium")
        figure_legend(fig, ncols=2)
        fig.suptitle("Weight averaging (the EMA figure of Su 2019): vanilla GAN, alternating SGD, lr 0.05, "
                     "60,000 steps\nthe iterate keeps circling; its moving average sits near the equilibrium")
    return fig


ENTRIES: tuple[Entry, ...] = (
    Entry("mescheder-1d", "mescheder-1d.png",
          "Mescheder et al. 2018's comparison in d = 1: unregularised, WGAN with clipping, WGAN-GP, consensus, "
          "instance noise and R1, each with simultaneous and alternating gradient descent from (θ, φ) = (1, −1).",
          "diracgan figures --only mescheder-1d", draw=_mescheder_1d,
          params={"lr": MESCHEDER_LR, "steps": MESCHEDER_STEPS}, cost=8),
    Entry("discrete-vanilla", "discrete-vanilla.png",
          "vanilla: simultaneous SGD spirals out (eigenvalues 1 ± i·lr/2), alternating SGD keeps orbiting.",
          "diracgan figures --only discrete-vanilla",
          draw=_discrete("vanilla", 0.1, 1000), params={"lr": 0.1, "steps": 1000}, cost=1.5),
    Entry("discrete-gp0", "discrete-gp0.png",
          "gp0 (λ = 0.1): lr = 0.1 is below the stability bound 2λ = 0.2 of simultaneous SGD, so both schemes "
          "converge, as the flow does.",
          "diracgan figures --only discrete-gp0",
          draw=_discrete("gp0", 0.1, 600), params={"lr": 0.1, "steps": 600}, cost=1.5),
    Entry("ema", "ema.png",
          "Weight averaging: the EMA (decay 0.999 and 0.9999) of an orbiting iterate sits near the equilibrium.",
          "diracgan figures --only ema", draw=_ema, cost=2),
)
