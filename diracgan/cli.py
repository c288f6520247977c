"""The ``diracgan`` command: a thin click layer over the library.

Each command parses options, makes one or two library calls and reports.  Heavy modules
(numpy, scipy, sympy, matplotlib, torch) are imported inside the commands, so
``diracgan --help`` starts instantly.  Choices come from the game registry.  Bad input
gives one line on stderr and exit code 2, with no traceback and no output file.
"""

from __future__ import annotations

import math
import sys
import time

import click

from .games import GAMES, InputError

LOSS_CHOICE = click.Choice(list(GAMES))
# click ≥ 8.2 raises this (a UsageError) for a group called without arguments.
_NoArgsIsHelp = getattr(click.exceptions, "NoArgsIsHelpError", ())
METHOD_NAMES = ("RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA")  # = integrate.METHODS (light copy)


class DiracganGroup(click.Group):
    """A group whose errors are one line: ``Error: …`` on stderr, exit code 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            rv = super().main(args=args, prog_name=prog_name or "diracgan", complete_var=complete_var,
                              standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
        except _NoArgsIsHelp as exc:  # bare `diracgan`: show the help, as --help does
            click.echo(exc.ctx.get_help() if exc.ctx is not None else "")
            code = 0
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            click.echo(f"Error: {exc.format_message()}{hint}", err=True)
            code = 2
        except InputError as exc:
            click.echo(f"Error: {exc}", err=True)
            code = 2
        except click.ClickException as exc:
            click.echo(f"Error: {exc.format_message()}", err=True)
            code = exc.exit_code
        except click.Abort:
            click.echo("Aborted!", err=True)
            code = 1
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            code = 130
        if standalone_mode:
            sys.exit(code)
        return code


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


NUMBER = FiniteFloat()
POSITIVE = FiniteFloat(0.0, open_min=True)


def _game_options(f):
    f = click.option("--c", "c", type=NUMBER, default=None,
                     help="gp: penalty centre c in λ(‖φ‖ − c)² (default 1; gp0/gp1 fix it).")(f)
    f = click.option("--lam", type=NUMBER, default=None,
                     help="gp/gp0/gp1: penalty weight λ (default 0.1); qp: scale λ (default 1).")(f)
    f = click.option("--dim", "-d", type=click.IntRange(min=1), default=None,
                     help="Dimension d of θ and φ  [default: from --theta/--phi/--starts, else 2]")(f)
    f = click.option("--loss", "-l", type=LOSS_CHOICE, default="gp0", show_default=True,
                     help="The game (see `diracgan games`).")(f)
    return f


def _start_options(f):
    f = click.option("--starts", "starts_file", type=click.Path(dir_okay=False), default=None,
                     help="File of starts (.npy, .csv, .json; rows θ_1..θ_d, φ_1..φ_d).")(f)
    f = click.option("--box", type=POSITIVE, default=0.5, show_default=True,
                     help="Random starts are uniform in [−box, box]^(2d).")(f)
    f = click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random starts.")(f)
    f = click.option("--n-init", type=click.IntRange(min=1), default=None,
                     help="Integrate N random starts together (see --seed, --box).")(f)
    f = click.option("--phi", default=None, metavar="φ1,φ2,…",
                     help="Start of φ  [default: the seed's (0.1, 0.2), zero-padded]")(f)
    f = click.option("--theta", default=None, metavar="θ1,θ2,…",
                     help="Start of θ  [default: the seed's (0.2, 0.1), zero-padded]")(f)
    return f


def _integration_options(f):
    f = click.option("--bound", type=POSITIVE, default=1e6, show_default=True,
                     help="A run stops as diverged when ‖(θ, φ)‖ reaches this.")(f)
    f = click.option("--dt", type=POSITIVE, default=None, help="Output every dt (instead of --samples).")(f)
    f = click.option("--samples", type=click.IntRange(min=2), default=None,
                     help="Number of evenly spaced output times  [default: 1001]")(f)
    f = click.option("--atol", type=POSITIVE, default=1e-12, show_default=True, help="Absolute tolerance.")(f)
    f = click.option("--rtol", type=POSITIVE, default=1e-10, show_default=True, help="Relative tolerance.")(f)
    f = click.option("--method", type=click.Choice(METHOD_NAMES), default="DOP853", show_default=True,
                     help="scipy solver (as solve_ivp's method); implicit ones get the derived Jacobian.")(f)
    f = click.option("--t-max", "-T", type=POSITIVE, default=40.0, show_default=True, help="End time.")(f)
    return f


def _make_game(loss, lam, c):
    from .games import make_game

    return make_game(loss, lam=lam, c=c)


def _resolve_starts(dim, theta, phi, n_init, seed, box, starts_file):
    """(θ₀ (N, d), φ₀ (N, d), d, description) from the start options."""
    from . import starts

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
    return th[None], ph[None], d, "start θ = {}, φ = {}".format(_vec(th), _vec(ph))


def _vec(v) -> str:
    v = list(v)
    shown = ", ".join(f"{x:g}" for x in v[:4]) + (", …" if len(v) > 4 else "")
    return f"({shown})"


def _simulate(loss, lam, c, dim, theta, phi, n_init, seed, box, starts_file, t_max, method, rtol, atol,
              samples, dt, bound):
    from .integrate import output_times, simulate

    game = _make_game(loss, lam, c)
    if game.spec.discrete_only:
        raise InputError(f"{loss} is defined only in discrete time (a projection step); "
                         f"use `diracgan train --loss {loss}`")
    th, ph, d, where = _resolve_starts(dim, theta, phi, n_init, seed, box, starts_file)
    output_times(t_max, samples, dt)  # validate before the expensive part
    t0 = time.perf_counter()
    traj = simulate(game, th, ph, t_max=t_max, samples=samples, dt=dt, method=method, rtol=rtol, atol=atol,
                    bound=bound)
    return game, traj, where, time.perf_counter() - t0


def _report(traj, elapsed: float, verbose_runs: int = 5) -> None:
    click.echo(f"{traj.summary()} ({traj.method}, {traj.nfev} field evaluations, {elapsed:.2f} s)", err=True)
    shown = 0
    for i in range(traj.n_runs):
        if traj.status[i] != 0 and shown < verbose_runs:
            click.echo(f"  run {i}: {traj.messages[i]}", err=True)
            shown += 1
    hidden = int((traj.status != 0).sum()) - shown
    if hidden > 0:
        click.echo(f"  … and {hidden} more stopped runs (see the output file's status)", err=True)


@click.group(cls=DiracganGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="diracgan")
def cli():
    """The Dirac-GAN: see why GAN training oscillates or converges.

    Real data is a point mass at 0, the generator's sample is θ ∈ R^d and the
    discriminator is D(x) = φ·x.  Each game is a pair of losses; its dynamics
    φ' = −∇_φ L_D, θ' = −∇_θ L_G are derived symbolically and integrated.
    """


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--markdown", is_flag=True, help="The registry as a Markdown table (as in the README).")
def games(as_json, markdown):
    """List the games: losses, derived fields, parameters, references."""
    from .report import games_json, games_markdown, games_text

    if as_json and markdown:
        raise InputError("give --json or --markdown, not both")
    click.echo(games_json() if as_json else games_markdown() if markdown else games_text())


@cli.command()
@_game_options
@_start_options
@_integration_options
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write the trajectories: .csv, .json or .npz (by extension).")
def simulate(loss, lam, c, dim, theta, phi, n_init, seed, box, starts_file, t_max, method, rtol, atol, samples,
             dt, bound, out):
    """Integrate the gradient dynamics and write the trajectories.

    Without --out, prints the final state of each run (at most 20).
    """
    from .io import DATA_FORMATS, check_output, write_trajectories

    if out is not None:
        check_output(out, DATA_FORMATS)
    game, traj, where, elapsed = _simulate(loss, lam, c, dim, theta, phi, n_init, seed, box, starts_file, t_max,
                                           method, rtol, atol, samples, dt, bound)
    click.echo(f"{game.label()}, d = {traj.dim}, {where}", err=True)
    _report(traj, elapsed)
    if out is not None:
        write_trajectories(traj, out)
        click.echo(f"wrote {out}", err=True)
    else:
        d = traj.dim
        for i in range(min(traj.n_runs, 20)):
            z = traj.state_end[i]
            click.echo(f"run {i}: t = {traj.t_end[i]:g}  θ = {_vec(z[:d])}  φ = {_vec(z[d:])}  "
                       f"[{traj.status_name(i)}]")


@cli.command()
@_game_options
@_start_options
@_integration_options
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="Figure file: .png, .pdf or .svg  [default: phase-<loss>-<params>-d<dim>.png]")
def phase(loss, lam, c, dim, theta, phi, n_init, seed, box, starts_file, t_max, method, rtol, atol, samples, dt,
          bound, out):
    """Plot the trajectory: the θ-plane (d ≥ 2) or the (θ, φ) plane with its vector
    field (d = 1), beside ‖θ‖ and ‖φ‖ against time."""
    from .io import FIGURE_FORMATS, check_output

    if out is not None:
        check_output(out, FIGURE_FORMATS)
    game, traj, where, elapsed = _simulate(loss, lam, c, dim, theta, phi, n_init, seed, box, starts_file, t_max,
                                           method, rtol, atol, samples, dt, bound)
    if out is None:
        runs = f"-n{traj.n_runs}-seed{seed}" if n_init is not None else ""
        out = f"phase-{game.label('file')}-d{traj.dim}{runs}.png"
        check_output(out, FIGURE_FORMATS)
    click.echo(f"{game.label()}, d = {traj.dim}, {where}", err=True)
    _report(traj, elapsed)
    from .plotting import phase_figure, save_figure

    save_figure(phase_figure(traj), out)
    click.echo(f"wrote {out}", err=True)


@cli.command()
@_game_options
@click.option("--theta", default=None, metavar="θ1,θ2,…", help="Start of the numeric verdict  [default: the seed's]")
@click.option("--phi", default=None, metavar="φ1,φ2,…", help="Start of the numeric verdict  [default: the seed's]")
@click.option("--horizon", type=POSITIVE, default=200.0, show_default=True,
              help="Integration horizon T of the numeric verdict.")
@click.option("--no-numeric", is_flag=True, help="Skip the numeric verdict (no integration).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (schema in the README).")
@click.option("--latex", is_flag=True, help="The field, J(0) and eigenvalues as LaTeX.")
@click.option("--sweep", default=None, metavar="NAME=START:STOP:COUNT",
              help="Eigenvalue paths as a parameter varies, e.g. lam=0:3:61.")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="With --sweep: figure (.png/.pdf/.svg) or data (.csv/.json)  "
                   "[default: eig-<loss>-sweep-<NAME>.png]")
def eig(loss, lam, c, dim, theta, phi, horizon, no_numeric, as_json, latex, sweep, out):
    """Equilibrium analysis: Jacobian at θ = φ = 0, exact and numeric eigenvalues (with
    their d-fold multiplicity), the linear verdict, and a numeric verdict by integration."""
    from .io import FIGURE_FORMATS, check_output

    if as_json and latex:
        raise InputError("give --json or --latex, not both")
    if out is not None and sweep is None:
        raise InputError("--out needs --sweep (the analysis itself prints to stdout)")
    if sweep is not None and (as_json or latex or theta or phi):
        raise InputError("--sweep writes a figure or data file; it does not take --json, --latex, --theta or --phi")
    if sweep is not None and out is not None:
        check_output(out, FIGURE_FORMATS + (".csv", ".json"))
    game = _make_game(loss, lam, c)
    if game.spec.discrete_only:
        raise InputError(f"{loss} is defined only in discrete time; its gradient field is the bilinear game's "
                         f"(see `diracgan eig --loss gp0 --lam 0`)")
    d = dim or 2
    if sweep is not None:
        _eig_sweep(game, d, sweep, out)
        return
    from . import starts
    from .analysis import analyse, numeric_verdict
    from .report import analysis_json, analysis_latex, analysis_text

    th = starts.parse_vector(theta, "--theta", dim) if theta is not None else None
    ph = starts.parse_vector(phi, "--phi", dim) if phi is not None else None
    if th is not None and ph is not None and len(th) != len(ph):
        raise InputError(f"--theta has {len(th)} values but --phi has {len(ph)}")
    d = dim or (len(th) if th is not None else len(ph) if ph is not None else 2)
    analysis = analyse(game, d)
    verdict = None
    if not no_numeric:
        verdict = numeric_verdict(game, th, ph, dim=d, horizon=horizon, linear=analysis)
    if as_json:
        import json

        click.echo(json.dumps(analysis_json(analysis, verdict), ensure_ascii=False, indent=2))
    elif latex:
        click.echo(analysis_latex(analysis, verdict))
    else:
        click.echo(analysis_text(analysis, verdict))


def _eig_sweep(game, d, sweep, out):
    from .analysis import eigenvalue_sweep, parse_sweep
    from .io import FIGURE_FORMATS, check_output, write_sweep

    name, values = parse_sweep(sweep)
    result = eigenvalue_sweep(game, name, values)
    if out is None:
        out = f"eig-{game.name}-sweep-{name}.png"
        check_output(out, FIGURE_FORMATS)
    sym = game.spec.param(name).symbol
    n_bad = int((~result.valid).sum())
    stable = result.valid & (result.max_re < 0)
    msg = f"{game.name}: swept {sym} over [{values[0]:g}, {values[-1]:g}] ({len(values)} values): "
    msg += f"asymptotically stable (max Re μ < 0) at {int(stable.sum())} of them"
    if result.crossings():
        msg += "; max Re μ changes sign at " + ", ".join(f"{sym} ≈ {x:.6g}" for x in result.crossings())
    if n_bad:
        msg += f"; not differentiable at the equilibrium for {n_bad} values (left out)"
    click.echo(msg, err=True)
    if out.lower().endswith((".csv", ".json")):
        write_sweep(result, out, dim=d)
    else:
        from .plotting import save_figure, sweep_figure

        save_figure(sweep_figure(result), out)
    click.echo(f"wrote {out}", err=True)


def main(argv=None):
    """Console entry point."""
    return cli.main(args=argv, prog_name="diracgan")


if __name__ == "__main__":  # pragma: no cover
    main()
