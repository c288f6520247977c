"""Commands that train with discrete steps: ``train`` (numpy or torch) and ``check`` (the
torch cross-check)."""

from __future__ import annotations

import time

import click

from ..errors import InputError
from ..games import REGULARISERS
from .options import LOSS_CHOICE, POSITIVE, RECORD_EVERY, STEPS, STYLE_OPTION, FiniteFloat, game_options, \
    hyper_of, lookahead_of, make_game_of, optimizer_options, require_torch, resolve_starts, start_options

GAME_OPTIMIZER_NAMES = ("sga", "cgd", "hgd", "optimistic-adam")   # = dynamics.game_optimizers.GAME_OPTIMIZER_NAMES


REFERENCE_FLOW_STEPS = 5_000
"""Solver-step budget of the gradient-flow reference drawn by ``train --plot``."""


@click.command()
@game_options
@click.option("--clip", type=POSITIVE, default=None, help="wgan-clip: clip φ to [−c, c] (default 0.01).")
@start_options
@optimizer_options
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
          ema, record_every, bound, backend, out, plot, style, quiet, progress, sga_lambda=None, sga_align=False,
          lookahead=None):
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
    game = make_game_of(loss, lam, c, clip=clip)
    from ..dynamics.training import check_training_size

    per_step = 2 if optimizer == "extragradient" else 1 if mode == "simultaneous" else n_critic + n_gen
    check_training_size(n_init or 1, dim or 2, steps, record_every, per_step)   # before building starts
    th, ph, d, where = resolve_starts(dim, theta, phi, n_init, seed, box, starts_file)
    hyper = hyper_of(betas, eps, amsgrad, alpha, centered, momentum, nesterov, dampening, weight_decay)
    kwargs = dict(optimizer=optimizer, lr=lr, lr_d=lr_d, lr_g=lr_g, mode=mode, order=order, n_critic=n_critic,
                  n_gen=n_gen, steps=steps, ema=ema, bound=bound, record_every=record_every, **hyper)
    t0 = time.perf_counter()
    lookahead = lookahead_of(lookahead)
    if (sga_lambda is not None or sga_align) and optimizer != "sga":
        raise InputError(f"--sga-lambda and --sga-align are options of --optimizer sga, not {optimizer}")
    if optimizer in GAME_OPTIMIZER_NAMES or lookahead is not None:
        from ..dynamics.game_optimizers import game_scheme

        scheme = game_scheme(game, optimizer, lr=lr, lr_d=lr_d, lr_g=lr_g, mode=mode, order=order,
                             n_critic=n_critic, n_gen=n_gen, lookahead=lookahead, sga_lambda=sga_lambda,
                             sga_align=sga_align, **hyper)
        if backend == "torch":
            from ..torchgan.game_optimizers import train_torch_game

            if ema is not None:
                raise InputError("--ema is not available with --backend torch for the game optimizers and "
                                 "--lookahead; use --backend numpy")
            run = train_torch_game(game, th, ph, scheme, steps=steps, bound=bound, record_every=record_every)
        else:
            from ..dynamics.training import train as train_numpy

            run = train_numpy(game, th, ph, scheme=scheme, steps=steps, ema=ema, bound=bound,
                              record_every=record_every, progress=False if quiet else progress)
    elif backend == "torch":
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
                ode = simulate(game, th[:10], ph[:10], t_max=lr_time, samples=flow_samples(lr_time, last),
                               max_steps=REFERENCE_FLOW_STEPS)
                if not ode.ok.all():
                    i = int(np.argmin(ode.ok))
                    click.echo(f"note: the gradient-flow reference in the figure ends at t = {ode.t_end[i]:.4g}, before "
                               f"lr·steps = {ode.t_max:g} ({ode.status_name(i)}: over its budget of "
                               f"{REFERENCE_FLOW_STEPS} solver steps, or stopped)", err=True)
        save_figure(training_figure(run, ode=ode, style=style), plot, style=style)
        if not quiet:
            click.echo(f"wrote {plot}", err=True)


def flow_samples(t_max: float, steps: int) -> int:
    """Output times of the reference flow of `train --plot`: about 25 per unit of time (the
    fastest orbit near the equilibrium, frequency 1/2, has period 4π), at least 2,001, at most
    one per step plus 2,001 and 200,001 in all: smooth curves at any length, bounded memory."""
    return int(min(max(2001, 25 * t_max + 1), steps + 2001, 200_001))


@click.command()
@click.option("--loss", "-l", "losses", type=LOSS_CHOICE, multiple=True,
              help="Restrict the checks to these games, with their regularised rows (repeatable)  [default: all]")
@click.option("--reg", "check_regs", type=click.Choice(list(REGULARISERS)), multiple=True,
              help="Restrict the checks to the rows of games with this regulariser (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable rows.")
@click.option("--quick", is_flag=True, help="Fewer points, fewer ODE games, 200-step optimizer comparisons (instead of 1000).")
@click.option("--detail", is_flag=True, help="Each row's detail under it.")
@click.option("--progress/--no-progress", default=None, help="Progress bar  [default: only on a terminal]")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Processes computing the rows (the same rows either way; at most the number of CPUs)  "
                   "[default: min(2, CPUs)]")
def check(losses, check_regs, as_json, quick, detail, progress, jobs):
    """Cross-check everything against a small torch GAN trained with torch.optim.

    1. autograd gradients of the torch losses = the symbolic field; 2. every numpy optimizer
    and scheme = the torch.optim run, step by step, EMA included; 3. torch SGD with a small
    learning rate tracks the ODE, error ∝ lr; 4. gp0 converges, the others do not, and the EMA
    sits near the equilibrium.  Exit code 1 if any check fails."""
    require_torch()
    from ..torchgan.checks import checks_json, checks_table, run_checks

    t0 = time.perf_counter()
    wanted = list(losses) + [f"+{r}" for r in check_regs]
    import os

    cpus = os.cpu_count() or 1
    jobs = min(2, cpus) if jobs is None else min(jobs, cpus)
    results = run_checks(wanted or None, quick=quick, progress=progress, workers=jobs)
    if as_json:
        import json

        click.echo(json.dumps(checks_json(results), ensure_ascii=False, indent=2))
    else:
        click.echo(checks_table(results, detail=detail))
        click.echo(f"({time.perf_counter() - t0:.1f} s)", err=True)
    return 0 if all(r.passed for r in results) else 1
