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
from .plotting import PALETTE, STYLE

__all__ = ["Entry", "CATALOGUE", "render", "render_all", "check", "manifest"]

SEED_T = {"vanilla": 100.0, "minimax": 100.0, "wgan": 10.0, "gp0": 40.0, "gp1": 40.0, "qp": 40.0}
"""The seed's horizons (blog post 003): vanilla T = 100, wgan T = 10, gp0/gp1/qp T = 40."""
SEED_PARAMS = {"gp0": {"lam": 0.1}, "gp1": {"lam": 0.1}, "qp": {"lam": 1.0}}


@dataclass(frozen=True)
class Entry:
    """One committed figure: ``draw()`` returns a Figure, or for animations writes the GIF
    to the path it is given (``animate(path)``)."""

    name: str
    filename: str
    caption: str
    command: str
    draw: Callable[[], Figure] | None = None
    animate: Callable[[Path], None] | None = None
    params: dict = field(default_factory=dict)


def _seed_run(name, t_max=None, dim=2, samples=2001):
    game = make_game(name, **SEED_PARAMS.get(name, {}))
    return simulate(game, *default_start(dim), t_max=t_max or SEED_T[name], samples=samples)


def _seed_figure(name: str) -> Callable[[], Figure]:
    def draw():
        run = _seed_run(name)
        return plotting.phase_figure(run, title=f"{run.game.label()}: the seed's θ-plane, from θ = (0.2, 0.1), "
                                                f"φ = (0.1, 0.2), T = {SEED_T[name]:g}")
    return draw


def _compare_games() -> Figure:
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(10.0, 6.6), layout="constrained")
        axes = fig.subplots(2, 3).ravel()
        for ax, name in zip(axes, ("vanilla", "minimax", "wgan", "gp0", "gp1", "qp")):
            run = _seed_run(name)
            plotting.plot_theta_plane(ax, run)
            ax.set_title(f"{run.game.label()}, T = {SEED_T[name]:g}")
        fig.suptitle("All games from the seed's start (θ-plane, d = 2; ● start, ★ equilibrium): "
                     "only gp0 reaches the equilibrium", fontsize=10.5)
    return fig


def _distances() -> Figure:
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(7.0, 4.4), layout="constrained")
        ax = fig.subplots()
        runs = {}
        for name in ("vanilla", "minimax", "wgan", "gp0", "gp1", "qp"):
            run = _seed_run(name, t_max=100.0)
            runs[run.game.label()] = run
        plotting.plot_distances(ax, runs)
        ax.legend(loc="lower left", frameon=False, ncols=2)
        ax.set_title("Distance to the equilibrium from the seed's start (d = 2, T = 100)")
    return fig


def _planes_1d() -> Figure:
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(10.0, 6.8), layout="constrained")
        axes = fig.subplots(2, 3).ravel()
        for ax, name in zip(axes, ("vanilla", "minimax", "wgan", "gp0", "gp1", "qp")):
            game = make_game(name, **SEED_PARAMS.get(name, {}))
            run = simulate(game, [[1.0], [-0.5]], [[1.0], [0.3]], t_max=30.0, samples=3001)
            plotting.plot_state_plane(ax, run, extent=1.6)
            ax.set_title(game.label())
        axes[0].legend(loc="lower left", frameon=False, fontsize=7)
        fig.suptitle("d = 1: the (θ, φ) plane with the vector field (Mescheder et al. 2018, Fig. 1 style), "
                     "two starts, T = 30", fontsize=10.5)
    return fig


def _eig_gp0() -> Figure:
    from ..analysis.sweeps import eigenvalue_sweep

    sweep = eigenvalue_sweep(make_game("gp0"), "lam", np.linspace(0, 3, 61))
    return plotting.sweep_figure(sweep)


def _discrete(name: str, lr: float, steps: int) -> Callable[[], Figure]:
    def draw():
        from ..dynamics.training import train

        game = make_game(name, **SEED_PARAMS.get(name, {}))
        start = default_start(2)
        ode = simulate(game, *start, t_max=lr * steps, samples=2001)
        runs = {
            f"simultaneous SGD, lr {lr:g}": train(game, *start, optimizer="sgd", lr=lr, mode="simultaneous",
                                                  steps=steps),
            f"alternating SGD (D first), lr {lr:g}": train(game, *start, optimizer="sgd", lr=lr, mode="alternating",
                                                          steps=steps),
        }
        with matplotlib.rc_context(STYLE):
            fig = Figure(figsize=(9.0, 4.2), layout="constrained")
            ax, ax_d = fig.subplots(1, 2, width_ratios=[1.0, 1.15])
            plotting.plot_discrete_vs_flow(ax, ode, runs)
            ax.legend(loc="best", frameon=False, fontsize=7)
            t, z = ode.run(0)
            ax_d.plot(t / lr, np.linalg.norm(z, axis=1), color=PALETTE["black"], lw=1.6, label="gradient flow (t = lr·step)")
            for (label, run), color in zip(runs.items(), (PALETTE["orange"], PALETTE["sky"])):
                ax_d.plot(run.steps, run.distance()[0], color=color, lw=1.0, label=label)
            ax_d.set_yscale("log")
            ax_d.set_xlabel("step")
            ax_d.set_ylabel("‖(θ, φ)‖ (log scale)")
            ax_d.grid(True, lw=0.3, alpha=0.5)
            ax_d.legend(loc="best", frameon=False, fontsize=7)
            fig.suptitle(f"{game.label()}: discrete steps against the gradient flow ({steps} steps of lr {lr:g})",
                         fontsize=10.5)
        return fig
    return draw


def _ema() -> Figure:
    from ..dynamics.training import train

    game = make_game("vanilla")
    decays = (0.999, 0.9999)
    th, ph = default_start(2)
    # One batch of two identical starts, each run with its own EMA decay.
    run = train(game, np.vstack([th, th]), np.vstack([ph, ph]), optimizer="sgd", lr=0.05, mode="alternating",
                steps=60_000, record_every=4, ema=np.array(decays)[:, None])
    gain = run.ema_gain()
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(9.0, 4.2), layout="constrained")
        ax, ax_d = fig.subplots(1, 2, width_ratios=[1.0, 1.15])
        last = run.steps >= run.steps[-1] - 2000
        ax.plot(run.theta[0, last, 0], run.theta[0, last, 1], color=PALETTE["sky"], lw=0.8,
                label="iterate (last 2,000 steps)")
        for i, (decay, color) in enumerate(zip(decays, (PALETTE["blue"], PALETTE["vermillion"]))):
            ax.plot(run.ema_theta[i, :, 0], run.ema_theta[i, :, 1], color=color, lw=1.4, label=f"EMA, decay {decay:g}")
        plotting._mark_equilibrium(ax)
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel("θ$_1$")
        ax.set_ylabel("θ$_2$")
        ax.legend(loc="lower left", frameon=False, fontsize=7)
        ax_d.plot(run.steps, run.distance()[0], color=PALETTE["sky"], lw=0.8, label="iterate")
        for i, (decay, color) in enumerate(zip(decays, (PALETTE["blue"], PALETTE["vermillion"]))):
            ax_d.plot(run.steps, run.distance(ema=True)[i], color=color, lw=1.4, label=f"EMA, decay {decay:g}")
        ax_d.set_yscale("log")
        ax_d.set_xlabel("step")
        ax_d.set_ylabel("‖(θ, φ)‖ (log scale)")
        ax_d.grid(True, lw=0.3, alpha=0.5)
        ax_d.legend(loc="lower left", frameon=False, fontsize=7)
        ax_d.set_title("iterate / EMA distance over the last quarter: "
                       + ", ".join(f"{d:g}: {g:.3g}×" for d, g in zip(decays, gain)), fontsize=8.5)
        fig.suptitle("Weight averaging (the seed's EMA figure): vanilla, alternating SGD lr 0.05, 60,000 steps",
                     fontsize=10.5)
    return fig


def _stability() -> Figure:
    from ..analysis.stability import scheme_factory, stability_map

    lrs, lams = np.linspace(0.01, 2.5, 200), np.linspace(0.0, 2.0, 160)
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(10.0, 4.2), layout="constrained")
        axes = fig.subplots(1, 2)
        for ax, mode in zip(axes, ("simultaneous", "alternating")):
            smap = stability_map(make_game("gp0"), scheme_factory("sgd", mode=mode), {"lr": lrs, "lam": lams})
            plotting.plot_stability_map(ax, smap)
            ax.set_title(f"{mode} SGD: stable on {100 * smap.stable_fraction():.0f}% of the grid")
        fig.suptitle("gp0: spectral radius ρ of one SGD step at the equilibrium over lr × λ (black: ρ = 1)",
                     fontsize=10.5)
    return fig


def _animation(name: str, dim: int, t_max: float) -> Callable[[Path], None]:
    def animate(path: Path) -> None:
        run = _seed_run(name, t_max=t_max, dim=dim, samples=1601)
        plotting.animate_phase(run, path, frames=72, fps=18)
    return animate


CATALOGUE: tuple[Entry, ...] = (
    *(Entry(f"seed-{n}", f"seed-{n}.png",
            f"{n}: the seed's θ-plane figure (start θ = (0.2, 0.1), φ = (0.1, 0.2), T = {SEED_T[n]:g})"
            + {"vanilla": "; it circles the equilibrium and settles towards a circle",
               "wgan": "; it keeps orbiting",
               "gp0": "; it spirals into the equilibrium at rate λ = 0.1",
               "gp1": "; it ends on the circle ‖θ‖ = c = 1",
               "qp": "; it ends on a circle of radius 0.173"}[n],
            f"diracgan phase --loss {n} --t-max {SEED_T[n]:g}" + (f" --lam {SEED_PARAMS[n]['lam']:g}" if n in SEED_PARAMS else ""),
            draw=_seed_figure(n), params={"loss": n, "T": SEED_T[n], **SEED_PARAMS.get(n, {})})
      for n in ("vanilla", "wgan", "gp1", "gp0", "qp")),
    Entry("compare-games", "compare-games.png", "All six games side by side from the seed's start.",
          "diracgan figures --only compare-games", draw=_compare_games),
    Entry("distance-all-games", "distance-all-games.png",
          "Distance to the equilibrium against time for every game on one log-scale panel.",
          "diracgan figures --only distance-all-games", draw=_distances),
    Entry("planes-1d", "planes-1d.png",
          "d = 1: the (θ, φ) plane with the vector field and two trajectories for each game.",
          "diracgan phase --loss vanilla --dim 1 --theta 1 --phi 1 --t-max 30", draw=_planes_1d),
    Entry("eig-gp0-lambda", "eig-gp0-lambda.png",
          "gp0: eigenvalues of the equilibrium's Jacobian as λ runs from 0 to 3 (complex for λ < 1, real beyond).",
          "diracgan eig --loss gp0 --sweep lam=0:3:61 --out eig-gp0-lambda.png", draw=_eig_gp0),
    Entry("discrete-vanilla", "discrete-vanilla.png",
          "vanilla: simultaneous SGD spirals out (eigenvalues 1 ± i·lr/2), alternating SGD keeps orbiting.",
          "diracgan train --loss vanilla --optimizer sgd --lr 0.1 --mode simultaneous --steps 1000 --plot sim.png",
          draw=_discrete("vanilla", 0.1, 1000), params={"lr": 0.1, "steps": 1000}),
    Entry("discrete-gp0", "discrete-gp0.png",
          "gp0 (λ = 0.1): lr = 0.1 is below the stability bound 2λ = 0.2 of simultaneous SGD, so both schemes "
          "converge, as the flow does.",
          "diracgan train --loss gp0 --optimizer sgd --lr 0.1 --mode simultaneous --steps 600 --plot sim.png",
          draw=_discrete("gp0", 0.1, 600), params={"lr": 0.1, "steps": 600}),
    Entry("ema", "ema.png",
          "Weight averaging: the EMA (decay 0.999 and 0.9999) of an orbiting iterate sits near the equilibrium.",
          "diracgan train --loss vanilla --optimizer sgd --lr 0.05 --steps 60000 --ema 0.9999 --plot ema.png",
          draw=_ema),
    Entry("stability-gp0", "stability-gp0.png",
          "gp0: where one SGD step is a contraction at the equilibrium, simultaneous vs alternating.",
          "diracgan stability --loss gp0 --mode simultaneous --lr 0.01:2.5:200 --lam 0:2:160 --out map.png",
          draw=_stability),
    Entry("anim-vanilla", "anim-vanilla.gif", "Animation: vanilla orbiting the equilibrium (d = 2, T = 100).",
          "diracgan animate --loss vanilla --dim 2 --t-max 100 --out anim-vanilla.gif",
          animate=_animation("vanilla", 2, 100.0)),
    Entry("anim-gp0", "anim-gp0.gif", "Animation: gp0 spiralling into the equilibrium (d = 2, T = 40).",
          "diracgan animate --loss gp0 --dim 2 --t-max 40 --out anim-gp0.gif", animate=_animation("gp0", 2, 40.0)),
)

NAMES = tuple(e.name for e in CATALOGUE)


def get_entry(name: str) -> Entry:
    from ..errors import InputError

    for e in CATALOGUE:
        if e.name == name:
            return e
    raise InputError(f"unknown figure {name!r}; choose one of: {', '.join(NAMES)}")


def render(entry: Entry, folder: Path) -> Path:
    """Render one entry into ``folder`` (atomically); returns the file's path."""
    path = Path(folder) / entry.filename
    if entry.animate is not None:
        entry.animate(path)
    else:
        plotting.save_figure(entry.draw(), path)
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


def render_all(folder: Path, only: list[str] | None = None, progress: bool = True) -> list[Path]:
    """Render the catalogue (or ``only`` these entries) into ``folder`` and update the manifest.

    The manifest is rewritten after every figure and once more on the way out (also when
    interrupted or when a write fails), so it always lists the hashes of the files on disk."""
    from tqdm import tqdm

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    entries = [get_entry(n) for n in only] if only else list(CATALOGUE)
    out = []
    bar = tqdm(entries, desc="figures", unit="fig", disable=not progress, leave=False)
    try:
        for entry in bar:
            bar.set_postfix_str(entry.name)
            out.append(render(entry, folder))
            _write_manifest(folder)
    finally:
        if out:
            _write_manifest(folder)
    if not out:
        _write_manifest(folder)
    return out


def _write_manifest(folder: Path) -> None:
    with atomic_output(folder / "manifest.json") as tmp:
        tmp.write_text(json.dumps(manifest(folder), indent=2, sort_keys=True) + "\n")


def check(folder: Path, only: list[str] | None = None, progress: bool = True) -> list[tuple[str, str]]:
    """Render into a temporary folder and compare with ``folder``: (filename, 'ok' | 'differs' |
    'missing') per entry."""
    from tqdm import tqdm

    folder = Path(folder)
    entries = [get_entry(n) for n in only] if only else list(CATALOGUE)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for entry in tqdm(entries, desc="checking", unit="fig", disable=not progress, leave=False):
            fresh = render(entry, Path(tmp))
            committed = folder / entry.filename
            if not committed.exists():
                results.append((entry.filename, "missing"))
            elif fresh.read_bytes() == committed.read_bytes():
                results.append((entry.filename, "ok"))
            else:
                results.append((entry.filename, "differs"))
    return results
