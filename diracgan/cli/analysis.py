"""Commands that analyse the equilibrium: ``eig`` (the flow's Jacobian) and ``stability``
(the discrete update map)."""

from __future__ import annotations

import time

import click

from ..errors import InputError
from .group import json_safe
from .options import DIM, LOSS_CHOICE, POSITIVE, RANGE, STYLE_OPTION, SWEEP, custom_options, drift_of, \
    drift_options, game_choice, game_options, make_game_of, optimizer_range_options


@click.command()
@game_options
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
@drift_options
@STYLE_OPTION
def eig(loss, lam, c, dim, theta, phi, horizon, no_numeric, as_json, latex, sweep, out, style, drift=None,
        drift_lr=None, drift_lr_d=None, drift_lr_g=None, drift_optimizer="sgd", drift_order="d-first",
        drift_n_critic=1, drift_n_gen=1):
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
    game = make_game_of(loss, lam, c)
    if game.spec.discrete_only:
        raise InputError(f"{loss} is defined only in discrete time; its gradient field is the bilinear game's "
                         f"(see `diracgan eig --loss gp0 --lam 0`)")
    d = dim or 2
    drifted = drift_of(drift, drift_lr, drift_lr_d, drift_lr_g, drift_order, drift_n_critic, drift_n_gen,
                       drift_optimizer)
    if sweep is not None:
        if drifted is not None:
            raise InputError("--sweep draws the eigenvalues of the flow itself; it does not take --drift")
        eig_sweep(game, d, sweep, out, style)
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
    modified = None
    if drifted is not None:
        from ..analysis.drift import drift_analysis

        modified = drift_analysis(game, drifted[0], *drifted[1:], dim=d)
    if as_json:
        import json

        doc = analysis_json(analysis, verdict)
        if modified is not None:
            doc["drift"] = modified.as_dict()
        click.echo(json.dumps(json_safe(doc), ensure_ascii=False, indent=2))
    elif latex:
        text = analysis_latex(analysis, verdict)
        if modified is not None:
            rows = modified.latex_rows()
            text = text.replace("\n\\end{align*}", "".join(" \\\\\n  " + r for r in rows) + "\n\\end{align*}", 1)
            text += "\n% modified-flow verdict: " + modified.verdict_text()
        click.echo(text)
    else:
        click.echo(analysis_text(analysis, verdict))
        if modified is not None:
            click.echo(modified.text())


def eig_sweep(game, d, sweep, out, style="paper"):
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


@click.command()
@click.option("--loss", "-l", type=LOSS_CHOICE, default="gp0", show_default=True, help="The game.")
@custom_options
@click.option("--lam", type=RANGE, default=None, help="λ: a number or START:STOP:COUNT  [default: the game's]")
@click.option("--c", "c", type=RANGE, default=None, help="gp: penalty centre: a number or START:STOP:COUNT.")
@optimizer_range_options
@click.option("--dim", "-d", type=DIM, default=2, show_default=True,
              help="Dimension d, as in the other commands (every eigenvalue of the update map is repeated d times).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (single configuration).")
@click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
              help="With ranges: figure (.png/.pdf/.svg) or data (.csv/.json/.npz)  "
                   "[default: stability-<loss>-<x>-<y>.png]")
@STYLE_OPTION
@game_choice
def stability(loss, lam, c, optimizer, lr, lr_d, lr_g, momentum, nesterov, dampening, weight_decay, mode, order,
              n_critic, n_gen, dim, as_json, out, style, sga_lambda=None, sga_align=False, lookahead=None):
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
    game = make_game_of(loss, **{k: scalars.get(k) for k in ("lam", "c") if k in scalars})
    hyper = {k: v for k, v in {"nesterov": nesterov, "weight_decay": weight_decay}.items() if v is not None}
    for k in ("momentum", "dampening"):
        if k in scalars:
            hyper[k] = scalars[k]
    from .options import lookahead_of

    factory = scheme_factory(optimizer, lr=scalars.get("lr"), lr_d=scalars.get("lr_d"), lr_g=scalars.get("lr_g"),
                             mode=mode, order=order, n_critic=n_critic, n_gen=n_gen, game=game,
                             lookahead=lookahead_of(lookahead), sga_lambda=sga_lambda, sga_align=sga_align, **hyper)
    if not ranges:
        result = discrete_stability(game, factory(), dim)
        if as_json:
            import json

            click.echo(json.dumps(json_safe(result.as_dict()), ensure_ascii=False, indent=2))
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
    adjust = getattr(smap.scheme, "adjust", None)
    click.echo(f"{game.name}{f' ({fixed})' if fixed else ''}, {adjust.name if adjust else smap.scheme.opt_g.name}, {smap.scheme.mode}: ρ on a {size} grid in {elapsed * 1000:.0f} ms; "
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
