"""Commands that integrate the gradient flow: ``simulate``, ``phase``, ``animate``."""

from __future__ import annotations

import time

import click

from ..errors import InputError
from .options import STYLE_OPTION, POSITIVE, format_vector, game_options, integration_options, make_game_of, \
    resolve_starts, start_options


def simulate_from_options(loss, lam, c, dim, theta, phi, n_init, seed, box, starts_file, t_max, method, rtol, atol,
              samples, dt, bound, max_steps):
    from ..dynamics.flow import check_simulation_size, simulate

    game = make_game_of(loss, lam, c)
    if game.spec.discrete_only:
        raise InputError(f"{loss} is defined only in discrete time (a projection step); "
                         f"use `diracgan train --loss {loss}`")
    # Sizes first: nothing (starts, output times) is allocated before the memory check.
    check_simulation_size(n_init or 1, dim or 2, t_max, samples, dt, method)
    th, ph, d, where = resolve_starts(dim, theta, phi, n_init, seed, box, starts_file)
    t0 = time.perf_counter()
    traj = simulate(game, th, ph, t_max=t_max, samples=samples, dt=dt, method=method, rtol=rtol, atol=atol,
                    bound=bound, max_steps=max_steps)
    return game, traj, where, time.perf_counter() - t0


def report_trajectory(traj, elapsed: float, verbose_runs: int = 5) -> None:
    click.echo(f"{traj.summary()} ({traj.method}, {traj.nfev} field evaluations, {elapsed:.2f} s)", err=True)
    shown = 0
    for i in range(traj.n_runs):
        if traj.status[i] != 0 and shown < verbose_runs:
            click.echo(f"  run {i}: {traj.messages[i]}", err=True)
            shown += 1
    hidden = int((traj.status != 0).sum()) - shown
    if hidden > 0:
        click.echo(f"  … and {hidden} more stopped runs (see the output file's status)", err=True)


@click.command()
@game_options
@start_options
@integration_options
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
    game, traj, where, elapsed = simulate_from_options(loss, lam, c, dim, theta, phi, n_init, seed, box, starts_file, t_max,
                                           method, rtol, atol, samples, dt, bound, max_steps)
    click.echo(f"{game.label()}, d = {traj.dim}, {where}", err=True)
    report_trajectory(traj, elapsed)
    if out is not None:
        write_trajectories(traj, out)
        click.echo(f"wrote {out}", err=True)
    else:
        d = traj.dim
        for i in range(min(traj.n_runs, 20)):
            z = traj.state_end[i]
            click.echo(f"run {i}: t = {traj.t_end[i]:g}  θ = {format_vector(z[:d])}  φ = {format_vector(z[d:])}  "
                       f"[{traj.status_name(i)}]")


@click.command()
@game_options
@start_options
@integration_options
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
    game, traj, where, elapsed = simulate_from_options(loss, lam, c, dim, theta, phi, n_init, seed, box, starts_file, t_max,
                                           method, rtol, atol, samples, dt, bound, max_steps)
    if out is None:
        runs = f"-n{traj.n_runs}-seed{seed}" if n_init is not None else ""
        out = f"phase-{game.label('file')}-d{traj.dim}{runs}.png"
        check_output(out, FIGURE_FORMATS)
    click.echo(f"{game.label()}, d = {traj.dim}, {where}", err=True)
    report_trajectory(traj, elapsed)
    from ..viz.plotting import phase_figure, save_figure

    save_figure(phase_figure(traj, style=style), out, style=style)
    click.echo(f"wrote {out}", err=True)


@click.command()
@game_options
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
    game = make_game_of(loss, lam, c)
    if game.spec.discrete_only:
        raise InputError(f"{loss} is defined only in discrete time; use `diracgan train --loss {loss} --plot FILE`")
    th, ph, d, where = resolve_starts(dim, theta, phi, None, 0, 0.5, None)
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
