"""The runners of a sweep: one per command, each a library call that turns one normalised
configuration into one flat row of metrics and a verdict.

A runner declares the options it takes (library argument names, as :func:`diracgan.train`,
:func:`diracgan.simulate` and :func:`diracgan.analyse` spell them, with their kinds and the
defaults the CLI uses, so that a configuration has one normal form), its metric columns, a
rough cost (seconds) used to group tiny tasks into chunks, and its ``run``.  Every other
option name is a parameter of the game (``lam``, ``c``, ``clip``, ``r1_gamma``, a custom
game's own parameters); :func:`check_names` validates those against the game's spec before
any task starts.

Adding a command is one :class:`Runner` in :data:`RUNNERS` (and its CLI adapter in
``cli/sweep.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from ..errors import InputError

__all__ = ["Runner", "RUNNERS", "get_runner", "check_names", "TRAIN_CONVERGED", "register"]

#: kinds of option values: how :func:`diracgan.sweep.grid.normalise` casts them.
FLOAT, INT, STR, BOOL, VECTOR = "float", "int", "str", "bool", "vector"

TRAIN_CONVERGED = 1e-2
"""A training run *converges* when it finished and its final distance ‖(θ, φ)‖ to the
equilibrium is at most this fraction of its initial distance: the threshold of the
convergence verdicts of ``diracgan check`` (``torchgan.checks.check_verdicts``)."""

_GAME = {"loss": (STR, "gp0"), "loss_d": (STR, None), "loss_g": (STR, None), "dim": (INT, None)}
_START = {"theta": (VECTOR, None), "phi": (VECTOR, None), "n_init": (INT, None), "seed": (INT, 0),
          "box": (FLOAT, 0.5)}


@dataclass(frozen=True)
class Runner:
    """One command of a sweep.

    ``options``: name → (kind, default) of the command's own options (defaults as the CLI's;
    None = absent); ``columns``: metric name → kind, in row order (``verdict`` comes after
    them); ``run(options) -> dict`` of metrics plus ``verdict``; ``cost(options)``: estimated
    seconds of one task; ``seeded``: the command has a ``seed`` option."""

    name: str
    options: dict
    columns: dict
    run: Callable[[dict], dict]
    cost: Callable[[dict], float]
    seeded: bool = True
    main_metric: str = ""
    doc: str = ""
    extra_checks: tuple = field(default=())


RUNNERS: dict[str, Runner] = {}


def register(runner: Runner) -> Runner:
    RUNNERS[runner.name] = runner
    return runner


def get_runner(name: str) -> Runner:
    try:
        return RUNNERS[name]
    except KeyError:
        raise InputError(f"unknown command {name!r} to sweep; choose one of: {', '.join(RUNNERS)}") from None


# -- shared pieces -------------------------------------------------------------------------------

def game_params(runner: Runner, options: dict) -> dict:
    """The options that are parameters of the game (every name the runner does not own)."""
    return {k: v for k, v in options.items() if k not in runner.options}


def make_game_of(runner: Runner, options: dict):
    """The :class:`~diracgan.games.Game` of a configuration (a registered loss, possibly
    composed ``gp0+r1``, or a custom pair ``loss_d``/``loss_g``)."""
    from ..games import custom_game, get_spec

    params = game_params(runner, options)
    if options.get("loss_d") is not None or options.get("loss_g") is not None:
        if options.get("loss_d") is None or options.get("loss_g") is None:
            raise InputError("give both loss_d= and loss_g= (the two losses of your game)")
        return custom_game(options["loss_d"], options["loss_g"], params).bind(**params)
    return get_spec(options["loss"]).bind(**params)


def check_names(runner: Runner, losses: set, param_names: set) -> None:
    """Refuse (before any task starts) a game parameter that no game of the sweep has
    (``losses``: the loss names the sweep uses; None for a custom game, which declares its own
    parameters).  A name that only some of the games have is their row's error instead."""
    from ..games import get_spec

    if not param_names or None in losses:
        return
    have = set()
    for loss in losses:
        have |= set(get_spec(loss).param_names)
    unknown = sorted(param_names - have)
    if unknown:
        known = sorted(set(runner.options) | have)
        raise InputError(f"{unknown[0]!r} is neither an option of {runner.name} nor a parameter of "
                         f"{', '.join(sorted(losses))}; choose from: {', '.join(known)}")


def resolve_starts(options: dict):
    """(θ₀ (N, d), φ₀ (N, d)) as the commands build them: given θ/φ, else ``n_init`` random
    starts from ``seed`` in [−box, box]^(2d), else the seed's start (0.2, 0.1), (0.1, 0.2)."""
    import numpy as np

    from ..dynamics import starts

    theta, phi, n_init = options.get("theta"), options.get("phi"), options.get("n_init")
    d = options.get("dim")
    if n_init is not None:
        if theta is not None or phi is not None:
            raise InputError("give n_init= or theta=/phi=, not both")
        return starts.random_starts(n_init, d or 2, options.get("seed", 0), options.get("box", 0.5))
    th = np.array(theta, dtype=float, ndmin=1) if theta is not None else None
    ph = np.array(phi, dtype=float, ndmin=1) if phi is not None else None
    if d is None:
        d = th.shape[-1] if th is not None else ph.shape[-1] if ph is not None else 2
    th0, ph0 = starts.default_start(d)
    th = th if th is not None else th0
    ph = ph if ph is not None else ph0
    if th.shape[-1] != d or ph.shape[-1] != d:
        raise InputError(f"the start has {th.shape[-1]} and {ph.shape[-1]} coordinates, but dim is {d}")
    return np.atleast_2d(th), np.atleast_2d(ph)


def _median(values) -> float:
    import numpy as np

    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return float(np.median(values)) if len(values) else math.nan


def _most_common(names: list, order: tuple) -> str:
    """The most frequent name; ties go to the later one in ``order`` (the worse outcome)."""
    counts = {n: names.count(n) for n in set(names)}
    return max(counts, key=lambda n: (counts[n], order.index(n)))


# -- train ---------------------------------------------------------------------------------------

_TRAIN_VERDICTS = ("converges", "does not converge", "diverges", "singular")


def _run_train(options: dict) -> dict:
    import numpy as np

    from ..dynamics.training import TrainStatus

    runner = RUNNERS["train"]
    game = make_game_of(runner, options)
    th, ph = resolve_starts(options)
    kw = {k: v for k, v in options.items() if k in runner.options and k not in _GAME and k not in _START
          and k != "backend"}
    if "beta1" in kw or "beta2" in kw:
        kw["betas"] = (kw.pop("beta1", 0.9), kw.pop("beta2", 0.999))
    if options.get("backend", "numpy") == "torch":
        from ..torchgan.training import train_torch

        run = train_torch(game, th, ph, **kw)
    else:
        from ..dynamics.training import train

        run = train(game, th, ph, **kw)
    dist = run.distance()
    start = dist[:, 0]
    end = np.array([dist[i, run.valid(i)][-1] for i in range(run.n_runs)])
    verdicts = []
    for i in range(run.n_runs):
        s = int(run.status[i])
        if s == TrainStatus.DIVERGED:
            verdicts.append("diverges")
        elif s == TrainStatus.SINGULAR:
            verdicts.append("singular")
        elif end[i] <= TRAIN_CONVERGED * start[i]:
            verdicts.append("converges")
        else:
            verdicts.append("does not converge")
    gain = run.ema_gain()
    with np.errstate(all="ignore"):
        ratio = end / start
    return {"runs": run.n_runs, "converged": verdicts.count("converges"), "diverged": verdicts.count("diverges"),
            "distance_start": _median(start), "distance_end": _median(end), "distance_ratio": _median(ratio),
            "ema_gain": _median(gain) if gain is not None else math.nan,
            "steps_done": int(np.median(run.stop_step)), "verdict": _most_common(verdicts, _TRAIN_VERDICTS)}


def _cost_train(options: dict) -> float:
    per_step = 2 if options.get("optimizer") == "extragradient" else (
        1 if options.get("mode") == "simultaneous" else options.get("n_critic", 1) + options.get("n_gen", 1))
    runs = options.get("n_init") or 1
    cost = 1e-4 * options.get("steps", 1000) * per_step * (1 + runs / 50)
    return cost * (20 if options.get("backend") == "torch" else 1)


register(Runner(
    name="train",
    options={**_GAME, **_START, "optimizer": (STR, "sgd"), "lr": (FLOAT, None), "lr_d": (FLOAT, None),
             "lr_g": (FLOAT, None), "mode": (STR, None), "order": (STR, "d-first"), "n_critic": (INT, 1),
             "n_gen": (INT, 1), "steps": (INT, 1000), "ema": (FLOAT, None), "bound": (FLOAT, 1e6),
             "record_every": (INT, 1), "backend": (STR, "numpy"), "momentum": (FLOAT, None),
             "dampening": (FLOAT, None), "nesterov": (BOOL, None), "weight_decay": (FLOAT, None),
             "eps": (FLOAT, None), "alpha": (FLOAT, None), "centered": (BOOL, None), "amsgrad": (BOOL, None),
             "beta1": (FLOAT, None), "beta2": (FLOAT, None)},
    columns={"runs": INT, "converged": INT, "diverged": INT, "distance_start": FLOAT, "distance_end": FLOAT,
             "distance_ratio": FLOAT, "ema_gain": FLOAT, "steps_done": INT},
    run=_run_train, cost=_cost_train, main_metric="distance_ratio",
    doc=f"diracgan.train from each start; verdict per run: converges (finished, final distance ≤ "
        f"{TRAIN_CONVERGED:g} × initial), does not converge, diverges, singular; the row's is the most common",
))


# -- eig -----------------------------------------------------------------------------------------

def _run_eig(options: dict) -> dict:
    from ..analysis.linear import analyse
    from ..analysis.verdict import numeric_verdict

    game = make_game_of(RUNNERS["eig"], options)
    if game.spec.discrete_only:
        raise InputError(f"{game.name} is defined only in discrete time; it has no gradient field to analyse")
    theta, phi = options.get("theta"), options.get("phi")
    d = options.get("dim") or (len(theta) if theta is not None else len(phi) if phi is not None else 2)
    analysis = analyse(game, d)
    eig = list(analysis.eigenvalues) + [None, None]
    row = {"linear_verdict": analysis.verdict, "max_re": _float(analysis.max_re), "rate": _float(analysis.rate),
           "differentiable": bool(analysis.differentiable)}
    for j in (0, 1):
        row[f"mu{j + 1}_re"] = _float(eig[j].re if eig[j] is not None else None)
        row[f"mu{j + 1}_im"] = _float(eig[j].im if eig[j] is not None else None)
    row.update(numeric_verdict=None, numeric_rate=math.nan, power=math.nan, amplitude=math.nan,
               final_distance=math.nan)
    if options.get("numeric", True):
        v = numeric_verdict(game, theta, phi, dim=d, horizon=options.get("horizon", 200.0), linear=analysis)
        row.update(numeric_verdict=v.verdict, numeric_rate=_float(v.rate), power=_float(v.power),
                   amplitude=_float(v.amplitude), final_distance=_float(v.final_distance))
    row["verdict"] = row["numeric_verdict"] or row["linear_verdict"]
    return row


def _float(x) -> float:
    return math.nan if x is None else float(x)


register(Runner(
    name="eig",
    options={**_GAME, "theta": (VECTOR, None), "phi": (VECTOR, None), "horizon": (FLOAT, 200.0),
             "numeric": (BOOL, True)},
    columns={"linear_verdict": STR, "max_re": FLOAT, "rate": FLOAT, "differentiable": BOOL, "mu1_re": FLOAT,
             "mu1_im": FLOAT, "mu2_re": FLOAT, "mu2_im": FLOAT, "numeric_verdict": STR, "numeric_rate": FLOAT,
             "power": FLOAT, "amplitude": FLOAT, "final_distance": FLOAT},
    run=_run_eig, cost=lambda o: 0.06 + (0.04 * o.get("horizon", 200.0) / 200 if o.get("numeric", True) else 0),
    seeded=False, main_metric="max_re",
    doc="diracgan.analyse (J(0)'s eigenvalues μ1, μ2 of M, the linear verdict) and, unless numeric=False, "
        "diracgan.numeric_verdict; the row's verdict is the numeric one when computed, else the linear one",
))


# -- simulate ------------------------------------------------------------------------------------

_SIM_STATUS = ("finished", "singular", "failed", "diverged")


def _run_simulate(options: dict) -> dict:
    import numpy as np

    from ..dynamics.flow import Status, check_simulation_size, simulate

    game = make_game_of(RUNNERS["simulate"], options)
    if game.spec.discrete_only:
        raise InputError(f"{game.name} is defined only in discrete time (a projection step); sweep train instead")
    kw = {k: options[k] for k in ("t_max", "samples", "dt", "method", "rtol", "atol", "bound", "max_steps")
          if options.get(k) is not None}
    th, ph = resolve_starts(options)
    check_simulation_size(th.shape[0], th.shape[1], kw.get("t_max", 40.0), kw.get("samples"), kw.get("dt"),
                          kw.get("method", "DOP853"))
    traj = simulate(game, th, ph, **kw)
    names = [Status.NAMES[int(s)] for s in traj.status]
    with np.errstate(all="ignore"):
        end = np.linalg.norm(traj.state_end, axis=1)
    return {"runs": traj.n_runs, "finished": names.count("finished"), "diverged": names.count("diverged"),
            "t_end": float(np.min(traj.t_end)), "distance_end": _median(end), "nfev": int(traj.nfev),
            "verdict": _most_common(names, _SIM_STATUS)}


register(Runner(
    name="simulate",
    options={**_GAME, **_START, "t_max": (FLOAT, 40.0), "method": (STR, "DOP853"), "rtol": (FLOAT, 1e-10),
             "atol": (FLOAT, 1e-12), "samples": (INT, None), "dt": (FLOAT, None), "bound": (FLOAT, 1e6),
             "max_steps": (INT, 500_000)},
    columns={"runs": INT, "finished": INT, "diverged": INT, "t_end": FLOAT, "distance_end": FLOAT, "nfev": INT},
    run=_run_simulate, cost=lambda o: 0.03 * o.get("t_max", 40.0) / 40 * (1 + (o.get("n_init") or 1) / 20),
    main_metric="distance_end",
    doc="diracgan.simulate from each start; the row's verdict is the most common run status "
        "(finished, diverged, singular, failed)",
))
