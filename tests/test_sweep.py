"""Tests of ``diracgan sweep`` and ``diracgan.sweep(...)`` on a real Dask LocalCluster.

One LocalCluster for the module (one worker thread in this process, on TCP so that a
subprocess client can reach it); the worker-killing test has its own cluster of processes in
``test_sweep_faults.py``.  Tasks are tiny (``train --steps 20``, ``eig --no-numeric``, short
``simulate``).  Independent checks: rows equal the library called directly in this process, bit
for bit; keys equal the SHA-1 of the documented JSON text; Parquet and CSV stores read back
exactly what was computed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("distributed")
pytest.importorskip("pyarrow")

import pyarrow.parquet as pq  # noqa: E402

import diracgan  # noqa: E402
from diracgan.cli import cli  # noqa: E402
from diracgan.errors import InputError  # noqa: E402
from diracgan.sweep import build_tasks, get_runner, run_sweep, task_key  # noqa: E402
from diracgan.sweep.engine import run_task  # noqa: E402

ROOT = Path(__file__).parents[1]
VOLATILE = ("seconds", "worker")


@pytest.fixture(scope="module")
def cluster():
    import distributed

    lc = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://",
                                  host="127.0.0.1", dashboard_address=":0", silence_logs=logging.ERROR)
    client = distributed.Client(lc, set_as_default=False)
    yield client
    client.close()
    lc.close()


def cli_run(args):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="diracgan")


def assert_one_line_error(result, fragment):
    assert result.exit_code == 2, (result.output, result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and fragment in lines[0], result.stderr


def same(a, b) -> bool:
    """Equal, with NaN equal to NaN and floats compared bit for bit."""
    if isinstance(a, float) and isinstance(b, float):
        return a.hex() == b.hex() or (math.isnan(a) and math.isnan(b))
    return type(a) is type(b) and a == b


def stable(row: dict) -> dict:
    return {k: v for k, v in row.items() if k not in VOLATILE}


def assert_rows_equal(rows_a, rows_b):
    assert len(rows_a) == len(rows_b)
    for a, b in zip(rows_a, rows_b):
        a, b = stable(a), stable(b)
        assert a.keys() == b.keys()
        bad = [k for k in a if not same(a[k], b[k])]
        assert not bad, {k: (a[k], b[k]) for k in bad}


# -- keys and grids ----------------------------------------------------------------------------

def test_key_is_the_sha1_of_the_normal_form_and_ignores_spelling():
    runner = get_runner("train")
    (t1,), _, _ = build_tasks(runner, {"loss": "gp0", "steps": 20, "lr": 1}, None)
    (t2,), _, _ = build_tasks(runner, {"steps": 20.0, "lr": 1.0, "optimizer": "sgd", "n_critic": 1}, None)
    assert t1.key == t2.key
    text = json.dumps(["train", t1.options, diracgan.__version__], sort_keys=True, separators=(",", ":"))
    assert t1.key == hashlib.sha1(text.encode()).hexdigest()[:20] == task_key("train", t1.options)
    (t3,), _, _ = build_tasks(runner, {"steps": 20, "lr": 1.0 + 2**-52}, None)
    assert t3.key != t1.key


def test_grid_product_seeds_and_checks_before_any_task():
    runner = get_runner("train")
    tasks, axes, fixed = build_tasks(runner, {"steps": 20}, {"lr": [0.1, 0.2, 0.1], "n_critic": [1, 2]}, seeds=3)
    assert axes == ["lr", "n_critic", "seed"] and len(tasks) == 2 * 2 * 3     # the repeated lr runs once
    assert [t.point for t in tasks[:3]] == [{"lr": 0.1, "n_critic": 1, "seed": s} for s in range(3)]
    assert all(t.options["n_init"] == 1 for t in tasks) and fixed["n_init"] == 1   # a random start per seed
    with pytest.raises(InputError, match="'gamma' is neither an option of train nor a parameter of gp0"):
        build_tasks(runner, {}, {"gamma": [1.0]})
    with pytest.raises(InputError, match="n_critic= of train must be a whole number"):
        build_tasks(runner, {}, {"n_critic": [1.5]})
    with pytest.raises(InputError, match="eig has no seed"):
        build_tasks(get_runner("eig"), {}, {"lam": [1.0]}, seeds=2)
    # A parameter that only some games of the grid have is their rows' error, not a refusal.
    tasks, _, _ = build_tasks(get_runner("eig"), {"lam": 0.5}, {"loss": ["vanilla", "gp0"]})
    assert len(tasks) == 2


# -- (1) rows equal in-process runs, bit for bit -------------------------------------------------

def test_rows_equal_in_process_runs_bit_for_bit(cluster, tmp_path):
    from diracgan import analyse, make_game, random_starts, simulate, train

    out = tmp_path / "train"
    grid = {"lr": [0.05, 0.2], "lam": [0.1, 1.0]}
    rows = run_sweep("train", grid, seeds=2, steps=20, client=cluster, out=out).table.to_pylist()
    runner = get_runner("train")
    tasks, _, _ = build_tasks(runner, {"steps": 20}, {"lr": [0.05, 0.2], "lam": [0.1, 1.0]}, seeds=2)
    assert_rows_equal(rows, [run_task(runner, t.key, t.options, t.point) for t in tasks])
    assert_rows_equal(pq.read_table(out).to_pylist(), rows)        # the Parquet store is exact
    for row in rows:           # and the numbers are the library's own, called directly
        th, ph = random_starts(1, 2, row["seed"], 0.5)
        run = train(make_game("gp0", lam=row["lam"]), th, ph, lr=row["lr"], steps=20)
        assert row["distance_end"] == float(run.distance()[0, -1])
        assert row["status"] == "ok" and row["worker"].startswith("tcp://127.0.0.1")
    # The Python API returns the same table (read back from the store: nothing is recomputed),
    # as a pandas DataFrame when pandas is installed, else as the pyarrow Table.
    table = diracgan.sweep("train", grid, seeds=2, steps=20, client=cluster, out=out)
    try:
        import pandas

        assert isinstance(table, pandas.DataFrame) and list(table["key"]) == [r["key"] for r in rows]
    except ImportError:
        assert_rows_equal(table.to_pylist(), rows)

    eig = run_sweep("eig", {"lam": [0.0, 0.5, 2.0]}, numeric=False, client=cluster).table.to_pylist()
    assert [r["max_re"] for r in eig] == [analyse(make_game("gp0", lam=x)).max_re for x in (0.0, 0.5, 2.0)]
    assert [r["verdict"] for r in eig] == ["centre", "asymptotically stable", "asymptotically stable"]
    # gp0's M = [[−2λ, −1], [1, 0]] (θ' = φ, φ' = −θ − 2λφ): eigenvalues −λ ± √(λ² − 1).
    assert eig[2]["mu1_re"] == pytest.approx(-2 - math.sqrt(3), rel=1e-12) or \
        eig[2]["mu2_re"] == pytest.approx(-2 - math.sqrt(3), rel=1e-12)

    sim = run_sweep("simulate", {"lam": [0.3, 1.0]}, t_max=2.0, samples=5, client=cluster).table.to_pylist()
    for r in sim:
        traj = simulate(make_game("gp0", lam=r["lam"]), [0.2, 0.1], [0.1, 0.2], t_max=2.0, samples=5)
        assert r["distance_end"] == float(np.linalg.norm(traj.state_end, axis=1)[0]) and r["nfev"] == traj.nfev


# -- (4) bad values, axes, ranges, scheduler ------------------------------------------------------

def test_bad_value_is_an_error_row_and_the_sweep_goes_on(cluster, tmp_path):
    addr = cluster.scheduler.address
    out = tmp_path / "bad.csv"
    r = cli_run(["sweep", "train", "--steps", "20", "--values", "lr=0.1,-1,0.2", "--scheduler", addr,
                 "--out", out, "--no-progress"])
    assert r.exit_code == 0, r.output
    table, _ = __import__("diracgan.sweep.store", fromlist=["read_store"]).read_store(out)
    rows = {row["lr"]: row for row in table.to_pylist()}
    assert rows[-1.0]["status"] == "error" and rows[-1.0]["message"] == "lr must be finite and > 0, got -1"
    assert rows[-1.0]["verdict"] is None and rows[-1.0]["distance_end"] is None
    assert rows[0.1]["status"] == rows[0.2]["status"] == "ok"
    # The CSV store reads back exactly, and a rerun computes nothing.
    again = run_sweep("train", {"lr": [0.1, -1.0, 0.2]}, steps=20, client=cluster, out=out)
    assert again.stored == 3 and again.computed == 0
    assert_rows_equal(again.table.to_pylist(), [rows[x] for x in (0.1, -1.0, 0.2)])


@pytest.mark.parametrize("args, fragment", [
    (["--grid", "gamma=0:1:3"], "'gamma' is not an option of train; a grid axis is one of:"),
    (["--grid", "lr=0.1:1"], "must look like NAME=START:STOP:COUNT"),
    (["--grid", "lr=0.1:1:1"], "2 ≤ COUNT"),
    (["--grid", "n-critic=1:2:3"], "is not a whole number"),
    (["--grid", "n-critic=0:2:3"], "not in the range 1<=x"),
    (["--grid", "optimizer=0:1:3"], "--optimizer is not a number; give its values with --values"),
    (["--values", "optimizer=sgd,bogus"], "'bogus' is not one of"),
    (["--grid", "lr=-1:1:3", "--log", "lr"], "a logarithmic axis needs START and STOP > 0"),
    (["--grid", "reg.r1.gamma=0:1:3"], "needs the regulariser: add --reg r1"),
    (["--lr", "0.1", "--grid", "lr=0.1:1:3"], "given both as an option and as a grid axis"),
    (["--grid", "lr=0.1:1:3", "--grid", "lam=0:1:2", "--values", "momentum=0,0.5", "--plot", "x.png"],
     "--plot draws one or two grid axes"),
])
def test_bad_axis_or_range_is_one_line_before_any_task(tmp_path, args, fragment):
    # The unreachable scheduler proves nothing was contacted: the grid fails first.
    out = tmp_path / "never"
    r = cli_run(["sweep", "train", "--steps", "20", *args, "--out", out, "--scheduler", "tcp://127.0.0.1:9"])
    assert_one_line_error(r, fragment)
    assert not out.exists()


def test_unreachable_scheduler_is_one_line_within_10_seconds(tmp_path):
    import socket

    import dask

    with socket.socket() as s:           # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    from diracgan.sweep.engine import CONNECT_TIMEOUT

    assert CONNECT_TIMEOUT <= 10
    t0 = time.perf_counter()
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):    # the test's budget; CLI: 5 s
        r = cli_run(["sweep", "eig", "--no-numeric", "--grid", "lam=0:1:2", "--scheduler", f"tcp://127.0.0.1:{port}",
                     "--out", tmp_path / "s"])
    assert time.perf_counter() - t0 < 10
    assert_one_line_error(r, f"cannot reach the scheduler at tcp://127.0.0.1:{port} within 1 s")
    assert not (tmp_path / "s" / "_sweep.json").exists() or not list((tmp_path / "s").glob("part-*"))


# -- (5) without the extra ----------------------------------------------------------------------

def test_without_the_extra_one_line_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "distributed", None)     # import distributed now fails
    r = cli_run(["sweep", "train", "--grid", "lr=0.1:1:3", "--out", tmp_path / "x"])
    assert_one_line_error(r, 'pip install "diracgan[sweep]"')
    with pytest.raises(InputError, match=r'pip install "diracgan\[sweep\]"'):
        diracgan.sweep("eig", {"lam": [1.0]})


# -- resume, force, stores ------------------------------------------------------------------------

def test_resume_skips_stored_keys_and_force_recomputes(cluster, tmp_path):
    out = tmp_path / "eig"
    first = run_sweep("eig", {"lam": [0.0, 1.0]}, numeric=False, client=cluster, out=out)
    assert (first.stored, first.computed) == (0, 2)
    more = run_sweep("eig", {"lam": [0.0, 1.0, 2.0]}, numeric=False, client=cluster, out=out)   # one more value
    assert (more.stored, more.computed) == (2, 1)
    forced = run_sweep("eig", {"lam": [0.0, 1.0]}, numeric=False, client=cluster, out=out, force=True)
    assert forced.computed == 2
    keys = pq.read_table(out).column("key").to_pylist()
    assert sorted(keys) == sorted(set(keys)) and len(keys) == 3       # each key stored once
    with pytest.raises(InputError, match="holds another sweep: its fixed options"):
        run_sweep("eig", {"lam": [0.0]}, numeric=False, horizon=50.0, client=cluster, out=out)


def test_sigint_half_way_then_rerun_runs_only_the_missing_keys(cluster, tmp_path):
    out = tmp_path / "int"
    args = ["sweep", "train", "--steps", "600", "--lr", "0.1", "--seeds", "8", "--chunk", "1", "--out", str(out),
            "--scheduler", cluster.scheduler.address, "--no-progress"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "diracgan", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(list(out.glob("part-*.parquet"))) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert not list(out.glob(".part-*"))                       # no partial file left behind
    done = len(pq.read_table(out).column("key"))
    assert 2 <= done < 8, err
    r = cli_run(args)
    assert r.exit_code == 0, r.output
    assert f"8 tasks: {done} stored before, {8 - done} computed" in r.stderr
    resumed = sorted((stable(x) for x in pq.read_table(out).to_pylist()), key=lambda x: x["key"])
    whole = run_sweep("train", None, seeds=8, steps=600, lr=0.1, client=cluster).table.to_pylist()
    assert_rows_equal(resumed, sorted(whole, key=lambda x: x["key"]))


# -- summary and plot ---------------------------------------------------------------------------

def test_summary_and_plot_of_a_stored_sweep(cluster, tmp_path):
    out = tmp_path / "grid"
    run_sweep("eig", {"loss": ["gp0", "vanilla"], "lam": [0.0, 1.0]}, numeric=False, client=cluster, out=out)
    r = cli_run(["sweep", "--summary", out, "--plot", tmp_path / "grid.png"])
    assert r.exit_code == 0, r.output
    assert "4 rows, 2 ok, 2 error" in r.stdout and "error ×2: vanilla has no parameter 'lam'" in r.stdout
    assert "asymptotically stable 1" in r.stdout and "centre 1" in r.stdout
    assert (tmp_path / "grid.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert_one_line_error(cli_run(["sweep", "--summary", tmp_path]), "is not a stored sweep")
