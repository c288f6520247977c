"""``diracgan bridge``: MLP GANs on 2-D data in the game language of the Dirac-GAN, and
``--compare``, the Dirac prediction beside the MLP outcome over several seeds."""

from __future__ import annotations

import json
import time

import click

from ..errors import InputError
from .options import POSITIVE, RECORD_EVERY, STEPS, STYLE_OPTION, FiniteFloat, game_options, hyper_of, \
    make_game_of, optimizer_options, require_torch

DATA_NAMES = ("dirac", "gaussian", "ring8", "grid25")     # = bridge.data.DATASETS (light copy)
SHAPE_NAMES = ("mlp", "linear")                           # = bridge.models.SHAPES
ACTIVATION_NAMES = ("relu", "leaky_relu", "tanh")         # = bridge.models.ACTIVATIONS
WHOLE = click.IntRange(1, 10**9)


def _bridge_options(f):
    opts = [
        click.option("--data", type=click.Choice(DATA_NAMES), default="ring8", show_default=True,
                     help="Real data: a point mass (at --target), a Gaussian, 8 modes on a circle, a 5 × 5 grid."),
        click.option("--target", default=None, metavar="x,y", help="dirac: the point; gaussian: the mean  [default: 0,0]"),
        click.option("--data-file", type=click.Path(dir_okay=False), default=None,
                     help="Your own points: a .npy or .csv of shape (n, 2) (replaces --data)."),
        click.option("--g", "g_shape", type=click.Choice(SHAPE_NAMES), default="mlp", show_default=True,
                     help="Generator: an MLP, or linear: G(z) = θ (the Dirac shape)."),
        click.option("--d", "d_shape", type=click.Choice(SHAPE_NAMES), default="mlp", show_default=True,
                     help="Discriminator: an MLP, or linear: D(x) = φ·x (the Dirac shape)."),
        click.option("--width", type=click.IntRange(1, 4096), default=128, show_default=True, help="Hidden units per layer."),
        click.option("--depth", type=click.IntRange(1, 16), default=2, show_default=True, help="Hidden layers."),
        click.option("--activation", type=click.Choice(ACTIVATION_NAMES), default="relu", show_default=True),
        click.option("--latent", type=click.IntRange(1, 64), default=2, show_default=True, help="Latent dimension k."),
        click.option("--batch", type=click.IntRange(1, 10**6), default=128, show_default=True,
                     help="Real and fake samples per loss evaluation."),
        click.option("--eval-size", type=click.IntRange(2, 10**5), default=512, show_default=True,
                     help="Samples of the fixed evaluation batch (metrics, recorded samples)."),
        click.option("--seeds", type=click.IntRange(1, 4096), default=1, show_default=True,
                     help="Seeds trained together (batched): --seed, --seed + 1, …"),
        click.option("--seed", type=click.IntRange(0, 2**62), default=0, show_default=True, help="The first seed."),
        click.option("--theta", default=None, metavar="θ1,θ2", help="--g linear: start of θ  [default: 0.2,0.1]"),
        click.option("--phi", default=None, metavar="φ1,φ2", help="--d linear: start of φ  [default: 0.1,0.2]"),
        click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _output_options(f):
    opts = [
        click.option("--compare", is_flag=True,
                     help="The Dirac prediction (eig's verdicts, a numpy train run) beside the MLP over --seeds."),
        click.option("--out", "-o", type=click.Path(dir_okay=False), default=None,
                     help="Metrics per seed and record: .csv, .json, or .npz (with the samples)."),
        click.option("--plot", type=click.Path(dir_okay=False), default=None,
                     help="Figure: samples over the data at several steps, metrics over time: .png/.pdf/.svg."),
        STYLE_OPTION,
        click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout."),
        click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors (and no progress bar)."),
        click.option("--progress/--no-progress", default=None,
                     help="Progress bar on stderr  [default: only on a terminal, for long runs]"),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


@click.command()
@game_options
@click.option("--clip", type=POSITIVE, default=None, help="wgan-clip: clip D's weights to [−c, c] (default 0.01).")
@_bridge_options
@optimizer_options
@click.option("--steps", type=STEPS, default=2000, show_default=True, help="Training iterations.")
@click.option("--ema", type=FiniteFloat(0.0), default=None, help="EMA decay of G's weights (e.g. 0.999).")
@click.option("--record-every", type=RECORD_EVERY, default=100, show_default=True, help="Record every k-th step.")
@click.option("--bound", type=POSITIVE, default=1e6, show_default=True,
              help="A seed stops as diverged when a weight's |value| reaches this.")
@_output_options
def bridge(loss, lam, c, dim, clip, data, target, data_file, g_shape, d_shape, width, depth, activation, latent,
           batch, eval_size, seeds, seed, theta, phi, device, optimizer, lr, lr_d, lr_g, betas, eps, amsgrad, alpha,
           centered, momentum, nesterov, dampening, weight_decay, mode, order, n_critic, n_gen, steps, ema,
           record_every, bound, compare, out, plot, style, as_json, quiet, progress, sga_lambda=None,
           sga_align=False, lookahead=None):
    """Train MLP GANs on 2-D data with any game of the registry; --compare puts the Dirac-GAN's
    prediction beside the outcome over several seeds.

    Prints the configuration, each verdict (converges, cycles, diverges, collapses) with the
    numbers behind it and the metrics at the last record; notes about files go to stderr."""
    from ..io import DATA_FORMATS, FIGURE_FORMATS, check_output

    if out is not None:
        check_output(out, DATA_FORMATS)
    if plot is not None:
        check_output(plot, FIGURE_FORMATS)
    if optimizer in ("sga", "cgd", "hgd", "optimistic-adam") or lookahead is not None or sga_lambda is not None \
            or sga_align:
        raise InputError(f"the bridge trains with torch.optim's rules, extragradient and optimistic GD; the game "
                         f"optimizers (sga, cgd, hgd, optimistic-adam) and --lookahead are for `diracgan train` so far")
    if dim not in (None, 2):
        raise InputError(f"the bridge's data are 2-D: --dim must be 2, got {dim}")
    if ema is not None and not ema < 1:
        raise InputError(f"--ema must be in [0, 1), got {ema!r}")
    require_torch()
    from ..dynamics.starts import parse_vector

    game = make_game_of(loss, lam, c, clip=clip)
    kwargs = dict(optimizer=optimizer, lr=lr, lr_d=lr_d, lr_g=lr_g, mode=mode, order=order, n_critic=n_critic,
                  n_gen=n_gen, steps=steps, ema=ema, record_every=record_every, bound=bound,
                  **hyper_of(betas, eps, amsgrad, alpha, centered, momentum, nesterov, dampening, weight_decay))
    vec = {k: tuple(parse_vector(v, f"--{k}", 2, expected="the bridge's data are 2-D: it takes"))
           for k, v in (("target", target), ("theta", theta), ("phi", phi)) if v is not None}
    from ..bridge.models import ModelSpec
    import torch

    if device == "cuda" and not torch.cuda.is_available():
        raise InputError("--device cuda needs a GPU that torch can use; torch.cuda.is_available() is False here "
                         "(use --device cpu)")
    models = ModelSpec(g=g_shape, d=d_shape, width=width, depth=depth, activation=activation, latent=latent)
    bridge_kw = dict(data=data if data_file is None else "file", target=vec.get("target", (0.0, 0.0)),
                     data_file=data_file, models=models, seed=seed, batch=batch, eval_size=eval_size,
                     theta0=vec.get("theta", (0.2, 0.1)), phi0=vec.get("phi", (0.1, 0.2)), device=device,
                     progress=False if quiet else progress, **kwargs)
    t0 = time.perf_counter()
    if compare:
        from ..bridge.compare import compare as run_compare

        result = run_compare(game, seeds=seeds, **bridge_kw)
        run = result.run
    else:
        from ..bridge.training import train_bridge

        result, run = None, train_bridge(game, seeds=seeds, **bridge_kw)
    elapsed = time.perf_counter() - t0
    _report(run, result, elapsed, as_json, quiet)
    if out is not None:
        write_bridge(run, out)
        if not quiet:
            click.echo(f"wrote {out}", err=True)
    if plot is not None:
        from ..viz.bridge_figures import bridge_figure
        from ..viz.plotting import save_figure

        save_figure(bridge_figure(run, style=style), plot, style=style)
        if not quiet:
            click.echo(f"wrote {plot}", err=True)


def run_summary(run) -> dict:
    """The JSON of a run without --compare: configuration, and per seed its verdict and its
    metrics at the last record."""
    from ..dynamics.training import TrainStatus

    seeds = []
    for i, v in enumerate(run.verdicts()):
        ok = run.valid(i)
        last = {k: _num(vals[i, ok][-1]) for k, vals in run.metrics.items()}
        seeds.append({"seed": run.seeds[i], "status": TrainStatus.NAMES[int(run.status[i])],
                      "message": run.messages[i], **v.as_dict(), "last": last})
    return {"game": run.game.label(), "loss": run.game.name, "params": run.game.params,
            "models": run.models.describe(), "data": run.dataset.name, "scheme": run.scheme.describe(),
            "config": run.config, "seeds": seeds}


def _num(x):
    x = float(x)
    return x if x == x and abs(x) != float("inf") else None


def _report(run, result, elapsed: float, as_json: bool, quiet: bool) -> None:
    if as_json:
        payload = result.as_dict() if result is not None else run_summary(run)
        payload["seconds"] = round(elapsed, 3)
        click.echo(json.dumps(payload, ensure_ascii=False, default=_json_default, allow_nan=False))
        return
    if quiet:
        return
    import numpy as np

    click.echo(f"{run.game.label()} on {run.dataset.name}: {run.models.describe()}")
    click.echo(f"{run.scheme.describe()}, {int(run.steps[-1])} steps, batch {run.config['batch']}: "
               f"{run.summary()} ({elapsed:.2f} s)")
    if result is not None:
        click.echo(result.table())
        return
    for i, v in list(enumerate(run.verdicts()))[:8]:
        click.echo(f"  seed {run.seeds[i]}: {v.verdict}: {v.message}")
    for k, vals in run.metrics.items():
        last = np.array([vals[i, run.valid(i)][-1] for i in range(run.n_seeds)])
        click.echo(f"{k} at the last record: " + (f"median {np.nanmedian(last):.4g}" if np.isfinite(last).any()
                                                  else "none (every seed stopped)"))


def _json_default(x):
    import numpy as np

    if isinstance(x, np.generic):
        return _num(x) if isinstance(x, np.floating) else x.item()
    if isinstance(x, np.ndarray):
        return [_json_default(v) for v in x.tolist()] if x.dtype.kind == "f" else x.tolist()
    if isinstance(x, tuple):
        return list(x)
    raise TypeError(type(x).__name__)


def write_bridge(run, path) -> None:
    """Write a :class:`~diracgan.bridge.training.BridgeRun` by extension (atomically).

    ``.csv``: one row per seed and record up to its stop: ``seed,step``, every metric, ``d_norm``
    (and ``theta_1,theta_2,phi_1,phi_2`` for the linear shapes).  ``.json``: :func:`run_summary`
    plus per seed its recorded steps and metrics.  ``.npz``: ``steps``, ``samples`` (S, R, n, 2),
    ``ema_samples`` (with an EMA), ``reference``, ``d_norm``, each metric, ``theta``/``phi`` (linear
    shapes), ``status``, ``stop_step``, ``seeds``, ``metadata`` (the JSON summary)."""
    import numpy as np

    from ..io import atomic_output, check_output, write_table

    path = check_output(path, (".csv", ".json", ".npz"))
    keys = list(run.metrics)
    ext = path.suffix.lower()
    if ext == ".csv":
        blocks = []
        for i in range(run.n_seeds):
            ok = run.valid(i)
            cols = [np.full((int(ok.sum()), 1), run.seeds[i]), run.steps[ok, None]]
            cols += [run.metrics[k][i, ok, None] for k in keys] + [run.d_norm[i, ok, None]]
            if run.theta is not None:
                cols += [run.theta[i, ok], run.phi[i, ok]]
            blocks.append(np.hstack(cols))
        header = ["seed", "step"] + keys + ["d_norm"] + (["theta_1", "theta_2", "phi_1", "phi_2"]
                                                        if run.theta is not None else [])
        write_table(path, header, np.vstack(blocks), int_columns=2)
    elif ext == ".json":
        summary = run_summary(run)
        for i, rec in enumerate(summary["seeds"]):
            ok = run.valid(i)
            rec["steps"] = run.steps[ok].tolist()
            rec["metrics"] = {k: [_num(x) for x in run.metrics[k][i, ok]] for k in keys}
            rec["d_norm"] = [_num(x) for x in run.d_norm[i, ok]]
        with atomic_output(path) as tmp:
            tmp.write_text(json.dumps(summary, ensure_ascii=False, default=_json_default, allow_nan=False) + "\n")
    else:
        arrays = {"steps": run.steps, "samples": run.samples, "reference": run.reference, "d_norm": run.d_norm,
                  "status": run.status, "stop_step": run.stop_step, "seeds": np.array(run.seeds),
                  "metadata": np.array(json.dumps(run_summary(run), default=_json_default, allow_nan=False))}
        arrays.update({f"metric_{k}": v for k, v in run.metrics.items()})
        if run.ema_samples is not None:
            arrays["ema_samples"] = run.ema_samples
        if run.theta is not None:
            arrays.update(theta=run.theta, phi=run.phi)
        with atomic_output(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)
