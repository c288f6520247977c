"""Every numeric option of every command at its limits keeps the error contract (issue 19).

The commands and their options are read from click (``cli.list_commands``, each command's
params), so a new command or option is swept without editing this file; a command missing
from ``BASE`` fails with a message saying to register it.  Each case must end with exit code
0, 1 or 2, never a traceback; a usage error is one line starting ``Error:``; a non-zero exit
leaves no output file."""

from __future__ import annotations

import os

import click
import pytest
from click.testing import CliRunner

from diracgan.cli import cli

# The sweep takes ~220 s on 2 cores (budget: 15 s), so it runs only on request until the valid
# cases are made tiny: DIRACGAN_LIMITS=1 python -m pytest tests/test_option_limits.py -o addopts="".
pytestmark = pytest.mark.skipif(not os.environ.get("DIRACGAN_LIMITS"), reason="set DIRACGAN_LIMITS=1 (slow sweep)")

# Found by this sweep, not yet fixed (they hang past 60 s instead of being refused up front).
KNOWN_ESCAPES = {"animate-frames-MAX", "train-n_critic-MAX", "train-n_gen-MAX"}

# Base arguments per command that make the valid cases tiny; None: not swept (reason given).
BASE: dict[str, list[str] | str | None] = {
    "animate": ["--loss", "gp0", "--frames", "2", "--t-max", "0.1", "-o", "out.gif"],
    "check": "no numeric options",
    "eig": ["--loss", "gp0", "--no-numeric"],
    "explore": "serves a page until interrupted",
    "figures": "no numeric options",
    "games": "no numeric options",
    "phase": ["--loss", "gp0", "--t-max", "0.1", "--samples", "11", "--n-init", "2", "-o", "out.csv"],
    "simulate": ["--loss", "gp0", "--t-max", "0.1", "--samples", "11", "-o", "out.csv"],
    "stability": ["--loss", "gp0", "--no-plot"],
    "train": ["--loss", "gp0", "--steps", "2", "-o", "out.csv", "--quiet"],
}

LIMITS = ("0", "1", "-1", "MAX", "inf", "-inf", "nan", "1e400", "1000000000000")


def _numeric(param) -> bool:
    return (isinstance(param, click.Option) and not param.is_flag and not param.multiple and param.nargs == 1
            and isinstance(param.type, (click.types.FloatParamType, click.types.IntParamType)))


def _cases():
    ctx = click.Context(cli)
    out = []
    for name in cli.list_commands(ctx):
        base = BASE.get(name, "MISSING")
        if not isinstance(base, list):
            out.append(pytest.param(name, None, None, base, id=f"{name}"))
            continue
        for p in cli.get_command(ctx, name).params:
            if _numeric(p):
                for v in LIMITS:
                    case = f"{name}-{p.name}-{v}"
                    marks = [pytest.mark.xfail(reason="known escape: hangs", strict=True)] if case in KNOWN_ESCAPES else []
                    out.append(pytest.param(name, p, v, base, id=case, marks=marks))
    return out


@pytest.mark.timeout(60)
@pytest.mark.parametrize("command, param, value, base", _cases())
def test_option_at_limit(command, param, value, base, tmp_path):
    if base == "MISSING":
        pytest.fail(f"command {command!r} is not in tests/test_option_limits.py BASE: add its base arguments "
                    f"(tiny valid runs) or a reason not to sweep it")
    if not isinstance(base, list):
        pytest.skip(base)
    if value == "MAX":
        top = getattr(param.type, "max", None)
        value = repr(top) if top is not None else "1.7976931348623157e308"
    flag = param.opts[0]
    args = [command, *base, flag, value]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        r = CliRunner().invoke(cli, args)
    finally:
        os.chdir(cwd)
    assert r.exception is None or isinstance(r.exception, SystemExit), (args, repr(r.exception))
    assert r.exit_code in (0, 1, 2), (args, r.exit_code, r.output)
    if r.exit_code == 2:
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("Error:"), (args, r.stderr)
    if r.exit_code != 0:
        assert not any(tmp_path.iterdir()), (args, list(tmp_path.iterdir()))
