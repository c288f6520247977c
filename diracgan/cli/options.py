"""Shared option types and option groups of the ``diracgan`` commands.

Parameter types validate at parse time so that a bad value is a one-line usage error before
any work starts: :class:`FiniteFloat` (click's FLOAT accepts 'nan' and 'inf') and
:class:`Range`, the one parser of ``START:STOP:COUNT`` ranges used by every command that takes
them.  The option groups (game, starts, integration, optimizer) are decorators, and the
helpers below them turn their values into library arguments.  numpy is imported only when a
value is converted, so ``diracgan --help`` stays instant.

Public, for the command modules: the types (:class:`FiniteFloat`, :class:`Range`, :class:`KeyValue`,
:class:`RegulariserSpec`, the bounded integer ranges), the option groups (:func:`game_options`,
:func:`custom_options`, :func:`start_options`, :func:`integration_options`,
:func:`optimizer_options`, :func:`optimizer_range_options`, :data:`STYLE_OPTION`) and the
converters (:func:`make_game_of`, :func:`resolve_starts`, :func:`hyper_of`,
:func:`format_vector`, :func:`cli_message`, :func:`require_torch`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import click

from ..errors import InputError
from ..games import GAMES

LOSS_CHOICE = click.Choice(list(GAMES))
METHOD_NAMES = ("RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA")  # = dynamics.flow.METHODS (light copy)
OPTIMIZER_NAMES = ("sgd", "adam", "rmsprop", "optimistic", "extragradient",   # = dynamics.optimizers.OPTIMIZERS
                   "sga", "cgd", "hgd", "optimistic-adam")                      # + dynamics.game_optimizers


class FiniteFloat(click.ParamType):
    """A float that must be finite (click's FLOAT accepts 'nan' and 'inf')."""

    name = "number"

    def __init__(self, minimum: float | None = None, open_min: bool = False):
        self.minimum, self.open_min = minimum, open_min

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            x = value
        else:
            try:
                x = float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(x):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        if self.minimum is not None and (x < self.minimum or (self.open_min and x == self.minimum)):
            self.fail(f"{value!r} must be {'>' if self.open_min else '≥'} {self.minimum:g}", param, ctx)
        return x


# Integer options are bounded, so a 23-digit value is a one-line usage error, not an overflow;
# the memory and time budgets of the library refuse the large-but-representable ones.
DIM = click.IntRange(1, 10**8)
N_INIT = click.IntRange(1, 10**8)
SAMPLES = click.IntRange(2, 10**9)
MAX_STEPS = click.IntRange(1, 10**9)
STEPS = click.IntRange(1, 10**9)
PER_STEP = click.IntRange(1, 10**6)      # --n-critic, --n-gen
RECORD_EVERY = click.IntRange(1, 10**9)

NUMBER = FiniteFloat()
POSITIVE = FiniteFloat(0.0, open_min=True)


class Range(click.ParamType):
    """A number, or ``START:STOP:COUNT``: COUNT evenly spaced values from START to STOP
    (``numpy.linspace``, both ends included).

    Converts to a float for a single number and to an array of shape (COUNT,) for a range.
    With ``named=True`` the value is ``NAME=START:STOP:COUNT`` and converts to
    ``(NAME, values)`` (a range is then required).  Ends must be finite and
    2 ≤ COUNT ≤ ``max_count``.
    """

    def __init__(self, named: bool = False, max_count: int = 5000):
        self.named, self.max_count = named, max_count
        self.name = "NAME=START:STOP:COUNT" if named else "number|START:STOP:COUNT"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):   # already converted (a default, or a second pass)
            return value
        form = "NAME=START:STOP:COUNT (e.g. lam=0:3:61)" if self.named else "a number or START:STOP:COUNT (e.g. 0.01:2:200)"
        text, name = value.strip(), None
        if self.named:
            name, sep, text = text.partition("=")
            name = name.strip()
            if not sep or not name:
                self.fail(f"must look like {form}, got {value!r}", param, ctx)
        if ":" not in text and not self.named:
            try:
                x = float(text)
            except ValueError:
                self.fail(f"must be {form}, got {value!r}", param, ctx)
            if not math.isfinite(x):
                self.fail(f"must be finite, got {value!r}", param, ctx)
            return x
        try:
            start, stop, count = text.split(":")
            start, stop, count = float(start), float(stop), int(count)
        except ValueError:
            self.fail(f"must {'look like' if self.named else 'be'} {form}, got {value!r}", param, ctx)
        if not (math.isfinite(start) and math.isfinite(stop)) or not 2 <= count <= self.max_count:
            self.fail(f"a range needs finite START and STOP and 2 ≤ COUNT ≤ {self.max_count}, got {value!r}",
                      param, ctx)
        import numpy as np

        values = np.linspace(start, stop, count)
        return (name, values) if self.named else values


RANGE = Range()
SWEEP = Range(named=True, max_count=100_000)


class KeyValue(click.ParamType):
    """``NAME=VALUE`` with a finite number VALUE → (NAME, float)."""

    name = "NAME=VALUE"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        key, sep, number = value.partition("=")
        key = key.strip()
        if not sep or not key:
            self.fail(f"must look like NAME=VALUE (e.g. gamma=0.5), got {value!r}", param, ctx)
        return key, NUMBER.convert(number.strip(), param, ctx)


class RegulariserSpec(click.ParamType):
    """``NAME[:key=value,...]`` → (NAME, {key: value}); NAME from the regulariser registry."""

    name = "NAME[:key=value,...]"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        from ..games import REGULARISERS

        name, _, rest = value.partition(":")
        name = name.strip()
        if name not in REGULARISERS:
            self.fail(f"unknown regulariser {name!r}; choose one of: {', '.join(REGULARISERS)}", param, ctx)
        values = {}
        for item in filter(None, (x.strip() for x in rest.split(","))):
            key, number = KeyValue().convert(item, param, ctx)
            have = [p.name for p in REGULARISERS[name].params]
            if key not in have:
                self.fail(f"{name} has no parameter {key!r} (its parameters: {', '.join(have) or 'none'})", param, ctx)
            values[key] = number
        return name, values


@dataclass(frozen=True)
class GameChoice:
    """The game the options name: a registered loss or two typed losses, regularisers, and
    parameter values from ``--param``.  ``str()`` is its name (for messages)."""

    loss: str
    regs: tuple = ()
    params: tuple = ()
    loss_d: str | None = None
    loss_g: str | None = None

    def __str__(self) -> str:
        return "+".join([self.loss] + [name for name, _ in self.regs])

    def spec(self):
        from ..games import compose, custom_game, get_spec

        if self.loss_d is not None:
            base = custom_game(self.loss_d, self.loss_g, dict(self.params))
        else:
            base = get_spec(self.loss)
        return compose(base, *(name for name, _ in self.regs)) if self.regs else base

    def values(self, **given) -> dict:
        """Parameter values by name: ``given`` (e.g. --lam, --c, --clip), --param, --reg values."""
        out = {k: v for k, v in given.items() if v is not None}
        if self.loss_d is None:
            for key, value in self.params:
                if key in out and out[key] != value:
                    raise InputError(f"parameter {key} is given twice (--{key} and --param {key}=…)")
                out[key] = value
        for name, values in self.regs:
            out.update({f"{name}_{k}": v for k, v in values.items()})
        return out

    def make(self, **given):
        from ..games import make_game

        return make_game(self.spec(), **self.values(**given))


def game_choice(f):
    """Fold --reg, --param, --loss-d and --loss-g into the ``loss`` argument (a GameChoice)."""
    @functools.wraps(f)
    def wrapper(*args, loss, reg, param, loss_d, loss_g, **kwargs):
        ctx = click.get_current_context()
        if (loss_d is None) != (loss_g is None):
            raise InputError("give both --loss-d and --loss-g (the two losses of your game)")
        if loss_d is not None:
            from click.core import ParameterSource

            if ctx.get_parameter_source("loss") != ParameterSource.DEFAULT:
                raise InputError("give --loss or --loss-d/--loss-g, not both")
            loss = "custom"
        names = [k for k, _ in param]
        if len(set(names)) != len(names):
            raise InputError("a parameter is given twice with --param")
        return f(*args, loss=GameChoice(loss, tuple(reg), tuple(param), loss_d, loss_g), **kwargs)
    return wrapper


def custom_options(f):
    f = click.option("--param", "param", type=KeyValue(), multiple=True,
                     help="A game parameter NAME=VALUE (any parameter of the game; declares one for --loss-d/-g). "
                          "Repeatable.")(f)
    f = click.option("--loss-g", default=None, metavar="EXPR",
                     help="Your own L_G (with --loss-d): e.g. 'softplus(-dot)'; see README, 'Your own game'.")(f)
    f = click.option("--loss-d", default=None, metavar="EXPR",
                     help="Your own L_D in dot, d_real, theta_sq, phi_sq, theta_norm, phi_norm, softplus, "
                          "sigmoid, log, exp, sqrt, abs, max, relu, numbers and --param names.")(f)
    f = click.option("--reg", "reg", type=RegulariserSpec(), multiple=True,
                     help="Add a regulariser NAME[:key=value,...], e.g. r1:gamma=2 (see `diracgan games`). "
                          "Repeatable.")(f)
    return f


def game_options(f):
    f = game_choice(f)
    f = custom_options(f)
    f = click.option("--c", "c", type=NUMBER, default=None,
                     help="gp: penalty centre c in λ(‖φ‖ − c)² (default 1; gp0/gp1 fix it); lsgan: G's target c.")(f)
    f = click.option("--lam", type=NUMBER, default=None,
                     help="gp/gp0/gp1: penalty weight λ (default 0.1); qp: scale λ (default 1).")(f)
    f = click.option("--dim", "-d", type=DIM, default=None,
                     help="Dimension d of θ and φ  [default: from the start's length, else 2]")(f)
    f = click.option("--loss", "-l", type=LOSS_CHOICE, default="gp0", show_default=True,
                     help="The game (see `diracgan games`).")(f)
    return f


def start_options(f):
    f = click.option("--starts", "starts_file", type=click.Path(dir_okay=False), default=None,
                     help="File of starts (.npy, .csv, .json; rows θ_1..θ_d, φ_1..φ_d).")(f)
    f = click.option("--box", type=POSITIVE, default=0.5, show_default=True,
                     help="Random starts are uniform in [−box, box]^(2d).")(f)
    f = click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True,
                     help="Seed of the random starts.")(f)
    f = click.option("--n-init", type=N_INIT, default=None,
                     help="Integrate N random starts together (see --seed, --box).")(f)
    f = click.option("--phi", default=None, metavar="φ1,φ2,…",
                     help="Start of φ  [default: the seed's (0.1, 0.2), zero-padded]")(f)
    f = click.option("--theta", default=None, metavar="θ1,θ2,…",
                     help="Start of θ  [default: the seed's (0.2, 0.1), zero-padded]")(f)
    return f


def integration_options(f):
    f = click.option("--max-steps", type=MAX_STEPS, default=500_000, show_default=True,
                     help="Solver steps a run may take before it stops as failed.")(f)
    f = click.option("--bound", type=POSITIVE, default=1e6, show_default=True,
                     help="A run stops as diverged when ‖(θ, φ)‖ reaches this.")(f)
    f = click.option("--dt", type=POSITIVE, default=None, help="Output every dt (instead of --samples).")(f)
    f = click.option("--samples", type=SAMPLES, default=None,
                     help="Number of evenly spaced output times  [default: 1001]")(f)
    f = click.option("--atol", type=POSITIVE, default=1e-12, show_default=True, help="Absolute tolerance.")(f)
    f = click.option("--rtol", type=POSITIVE, default=1e-10, show_default=True, help="Relative tolerance.")(f)
    f = click.option("--method", type=click.Choice(METHOD_NAMES), default="DOP853", show_default=True,
                     help="scipy solver (as solve_ivp's method); implicit ones get the derived Jacobian.")(f)
    f = click.option("--t-max", "-T", type=POSITIVE, default=40.0, show_default=True, help="End time.")(f)
    return f


def make_game_of(loss, lam=None, c=None, **given):
    """The Game of the options (``loss`` a name or a :class:`GameChoice`)."""
    if not isinstance(loss, GameChoice):
        loss = GameChoice(loss)
    return loss.make(lam=lam, c=c, **given)


def resolve_starts(dim, theta, phi, n_init, seed, box, starts_file):
    """(θ₀ (N, d), φ₀ (N, d), d, description) from the start options."""
    from ..dynamics import starts

    if starts_file is not None:
        if theta is not None or phi is not None or n_init is not None:
            raise InputError("give --starts alone, not with --theta/--phi/--n-init")
        th, ph = starts.load_starts(starts_file, dim)
        return th, ph, th.shape[1], f"{th.shape[0]} starts from {starts_file}"
    if n_init is not None:
        if theta is not None or phi is not None:
            raise InputError("give --n-init or --theta/--phi, not both")
        d = dim or 2
        th, ph = starts.random_starts(n_init, d, seed, box)
        return th, ph, d, f"{n_init} random starts in [−{box:g}, {box:g}]^{2 * d} (seed {seed})"
    vec_t = starts.parse_vector(theta, "--theta", dim) if theta is not None else None
    vec_p = starts.parse_vector(phi, "--phi", dim) if phi is not None else None
    if vec_t is not None and vec_p is not None and len(vec_t) != len(vec_p):
        raise InputError(f"--theta has {len(vec_t)} values but --phi has {len(vec_p)}")
    d = dim or (len(vec_t) if vec_t is not None else len(vec_p) if vec_p is not None else 2)
    th0, ph0 = starts.default_start(d)
    th = vec_t if vec_t is not None else th0
    ph = vec_p if vec_p is not None else ph0
    return th[None], ph[None], d, "start θ = {}, φ = {}".format(format_vector(th), format_vector(ph))


def format_vector(v) -> str:
    v = list(v)
    shown = ", ".join(f"{x:g}" for x in v[:4]) + (", …" if len(v) > 4 else "")
    return f"({shown})"


def optimizer_options(f, ranges: bool = False):
    """Optimizer and scheme options shared by `train` and `stability` (ranges: NUMBER or
    START:STOP:COUNT strings for the stability map)."""
    num = RANGE if ranges else NUMBER
    extra = " (a number or START:STOP:COUNT)" if ranges else ""
    f = click.option("--lookahead", default=None, metavar="K,ALPHA",
                     help="Lookahead-minmax around any optimizer: every K steps both players' slow weights move "
                          "ALPHA ∈ (0, 1] towards the fast ones (Chavdarova et al. 2021).")(f)
    f = click.option("--sga-align", is_flag=True, default=False,
                     help="SGA: the paper's sign alignment of λ (Balduzzi et al. 2018, Algorithm 1).")(f)
    f = click.option("--sga-lambda", type=NUMBER, default=None, help="SGA: the weight λ of Aᵀξ (default 1).")(f)
    f = click.option("--n-gen", type=PER_STEP, default=1, show_default=True,
                     help="Generator steps per iteration (alternating).")(f)
    f = click.option("--n-critic", type=PER_STEP, default=1, show_default=True,
                     help="Discriminator steps per iteration (alternating; WGAN-GP uses 5).")(f)
    f = click.option("--order", type=click.Choice(["d-first", "g-first"]), default="d-first", show_default=True,
                     help="Alternating: discriminator first (WGAN-GP's algorithm) or generator first (Mescheder).")(f)
    f = click.option("--mode", type=click.Choice(["alternating", "simultaneous"]), default=None,
                     help="Update scheme  [default: alternating, as real training loops do; simultaneous for "
                          "extragradient]")(f)
    f = click.option("--weight-decay", type=NUMBER, default=None, help="L2 weight decay (torch's weight_decay).")(f)
    f = click.option("--dampening", type=num, default=None, help="SGD momentum dampening" + extra + ".")(f)
    f = click.option("--nesterov", is_flag=True, default=None, help="SGD: Nesterov momentum.")(f)
    f = click.option("--momentum", type=num, default=None, help="SGD/RMSprop momentum" + extra + ".")(f)
    if not ranges:
        f = click.option("--centered", is_flag=True, default=None, help="RMSprop: centred.")(f)
        f = click.option("--alpha", type=NUMBER, default=None, help="RMSprop smoothing α (torch: 0.99).")(f)
        f = click.option("--amsgrad", is_flag=True, default=None, help="Adam: AMSGrad.")(f)
        f = click.option("--eps", type=NUMBER, default=None, help="Adam/RMSprop ε (torch: 1e-8).")(f)
        f = click.option("--betas", default=None, metavar="β1,β2", help="Adam betas (torch: 0.9,0.999).")(f)
    f = click.option("--lr-g", type=num, default=None, help="Generator learning rate (TTUR)" + extra + ".")(f)
    f = click.option("--lr-d", type=num, default=None, help="Discriminator learning rate (TTUR)" + extra + ".")(f)
    f = click.option("--lr", type=num, default=None,
                     help="Learning rate of both players" + extra + "  [default: torch's: sgd 1e-3, adam 1e-3, "
                          "rmsprop 1e-2]")(f)
    f = click.option("--optimizer", type=click.Choice(OPTIMIZER_NAMES), default="sgd", show_default=True,
                     help="Optimizer (torch.optim's update rules and defaults).")(f)
    return f


def optimizer_range_options(f):
    return optimizer_options(f, ranges=True)


def drift_options(f):
    """``--drift simultaneous|alternating`` with the step and scheme it is taken for (eig,
    simulate, phase): the first-order modified flow of Rosca et al. 2021."""
    f = click.option("--n-gen", "drift_n_gen", type=PER_STEP, default=1, show_default=True,
                     help="With --drift alternating: generator steps per iteration.")(f)
    f = click.option("--n-critic", "drift_n_critic", type=PER_STEP, default=1, show_default=True,
                     help="With --drift alternating: discriminator steps per iteration.")(f)
    f = click.option("--order", "drift_order", type=click.Choice(["d-first", "g-first"]), default="d-first",
                     show_default=True, help="With --drift alternating: which player steps first.")(f)
    f = click.option("--optimizer", "drift_optimizer", type=click.Choice(OPTIMIZER_NAMES), default="sgd",
                     show_default=True, help="With --drift: the optimizer whose drift is taken (plain sgd).")(f)
    f = click.option("--lr-g", "drift_lr_g", type=POSITIVE, default=None,
                     help="With --drift: the generator's learning rate (default H).")(f)
    f = click.option("--lr-d", "drift_lr_d", type=POSITIVE, default=None,
                     help="With --drift: the discriminator's learning rate (default H).")(f)
    f = click.option("--lr", "drift_lr", type=POSITIVE, default=None, metavar="H",
                     help="With --drift: the step h (one training iteration is time h).")(f)
    f = click.option("--drift", type=click.Choice(["simultaneous", "alternating"]), default=None,
                     help="The modified flow of discrete gradient descent with step --lr (discretisation drift, "
                          "Rosca et al. 2021).")(f)
    return f


def drift_of(drift, lr, lr_d, lr_g, order, n_critic, n_gen, optimizer):
    """The (DriftScheme, h, α_d, α_g) of the ``--drift`` options, or None without ``--drift``."""
    if drift is None:
        given = [name for name, v in (("--lr", lr), ("--lr-d", lr_d), ("--lr-g", lr_g)) if v is not None]
        if given or n_critic != 1 or n_gen != 1 or order != "d-first" or optimizer != "sgd":
            raise InputError(f"{', '.join(given) or '--order/--n-critic/--n-gen/--optimizer'}: used only with "
                             f"--drift simultaneous|alternating")
        return None
    from ..derivation.drift import DRIFT_OPTIMIZERS, drift_scheme

    if optimizer not in DRIFT_OPTIMIZERS:
        raise InputError(f"--drift is derived for plain gradient steps (--optimizer {', '.join(DRIFT_OPTIMIZERS)}), "
                         f"not {optimizer}")
    if lr is None and lr_d is None and lr_g is None:
        raise InputError("--drift needs the step: give --lr H (and optionally --lr-d, --lr-g)")
    scheme = drift_scheme(drift, order, n_critic, n_gen)
    h = lr if lr is not None else (lr_g if lr_g is not None else lr_d)
    return scheme, float(h), (lr_d if lr_d is not None else h) / h, (lr_g if lr_g is not None else h) / h


def lookahead_of(text: str | None):
    """``--lookahead K,ALPHA`` → (k, α), validated (k a whole number ≥ 1, α in (0, 1])."""
    if text is None:
        return None
    from ..dynamics.game_optimizers import parse_lookahead

    parts = [x.strip() for x in str(text).split(",")]
    if len(parts) != 2:
        raise InputError(f"--lookahead takes K,ALPHA (e.g. 5,0.5), got {text!r}")
    try:
        k, alpha = float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError(f"--lookahead takes two numbers K,ALPHA (e.g. 5,0.5), got {text!r}") from None
    return parse_lookahead(int(k) if k == int(k) else k, alpha)


def hyper_of(betas=None, eps=None, amsgrad=None, alpha=None, centered=None, momentum=None, nesterov=None,
           dampening=None, weight_decay=None) -> dict:
    from ..dynamics import starts

    out = {"eps": eps, "amsgrad": amsgrad, "alpha": alpha, "centered": centered, "momentum": momentum,
           "nesterov": nesterov, "dampening": dampening, "weight_decay": weight_decay}
    if betas is not None:
        b = starts.parse_vector(betas, "--betas", 2, expected="Adam takes")
        out["beta1"], out["beta2"] = float(b[0]), float(b[1])
    return {k: v for k, v in out.items() if v is not None}


STYLE_OPTION = click.option(
    "--style", type=click.Choice(["paper", "talk"]), default="paper", show_default=True,
    help="Figure style: paper, or talk (larger fonts and thicker lines, for slides).")


def require_torch() -> None:
    """Raise a one-line :class:`InputError` naming the install command when torch is missing."""
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        raise InputError('this command needs PyTorch, which is not installed: pip install "diracgan[torch]"')


def cli_message(message: str, options=()) -> str:
    """The library's errors name API arguments (``λ (lam) of gp0``, ``mode='alternating'``,
    ``horizon=``); on the command line the same message names the options (``λ (--lam) of gp0``,
    ``--mode alternating``, ``--horizon``).  ``options``: the invoked command's option names
    (click's ``param.name``); every ``name=`` that is one of them becomes ``--name``."""
    import re

    message = re.sub(r"use make_game\('([\w-]+)', (\w+)=\.\.\.\)", r"use --loss \1 --\2 ...", message)   # before the generic name= rule below
    if options:
        known = set(options)
        message = re.sub(r"\b([a-z][a-z0-9_]*)=(?![=\w'\"])",
                         lambda m: "--" + m.group(1).replace("_", "-") if m.group(1) in known else m.group(0), message)
        # `method=DOP853` (a value given with the name) reads `--method DOP853` on the command line.
        message = re.sub(r"\b([a-z][a-z0-9_]*)=(\w+)\b",
                         lambda m: f"--{m.group(1).replace('_', '-')} {m.group(2)}" if m.group(1) in known
                         else m.group(0), message)

    message = re.sub(r"\(([a-z][a-z0-9_]*)\) of ", lambda m: f"(--{m.group(1).replace('_', '-')}) of ", message)
    message = re.sub(r"its parameters: ([^)]*)\)",
                     lambda m: "its parameters: " + ", ".join(p if p == "none" else "--" + p.replace("_", "-")
                                                              for p in m.group(1).split(", ")) + ")", message)
    message = re.sub(r"mode='(\w+)'", r"--mode \1", message)
    message = re.sub(r"\b(n_critic|n_gen|record_every)\b", lambda m: "--" + m.group(1).replace("_", "-"), message)
    return message
