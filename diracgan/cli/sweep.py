"""``diracgan sweep``: a command's options over a grid, on Dask distributed.

``diracgan sweep COMMAND [COMMAND'S OPTIONS] --grid NAME=START:STOP:COUNT --values NAME=a,b,c``
builds one subcommand per runner of :data:`diracgan.sweep.RUNNERS` from that command's own
click options (so ``sweep train`` takes every option of ``train`` but its output ones), plus
the sweep's options.  Grid axes are named as the command's options (``lr``, ``lam``,
``n-critic``, ``loss``), ``param.NAME`` for a game parameter of ``--param`` and
``reg.NAME.KEY`` for a regulariser's parameter (``reg.r1.gamma`` with ``--reg r1``).  Every
axis and every value is checked by the option's own type before a task starts (exit 2); a
value the library refuses (``lr = -1``) is that row's error.
"""

from __future__ import annotations

import click

from ..errors import InputError
from .options import SWEEP, STYLE_OPTION

# Output options of the swept commands: the sweep writes its own table (and figure).
_OUTPUT = {"out", "plot", "style", "quiet", "progress", "as_json", "latex", "sweep", "markdown"}
# Options that are not single values (vectors, files, repeatable): fixed options only.
_NOT_AXES = {"reg", "param", "theta", "phi", "betas", "starts_file", "loss_d", "loss_g"}
_CONNECT_HELP = "Address tcp://HOST:PORT of a running Dask scheduler  [default: a new LocalCluster]"


def _axis_param(command: click.Command, name: str):
    """(click parameter or None, library name) of a grid axis ``name`` of ``command``."""
    if name.startswith("param."):
        key = name[len("param."):]
        if not key.isidentifier():
            raise InputError(f"grid axis {name!r}: param.NAME needs a parameter name")
        return None, key
    if name.startswith("reg."):
        parts = name.split(".")
        if len(parts) != 3 or not all(p.isidentifier() for p in parts[1:]):
            raise InputError(f"grid axis {name!r}: a regulariser's parameter is reg.NAME.KEY (e.g. reg.r1.gamma)")
        return "reg", f"{parts[1]}_{parts[2]}"
    wanted = name.replace("-", "_")
    for p in command.params:
        if isinstance(p, click.Option) and p.name not in _OUTPUT and (
                p.name == wanted or wanted in {o.lstrip("-").replace("-", "_") for o in p.opts}):
            if p.name in _NOT_AXES or p.multiple:
                raise InputError(f"--{name} cannot be a grid axis (it is not a single value); give it as a fixed option")
            return p, "numeric" if p.name == "no_numeric" else p.name
    names = sorted(o.lstrip("-") for p in command.params if isinstance(p, click.Option)
                   and p.name not in _OUTPUT | _NOT_AXES and not p.multiple for o in p.opts if o.startswith("--"))
    raise InputError(f"{name!r} is not an option of {command.name}; a grid axis is one of: {', '.join(names)}, "
                     f"param.NAME or reg.NAME.KEY")


def _is_number_type(t) -> bool:
    from .options import FiniteFloat

    return isinstance(t, (FiniteFloat, click.types.FloatParamType, click.types.IntParamType))


def _convert(param, value, ctx, name: str):
    """One axis value through its option's type (a usage error names the axis)."""
    if param is None or param == "reg":
        from .options import NUMBER

        return NUMBER.convert(value, None, ctx) if isinstance(value, str) else float(value)
    if param.name == "no_numeric":
        return not click.BOOL.convert(value, param, ctx)
    if param.is_flag:
        return click.BOOL.convert(value, param, ctx)
    if isinstance(param.type, click.types.IntParamType) and not isinstance(value, str):
        if abs(value - round(value)) > 1e-9 * max(1.0, abs(value)):
            raise click.BadParameter(f"{value!r} is not a whole number (an axis of whole numbers needs whole "
                                     f"values, e.g. {name}=1:5:5)", ctx, param)
        value = int(round(value))
    return param.type.convert(value, param, ctx)


def _axes(command, ctx, grids, values, log, kwargs) -> tuple[dict, list]:
    """The grid (library name → values) from --grid / --values, checked before any task."""
    import numpy as np

    grid, log_names, seen = {}, [], {}
    regs = {name for name, _ in kwargs.get("reg", ())}
    for name in log:
        if name not in {n for n, _ in grids} | {v.partition("=")[0].strip() for v in values}:
            raise InputError(f"--log {name}: not a grid axis of this sweep")
    items = [(n, v, "grid") for n, v in grids]
    for text in values:
        name, sep, rest = text.partition("=")
        name = name.strip()
        if not sep or not name or not rest.strip():
            raise InputError(f"--values must look like NAME=a,b,c (e.g. loss=vanilla,gp0), got {text!r}")
        items.append((name, [x.strip() for x in rest.split(",")], "values"))
    for name, vals, how in items:
        param, key = _axis_param(command, name)
        if param == "reg" and key.split("_")[0] not in regs:
            raise InputError(f"grid axis {name!r} needs the regulariser: add --reg {name.split('.')[1]}")
        if how == "grid" and param not in (None, "reg") and not (_is_number_type(param.type) and not param.is_flag):
            raise InputError(f"--grid {name}: --{name} is not a number; give its values with --values {name}=a,b,c")
        if key in seen:
            raise InputError(f"the axis {name!r} is given twice ({seen[key]} and {name})")
        seen[key] = name
        if param not in (None, "reg"):
            from click.core import ParameterSource

            if ctx.get_parameter_source(param.name) not in (ParameterSource.DEFAULT, None):
                raise InputError(f"--{name} is given both as an option and as a grid axis; give it once")
        if how == "grid" and name in log:
            if vals[0] <= 0 or vals[-1] <= 0:
                raise InputError(f"--log {name}: a logarithmic axis needs START and STOP > 0")
            vals = np.geomspace(vals[0], vals[-1], len(vals))
        grid[key] = [_convert(param, v if isinstance(v, str) else float(v), ctx, name) for v in vals]
        if name in log:
            log_names.append(key)
    return grid, log_names


def _library_options(command: str, kwargs: dict) -> dict:
    """The fixed options as the library names them (what the command's own callback does);
    the start parsers are imported only when a start is given (the client stays light)."""
    out = {k: v for k, v in kwargs.items() if v is not None and k not in _NOT_AXES and k != "no_numeric"}
    dim = kwargs.get("dim")
    regs = kwargs.get("reg", ())
    if kwargs.get("loss_d") is not None or kwargs.get("loss_g") is not None:
        if kwargs.get("loss_d") is None or kwargs.get("loss_g") is None:
            raise InputError("give both --loss-d and --loss-g (the two losses of your game)")
        out.pop("loss", None)
        out["loss_d"], out["loss_g"] = kwargs["loss_d"], kwargs["loss_g"]
    for key, value in kwargs.get("param", ()):
        if key in out and out[key] != value:
            raise InputError(f"parameter {key} is given twice (--{key} and --param {key}=…)")
        out[key] = value
    for name, values in regs:
        out.update({f"{name}_{k}": v for k, v in values.items()})
    if any(kwargs.get(k) is not None for k in ("starts_file", "theta", "phi", "betas")):
        from ..dynamics import starts
    if kwargs.get("starts_file") is not None:
        if kwargs.get("theta") is not None or kwargs.get("phi") is not None or kwargs.get("n_init") is not None:
            raise InputError("give --starts alone, not with --theta/--phi/--n-init")
        out["theta"], out["phi"] = starts.load_starts(kwargs["starts_file"], dim)
    for name in ("theta", "phi"):
        if kwargs.get(name) is not None:
            out[name] = starts.parse_vector(kwargs[name], f"--{name}", dim)
    if kwargs.get("betas") is not None:
        b = starts.parse_vector(kwargs["betas"], "--betas", 2, expected="Adam takes")
        out["beta1"], out["beta2"] = float(b[0]), float(b[1])
    if "no_numeric" in kwargs:
        out["numeric"] = not kwargs["no_numeric"]
    return out


def _seeds(text):
    if text is None:
        return None
    try:
        parts = [int(x) for x in text.split(",")]
    except ValueError:
        raise InputError(f"--seeds must be a count S (seeds 0…S−1) or seeds a,b,c, got {text!r}") from None
    if len(parts) == 1:
        if parts[0] < 1:
            raise InputError(f"--seeds must be a count ≥ 1, got {text!r}")
        return parts[0]
    return parts


def _run(command_name: str, base: click.Command, **kwargs):
    from ..sweep import require_sweep

    require_sweep()
    ctx = click.get_current_context()
    sweep_kw = {k: kwargs.pop(k) for k in ("grids", "values", "log", "seeds", "out", "force", "workers",
                                             "scheduler", "chunk", "plot", "style", "progress")}
    if sweep_kw["plot"] is not None:
        from ..io import FIGURE_FORMATS, check_output

        check_output(sweep_kw["plot"], FIGURE_FORMATS)
    grid, log = _axes(base, ctx, sweep_kw["grids"], sweep_kw["values"], sweep_kw["log"], kwargs)
    if sweep_kw["plot"] is not None and len(grid) not in (1, 2):
        raise InputError(f"--plot draws one or two grid axes; this sweep has {len(grid)}"
                         + (f" ({', '.join(grid)})" if grid else ""))
    regs = [name for name, _ in kwargs.get("reg", ())]
    if regs and "loss" in grid:
        grid["loss"] = ["+".join([v] + regs) for v in grid["loss"]]
    # An axis's own option is at its default (checked in _axes): the axis replaces it.
    fixed = {k: v for k, v in _library_options(command_name, kwargs).items() if k not in grid}
    if sweep_kw["seeds"] is not None and "seed" in fixed:
        from click.core import ParameterSource

        if ctx.get_parameter_source("seed") != ParameterSource.DEFAULT:
            raise InputError("give --seed (one seed) or --seeds (an axis of seeds), not both")
        del fixed["seed"]
    if regs and "loss" in fixed:
        fixed["loss"] = "+".join([fixed["loss"]] + regs)
    if not grid and sweep_kw["seeds"] is None:
        raise InputError("give at least one axis: --grid NAME=START:STOP:COUNT, --values NAME=a,b,c or --seeds S")
    from ..sweep.engine import run_sweep

    def echo(text):
        click.echo(text, err=True)

    outcome = run_sweep(command_name, grid, seeds=_seeds(sweep_kw["seeds"]), out=sweep_kw["out"],
                        force=sweep_kw["force"], scheduler=sweep_kw["scheduler"], workers=sweep_kw["workers"],
                        chunk=sweep_kw["chunk"], progress=sweep_kw["progress"], log=tuple(log), echo=echo, **fixed)
    echo(f"{outcome.tasks} tasks: {outcome.stored} stored before, {outcome.computed} computed "
         f"({outcome.errors} with status error{', ' + str(outcome.killed) + ' chunks lost to dying workers, not stored' if outcome.killed else ''}) "
         f"in {outcome.seconds:.1f} s")
    from ..sweep.summary import summary_text

    from ..sweep.grid import diracgan_version

    manifest = {"command": command_name, "diracgan": diracgan_version(), "axes": [a for a in outcome.axes if a != "seed"], "log": log,
                "fixed": {k: v for k, v in fixed.items() if k not in grid}}
    if sweep_kw["out"] is not None:
        from ..sweep.store import read_store

        manifest = read_store(sweep_kw["out"])[1]
        echo(f"wrote {sweep_kw['out']} (load it: pandas.read_{'csv' if str(sweep_kw['out']).lower().endswith('.csv') else 'parquet'}"
             f"({str(sweep_kw['out'])!r}); summary: diracgan sweep --summary {sweep_kw['out']})")
    else:
        click.echo(summary_text(outcome.table, manifest))
    if sweep_kw["plot"] is not None:
        _plot(outcome.table, manifest, sweep_kw["plot"], sweep_kw["style"])
    return 0


def _plot(table, manifest, path, style):
    from ..viz.plotting import save_figure
    from ..viz.sweep_figures import sweep_table_figure

    save_figure(sweep_table_figure(table, manifest, style=style), path, style=style)
    click.echo(f"wrote {path}", err=True)


def _sweep_params() -> list:
    return [
        click.Option(["--grid", "grids"], type=SWEEP, multiple=True, metavar="NAME=START:STOP:COUNT",
                     help="An axis: COUNT values from START to STOP (both included), e.g. lr=0.01:0.5:8. Repeatable."),
        click.Option(["--values"], multiple=True, metavar="NAME=a,b,c",
                     help="An axis of listed values or choices, e.g. loss=vanilla,gp0,qp. Repeatable."),
        click.Option(["--log"], multiple=True, metavar="NAME",
                     help="Space this --grid axis logarithmically (START, STOP > 0). Repeatable."),
        click.Option(["--seeds"], default=None, metavar="S|a,b,c",
                     help="Run each configuration from S random starts (seeds 0…S−1) or the listed seeds."),
        click.Option(["--out", "-o"], type=click.Path(), default=None,
                     help="Store: a folder (Parquet dataset) or FILE.csv (small grids); rerunning resumes it."),
        click.Option(["--force"], is_flag=True, help="Recompute the configurations already stored in --out."),
        click.Option(["--workers"], type=click.IntRange(1, 4096), default=None,
                     help="Worker processes of the LocalCluster  [default: one per core]"),
        click.Option(["--scheduler"], default=None, metavar="tcp://HOST:PORT", help=_CONNECT_HELP),
        click.Option(["--chunk"], type=click.IntRange(1, 10**6), default=None,
                     help="Tasks per Dask task  [default: about 1 s of work each, ≥ 4 per worker]"),
        click.Option(["--plot"], type=click.Path(dir_okay=False), default=None,
                     help="Figure (.png/.pdf/.svg): verdict and metric heatmaps (two axes) or a line plot (one)."),
        click.Option(["--style"], type=click.Choice(["paper", "talk"]), default="paper", show_default=True,
                     help="Figure style of --plot."),
        click.Option(["--progress/--no-progress"], default=None,
                     help="Progress bar of completed tasks  [default: on a terminal]"),
    ]


# Options of the commands that map onto a runner's options other than by name (game
# parameters, folded game choices, parsed vectors and files, inverted flags).
_ADAPTED = {"lam", "c", "clip", "reg", "param", "starts_file", "betas", "no_numeric"}


def _subcommand(name: str, base: click.Command) -> click.Command:
    """``sweep NAME``: the command's options that its runner takes (so an option added to the
    command later is offered here once its runner learns it), and the sweep's options."""
    from ..sweep.runners import RUNNERS

    known = set(RUNNERS[name].options) | _ADAPTED
    params = [p for p in base.params if p.name not in _OUTPUT and p.name in known] + _sweep_params()

    def callback(**kwargs):
        return _run(name, base, **kwargs)

    first = base.get_short_help_str(limit=70)
    return click.Command(name, params=params, callback=callback, short_help=f"Sweep {name}: {first}",
                         help=f"Sweep `diracgan {name}` over a grid (its options, but the output ones, are fixed "
                              f"options or axes).  {first}")


class SweepGroup(click.Group):
    """The ``sweep`` group: one subcommand per runner of :data:`diracgan.sweep.RUNNERS`, built on
    first use from the ``diracgan`` command of the same name (so its options are that command's)."""

    def list_commands(self, ctx):
        from ..sweep.runners import RUNNERS

        return list(RUNNERS)

    def get_command(self, ctx, name):
        if name not in self.commands:
            from ..sweep.runners import RUNNERS
            from .group import cli

            if name not in RUNNERS or name not in cli.commands:
                return None
            self.commands[name] = _subcommand(name, cli.commands[name])
        return self.commands[name]


@click.group("sweep", cls=SweepGroup, invoke_without_command=True, context_settings={"max_content_width": 100})
@click.option("--summary", "summary", type=click.Path(), default=None, metavar="DIR|FILE.csv",
              help="Print a table of a stored sweep.")
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="With --summary: draw the stored sweep (.png/.pdf/.svg).")
@click.option("--limit", type=click.IntRange(1, 10**6), default=40, show_default=True,
              help="With --summary: rows shown.")
@STYLE_OPTION
@click.pass_context
def sweep(ctx, summary, plot, limit, style):
    """Run a command over a grid of configurations × seeds on Dask distributed, resumably.

    A LocalCluster by default (--workers N), or a running cluster (--scheduler); rows go to a
    Parquet folder or a CSV file (--out) that a rerun resumes; --summary DIR prints a stored
    sweep and --plot draws it.

    \b
    Examples:
      diracgan sweep train --loss gp0 --steps 200 --grid lr=0.01:0.5:8 --grid lam=0:1:8 --out runs/
      diracgan sweep eig --no-numeric --values loss=vanilla,gp0,qp --grid lam=0:2:21
      diracgan sweep --summary runs/ --plot runs.png
    Axes: the command's options (lr, lam, c, momentum, n-critic, loss, optimizer, ...),
    param.NAME (a --param) and reg.NAME.KEY (with --reg NAME, e.g. reg.r1.gamma).
    Needs the sweep extra: pip install "diracgan[sweep]"."""
    if ctx.invoked_subcommand is not None:
        if summary is not None or plot is not None:
            raise InputError("--summary and --plot before the command are for a stored sweep; "
                             "give --plot after the command to draw this sweep")
        return
    if summary is None:
        if plot is not None:
            raise InputError("--plot needs --summary DIR (a stored sweep), or give it after the command")
        click.echo(ctx.get_help())
        return
    from ..sweep import require_sweep

    require_sweep(("pyarrow",))
    from ..sweep.store import read_store
    from ..sweep.summary import summary_text

    if plot is not None:
        from ..io import FIGURE_FORMATS, check_output

        check_output(plot, FIGURE_FORMATS)
    table, manifest = read_store(summary)
    click.echo(summary_text(table, manifest, where=str(summary), limit=limit))
    if plot is not None:
        _plot(table, manifest, plot, style)
