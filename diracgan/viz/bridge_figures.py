"""Figures of ``diracgan bridge``: samples over the data at several steps, metrics over time, and
the Dirac ODE path over the bridge's linear-shape run.

Plot functions take an Axes or return a Figure and never save (save with
:func:`diracgan.viz.plotting.save_figure`).  :func:`ring8_over_time` and :func:`dirac_overlay`
also compute their runs, for the catalogue: the bridge on the CPU with one thread and torch's
deterministic algorithms, fixed seeds, so the files are byte-reproducible.
"""

from __future__ import annotations

import contextlib

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from .plots.style import CYCLE, figure_legend, line_width, marker_size, new_figure, rc_params, wrap_title

__all__ = ["plot_samples", "plot_metric", "bridge_figure", "samples_over_time_figure", "dirac_overlay_figure",
           "ring8_over_time", "dirac_overlay", "RING8_GAMES", "RING8_SETTINGS", "OVERLAY_SETTINGS"]

DATA_COLOUR = "0.7"


def _columns(steps: np.ndarray, n: int) -> list[int]:
    """Indices of ``n`` records spread over the run (first and last included)."""
    return sorted(set(np.linspace(0, len(steps) - 1, min(n, len(steps))).round().astype(int).tolist()))


def plot_samples(ax, samples: np.ndarray, reference: np.ndarray, *, color=None, label="G's samples", extent=None):
    """G's samples (n, 2) over the data batch ``reference`` (m, 2), equal axes."""
    ax.scatter(reference[:, 0], reference[:, 1], s=marker_size(1.5), color=DATA_COLOUR, label="data", linewidths=0,
               rasterized=False)
    ok = np.all(np.isfinite(samples), axis=1)
    ax.scatter(samples[ok, 0], samples[ok, 1], s=marker_size(1.5), color=color or CYCLE[0], label=label, linewidths=0,
               alpha=0.7)
    if extent is not None:
        ax.set_xlim(-extent, extent)
        ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.tick_params(labelsize="small")


def _extent(run) -> float:
    ref = np.abs(run.reference).max()
    return float(max(1.5, 1.25 * ref + 0.5))


def plot_metric(ax, run, key: str, *, color=None):
    """One metric over the steps: every seed thin, the median thick."""
    values = run.metrics[key]
    c = color or CYCLE[0]
    for i in range(run.n_seeds):
        ax.plot(run.steps, values[i], color=c, lw=line_width(0.6), alpha=0.4 if run.n_seeds > 1 else 1.0)
    if run.n_seeds > 1:
        with np.errstate(all="ignore"), __import__("warnings").catch_warnings():
            __import__("warnings").simplefilter("ignore", RuntimeWarning)
            ax.plot(run.steps, np.nanmedian(values, axis=0), color=c, lw=line_width(1.6), label="median over seeds")
    ax.set_xlabel("step")
    ax.set_title(key.replace("_", " "))
    if key in ("emd", "sliced_w", "mmd", "dist_to_target") and np.nanmin(values) > 0:
        ax.set_yscale("log")


def bridge_figure(run, *, seed: int = 0, columns: int = 5, title: str | None = None, style: str = "paper") -> Figure:
    """The ``diracgan bridge --plot`` figure: seed ``seed``'s samples at ``columns`` recorded
    steps (top), every metric over time (bottom)."""
    with matplotlib.rc_context(rc_params(style)):
        keys = list(run.metrics)
        cols = _columns(run.steps, columns)
        n = max(len(cols), len(keys), 1)
        fig = new_figure(style, 2.3 * n, 5.2)
        axes = fig.subplots(2, n, squeeze=False)
        ext = _extent(run)
        for a, j in zip(axes[0], cols):
            plot_samples(a, run.samples[seed, j], run.reference, extent=ext)
            a.set_title(f"step {int(run.steps[j])}", fontsize="small")
        for a in axes[0][len(cols):]:
            a.set_axis_off()
        for a, key in zip(axes[1], keys):
            plot_metric(a, run, key)
        for a in axes[1][len(keys):]:
            a.set_axis_off()
        figure_legend(fig, ncols=3)
        verdicts = run.verdicts()
        if title is None:
            title = (f"{run.game.label()} on {run.dataset.name}: {run.models.describe()}; {run.scheme.describe()}; "
                     f"seed {run.seeds[seed]}: {verdicts[seed].verdict}")
        fig.suptitle(wrap_title(title, 110 if style == "paper" else 90), fontsize="medium")
    return fig


def samples_over_time_figure(runs: dict, *, seed: int = 0, columns: int = 5, style: str = "paper") -> Figure:
    """One row per labelled run (label → BridgeRun), G's samples of seed ``seed`` at ``columns``
    recorded steps over the data; the row's verdict in its label."""
    with matplotlib.rc_context(rc_params(style)):
        first = next(iter(runs.values()))
        cols = _columns(first.steps, columns)
        fig = new_figure(style, 2.2 * len(cols), 2.3 * len(runs) + 0.6)
        axes = fig.subplots(len(runs), len(cols), squeeze=False)
        for r, (label, run) in enumerate(runs.items()):
            ext = _extent(run)
            verdict = run.verdicts()[seed].verdict
            for c, j in enumerate(cols):
                ax = axes[r, c]
                plot_samples(ax, run.samples[seed, j], run.reference, color=CYCLE[r % len(CYCLE)],
                             label="G's samples" if r == 0 else None, extent=ext)
                if r == 0:
                    ax.set_title(f"step {int(run.steps[j])}", fontsize="small")
                if c == 0:
                    ax.set_ylabel(f"{label}\n({verdict})", fontsize="small")
        figure_legend(fig, ncols=2)
    return fig


def dirac_overlay_figure(run, ode, *, lr: float, style: str = "paper") -> Figure:
    """The bridge's linear-shape run (G(z) = θ, D(x) = φ·x, data dirac) in the θ-plane and its
    distance ‖(θ, φ)‖ against time t = lr·step, with the Dirac game's gradient flow ``ode``
    (:class:`~diracgan.dynamics.flow.Trajectories` from the same start) overlaid."""
    with matplotlib.rc_context(rc_params(style)):
        fig = new_figure(style, 9.0, 4.4)
        ax_p, ax_d = fig.subplots(1, 2)
        th, ph = run.theta[0], run.phi[0]
        ode_th = ode.theta[0]
        ode_ph = ode.phi[0]
        ax_p.plot(ode_th[:, 0], ode_th[:, 1], color="0.25", lw=line_width(2.2), label="Dirac ODE (gradient flow)")
        ax_p.plot(th[:, 0], th[:, 1], color=CYCLE[1], lw=line_width(1.0), ls="--", label="bridge (torch, sgd steps)")
        ax_p.plot([th[0, 0]], [th[0, 1]], "o", color="k", ms=marker_size(5), label="start")
        ax_p.plot([0], [0], "*", color="k", ms=marker_size(8), label="equilibrium")
        ax_p.set_aspect("equal")
        ax_p.set_xlabel("θ₁")
        ax_p.set_ylabel("θ₂")
        ax_p.set_title("generator θ-plane")
        t = run.steps * lr
        ax_d.plot(ode.t, np.sqrt((ode_th**2).sum(1) + (ode_ph**2).sum(1)), color="0.25", lw=line_width(2.2))
        ax_d.plot(t, np.sqrt((th**2).sum(1) + (ph**2).sum(1)), color=CYCLE[1], lw=line_width(1.0), ls="--")
        ax_d.set_xlabel("t = lr · step")
        ax_d.set_title("‖(θ, φ)‖")
        figure_legend(fig, ncols=4)
        fig.suptitle(wrap_title(f"{run.game.label()}: the bridge with the Dirac shapes on dirac data, lr {lr:g}, "
                           f"{int(run.steps[-1])} steps", 100), fontsize="medium")
    return fig


# -- the catalogue's runs ------------------------------------------------------------------------

@contextlib.contextmanager
def deterministic_torch():
    """One thread and torch's deterministic algorithms (restored afterwards)."""
    import torch

    threads, det = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(det)
        torch.set_num_threads(threads)


RING8_GAMES = {"vanilla": {}, "gp0": {"lam": 1.0}, "vanilla+consensus": {"consensus_gamma": 1.0}}
RING8_SETTINGS = dict(data="ring8", optimizer="adam", lr=3e-3, betas=(0.5, 0.9), steps=1000, record_every=50,
                      batch=64, eval_size=256, seeds=1, seed=0)
RING8_MODELS = dict(width=64, depth=2)
OVERLAY_SETTINGS = dict(loss="vanilla", optimizer="sgd", lr=0.05, steps=800, record_every=2)


def ring8_over_time(style: str = "paper") -> Figure:
    """ring8, MLP GANs 2 × 64: vanilla vs gp0 (λ = 1) vs consensus, samples over time."""
    from ..bridge.models import ModelSpec
    from ..bridge.training import train_bridge
    from ..games import make_game

    runs = {}
    with deterministic_torch():
        for name, params in RING8_GAMES.items():
            game = make_game(name, **params)
            runs[game.label()] = train_bridge(game, models=ModelSpec(**RING8_MODELS), **RING8_SETTINGS)
    return samples_over_time_figure(runs, style=style)


def dirac_overlay(style: str = "paper") -> Figure:
    """vanilla, G(z) = θ, D(x) = φ·x on dirac data, sgd simultaneous steps, with the ODE."""
    from ..bridge.models import ModelSpec
    from ..bridge.training import train_bridge
    from ..dynamics.flow import simulate
    from ..dynamics.starts import SEED_PHI, SEED_THETA
    from ..games import make_game

    s = OVERLAY_SETTINGS
    game = make_game(s["loss"])
    with deterministic_torch():
        run = train_bridge(game, data="dirac", models=ModelSpec(g="linear", d="linear"), optimizer=s["optimizer"],
                           lr=s["lr"], mode="simultaneous", steps=s["steps"], record_every=s["record_every"], batch=4,
                           eval_size=4, metrics=False)
    ode = simulate(game, np.array(SEED_THETA), np.array(SEED_PHI), t_max=s["lr"] * s["steps"], samples=2001)
    return dirac_overlay_figure(run, ode, lr=s["lr"], style=style)
