"""The ``diracgan`` group: one-line errors, exit codes, and commands loaded on first use.

:class:`DiracganGroup` turns every error into one line ``Error: …`` on stderr with exit code 2
(usage) or 1 (a failed write), and signals into 130/143.  Commands live one group per module
(:mod:`.flow`, :mod:`.analysis`, :mod:`.training`, :mod:`.catalogue`); :data:`COMMANDS` names
where each is and its one-line help, so ``diracgan --help`` imports none of them (nor numpy,
sympy, matplotlib or torch).  ``tests/test_cli.py`` checks the table against the commands.
"""

from __future__ import annotations

import math
import sys
from collections.abc import MutableMapping

import click

from ..errors import InputError

#: name → (module of diracgan.cli, one-line help shown by ``diracgan --help``).  A new command:
#: a module here with a ``@click.command()`` function of the same name, and one line in this table.
COMMANDS = {
    "games": ("catalogue", "List the games: losses, derived fields, parameters, references."),
    "simulate": ("flow", "Integrate the gradient dynamics and write the trajectories."),
    "phase": ("flow", "Plot the trajectory: the θ-plane (d ≥ 2) or the (θ, φ) plane with its vector field (d = 1), beside ‖θ‖ and ‖φ‖ against time."),
    "eig": ("analysis", "Equilibrium analysis: Jacobian at θ = φ = 0, exact and numeric eigenvalues (with their d-fold multiplicity), the linear verdict, and a numeric verdict by integration."),
    "train": ("training", "Train with discrete steps: real optimizers, update schemes, n_critic, EMA."),
    "stability": ("analysis", "Local stability of the discrete update map at the equilibrium."),
    "figures": ("catalogue", "Regenerate every figure of the catalogue (byte-identical for the same library versions)."),
    "animate": ("flow", "Animate a trajectory: the θ-plane (or (θ, φ) plane with the field for d = 1) beside ‖θ‖ and ‖φ‖, as a GIF (matplotlib's PillowWriter, no external program)."),
    "check": ("training", "Cross-check everything against a small torch GAN trained with torch.optim."),
    "bridge": ("bridge", "Train MLP GANs on 2-D data with any game of the registry; --compare puts the Dirac-GAN's prediction beside the outcome over several seeds."),
    "sweep": ("sweep", "Run a command over a grid of configurations × seeds on Dask distributed, resumably."),
    "explore": ("catalogue", "An interactive explorer in the browser: one self-contained HTML page (no network), with every game and regulariser, the flow and discrete training, and J(0)'s exact eigenvalues, all generated from the same sympy derivation."),
}


class LazyCommands(MutableMapping):
    """The group's commands by name; a command's module is imported when it is first looked up
    (``diracgan simulate`` imports :mod:`.flow` only), so listing the names costs nothing."""

    def __init__(self, table: dict):
        self._where = {name: module for name, (module, _) in table.items()}
        self._loaded: dict = {}

    def __getitem__(self, name):
        if name not in self._loaded:
            import importlib

            module = importlib.import_module(f"{__package__}.{self._where[name]}")
            self._loaded[name] = getattr(module, name)
        return self._loaded[name]

    def __setitem__(self, name, command):
        self._where.setdefault(name, None)
        self._loaded[name] = command

    def __delitem__(self, name):
        del self._where[name]
        self._loaded.pop(name, None)

    def __iter__(self):
        return iter(self._where)

    def __len__(self):
        return len(self._where)


# click ≥ 8.2 raises this (a UsageError) for a group called without arguments.
_NoArgsIsHelp = getattr(click.exceptions, "NoArgsIsHelpError", ())



# click ≥ 8.2 raises this (a UsageError) for a group called without arguments.
_NoArgsIsHelp = getattr(click.exceptions, "NoArgsIsHelpError", ())


class DiracganGroup(click.Group):
    """A group whose errors are one line: ``Error: …`` on stderr, exit code 2, and whose
    commands are loaded on first use (:class:`LazyCommands`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commands = LazyCommands(COMMANDS)

    def format_commands(self, ctx, formatter):
        """The command list from :data:`COMMANDS`, without importing any command."""
        names = [name for name in self.list_commands(ctx) if name in COMMANDS]
        limit = formatter.width - 6 - max(map(len, names), default=0)   # as click's own listing
        rows = [(name, click.utils.make_default_short_help(COMMANDS[name][1], limit)) for name in names]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    _invoked_options: tuple = ()

    def invoke(self, ctx):
        # The invoked command's option names, so that an API message's `name=` becomes `--name`.
        name = ctx.protected_args[0] if getattr(ctx, "protected_args", None) else (ctx.args[0] if ctx.args else None)
        command = self.get_command(ctx, name) if name else None
        self._invoked_options = tuple(p.name for p in command.params if isinstance(p, click.Option)) if command else ()
        return super().invoke(ctx)

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
            click.echo(f"Error: {one_line(exc.format_message())}{hint}", err=True)
            code = 2
        except InputError as exc:
            from .options import cli_message

            click.echo(f"Error: {cli_message(one_line(exc), self._invoked_options)}", err=True)
            code = 2
        except click.ClickException as exc:
            click.echo(f"Error: {one_line(exc.format_message())}", err=True)
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
            click.echo(f"Error: {one_line(exc)}", err=True)
            code = 1
        except OSError as exc:  # a read or write the commands did not foresee: one line, not a traceback
            where = f" {exc.filename!r}" if exc.filename else ""
            click.echo(f"Error: cannot access{where}: {exc.strerror or one_line(exc)}", err=True)
            code = 1
        except MemoryError:
            click.echo("Error: out of memory; lower the sizes (--n-init, --samples, --steps, --dim)", err=True)
            code = 1
        if standalone_mode:
            sys.exit(code)
        return code


def json_safe(doc):
    """``doc`` with non-finite floats as the strings "inf", "-inf", "nan" (JSON has no such
    numbers; an overflow such as λ = 1e308 gives −inf eigenvalues)."""
    if isinstance(doc, float) and not math.isfinite(doc):
        return repr(float(doc))
    if isinstance(doc, dict):
        return {k: json_safe(v) for k, v in doc.items()}
    if isinstance(doc, (list, tuple)):
        return [json_safe(v) for v in doc]
    return doc


def one_line(message) -> str:
    """A message on one line (exception texts from libraries may contain newlines)."""
    return " ".join(str(message).split())


@click.group(cls=DiracganGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="diracgan")
def cli():
    """The Dirac-GAN: see why GAN training oscillates or converges.

    Real data is a point mass at 0, the generator's sample is θ ∈ R^d and the
    discriminator is D(x) = φ·x.  Each game is a pair of losses; its dynamics
    φ' = −∇_φ L_D, θ' = −∇_θ L_G are derived symbolically and integrated.
    """


def main(argv=None):
    """Console entry point."""
    return cli.main(args=argv, prog_name="diracgan")
