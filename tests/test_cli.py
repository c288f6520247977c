"""Tests of the ``diracgan`` command line (``diracgan.cli``).

Everything runs through ``click.testing.CliRunner`` on ``diracgan.cli.cli`` (the group whose
``main`` turns every error into one ``Error: …`` line on stderr with exit code 2), except the
import-isolation and console-script checks, which need a fresh interpreter.  Every output
file goes to pytest's ``tmp_path``; runs are short (small ``--t-max``/``--samples``).

Numbers are checked against independent oracles where one exists: gp0 is a linear game,
z' = A z with θ' = φ, φ' = −θ − 2λφ, so its trajectory is expm(A t) z₀; random starts are
``numpy.random.default_rng(seed).uniform(−box, box, (N, 2d))`` as documented in
``diracgan.dynamics.starts``.
"""

from __future__ import annotations

import csv
import importlib.metadata
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
from click.testing import CliRunner

from diracgan.cli import cli
from diracgan.games import GAMES, REGULARISERS

HEADER_2D = ["t", "theta_1", "theta_2", "phi_1", "phi_2"]
START_ARGS = ["--theta", "0.2,0.1", "--phi", "0.1,0.2"]
FAST = ["--t-max", "1", "--samples", "5"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HEAVY = ("torch", "sympy", "matplotlib", "scipy")

# CliRunner separates stderr from stdout (click ≥ 8.2); ``output`` interleaves both.
assert tuple(int(x) for x in importlib.metadata.version("click").split(".")[:2]) >= (8, 2)


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


@pytest.fixture
def runner():
    return CliRunner()


def run_cli(runner, args):
    """``runner.invoke`` under the console script's name (CliRunner would call it 'cli')."""
    return runner.invoke(cli, [str(a) for a in args], prog_name="diracgan")


def invoke(runner, args):
    """Run ``diracgan ARGS`` and assert it succeeded without an exception."""
    result = run_cli(runner, args)
    assert result.exit_code == 0, (args, result.output, result.exc_info)
    assert result.exception is None, (args, result.exc_info)
    assert "Traceback" not in result.output
    return result


def read_csv(path):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], [[float(x) for x in r] for r in rows[1:]]


def gp0_exact(z0, t, lam=0.1):
    """Closed form of gp0 (L_D = θ·φ + λ‖φ‖², L_G = −θ·φ): z(t) = expm(A t) z₀, z = (θ, φ)."""
    z0 = np.asarray(z0, dtype=float)
    d = len(z0) // 2
    eye, zero = np.eye(d), np.zeros((d, d))
    a = np.block([[zero, eye], [-eye, -2 * lam * eye]])
    return np.array([scipy.linalg.expm(a * s) @ z0 for s in np.atleast_1d(t)])


def seed_starts(n, d, seed=0, box=0.5):
    """The documented random starts (diracgan.dynamics.starts), rebuilt here: rows (θ, φ)."""
    return np.random.default_rng(seed).uniform(-box, box, size=(n, 2 * d))


def listing(folder):
    folder = Path(folder)
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else None


def assert_one_line_error(result, expect=""):
    assert result.exit_code == 2, (result.exit_code, result.output, result.exc_info)
    assert isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    assert "Traceback" not in result.stderr
    assert result.stdout == "", result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stderr.endswith("\n")
    line = lines[0]
    assert line.startswith("Error: "), line
    assert line[len("Error: "):].strip(), line
    assert expect in line, (expect, line)
    return line


# ---------------------------------------------------------------------------------------
# 1. --help for the group and every registered command
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("command", [None, *sorted(cli.commands)])
def test_help(runner, command, flag):
    args = ([command] if command else []) + [flag]
    result = invoke(runner, args)
    path = "diracgan" + (f" {command}" if command else "")
    assert result.stdout.startswith(f"Usage: {path} [OPTIONS]"), result.stdout
    assert "Options:" in result.stdout
    assert "--help" in result.stdout
    assert result.stderr == ""
    if command is None:
        for name in cli.commands:  # every command is listed in the group's help
            assert re.search(rf"^\s+{re.escape(name)}\s", result.stdout, re.M), name
    else:
        help_text = cli.commands[command].get_short_help_str(limit=30).rstrip(".")
        assert help_text.split()[0] in result.stdout


def test_registry_is_not_empty():
    assert {"games", "simulate", "phase"} <= set(cli.commands)


def test_stored_games_listing_is_a_fresh_rendering():
    """``diracgan games`` prints the renderings stored in diracgan/cli/games.json (no sympy at
    start-up); they must be exactly what the registry renders now."""
    from diracgan.cli import games_cache

    now = games_cache.fresh()
    for kind in games_cache.KINDS:
        assert games_cache.stored(kind) == now[kind], (
            f"diracgan/cli/games.json is stale ({kind}): regenerate it with `python -m diracgan.cli.games_cache`")


def test_games_listing_falls_back_to_deriving_when_the_store_lists_other_games(monkeypatch, tmp_path):
    from diracgan.cli import games_cache

    doc = games_cache.fresh()
    doc["games"] = doc["games"][:-1]
    doc["text"] = "stale"
    store = tmp_path / "games.json"
    store.write_text(json.dumps(doc))
    monkeypatch.setattr(games_cache, "STORE", store)
    assert games_cache.stored("text") is None
    assert games_cache.rendering("text") == games_cache.fresh()["text"]
    store.write_text("{not json")
    assert games_cache.stored("text") is None


def test_group_help_table_is_each_commands_own_help():
    """``diracgan --help`` lists the commands from ``COMMANDS`` without importing them: each
    row must be the command's own docstring (first sentence) and name the module it lives in."""
    from diracgan.cli.group import COMMANDS

    assert set(COMMANDS) == set(cli.commands)
    for name, (module, short) in COMMANDS.items():
        command = cli.commands[name]
        assert command.callback.__module__ == f"diracgan.cli.{module}", name
        assert command.get_short_help_str(limit=10_000) == short, name


def test_version(runner):
    from diracgan import __version__

    result = invoke(runner, ["--version"])
    assert result.stdout.strip() == f"diracgan, version {__version__}"


# ---------------------------------------------------------------------------------------
# 2. Successful runs
# ---------------------------------------------------------------------------------------


def test_games_text(runner):
    result = invoke(runner, ["games"])
    out = result.stdout
    for name, spec in GAMES.items():
        # each game opens a line with its name (so 'gp' is not satisfied by 'gp0')
        assert re.search(rf"^{re.escape(name)}\s+{re.escape(spec.title)}$", out, re.M), name
    assert out.count("L_D = ") == len(GAMES)
    assert out.count("L_G = ") == len(GAMES)


def test_games_json(runner):
    result = invoke(runner, ["games", "--json"])
    records = json.loads(result.stdout)
    assert isinstance(records, list)
    assert [r["name"] for r in records] == list(GAMES)  # one record per game, in order
    for r in records:
        spec = GAMES[r["name"]]
        for key in ("L_D", "L_G"):
            assert isinstance(r[key], str) and r[key].strip(), (r["name"], key)
        assert isinstance(r["params"], list)
        assert [p["name"] for p in r["params"]] == list(spec.param_names)
        assert [p["default"] for p in r["params"]] == [p.default for p in spec.params]
        assert r["discrete_only"] is spec.discrete_only
    by_name = {r["name"]: r for r in records}
    assert by_name["gp0"]["fixed"] == {"c": 0.0}
    assert by_name["gp1"]["fixed"] == {"c": 1.0}
    assert by_name["vanilla"]["params"] == []
    assert by_name["qp"]["params"][0]["min_exclusive"] is True


def test_games_markdown(runner):
    result = invoke(runner, ["games", "--markdown"])
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "| name | game | L_D | L_G | parameters (default) |"
    assert lines[1] == "| --- | --- | --- | --- | --- |"
    assert len(lines) == 2 + len(GAMES) + 3 + len(REGULARISERS)   # the games, a blank line, the regularisers
    for line, name in zip(lines[2:], GAMES):
        assert line.startswith(f"| `{name}` | "), line
        assert line.endswith(" |")
        assert line.count("$") == 4  # L_D and L_G in LaTeX
    assert lines[2 + len(GAMES)] == ""
    for line, name in zip(lines[5 + len(GAMES):], REGULARISERS):
        assert line.startswith(f"| `{name}` | "), line


def test_simulate_csv_one_start(runner, tmp_path):
    out = tmp_path / "run.csv"
    result = invoke(runner, ["simulate", *START_ARGS, *FAST, "-o", out])
    assert f"wrote {out}" in result.stderr
    assert "1 run: 1 finished" in result.stderr
    assert listing(tmp_path) == ["run.csv"]  # no temporary file left behind
    text = out.read_text()
    assert text.splitlines()[0] == "t,theta_1,theta_2,phi_1,phi_2"
    header, rows = read_csv(out)
    assert header == HEADER_2D
    data = np.array(rows)
    assert data.shape == (5, 5)
    # exact round-trip: the first row is the start, the times are linspace(0, 1, 5)
    assert rows[0] == [0.0, 0.2, 0.1, 0.1, 0.2]
    assert list(data[:, 0]) == list(np.linspace(0.0, 1.0, 5))
    # the numbers: gp0 (λ = 0.1) is linear, compare with the matrix exponential
    exact = gp0_exact([0.2, 0.1, 0.1, 0.2], data[:, 0])
    np.testing.assert_allclose(data[:, 1:], exact, rtol=0, atol=1e-9)
    assert not np.allclose(data[-1, 1:], data[0, 1:])  # it actually moved


def test_simulate_csv_n_init(runner, tmp_path):
    out = tmp_path / "runs.csv"
    invoke(runner, ["simulate", "--n-init", 3, "--seed", 7, *FAST, "-o", out])
    header, rows = read_csv(out)
    assert header == ["run"] + HEADER_2D
    data = np.array(rows)
    assert data.shape == (15, 6)
    assert sorted(set(data[:, 0])) == [0.0, 1.0, 2.0]
    assert out.read_text().splitlines()[1].startswith("0,0.0,")  # run written as an integer
    starts = seed_starts(3, 2, seed=7)
    for k in range(3):
        block = data[data[:, 0] == k]
        assert block.shape == (5, 6)
        assert list(block[:, 1]) == list(np.linspace(0.0, 1.0, 5))
        assert list(block[0, 2:]) == list(starts[k])  # full precision
        np.testing.assert_allclose(block[:, 2:], gp0_exact(starts[k], block[:, 1]), rtol=0, atol=1e-9)


def test_simulate_json(runner, tmp_path):
    out = tmp_path / "runs.json"
    invoke(runner, ["simulate", "--n-init", 2, *FAST, "-o", out])
    data = json.loads(out.read_text())
    assert data["loss"] == "gp0"
    assert data["params"] == {"lam": 0.1}
    assert data["dim"] == 2 and data["n_runs"] == 2
    assert data["method"] == "DOP853"
    assert data["t_max"] == 1.0
    assert len(data["runs"]) == 2
    starts = seed_starts(2, 2)
    for k, run in enumerate(data["runs"]):
        assert run["run"] == k
        assert run["status"] == "finished"
        assert run["t_end"] == 1.0
        assert run["t"] == list(np.linspace(0.0, 1.0, 5))
        assert np.array(run["theta"]).shape == (5, 2)
        assert np.array(run["phi"]).shape == (5, 2)
        assert run["theta"][0] + run["phi"][0] == list(starts[k])
        z = np.hstack([run["theta"], run["phi"]])
        np.testing.assert_allclose(z, gp0_exact(starts[k], run["t"]), rtol=0, atol=1e-9)


def test_simulate_npz(runner, tmp_path):
    out = tmp_path / "runs.npz"
    invoke(runner, ["simulate", "--n-init", 3, "--dim", 2, *FAST, "-o", out])
    with np.load(out, allow_pickle=False) as f:
        assert {"t", "theta", "phi", "status"} <= set(f.files)
        t, theta, phi, status = f["t"], f["theta"], f["phi"], f["status"]
        meta = json.loads(str(f["metadata"]))
    assert t.shape == (5,)
    assert theta.shape == (3, 5, 2) and phi.shape == (3, 5, 2)
    assert status.shape == (3,) and list(status) == [0, 0, 0]
    assert meta["loss"] == "gp0" and meta["n_runs"] == 3
    starts = seed_starts(3, 2)
    np.testing.assert_array_equal(np.hstack([theta[:, 0], phi[:, 0]]), starts)
    for k in range(3):
        z = np.hstack([theta[k], phi[k]])
        np.testing.assert_allclose(z, gp0_exact(starts[k], t), rtol=0, atol=1e-9)


def test_simulate_without_out_prints_final_states(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke(runner, ["simulate", *START_ARGS, *FAST])
    assert listing(tmp_path) == []  # nothing written without --out
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    m = re.fullmatch(r"run 0: t = 1  θ = \((\S+), (\S+)\)  φ = \((\S+), (\S+)\)  \[finished\]", lines[0])
    assert m, lines[0]
    shown = np.array([float(x) for x in m.groups()])
    np.testing.assert_allclose(shown, gp0_exact([0.2, 0.1, 0.1, 0.2], 1.0)[0], rtol=1e-5)


def test_simulate_qp_dim3(runner, tmp_path):
    args = ["simulate", "--loss", "qp", "--dim", "3", "--lam", "1", "--theta", "0.2,0.1,0",
            "--phi", "0.1,0.2,0", "--t-max", "2", "--samples", "11"]
    result = invoke(runner, args)
    assert "qp (λ = 1), d = 3" in result.stderr
    m = re.fullmatch(r"run 0: t = 2  θ = \((\S+), (\S+), (\S+)\)  φ = \((\S+), (\S+), (\S+)\)  \[finished\]",
                     result.stdout.strip())
    assert m, result.stdout
    end3 = np.array([float(x) for x in m.groups()])
    assert end3[2] == 0 and end3[5] == 0  # the plane of θ₀ and φ₀ is invariant
    # ... and the d = 3 run repeats the d = 2 run in its first two coordinates
    out3, out2 = tmp_path / "d3.npz", tmp_path / "d2.csv"
    invoke(runner, [*args, "-o", out3])
    with np.load(out3) as f:
        assert f["theta"].shape == (1, 11, 3)
        assert np.all(f["theta"][..., 2] == 0) and np.all(f["phi"][..., 2] == 0)
        z3 = np.concatenate([f["theta"][0, :, :2], f["phi"][0, :, :2]], axis=1)
    invoke(runner, ["simulate", "--loss", "qp", "--lam", "1", *START_ARGS, "--t-max", "2", "--samples", "11",
                    "-o", out2])
    _, rows = read_csv(out2)
    np.testing.assert_allclose(z3, np.array(rows)[:, 1:], rtol=0, atol=1e-8)
    np.testing.assert_allclose(end3[[0, 1, 3, 4]], z3[-1], rtol=1e-5)


@pytest.mark.parametrize("ext,magic", [(".png", PNG_MAGIC), (".pdf", b"%PDF-"), (".svg", None)])
def test_phase_formats(runner, tmp_path, ext, magic):
    out = tmp_path / f"fig{ext}"
    result = invoke(runner, ["phase", *FAST, "-o", out])
    assert f"wrote {out}" in result.stderr
    assert listing(tmp_path) == [out.name]
    data = out.read_bytes()
    assert len(data) > 1000
    if magic is not None:
        assert data.startswith(magic)
    else:
        assert b"<svg" in data[:2000]
        assert data.rstrip().endswith(b"</svg>")


def test_phase_dim1(runner, tmp_path):
    out = tmp_path / "d1.png"
    result = invoke(runner, ["phase", "--dim", 1, *FAST, "-o", out])
    assert "d = 1" in result.stderr
    assert out.read_bytes().startswith(PNG_MAGIC)


# isolated_filesystem is what the brief asks for; click 8.5 deprecates it (removal in 9.0).
ISOLATED_FS_DEPRECATED = pytest.mark.filterwarnings("ignore:'isolated_filesystem' is deprecated:DeprecationWarning")


@ISOLATED_FS_DEPRECATED
def test_phase_default_name(runner, tmp_path):
    with runner.isolated_filesystem(temp_dir=tmp_path) as cwd:
        result = invoke(runner, ["phase", *FAST])
        assert listing(cwd) == ["phase-gp0-lam0.1-d2.png"]
        assert (Path(cwd) / "phase-gp0-lam0.1-d2.png").read_bytes().startswith(PNG_MAGIC)
    assert "wrote phase-gp0-lam0.1-d2.png" in result.stderr


@ISOLATED_FS_DEPRECATED
def test_phase_default_name_n_init(runner, tmp_path):
    with runner.isolated_filesystem(temp_dir=tmp_path) as cwd:
        invoke(runner, ["phase", "--loss", "gp1", "--lam", "0.5", "--n-init", 2, "--seed", 3, *FAST])
        assert listing(cwd) == ["phase-gp1-lam0.5-d2-n2-seed3.png"]


def test_simulate_starts_npy(runner, tmp_path):
    starts = np.array([[0.2, 0.1, 0.1, 0.2], [-0.3, 0.05, 0.25, -0.1]])
    src = tmp_path / "starts.npy"
    np.save(src, starts)
    out = tmp_path / "out.csv"
    result = invoke(runner, ["simulate", "--starts", src, *FAST, "-o", out])
    assert f"2 starts from {src}" in result.stderr
    header, rows = read_csv(out)
    assert header == ["run"] + HEADER_2D
    data = np.array(rows)
    assert sorted(set(data[:, 0])) == [0.0, 1.0]
    for k in range(2):
        block = data[data[:, 0] == k]
        assert list(block[0, 2:]) == list(starts[k])
        np.testing.assert_allclose(block[:, 2:], gp0_exact(starts[k], block[:, 1]), rtol=0, atol=1e-9)


def test_simulate_starts_from_simulate_csv(runner, tmp_path):
    first = tmp_path / "first.csv"
    invoke(runner, ["simulate", "--n-init", 3, "--seed", 5, "--box", 0.7, *FAST, "-o", first])
    again = tmp_path / "again.csv"
    invoke(runner, ["simulate", "--starts", first, "--t-max", 2, "--samples", 3, "-o", again])
    _, rows = read_csv(again)
    data = np.array(rows)
    assert sorted(set(data[:, 0])) == [0.0, 1.0, 2.0]
    starts = seed_starts(3, 2, seed=5, box=0.7)
    for k in range(3):
        block = data[data[:, 0] == k]
        assert list(block[:, 1]) == [0.0, 1.0, 2.0]
        assert list(block[0, 2:]) == list(starts[k])  # each run's start, not later samples


def test_simulate_starts_from_single_run_csv(runner, tmp_path):
    first = tmp_path / "first.csv"
    invoke(runner, ["simulate", "--theta", "0.3,-0.1", "--phi", "0.05,0.4", *FAST, "-o", first])
    again = tmp_path / "again.npz"
    invoke(runner, ["simulate", "--starts", first, *FAST, "-o", again])
    with np.load(again) as f:
        assert f["theta"].shape == (1, 5, 2)  # one start: the first row, not every sample
        assert list(f["theta"][0, 0]) == [0.3, -0.1]
        assert list(f["phi"][0, 0]) == [0.05, 0.4]


# ---------------------------------------------------------------------------------------
# 3. Bad input: one line on stderr, exit code 2, no traceback, no file
# ---------------------------------------------------------------------------------------

BAD = {
    "unknown-loss": (["simulate", "--loss", "nope", "-o", "{out}/r.csv"], "'nope'"),
    "unknown-loss-phase": (["phase", "--loss", "nope", "-o", "{out}/r.png"], "'nope'"),
    "wrong-length": (["simulate", "--dim", "3", "--theta", "0.2,0.1", "-o", "{out}/r.csv"], "--dim is 3"),
    "theta-phi-lengths": (["simulate", "--theta", "0.2,0.1", "--phi", "0.1", "-o", "{out}/r.csv"], "--phi"),
    "non-numeric": (["simulate", "--theta", "a,b", "-o", "{out}/r.csv"], "'a,b'"),
    "nan-theta": (["simulate", "--theta", "nan,0.1", "-o", "{out}/r.csv"], "finite"),
    "nan-lam": (["simulate", "--lam", "nan", "-o", "{out}/r.csv"], "finite"),
    "inf-lam-phase": (["phase", "--lam", "inf", "-o", "{out}/r.png"], "finite"),
    "negative-lam": (["simulate", "--loss", "gp1", "--lam", "-1", "-o", "{out}/r.csv"], "--lam"),
    "qp-lam-zero": (["simulate", "--loss", "qp", "--lam", "0", "-o", "{out}/r.csv"], "> 0"),
    "t-max-zero": (["simulate", "--t-max", "0", "-o", "{out}/r.csv"], "--t-max"),
    "t-max-negative": (["simulate", "--t-max", "-1", "-o", "{out}/r.csv"], "--t-max"),
    "t-max-zero-phase": (["phase", "--t-max", "0", "-o", "{out}/r.png"], "--t-max"),
    "param-game-lacks": (["simulate", "--loss", "vanilla", "--lam", "1", "-o", "{out}/r.csv"], "no parameter 'lam'"),
    "fixed-param": (["simulate", "--loss", "gp0", "--c", "1", "-o", "{out}/r.csv"], "fixes c"),
    "missing-folder": (["simulate", "-o", "{out}/missing/r.csv"], "does not exist"),
    "missing-folder-phase": (["phase", "-o", "{out}/missing/r.png"], "does not exist"),
    "unknown-extension": (["simulate", "--out", "{out}/x.txt"], "'.txt'"),
    "figure-extension-for-data": (["simulate", "--out", "{out}/x.png"], "'.png'"),
    "data-extension-for-figure": (["phase", "--out", "{out}/x.csv"], "'.csv'"),
    "n-init-and-theta": (["simulate", "--n-init", "3", "--theta", "0.1,0.2", "-o", "{out}/r.csv"], "not both"),
    "starts-and-theta": (["simulate", "--starts", "{out}/../s.npy", "--theta", "0.1,0.2", "-o", "{out}/r.csv"],
                         "--starts alone"),
    "missing-starts-file": (["simulate", "--starts", "{out}/nope.npy", "-o", "{out}/r.csv"], "does not exist"),
    "samples-and-dt": (["simulate", "--samples", "3", "--dt", "0.5", "-o", "{out}/r.csv"], "not both"),
    "samples-one": (["simulate", "--samples", "1", "-o", "{out}/r.csv"], "--samples"),
    "wgan-clip": (["simulate", "--loss", "wgan-clip", "-o", "{out}/r.csv"], "discrete time"),
    "wgan-clip-phase": (["phase", "--loss", "wgan-clip", "-o", "{out}/r.png"], "discrete time"),
    "unknown-option": (["simulate", "--thta", "1", "-o", "{out}/r.csv"], "--thta"),
    "unknown-command": (["nosuch"], "nosuch"),
    "games-json-and-markdown": (["games", "--json", "--markdown"], "not both"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input(runner, tmp_path, monkeypatch, case):
    args, expect = BAD[case]
    out = tmp_path / "out"
    out.mkdir()
    np.save(tmp_path / "s.npy", np.array([[0.2, 0.1, 0.1, 0.2]]))
    args = [a.replace("{out}", str(out)) for a in args]
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    before_out, before_tmp = listing(out), listing(tmp_path)
    result = run_cli(runner, args)
    assert_one_line_error(result, expect)
    assert listing(cwd) == []  # not even a default-named file
    assert listing(out) == before_out == []
    assert listing(tmp_path) == before_tmp


def test_read_only_folder(runner, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("the folder stays writable (running as root)")
        for args in (["simulate", *FAST, "-o", folder / "r.csv"], ["phase", *FAST, "-o", folder / "r.png"]):
            result = run_cli(runner, [str(a) for a in args])
            assert_one_line_error(result, "permission denied")
            assert listing(folder) == []
    finally:
        folder.chmod(0o700)


def test_existing_file_not_touched_on_error(runner, tmp_path):
    out = tmp_path / "keep.csv"
    out.write_text("old\n")
    result = run_cli(runner, ["simulate", "--theta", "a,b", "-o", str(out)])
    assert_one_line_error(result)
    assert out.read_text() == "old\n"
    assert listing(tmp_path) == ["keep.csv"]


# ---------------------------------------------------------------------------------------
# Known library bugs (strict xfail: they fail the suite once fixed, so the mark gets removed)
# ---------------------------------------------------------------------------------------


def test_bare_group_shows_help_not_an_error(runner):
    result = run_cli(runner, [])
    assert result.exit_code == 0
    assert "Usage: diracgan" in result.output
    assert "Error:" not in result.output


def test_wgan_clip_hint_names_an_existing_command(runner, tmp_path):
    result = run_cli(runner, ["simulate", "--loss", "wgan-clip"])
    line = assert_one_line_error(result, "discrete time")
    m = re.search(r"`diracgan (\S+)", line)
    if m:  # a suggested command must exist
        assert m.group(1) in cli.commands, line


# ---------------------------------------------------------------------------------------
# 4. Import isolation and 5. the console script
# ---------------------------------------------------------------------------------------

_ISOLATION = """
import sys
import diracgan.cli
heavy = {heavy!r}
def loaded():
    return sorted(m for m in sys.modules if m.split('.')[0] in heavy)
print('after-import', loaded())
try:
    diracgan.cli.main({argv!r})
except SystemExit as exc:
    print('exit', exc.code)
print('after-help', loaded())
"""


@pytest.mark.parametrize("argv", [["--help"], ["simulate", "--help"], ["phase", "--help"], ["games", "--help"],
                                  ["games"], ["games", "--json"], ["games", "--markdown"]])
def test_import_isolation(argv):
    """The help and the registry's listing import none of the heavy modules, numpy included."""
    code = _ISOLATION.format(heavy=(*HEAVY, "numpy"), argv=argv)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = proc.stdout.splitlines()
    assert "after-import []" in report, proc.stdout
    assert "exit 0" in report, proc.stdout
    assert "after-help []" in report, proc.stdout
    assert "Usage: diracgan" in proc.stdout or argv[0] == "games"


def test_console_script():
    exe = Path(sys.executable).parent / "diracgan"
    if not exe.exists():
        pytest.fail(f"console script not installed next to {sys.executable}")
    proc = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: diracgan [OPTIONS] COMMAND [ARGS]...")
    assert proc.stderr == ""
    bad = subprocess.run([str(exe), "simulate", "--loss", "nope"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert len(bad.stderr.splitlines()) == 1 and bad.stderr.startswith("Error: ")
