"""The figure catalogue: one entry per committed file in ``figures/``, its parameters in one place.

``diracgan figures`` renders every entry (``--only NAME`` one of them) into ``figures/`` and
writes ``figures/manifest.json`` (the versions of the libraries that drew them and each file's
SHA-256).  ``diracgan figures --check`` renders into a temporary folder and compares bytes with
the committed files: the same versions give byte-identical files (PNG/GIF metadata fixed, no
timestamps).  Entries only compute and draw; :func:`render` owns the files.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..dynamics.flow import simulate
from ..dynamics.starts import default_start
from ..games import make_game
from ..io import atomic_output
from . import plotting
from .plots.stability import rho_norm
from .plots.style import (PALETTE, auto_scale, direction_arrows, figure_legend, line_width, mark_end, mark_equilibrium,
                          mark_start, new_figure, rc_params)

__all__ = ["Entry", "CATALOGUE", "render", "render_all", "check", "manifest"]

SEED_T = {"vanilla": 100.0, "minimax": 100.0, "wgan": 10.0, "gp0": 40.0, "gp1": 40.0, "qp": 40.0}
"""The horizons of Su's figures (kexue.fm 2019): vanilla T = 100, wgan T = 10, gp0/gp1/qp T = 40."""
SEED_PARAMS = {"gp0": {"lam": 0.1}, "gp1": {"lam": 0.1}, "qp": {"lam": 1.0}}
SOURCE = "Su, “GAN的第三个阶段”, kexue.fm 2019"
"""The blog post whose figures the ``seed-*`` entries reproduce (its title is Chinese; figures
spell it "Su 2019" because the default font has no CJK glyphs)."""
GAMES6 = ("vanilla", "minimax", "wgan", "gp0", "gp1", "qp")


@dataclass(frozen=True)
class Entry:
    """One committed figure.

    ``draw(style)`` returns a Figure, or for animations ``animate(path, style)`` writes the
    GIF.  ``command`` is the shell command (run from the repository's root) that regenerates
    exactly this file; the README gallery shows it and a test runs it.
    """

    name: str
    filename: str
    caption: str
    command: str
    draw: Callable[..., Figure] | None = None
    animate: Callable[..., None] | None = None
    params: dict = field(default_factory=dict)


def _seed_game(name):
    return make_game(name, **SEED_PARAMS.get(name, {}))


def _seed_run(name, t_max=None, dim=2, samples=None):
    return simulate(_seed_game(name), *default_start(dim), t_max=t_max or SEED_T[name], samples=samples)


def _seed_figure(name: str) -> Callable[..., Figure]:
    # Exactly what `diracgan phase --loss NAME --t-max T [--lam λ]` draws (the caption's command).
    def draw(style="paper"):
        return plotting.phase_figure(_seed_run(name), style=style)
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
            run = _seed_run(name, t_max=t_max)
            plotting.plot_theta_plane(ax, run)
            ax.set_title(run.game.label())
            ax.label_outer()
        lim = 1.08
        for ax in axes:
            ax.set_xlim(-lim, lim)
            ax.set_ylim(-lim, lim)
            ax.set_aspect("equal", adjustable="box")
        figure_legend(fig, ncols=4)
        fig.suptitle(f"Every game from the same start θ = (0.2, 0.1), φ = (0.1, 0.2), to the same time T = {t_max:g}, "
                     "on the same scale:\nonly gp0 reaches the equilibrium; gp1 ends on the circle ‖θ‖ = 1")
    return fig


def _distances(style="paper") -> Figure:
    with matplotlib.rc_context(rc_params(style)):
        fig = new_figure(style, 10.0, 4.6)
        ax_log, ax_lin = fig.subplots(1, 2, width_ratios=[1.0, 1.0])
        runs = {}
        for name in GAMES6:
            run = _seed_run(name, t_max=100.0)
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
            game = _seed_game(name)
            run = simulate(game, [[1.0], [-0.5]], [[1.0], [0.3]], t_max=30.0, samples=3001)
            plotting.plot_state_plane(ax, run, extent=1.6)
            ax.set_title(game.label())
            ax.label_outer()
        figure_legend(fig, ncols=4)
        fig.suptitle("d = 1: the (θ, φ) plane with the vector field, as drawn by Mescheder et al. (2018), "
                     "two starts, T = 30")
    return fig


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
    from ..dynamics.training import train

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


def _eig_gp0(style="paper") -> Figure:
    # Exactly what `diracgan eig --loss gp0 --sweep lam=0:3:61` draws.
    from ..analysis.sweeps import eigenvalue_sweep

    sweep = eigenvalue_sweep(make_game("gp0"), "lam", np.linspace(0, 3, 61))
    return plotting.sweep_figure(sweep, style=style)


def _discrete(name: str, lr: float, steps: int) -> Callable[..., Figure]:
    def draw(style="paper"):
        from ..dynamics.training import train

        game = _seed_game(name)
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
    from ..dynamics.training import train

    game = make_game("vanilla")
    decays = (0.999, 0.9999)
    th, ph = default_start(2)
    # One batch of two identical starts, each run with its own EMA decay.
    run = train(game, np.vstack([th, th]), np.vstack([ph, ph]), optimizer="sgd", lr=0.05, mode="alternating",
                steps=60_000, record_every=4, ema=np.array(decays)[:, None])
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


def _stability(style="paper") -> Figure:
    from ..analysis.stability import scheme_factory, stability_map

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


def _animation(name: str, dim: int, t_max: float) -> Callable[..., None]:
    # Exactly what `diracgan animate --loss NAME --dim DIM --t-max T` writes.
    def animate(path: Path, style="paper") -> None:
        game = _seed_game(name)
        run = simulate(game, *default_start(dim), t_max=t_max, samples=max(1601, 4 * 72))
        plotting.animate_phase(run, path, frames=72, fps=18, style=style)
    return animate


_SEED_NOTE = {"vanilla": "it circles the equilibrium and settles towards a circle",
              "wgan": "it keeps orbiting",
              "gp0": "it spirals into the equilibrium at rate λ = 0.1",
              "gp1": "it ends on the circle ‖θ‖ = c = 1",
              "qp": "it ends on a circle of radius 0.173"}

CATALOGUE: tuple[Entry, ...] = (
    *(Entry(f"seed-{n}", f"seed-{n}.png",
            f"{n}: the θ-plane figure of {SOURCE} (start θ = (0.2, 0.1), φ = (0.1, 0.2), T = {SEED_T[n]:g}); "
            + _SEED_NOTE[n],
            _seed_command(n), draw=_seed_figure(n), params={"loss": n, "T": SEED_T[n], **SEED_PARAMS.get(n, {})})
      for n in ("vanilla", "wgan", "gp1", "gp0", "qp")),
    Entry("compare-games", "compare-games.png",
          "All six games from the same start, to the same time, on the same scale.",
          "diracgan figures --only compare-games", draw=_compare_games),
    Entry("distance-all-games", "distance-all-games.png",
          "Distance to the equilibrium against time for every game: all six on a log scale, the four that "
          "orbit on a linear one.",
          "diracgan figures --only distance-all-games", draw=_distances),
    Entry("planes-1d", "planes-1d.png",
          "d = 1: the (θ, φ) plane with the vector field and two trajectories for each game.",
          "diracgan figures --only planes-1d", draw=_planes_1d),
    Entry("mescheder-1d", "mescheder-1d.png",
          "Mescheder et al. 2018's comparison in d = 1: unregularised, WGAN with clipping, WGAN-GP, consensus, "
          "instance noise and R1, each with simultaneous and alternating gradient descent from (θ, φ) = (1, −1).",
          "diracgan figures --only mescheder-1d", draw=_mescheder_1d,
          params={"lr": MESCHEDER_LR, "steps": MESCHEDER_STEPS}),
    Entry("eig-gp0-lambda", "eig-gp0-lambda.png",
          "gp0: eigenvalues of the equilibrium's Jacobian as λ runs from 0 to 3 (complex for λ < 1, real beyond).",
          "diracgan eig --loss gp0 --sweep lam=0:3:61 --out figures/eig-gp0-lambda.png", draw=_eig_gp0),
    Entry("discrete-vanilla", "discrete-vanilla.png",
          "vanilla: simultaneous SGD spirals out (eigenvalues 1 ± i·lr/2), alternating SGD keeps orbiting.",
          "diracgan figures --only discrete-vanilla",
          draw=_discrete("vanilla", 0.1, 1000), params={"lr": 0.1, "steps": 1000}),
    Entry("discrete-gp0", "discrete-gp0.png",
          "gp0 (λ = 0.1): lr = 0.1 is below the stability bound 2λ = 0.2 of simultaneous SGD, so both schemes "
          "converge, as the flow does.",
          "diracgan figures --only discrete-gp0",
          draw=_discrete("gp0", 0.1, 600), params={"lr": 0.1, "steps": 600}),
    Entry("ema", "ema.png",
          "Weight averaging: the EMA (decay 0.999 and 0.9999) of an orbiting iterate sits near the equilibrium.",
          "diracgan figures --only ema", draw=_ema),
    Entry("stability-gp0", "stability-gp0.png",
          "gp0: where one SGD step is a contraction at the equilibrium, simultaneous vs alternating.",
          "diracgan figures --only stability-gp0", draw=_stability),
    Entry("anim-vanilla", "anim-vanilla.gif", "Animation: vanilla orbiting the equilibrium (d = 2, T = 100).",
          "diracgan animate --loss vanilla --dim 2 --t-max 100 --out figures/anim-vanilla.gif",
          animate=_animation("vanilla", 2, 100.0)),
    Entry("anim-gp0", "anim-gp0.gif", "Animation: gp0 spiralling into the equilibrium (d = 2, T = 40).",
          "diracgan animate --loss gp0 --dim 2 --t-max 40 --out figures/anim-gp0.gif",
          animate=_animation("gp0", 2, 40.0)),
)

NAMES = tuple(e.name for e in CATALOGUE)


def get_entry(name: str) -> Entry:
    from ..errors import InputError

    for e in CATALOGUE:
        if e.name == name:
            return e
    raise InputError(f"unknown figure {name!r}; choose one of: {', '.join(NAMES)}")


def render(entry: Entry, folder: Path, style: str = "paper") -> Path:
    """Render one entry into ``folder`` (atomically) in ``style``; returns the file's path."""
    path = Path(folder) / entry.filename
    if entry.animate is not None:
        entry.animate(path, style=style)
    else:
        plotting.save_figure(entry.draw(style=style), path, style=style)
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def versions() -> dict:
    """Library versions that determine the bytes of the figures."""
    import PIL
    import scipy
    import sympy

    return {"matplotlib": matplotlib.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
            "sympy": sympy.__version__, "pillow": PIL.__version__}


def manifest(folder: Path) -> dict:
    return {"versions": versions(),
            "files": {e.filename: _sha256(Path(folder) / e.filename) for e in CATALOGUE
                      if (Path(folder) / e.filename).exists()}}


def render_all(folder: Path, only: list[str] | None = None, progress: bool | None = None,
               style: str = "paper") -> list[Path]:
    """Render the catalogue (or ``only`` these entries) into ``folder`` and update the manifest
    (the manifest only for the ``paper`` style, which is what ``figures/`` holds).

    The manifest is rewritten after every figure and once more on the way out (also when
    interrupted or when a write fails), so it always lists the hashes of the files on disk."""
    from tqdm.auto import tqdm

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    entries = [get_entry(n) for n in only] if only else list(CATALOGUE)
    out = []
    bar = tqdm(entries, desc="figures", unit="fig", disable=None if progress is None else not progress, leave=False)
    paper = style == "paper"
    try:
        for entry in bar:
            bar.set_postfix_str(entry.name)
            out.append(render(entry, folder, style=style))
            if paper:
                _write_manifest(folder)
    finally:
        if out and paper:
            _write_manifest(folder)
    if not out and paper:
        _write_manifest(folder)
    return out


def _write_manifest(folder: Path) -> None:
    with atomic_output(folder / "manifest.json") as tmp:
        tmp.write_text(json.dumps(manifest(folder), indent=2, sort_keys=True) + "\n")


def check(folder: Path, only: list[str] | None = None, progress: bool | None = None) -> list[tuple[str, str]]:
    """Render into a temporary folder and compare with ``folder``: (filename, 'ok' | 'differs' |
    'missing') per entry."""
    from tqdm.auto import tqdm

    folder = Path(folder)
    entries = [get_entry(n) for n in only] if only else list(CATALOGUE)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for entry in tqdm(entries, desc="checking", unit="fig", disable=None if progress is None else not progress,
                          leave=False):
            fresh = render(entry, Path(tmp))
            committed = folder / entry.filename
            if not committed.exists():
                results.append((entry.filename, "missing"))
            elif fresh.read_bytes() == committed.read_bytes():
                results.append((entry.filename, "ok"))
            else:
                results.append((entry.filename, "differs"))
    return results
