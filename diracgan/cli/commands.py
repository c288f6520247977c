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

from ..errors import InputError
from ..games import REGULARISERS
from .options import (
    DIM,
    RECORD_EVERY,
    STEPS,
    LOSS_CHOICE,
    POSITIVE,
    RANGE,
    STYLE_OPTION,
    SWEEP,
    FiniteFloat,
    _custom_options,
    _game_choice,
    _game_options,
    _hyper,
    _integration_options,
    _make_game,
    _optimizer_options,
    _optimizer_options_ranges,
    _resolve_starts,
    _start_options,
    _vec,
    cli_message,
    require_torch,
)

REFERENCE_FLOW_STEPS = 5_000
"""Solver-step budget of the gradient-flow reference drawn by ``train --plot``."""

# click ≥ 8.2 raises this (a UsageError) for a group called without arguments.
_NoArgsIsHelp = getattr(click.exceptions, "NoArgsIsHelpError", ())


class DiracganGroup(click.Group):
    """A group whose errors are one line: ``Error: …`` on stderr, exit code 2."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        import warnings

        from ..errors import Interrupted, OutputError, raise_on_signals

        # Overflow and 0/0 in numpy are expected at blow-ups and singular points; the commands
        # report them as run statuses, so the warnings would only add noise lines.
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        try:
            # SIGINT/SIGTERM raise Interrupted (not KeyboardInterrupt, which click turns into
            # 'Aborted!'), so temporary files are removed on the way out.
            with raise_on_signals():
                rv = super().main(args=args, prog_name=prog_name or "diracgan", complete_var=complete_var,
                                  standalone_mode=False, **extra)
            code = rv if isinstance(rv, int) else 0
        except _NoArgsIsHelp as exc:  # bare `diracgan`: show the help, as --help does
            click.echo(exc.ctx.get_help() if exc.ctx is not None else "")
            code = 0
        except click.UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            click.echo(f"Error: {_one_line(exc.format_message())}{hint}", err=True)
            code = 2
        except InputError as exc:
            click.echo(f"Error: {cli_message(_one_line(exc))}", err=True)
            code = 2
        except click.ClickException as exc:
            click.echo(f"Error: {_one_line(exc.format_message())}", err=True)
            code = exc.exit_code
        except Interrupted as exc:
            click.echo(exc.message, err=True)
            code = exc.exit_code
        except click.Abort as exc:
            if isinstance(exc.__cause__, KeyboardInterrupt):
                click.echo("Interrupted.", err=True)
                code = 130
            else:
                click.echo("Aborted!", err=True)
                code = 1
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            code = 130
        except OutputError as exc:
            click.echo(f"Error: {_one_line(exc)}", err=True)
            code = 1
        except OSError as exc:  # a read or write the commands did not foresee: one line, not a traceback
            where = f" {exc.filename!r}" if exc.filename else ""
            click.echo(f"Error: cannot access{where}: {exc.strerror or _one_line(exc)}", err=True)
            code = 1
        except MemoryError:
            click.echo("Error: out of memory; lower the sizes (--n-init, --samples, --steps, --dim)", err=True)
            code = 1
        if standalone_mode:
            sys.exit(code)
        return code


def _json_safe(doc):
    """``doc`` with non-finite floats as the strings "inf", "-inf", "nan" (JSON has no such
    numbers; an overflow such as λ = 1e308 gives −inf eigenvalues)."""
    if isinstance(doc, float) and not math.isfinite(doc):
        return repr(float(doc))
    if isinstance(doc, dict):
        return {k: _json_safe(v) for k, v in doc.items()}
    if isinstance(doc, (list, tuple)):
        return [_json_safe(v) for v in doc]
    return doc


def _one_line(message) -> str:
    """A message on one line (exception texts from libraries may contain newlines)."""
    return " ".join(str(message).split())


def _simulate(loss, lam, c, dim, theta, phi, n_init, seed, box, starts_file, t_max, method, rtol, atol,
              samples, dt, bound, max_steps):
    from ..dynamics.flow import check_simulation_size, simulate

    game = _make_game(loss, lam, c)
    if game.spec.discrete_only:
        raise InputError(f"{loss} is defined only in discrete time (a projection step); "
                         f"use `diracgan train --loss {loss}`")
    # Sizes first: nothing (starts, output times) is allocated before the memory check.
    check_simulation_size(n_init or 1, dim or 2, t_max, samples, dt, method)
    th, ph, d, where = _resolve_starts(dim, theta, phi, n_init, seed, box, starts_file)
    t0 = time.perf_counter()
    traj = simulate(game, th, ph, t_max=t_max, samples=samples, dt=dt, method=method, rtol=rtol, atol=atol,
                    bound=bound, max_steps=max_steps)
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
    from ..report import games_json, games_markdown, games_text

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
             dt, bound, max_steps, out):
    """Integrate the gradient dynamics and write the trajectories.

    Without --out, prints the final state of each run (at most 20).
    """
    from ..io import DATA_FORMATS, check_output, write_trajectories

    if out is not None:
        check_output(out, DATA_FORMATS)
    game, traj, where, elapsed = _simulate(loss, lam, c, dim, theta, phi, n_init, seed, box, starts_file, t_max,
                                           method, rtol, atol, samples, dt, bound, max_steps)
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
@STYLE_OPTION
def phase(loss, lam, c, dim, theta, phi, n_init, seed, box, starts_file, t_max, method, rtol, atol, samples, dt,
          bound, max_steps, out, style):
    """Plot the trajectory: the θ-plane (d ≥ 2) or the (θ, φ) plane with its vector
    field (d = 1), beside ‖θ‖ and ‖φ‖ against time."""
    from ..io import FIGURE_FORMATS, check_output

    if out is not None:
        check_output(out, FIGURE_FORMATS)
    game, traj, where, elapsed = _simulate(loss, lam, c, dim, theta, phi, n_init, seed, box, starts_file, t_max,
                                           method, rtol, atol, samples, dt, bound, max_steps)
    if out is None:
        runs = f"-n{traj.n_runs}-seed{seed}" if n_init is not None else ""
        out = f"phase-{game.label('file')}-d{traj.dim}{runs}.png"
        check_output(out, FIGURE_FORMATS)
    click.echo(f"{game.label()}, d = {traj.dim}, {where}", err=True)
    _report(traj, elapsed)
    from ..viz.plotting import phase_figure, save_figure

    save_figure(phase_figure(traj, style=style), out, style=style)
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
@click.option("--sweep", type=SWEEP, default=None, metavar="NAME=START:STOP:COUNT",
              help="Eigenvalue paths as a parameter varies, e.g. lam=0:3:61.")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="With --sweep: figure (.png/.pdf/.svg) or data (.csv/.json)  "
                   "[default: eig-<loss>-sweep-<NAME>.png]")
@STYLE_OPTION
def eig(loss, lam, c, dim, theta, phi, horizon, no_numeric, as_json, latex, sweep, out, style):
    """Equilibrium analysis: Jacobian at θ = φ = 0, exact and numeric eigenvalues (with
    their d-fold multiplicity), the linear verdict, and a numeric verdict by integration."""
    from ..io import FIGURE_FORMATS, check_output

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
        _eig_sweep(game, d, sweep, out, style)
        return
    from ..analysis.linear import analyse
    from ..analysis.verdict import numeric_verdict
    from ..dynamics import starts
    from ..report import analysis_json, analysis_latex, analysis_text

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

        click.echo(json.dumps(_json_safe(analysis_json(analysis, verdict)), ensure_ascii=False, indent=2))
    elif latex:
        click.echo(analysis_latex(analysis, verdict))
    else:
        click.echo(analysis_text(analysis, verdict))


def _eig_sweep(game, d, sweep, out, style="paper"):
    from ..analysis.sweeps import eigenvalue_sweep
    from ..io import FIGURE_FORMATS, check_output, write_sweep

    name, values = sweep
    result = eigenvalue_sweep(game, name, values)
    if out is None:
        out = f"eig-{game.name}-sweep-{name}.png"
        check_output(out, FIGURE_FORMATS)
    sym = game.spec.param(name).symbol
    n_bad = result.n_not_differentiable
    stable = result.valid & (result.max_re < 0)
    msg = f"{game.name}: swept {sym} over [{values[0]:g}, {values[-1]:g}] ({len(values)} values): "
    msg += f"asymptotically stable (max Re μ < 0) at {int(stable.sum())} of them"
    if result.crossings():
        msg += "; max Re μ changes sign at " + ", ".join(f"{sym} ≈ {x:.6g}" for x in result.crossings())
    if n_bad:
        msg += f"; not differentiable at the equilibrium for {n_bad} values (left out)"
    if result.n_overflow:
        msg += f"; M or its eigenvalues exceed the float range for {result.n_overflow} values (left out)"
    click.echo(msg, err=True)
    if out.lower().endswith((".csv", ".json")):
        write_sweep(result, out, dim=d)
    else:
        from ..viz.plotting import save_figure, sweep_figure

        save_figure(sweep_figure(result, style=style), out, style=style)
    click.echo(f"wrote {out}", err=True)


@cli.command()
@_game_options
@click.option("--clip", type=POSITIVE, default=None, help="wgan-clip: clip φ to [−c, c] (default 0.01).")
@_start_options
@_optimizer_options
@click.option("--steps", type=STEPS, default=1000, show_default=True, help="Training iterations.")
@click.option("--ema", type=FiniteFloat(0.0), default=None, help="EMA decay of θ and φ (e.g. 0.999).")
@click.option("--record-every", type=RECORD_EVERY, default=1, show_default=True,
              help="Record every k-th step.")
@click.option("--bound", type=POSITIVE, default=1e6, show_default=True,
              help="A run stops as diverged when ‖(θ, φ)‖ reaches this.")
@click.option("--backend", type=click.Choice(["numpy", "torch"]), default="numpy", show_default=True,
              help="numpy (derived gradients) or torch (a real torch GAN with torch.optim).")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None, help="Iterates: .csv, .json or .npz.")
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Figure: θ-plane (raw, EMA, gradient flow) and distance to the equilibrium: .png/.pdf/.svg.")
@STYLE_OPTION
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors (and no progress bar).")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr  [default: only on a terminal, for long runs]")
def train(loss, lam, c, dim, clip, theta, phi, n_init, seed, box, starts_file, optimizer, lr, lr_d, lr_g, betas, eps,
          amsgrad, alpha, centered, momentum, nesterov, dampening, weight_decay, mode, order, n_critic, n_gen, steps,
          ema, record_every, bound, backend, out, plot, style, quiet, progress):
    """Train with discrete steps: real optimizers, update schemes, n_critic, EMA.

    Prints (on stdout) the run's outcome, the EMA's gain (how much closer to the equilibrium
    the EMA sits than the iterate) and, for linear optimizers on differentiable games, the
    local stability of the update map; notes about files go to stderr."""
    from ..io import DATA_FORMATS, FIGURE_FORMATS, check_output, write_training

    if out is not None:
        check_output(out, DATA_FORMATS)
    if plot is not None:
        check_output(plot, FIGURE_FORMATS)
    if ema is not None and not ema < 1:
        raise InputError(f"--ema must be in [0, 1), got {ema!r}")
    if backend == "torch":
        require_torch()
    game = _make_game(loss, lam, c, clip=clip)
    from ..dynamics.training import check_training_size

    per_step = 2 if optimizer == "extragradient" else 1 if mode == "simultaneous" else n_critic + n_gen
    check_training_size(n_init or 1, dim or 2, steps, record_every, per_step)   # before building starts
    th, ph, d, where = _resolve_starts(dim, theta, phi, n_init, seed, box, starts_file)
    hyper = _hyper(betas, eps, amsgrad, alpha, centered, momentum, nesterov, dampening, weight_decay)
    kwargs = dict(optimizer=optimizer, lr=lr, lr_d=lr_d, lr_g=lr_g, mode=mode, order=order, n_critic=n_critic,
                  n_gen=n_gen, steps=steps, ema=ema, bound=bound, record_every=record_every, **hyper)
    t0 = time.perf_counter()
    if backend == "torch":
        from ..torchgan.training import train_torch

        run = train_torch(game, th, ph, **kwargs)
    else:
        from ..dynamics.training import train as train_numpy

        run = train_numpy(game, th, ph, progress=False if quiet else progress, **kwargs)
    elapsed = time.perf_counter() - t0

    def say(text):
        if not quiet:
            click.echo(text)

    say(f"{game.label()}, d = {d}, {where}")
    say(f"{run.scheme.describe()}, {steps} steps ({backend}): {run.summary()} ({elapsed:.2f} s)")
    for i in range(min(run.n_runs, 5)):
        if run.status[i] != 0:
            say(f"  run {i}: {run.messages[i]}")
    import numpy as np

    dist = run.distance()
    final = np.array([dist[i, run.valid(i)][-1] for i in range(run.n_runs)])
    say(f"distance to the equilibrium ‖(θ, φ)‖: start {np.median(dist[:, 0]):.4g}, end {np.median(final):.4g}"
        + (" (medians)" if run.n_runs > 1 else ""))
    gain = run.ema_gain()
    if gain is not None:
        gain = gain[np.isfinite(gain)]
        if len(gain):
            say(f"EMA (decay {ema:g}): over the last quarter of the steps the iterate is {np.median(gain):.3g}× "
                f"farther from the equilibrium than its EMA")
        else:
            say(f"EMA (decay {ema:g}): no comparison, no run has finite iterates over the last quarter of the "
                f"steps (they diverged earlier)")
    if run.scheme.opt_g.linear and run.scheme.opt_d.linear:
        from ..analysis.stability import discrete_stability

        try:
            st = discrete_stability(game, run.scheme, d)
            say(f"update map at the equilibrium: spectral radius ρ = {st.rho:.6g} ({st.verdict}); {st.lr_note}")
        except InputError as exc:
            say(f"update map at the equilibrium: {exc}")
    if out is not None:
        write_training(run, out)
        if not quiet:
            click.echo(f"wrote {out}", err=True)
    if plot is not None:
        from ..viz.plotting import save_figure, training_figure

        # The gradient flow is the small-step limit of plain SGD-like steps with one update per
        # player and equal learning rates; for other schemes it is not what the iterates approach.
        cfg = run.config
        ode = None
        if (not game.spec.discrete_only and optimizer in ("sgd", "optimistic", "extragradient")
                and not cfg["hyper"].get("momentum") and cfg["n_critic"] == 1 and cfg["n_gen"] == 1
                and cfg["lr_d"] == cfg["lr_g"]):
            from ..dynamics.flow import simulate

            # Up to the last step any plotted run reached (a blow-up ends it early), within a
            # bounded number of solver steps: the reference is a guide, not the result.
            last = int(run.stop_step[:10].max())
            if last > 0:
                lr_time = float(cfg["lr_g"]) * last
                ode = simulate(game, th[:10], ph[:10], t_max=lr_time, samples=_flow_samples(lr_time, last),
                               max_steps=REFERENCE_FLOW_STEPS)
                if not ode.ok.all():
                    i = int(np.argmin(ode.ok))
                    click.echo(f"note: the gradient-flow reference in the figure ends at t = {ode.t_end[i]:.4g}, before "
                               f"lr·steps = {ode.t_max:g} ({ode.status_name(i)}: over its budget of "
                               f"{REFERENCE_FLOW_STEPS} solver steps, or stopped)", err=True)
        save_figure(training_figure(run, ode=ode, style=style), plot, style=style)
        if not quiet:
            click.echo(f"wrote {plot}", err=True)


def _flow_samples(t_max: float, steps: int) -> int:
    """Output times of the reference flow of `train --plot`: about 25 per unit of time (the
    fastest orbit near the equilibrium, frequency 1/2, has period 4π), at least 2,001, at most
    one per step plus 2,001 and 200,001 in all: smooth curves at any length, bounded memory."""
    return int(min(max(2001, 25 * t_max + 1), steps + 2001, 200_001))


@cli.command()
@click.option("--loss", "-l", type=LOSS_CHOICE, default="gp0", show_default=True, help="The game.")
@_custom_options
@click.option("--lam", type=RANGE, default=None, help="λ: a number or START:STOP:COUNT  [default: the game's]")
@click.option("--c", "c", type=RANGE, default=None, help="gp: penalty centre: a number or START:STOP:COUNT.")
@_optimizer_options_ranges
@click.option("--dim", "-d", type=DIM, default=2, show_default=True,
              help="Dimension d, as in the other commands (every eigenvalue of the update map is repeated d times).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (single configuration).")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="With ranges: figure (.png/.pdf/.svg) or data (.csv/.json/.npz)  "
                   "[default: stability-<loss>-<x>-<y>.png]")
@STYLE_OPTION
@_game_choice
def stability(loss, lam, c, optimizer, lr, lr_d, lr_g, momentum, nesterov, dampening, weight_decay, mode, order,
              n_critic, n_gen, dim, as_json, out, style):
    """Local stability of the discrete update map at the equilibrium.

    With single values: the map's matrix, eigenvalues, spectral radius ρ and the largest
    stable learning rate.  With one or two ranges (START:STOP:COUNT, e.g. --lr 0.01:2:200
    --lam 0:2:200): ρ over the grid, drawn as a heatmap with the ρ = 1 contour."""
    from ..analysis.stability import discrete_stability, scheme_factory, stability_map
    from ..io import DATA_FORMATS, FIGURE_FORMATS, check_output

    values = {"lr": lr, "lr_d": lr_d, "lr_g": lr_g, "momentum": momentum, "dampening": dampening, "lam": lam, "c": c}
    parsed = {k: v for k, v in values.items() if v is not None}
    ranges = {k: v for k, v in parsed.items() if not isinstance(v, float)}
    scalars = {k: v for k, v in parsed.items() if isinstance(v, float)}
    if out is not None:
        if not ranges:
            raise InputError("--out needs a range (START:STOP:COUNT) for at least one parameter")
        check_output(out, FIGURE_FORMATS + DATA_FORMATS)
    if ranges and as_json:
        raise InputError("--json is for a single configuration; give --out FILE.json for a map's data")
    game = _make_game(loss, **{k: scalars.get(k) for k in ("lam", "c") if k in scalars})
    hyper = {k: v for k, v in {"nesterov": nesterov, "weight_decay": weight_decay}.items() if v is not None}
    for k in ("momentum", "dampening"):
        if k in scalars:
            hyper[k] = scalars[k]
    factory = scheme_factory(optimizer, lr=scalars.get("lr"), lr_d=scalars.get("lr_d"), lr_g=scalars.get("lr_g"),
                             mode=mode, order=order, n_critic=n_critic, n_gen=n_gen, **hyper)
    if not ranges:
        result = discrete_stability(game, factory(), dim)
        if as_json:
            import json

            click.echo(json.dumps(_json_safe(result.as_dict()), ensure_ascii=False, indent=2))
        else:
            click.echo(result.text())
        return
    order_axes = [k for k in ("lr", "lr_d", "lr_g", "momentum", "dampening", "lam", "c") if k in ranges]
    if len(order_axes) > 2:
        raise InputError(f"give at most two ranges, got {len(order_axes)}: " + ", ".join(f"--{k}" for k in order_axes))
    t0 = time.perf_counter()
    smap = stability_map(game, factory, {k: ranges[k] for k in order_axes})
    elapsed = time.perf_counter() - t0
    if out is None:
        out = f"stability-{game.name}-{'-'.join(order_axes)}.png"
        check_output(out, FIGURE_FORMATS)
    size = "×".join(str(len(ranges[k])) for k in order_axes)
    fixed = ", ".join(f"{game.spec.param(k).symbol} = {v:g}" for k, v in game.values if k not in order_axes)
    click.echo(f"{game.name}{f' ({fixed})' if fixed else ''}, {smap.scheme.opt_g.name}, {smap.scheme.mode}: ρ on a {size} grid in {elapsed * 1000:.0f} ms; "
               f"stable (ρ < 1) on {100 * smap.stable_fraction():.1f}% of it"
               + (f"; ρ exceeds the float range (unstable) at {smap.n_overflow} points" if smap.n_overflow else "")
               + (f"; not differentiable at the equilibrium at {smap.n_not_differentiable} points (left out)"
                  if smap.n_not_differentiable else ""), err=True)
    if out.lower().endswith(DATA_FORMATS):
        from ..io import write_stability_map

        write_stability_map(smap, out)
    else:
        from ..viz.plotting import save_figure, stability_figure

        save_figure(stability_figure(smap, style=style), out, style=style)
    click.echo(f"wrote {out}", err=True)


@cli.command()
@click.option("--only", multiple=True, metavar="NAME", help="Render only this entry (repeatable).")
@click.option("--check", "check_only", is_flag=True,
              help="Render into a temporary folder and exit 1 if any committed figure differs.")
@click.option("--dir", "folder", type=click.Path(file_okay=False), default="figures", show_default=True,
              help="The figures folder.")
@click.option("--list", "list_only", is_flag=True, help="List the catalogue and exit.")
@click.option("--style", type=click.Choice(["paper", "talk"]), default="paper", show_default=True,
              help="talk: slide-ready (larger fonts, thicker lines); needs --dir other than figures/.")
@click.option("--progress/--no-progress", default=None, help="Progress bar  [default: only on a terminal]")
def figures(only, check_only, folder, list_only, style, progress):
    """Regenerate every figure of the catalogue (byte-identical for the same library versions)."""
    import os

    from ..viz.catalogue import CATALOGUE, check, get_entry, render_all

    for name in only:
        get_entry(name)
    if list_only:
        for e in CATALOGUE:
            click.echo(f"{e.name:<20} {e.filename:<24} {e.caption}")
        return
    if check_only:
        results = check(folder, list(only) or None, progress=progress)
        bad = [(f, s) for f, s in results if s != "ok"]
        for f, s in results:
            click.echo(f"{s:<8} {f}")
        click.echo(f"{len(results) - len(bad)} of {len(results)} figures identical to a fresh render", err=True)
        return 1 if bad else 0
    from ..io import check_output_folder

    check_output_folder(folder)
    if style != "paper" and os.path.abspath(folder) == os.path.abspath("figures"):
        raise InputError("--style talk writes slide versions; give another folder with --dir (figures/ holds the "
                         "committed paper style)")
    t0 = time.perf_counter()
    paths = render_all(folder, list(only) or None, progress=progress, style=style)
    click.echo(f"rendered {len(paths)} figure(s) into {folder}/ in {time.perf_counter() - t0:.1f} s", err=True)


@cli.command()
@_game_options
@click.option("--theta", default=None, metavar="θ1,θ2,…", help="Start of θ  [default: the seed's]")
@click.option("--phi", default=None, metavar="φ1,φ2,…", help="Start of φ  [default: the seed's]")
@click.option("--t-max", "-T", type=POSITIVE, default=40.0, show_default=True, help="End time.")
@click.option("--frames", type=click.IntRange(min=2, max=2000), default=72, show_default=True, help="Frames.")
@click.option("--fps", type=click.IntRange(min=1, max=100), default=18, show_default=True, help="Frames per second.")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="GIF file  [default: anim-<loss>-<params>-d<dim>.gif]")
@STYLE_OPTION
@click.option("--progress/--no-progress", default=None, help="Progress bar  [default: only on a terminal]")
def animate(loss, lam, c, dim, theta, phi, t_max, frames, fps, out, style, progress):
    """Animate a trajectory: the θ-plane (or (θ, φ) plane with the field for d = 1) beside
    ‖θ‖ and ‖φ‖, as a GIF (matplotlib's PillowWriter, no external program)."""
    from ..io import check_output

    if out is not None:
        check_output(out, (".gif",))
    game = _make_game(loss, lam, c)
    if game.spec.discrete_only:
        raise InputError(f"{loss} is defined only in discrete time; use `diracgan train --loss {loss} --plot FILE`")
    th, ph, d, where = _resolve_starts(dim, theta, phi, None, 0, 0.5, None)
    if out is None:
        out = f"anim-{game.label('file')}-d{d}.gif"
        check_output(out, (".gif",))
    from ..dynamics.flow import simulate
    from ..viz.plotting import animate_phase

    run = simulate(game, th, ph, t_max=t_max, samples=max(1601, 4 * frames))
    if run.t_end[0] == 0:
        raise InputError(f"nothing to animate: {run.messages[0]}")
    if run.status[0] != 0:
        click.echo(f"note: {run.messages[0]}", err=True)
    animate_phase(run, out, frames=frames, fps=fps, style=style, progress=progress)
    click.echo(f"{game.label()}, d = {d}, {where}: wrote {out} ({frames} frames at {fps} fps)", err=True)


@cli.command()
@click.option("--loss", "-l", "losses", type=LOSS_CHOICE, multiple=True,
              help="Restrict the checks to these games, with their regularised rows (repeatable)  [default: all]")
@click.option("--reg", "check_regs", type=click.Choice(list(REGULARISERS)), multiple=True,
              help="Restrict the checks to the rows of games with this regulariser (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable rows.")
@click.option("--quick", is_flag=True, help="Fewer points, fewer ODE games, 200-step optimizer comparisons (instead of 1000).")
@click.option("--detail", is_flag=True, help="Each row's detail under it.")
@click.option("--progress/--no-progress", default=None, help="Progress bar  [default: only on a terminal]")
def check(losses, check_regs, as_json, quick, detail, progress):
    """Cross-check everything against a small torch GAN trained with torch.optim.

    1. autograd gradients of the torch losses = the symbolic field; 2. every numpy optimizer
    and scheme = the torch.optim run, step by step, EMA included; 3. torch SGD with a small
    learning rate tracks the ODE, error ∝ lr; 4. gp0 converges, the others do not, and the EMA
    sits near the equilibrium.  Exit code 1 if any check fails."""
    require_torch()
    from ..torchgan.checks import checks_json, checks_table, run_checks

    t0 = time.perf_counter()
    wanted = list(losses) + [f"+{r}" for r in check_regs]
    results = run_checks(wanted or None, quick=quick, progress=progress)
    if as_json:
        import json

        click.echo(json.dumps(checks_json(results), ensure_ascii=False, indent=2))
    else:
        click.echo(checks_table(results, detail=detail))
        click.echo(f"({time.perf_counter() - t0:.1f} s)", err=True)
    return 0 if all(r.passed for r in results) else 1


@cli.command()
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write the page to this .html file  [default: explorer.html unless --serve]")
@click.option("--serve", is_flag=True, help="Serve the page on http://127.0.0.1:PORT/ until Ctrl-C.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port for --serve (loopback only; 0 takes a free port).")
@click.option("--loss", "-l", "initial", type=LOSS_CHOICE, default=None, help="The game shown first.")
def explore(out, serve, port, initial):
    """An interactive explorer in the browser: one self-contained HTML page (no network), with
    every game and regulariser, the flow and discrete training, and J(0)'s exact eigenvalues,
    all generated from the same sympy derivation."""
    from ..io import check_output

    if out is None and not serve:
        out = "explorer.html"
    if out is not None:
        check_output(out, (".html",))
    from ..viz.explorer import explore as build, make_server

    page = build(initial=initial)
    server = make_server(page.html, port) if serve else None   # fail on a busy port before writing
    if out is not None:
        page.save(out)
        click.echo(f"wrote {out} ({len(page.html.encode('utf-8')) / 1000:.0f} kB); open it in a browser", err=True)
    if server is not None:
        host, bound = server.server_address[:2]
        click.echo(f"serving the explorer at http://{host}:{bound}/ (Ctrl-C stops)", err=False)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            click.echo("stopped.", err=True)
        finally:
            server.server_close()


from .sweep import add_sweep  # noqa: E402  (built from the commands above)

add_sweep(cli)


def main(argv=None):
    """Console entry point."""
    return cli.main(args=argv, prog_name="diracgan")


if __name__ == "__main__":  # pragma: no cover
    main()
