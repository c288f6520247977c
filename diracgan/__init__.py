"""diracgan: the Dirac-GAN, simulated.

Real data is a point mass at 0 ∈ R^d, the generator's sample is θ ∈ R^d and the
discriminator is linear, D(x) = φ·x.  A game is a pair of losses (L_D, L_G); its
continuous-time dynamics φ' = −∇_φ L_D, θ' = −∇_θ L_G are derived by sympy and integrated
by scipy.

Public API (imported lazily, so ``import diracgan`` is cheap)::

    from diracgan import make_game, simulate, default_start
    game = make_game("gp1", lam=0.1)
    theta0, phi0 = default_start(2)
    run = simulate(game, theta0, phi0, t_max=40)
    from diracgan import sweep        # the sweep extra: Dask distributed and pyarrow
    table = sweep("train", {"lr": [0.05, 0.1, 0.2]}, loss="gp0", steps=200)

The package is layered; imports only go down this list (see docs/architecture.md and
tests/test_architecture.py): ``errors`` → ``games`` → ``derivation`` → ``dynamics`` →
``analysis`` → ``torchgan`` → ``io`` → ``report`` → ``sweep`` → ``viz`` → ``cli``.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# name -> module that defines it; everything public lives here.
_API = {
    "InputError": "errors",
    "GAMES": "games",
    "REGULARISERS": "games",
    "Game": "games",
    "GameSpec": "games",
    "Param": "games",
    "Regulariser": "games",
    "make_game": "games",
    "get_spec": "games",
    "compose": "games",
    "custom_game": "games",
    "derive": "derivation.symbolic",
    "explicit_field": "derivation.symbolic",
    "VectorField": "derivation.numeric",
    "vector_field": "derivation.numeric",
    "velocity": "derivation.numeric",
    "jacobian": "derivation.numeric",
    "simulate": "dynamics.flow",
    "solve_batch": "dynamics.flow",
    "Trajectories": "dynamics.flow",
    "Status": "dynamics.flow",
    "METHODS": "dynamics.flow",
    "default_start": "dynamics.starts",
    "random_starts": "dynamics.starts",
    "load_starts": "dynamics.starts",
    "train": "dynamics.training",
    "TrainingRun": "dynamics.training",
    "analyse": "analysis.linear",
    "EquilibriumAnalysis": "analysis.linear",
    "numeric_verdict": "analysis.verdict",
    "eigenvalue_sweep": "analysis.sweeps",
    "discrete_stability": "analysis.stability",
    "stability_map": "analysis.stability",
    "scheme_factory": "analysis.stability",
    "write_trajectories": "io",
    "phase_figure": "viz.plotting",
    "training_figure": "viz.plotting",
    "sweep_figure": "viz.plotting",
    "stability_figure": "viz.plotting",
    "animate_phase": "viz.plotting",
    "save_figure": "viz.plotting",
    "plot_theta_plane": "viz.plotting",
    "plot_state_plane": "viz.plotting",
    "plot_vector_field": "viz.plotting",
    "plot_distance": "viz.plotting",
    "plot_distances": "viz.plotting",
    "plot_eigenvalue_paths": "viz.plotting",
    "plot_training_plane": "viz.plotting",
    "plot_training_distance": "viz.plotting",
    "plot_stability_map": "viz.plotting",
    "explore": "viz.explorer",
    "sweep": "sweep",   # the subpackage itself, which is callable: diracgan.sweep("train", {...})
}

__all__ = sorted(_API) + ["__version__"]


def __getattr__(name: str):
    try:
        module = _API[name]
    except KeyError:
        raise AttributeError(f"module 'diracgan' has no attribute {name!r}") from None
    value = importlib.import_module(f".{module}", __name__)
    if module != name:      # a subpackage exported under its own name is the module itself
        value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__():
    return __all__
