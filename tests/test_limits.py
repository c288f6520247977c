"""Robustness at the limits (issue 13): malformed start files, writes that fail late, huge
counts, budgets, signals, file modes, overflow and removable singularities.

Each class of the issue has its tests here; every usage error is checked with
``assert_usage_error`` (exit code 2, exactly one ``Error: …`` line, nothing written).  Write
failures are simulated by making ``os.fsync`` or ``savefig`` fail with ENOSPC (and, when the
tests run as root, on a real 64 KiB tmpfs); signals are sent to real subprocesses.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import assert_usage_error

from diracgan import make_game, simulate
from diracgan.cli import cli
from diracgan.derivation.numeric import velocity
from diracgan.dynamics.flow import Status
from diracgan.dynamics.starts import load_starts
from diracgan.errors import InputError, Interrupted, OutputError

REPO = Path(__file__).parents[1]


def run_cli(args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="diracgan", **kw)


def one_line_error(result, fragment, code):
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) >= 1 and lines[-1].startswith("Error:") and fragment in lines[-1], result.stderr
    assert "Traceback" not in result.output
    return lines[-1]


# ---------------------------------------------------------------------------------------
# Start files
# ---------------------------------------------------------------------------------------

def _write(path: Path, content) -> Path:
    if isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        np.save(path, content, allow_pickle=False)
    return path


BAD_STARTS = [
    ("empty.csv", "", "is empty"),
    ("header.csv", "theta_1,phi_1\n", "a header but no rows"),
    ("blank.csv", "\n\n# a comment\n", "no rows"),
    ("onecol.csv", "0.1\n0.2\n", "rows of 2d numbers"),
    ("odd.csv", "0.1,0.2,0.3\n", "rows of 2d numbers"),
    ("ragged.csv", "0.1,0.2\n0.1,0.2,0.3,0.4\n", "row 2 has 4 values, expected 2"),
    ("twotheta.csv", "theta_1,theta_2\n0.1,0.2\n", "has: theta_1, theta_2"),
    ("gap.csv", "theta_1,theta_3,phi_1,phi_3\n1,2,3,4\n", "theta_1..theta_d and phi_1..phi_d"),
    ("dates.csv", "2024-01-01,2024-01-02\n", "'2024-01-01' is not a real number"),
    ("complex.csv", "1+2j,0.5\n", "'1+2j' is not a real number"),
    ("text.csv", "theta_1,phi_1\n0.1,abc\n", "row 2, column 2: 'abc' is not a real number"),
    ("huge.csv", "1" + "0" * 400 + ",0.1\n", "non-finite"),
    ("nan.csv", "nan,0.1\n", "non-finite"),
    ("strings.npy", np.array([["a", "b"]]), "dtype <U1 is not real numbers"),
    ("structured.npy", np.zeros(2, dtype=[("a", "f8"), ("b", "f8")]), "structured array"),
    ("complex.npy", np.array([[1 + 2j, 0.5]]), "complex numbers"),
    ("dates.npy", np.array([["2024-01-01", "2024-01-02"]], dtype="datetime64[D]"), "is not real numbers"),
    ("bool.npy", np.array([[True, False]]), "is not real numbers"),
    ("d0.npy", np.zeros((3, 0)), "rows of 2d numbers"),
    ("cube.npy", np.zeros((2, 2, 2)), "rows of 2d numbers"),
    ("empty.npy", b"", "is empty"),
    ("truncated.npy", b"\x93NUMPY\x01\x00", "cannot read starts"),
    ("empty.json", "", "is empty"),
    ("bigint.json", '{"theta": [[' + "9" * 400 + ']], "phi": [[0.1]]}', "non-finite"),
    ("deep.json", '{"theta": ' + "[" * 50_000 + "]" * 50_000 + ', "phi": [[0.1]]}', "nested deeper than 3"),
    ("d0.json", '{"theta": [[]], "phi": [[]]}', "rows of 2d numbers"),
    ("strings.json", '{"theta": [["0.1"]], "phi": [[0.1]]}', 'holds "0.1", not a number'),
    ("bool.json", '{"theta": [[true]], "phi": [[0.1]]}', "holds true, not a number"),
    ("nanconst.json", '{"theta": [[NaN]], "phi": [[0.1]]}', "NaN is not a finite number"),
    ("shapes.json", '{"theta": [[0.1, 0.2]], "phi": [[0.1]]}', "theta has shape (1, 2) but phi has (1, 1)"),
    ("nokeys.json", '[[0.1, 0.2]]', 'expected an object {"theta"'),
    ("badjson.json", '{"theta": [[0.1]', "cannot read starts"),
]


@pytest.mark.parametrize("name,content,fragment", BAD_STARTS, ids=[b[0] for b in BAD_STARTS])
def test_malformed_start_files_are_one_line_usage_errors(tmp_path, name, content, fragment):
    path = _write(tmp_path / name, content)
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli(["simulate", "--starts", path, "-T", "1", "-o", out / "x.csv"])
    assert_usage_error(result, fragment, out)


def test_start_file_header_columns_are_matched_by_name(tmp_path):
    # φ columns first and θ indices out of order: the header decides, not the position.
    path = _write(tmp_path / "s.csv", "phi_2,theta_2,phi_1,theta_1\n4,2,3,1\n")
    theta, phi = load_starts(path)
    assert theta.tolist() == [[1.0, 2.0]] and phi.tolist() == [[3.0, 4.0]]
    with pytest.raises(InputError, match="have d = 2 but --dim is 3"):
        load_starts(path, dim=3)


# ---------------------------------------------------------------------------------------
# Writes that fail late, paths that cannot be written, file modes
# ---------------------------------------------------------------------------------------

WRITES = [
    (["simulate", "-T", "1", "--samples", "5"], "a.csv"),
    (["eig", "--sweep", "lam=0:1:5"], "s.csv"),
    (["stability", "--lr", "0.1:1:4"], "st.json"),
    (["train", "--steps", "5"], "t.npz"),
]


@pytest.mark.parametrize("args,name", WRITES, ids=[w[0][0] for w in WRITES])
def test_disk_full_at_the_end_keeps_the_previous_file(tmp_path, monkeypatch, args, name):
    target = tmp_path / name
    target.write_bytes(b"previous")

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("diracgan.io.os.fsync", full)
    result = run_cli(args + ["-o", target])
    one_line_error(result, f"cannot write {str(target)!r}: No space left on device", 1)
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]          # no temporary file left


@pytest.mark.parametrize("command", [["eig", "--sweep", "lam=0:1:5"], ["animate", "--frames", "2", "-T", "1"]])
def test_a_figure_writer_failing_midway_leaves_nothing(tmp_path, monkeypatch, command):
    """savefig / PIL's GIF writer write some bytes, then the disk is full."""
    import matplotlib.figure
    from PIL import Image

    def partial_then_full(self, fname, *a, **k):
        Path(fname).write_bytes(b"partial")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", partial_then_full)
    monkeypatch.setattr(Image.Image, "save", partial_then_full)
    name = "f.png" if command[0] == "eig" else "f.gif"
    result = run_cli(command + ["-o", tmp_path / name])
    one_line_error(result, "No space left on device", 1)
    assert list(tmp_path.iterdir()) == []


def test_a_real_full_disk(tmp_path):
    """On a 64 KiB tmpfs (needs root to mount; skipped otherwise)."""
    mnt = tmp_path / "full"
    mnt.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        (mnt / "a.csv").write_text("previous\n")
        result = run_cli(["simulate", "--n-init", "50", "-T", "1", "-o", mnt / "a.csv"])
        one_line_error(result, "No space left on device", 1)
        assert (mnt / "a.csv").read_text() == "previous\n" and len(list(mnt.iterdir())) == 1
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


BAD_PATHS = [
    (["simulate", "-o", "x.csv/"], "a trailing slash names a folder"),
    (["simulate", "-o", "afile/x.csv"], "'afile' is a file, not a folder"),
    (["simulate", "-o", "afile/sub/x.csv"], "'afile' is a file, not a folder"),
    (["simulate", "-o", "/proc/diracgan-test.csv"], "cannot write '/proc/diracgan-test.csv'"),
    (["stability", "--lr", "0.1:1:3", "-o", "/sys/diracgan-test.csv"], "cannot write '/sys/diracgan-test.csv'"),
    (["figures", "--dir", ""], "--dir is empty"),
    (["figures", "--dir", "afile/figs"], "'afile' is a file, not a folder"),
    (["figures", "--dir", "/proc/figs"], "cannot write into '/proc/figs'"),
]


@pytest.mark.parametrize("args,fragment", BAD_PATHS, ids=[" ".join(b[0][-2:]) for b in BAD_PATHS])
def test_unwritable_paths_are_refused_before_any_work(tmp_path, monkeypatch, args, fragment):
    if not Path("/proc").is_dir() and "/proc" in " ".join(args):
        pytest.skip("no /proc")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    before = sorted(p.name for p in tmp_path.iterdir())
    t0 = time.perf_counter()
    result = run_cli(args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and fragment in lines[0], result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert time.perf_counter() - t0 < 10


def test_file_modes_follow_the_umask_and_the_existing_file(tmp_path):
    old = os.umask(0o027)
    try:
        assert run_cli(["simulate", "-T", "1", "--samples", "3", "-o", tmp_path / "new.csv"]).exit_code == 0
        existing = tmp_path / "old.csv"
        existing.write_text("x")
        existing.chmod(0o600)
        assert run_cli(["simulate", "-T", "1", "--samples", "3", "-o", existing]).exit_code == 0
    finally:
        os.umask(old)
    assert (tmp_path / "new.csv").stat().st_mode & 0o777 == 0o640
    assert existing.stat().st_mode & 0o777 == 0o600 and existing.read_text().startswith("t,")


# ---------------------------------------------------------------------------------------
# Huge counts: bounded integers, memory checked before allocating
# ---------------------------------------------------------------------------------------

HUGE = "12345678901234567890123"
HUGE_INTS = [
    (["simulate", "--n-init", HUGE], "--n-init"),
    (["simulate", "--samples", HUGE], "--samples"),
    (["simulate", "--dim", HUGE], "--dim"),
    (["simulate", "--max-steps", HUGE], "--max-steps"),
    (["train", "--steps", HUGE], "--steps"),
    (["train", "--n-critic", HUGE], "--n-critic"),
    (["train", "--n-critic", "1e20"], "--n-critic"),
    (["train", "--n-gen", HUGE], "--n-gen"),
    (["train", "--record-every", HUGE], "--record-every"),
    (["stability", "--dim", HUGE], "--dim"),
    (["eig", "--dim", HUGE], "--dim"),
]


@pytest.mark.parametrize("args,option", HUGE_INTS, ids=[" ".join(h[0][:2]) for h in HUGE_INTS])
def test_huge_integers_are_refused_cleanly(tmp_path, args, option):
    result = run_cli(args + ["-o", tmp_path / "x.csv"] if args[0] != "eig" else args)
    assert result.exit_code == 2 and option in result.stderr and len(result.stderr.strip().splitlines()) == 1


HUGE_RUNS = [
    (["simulate", "--n-init", "100000000"], "lower --samples (or raise --dt), --n-init or --dim"),
    (["simulate", "--samples", "1000000000"], "lower --samples"),
    (["simulate", "--dim", "100000000"], "--dim"),
    (["simulate", "--dt", "1e-9"], "use a larger --dt"),
    (["simulate", "--method", "Radau", "--dim", "10000", "--n-init", "10"], "use --method DOP853"),
    (["train", "--steps", "1000000000"], "raise --record-every"),
    (["train", "--steps", "100000", "--n-init", "10000000"], "raise --record-every"),
    (["train", "--steps", "100000000", "--n-critic", "5", "--record-every", "100000000"],
     "lower --steps, --n-critic or --n-gen"),
]


@pytest.mark.parametrize("args,remedy", HUGE_RUNS, ids=[" ".join(h[0][1:3]) for h in HUGE_RUNS])
def test_huge_runs_are_refused_before_allocating(tmp_path, monkeypatch, args, remedy):
    from diracgan.dynamics import starts

    def must_not_run(*a, **k):
        raise AssertionError("starts were built before the size check")

    monkeypatch.setattr(starts, "random_starts", must_not_run)
    monkeypatch.setattr(starts, "default_start", must_not_run)
    out = tmp_path / "out"
    out.mkdir()
    result = run_cli(args + ["-o", out / "x.csv"])
    assert_usage_error(result, remedy, out)


def test_torch_backend_runs_one_by_one_so_it_is_bounded(tmp_path):
    pytest.importorskip("torch")
    result = run_cli(["train", "--backend", "torch", "--n-init", "1000", "-o", tmp_path / "x.csv"])
    assert_usage_error(result, "use --backend numpy (batched)", tmp_path)


def test_eig_in_a_million_dimensions_uses_the_kronecker_structure():
    t0 = time.perf_counter()
    result = run_cli(["eig", "--dim", "1000000", "--no-numeric"])
    assert result.exit_code == 0, result.output
    assert "-0.1 + 0.994987i ×1000000" in result.stdout and "2×2 matrix M, J(0) = M ⊗ I_d" in result.stdout
    assert time.perf_counter() - t0 < 15
    result = run_cli(["eig", "--dim", "1000000"])
    assert result.exit_code == 2 and "give --no-numeric or a smaller --dim" in result.stderr


# ---------------------------------------------------------------------------------------
# Budgets: nothing runs unbounded
# ---------------------------------------------------------------------------------------

def test_an_absurd_horizon_stops_at_the_first_checkpoint():
    t0 = time.perf_counter()
    run = simulate(make_game("minimax"), [0.2, 0.1], [0.1, 0.2], t_max=1e12, samples=11)
    assert run.status[0] == Status.FAILED
    assert "over the budget of 500000 (--max-steps); lower --t-max" in run.messages[0]
    assert run.t_end[0] < 2000 and time.perf_counter() - t0 < 15   # stopped after 1000 solver steps


def test_a_stiff_field_with_an_explicit_method_names_the_stiff_methods():
    game = make_game("gp0", lam=1e6)
    run = simulate(game, [0.2, 0.1], [0.1, 0.2], t_max=40, samples=11)
    assert run.status[0] == Status.FAILED and "use --method Radau, BDF or LSODA" in run.messages[0]
    stiff = simulate(game, [0.2, 0.1], [0.1, 0.2], t_max=40, samples=11, method="Radau")
    # After the fast transient (which moves θ by φ₀/(2λ)), the slow manifold φ ≈ −θ/(2λ) with
    # θ' = φ: θ(t) ≈ (θ₀ + φ₀/(2λ))·exp(−t/(2λ)), to O(1/λ²).
    assert stiff.ok[0]
    expected = (np.array([0.2, 0.1]) + np.array([0.1, 0.2]) / 2e6) * np.exp(-40 / 2e6)
    np.testing.assert_allclose(stiff.state_end[0, :2], expected, rtol=1e-9)


def test_train_plot_after_a_blow_up_is_bounded(tmp_path):
    """ρ ≈ 20: the run diverges at step 5; the reference flow is integrated to lr × 4 (not to
    lr × --steps = 2e7)."""
    t0 = time.perf_counter()
    result = run_cli(["train", "--loss", "gp0", "--mode", "simultaneous", "--lr", "20", "--steps", "1000000",
                      "--record-every", "1000", "--ema", "0.99", "--plot", tmp_path / "p.png"])
    assert result.exit_code == 0, result.output
    assert "diverged" in result.stdout + result.stderr and (tmp_path / "p.png").stat().st_size > 1000
    assert "nan×" not in result.stdout + result.stderr and "EMA (decay 0.99): no comparison" in result.stdout
    assert time.perf_counter() - t0 < 30


def test_train_plot_reference_flow_has_a_step_budget(tmp_path):
    result = run_cli(["train", "--loss", "minimax", "--lr", "20", "--steps", "3000", "--bound", "1e300",
                      "--record-every", "100", "--plot", tmp_path / "p.png"])
    assert result.exit_code == 0, result.output
    assert "the gradient-flow reference in the figure ends at t =" in result.stderr


# ---------------------------------------------------------------------------------------
# Signals
# ---------------------------------------------------------------------------------------

_CLI_SCRIPT = """
import sys
import diracgan.cli as c
print("ready", flush=True)
c.main(sys.argv[1:])
"""


def _start(script, args, cwd):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", script, *map(str, args)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    return proc


@pytest.mark.parametrize("sig,code,message", [(signal.SIGINT, 130, "Interrupted."),
                                              (signal.SIGTERM, 143, "Terminated.")])
def test_signals_exit_cleanly_and_leave_no_temporary_file(tmp_path, sig, code, message):
    (tmp_path / "out.csv").write_text("previous\n")
    proc = _start(_CLI_SCRIPT, ["simulate", "--loss", "minimax", "-T", "1e9", "--max-steps", "1000000000",
                                "-o", "out.csv"], tmp_path)
    time.sleep(1.5)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == code, err
    assert err.strip().splitlines() == [message]
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"] and (tmp_path / "out.csv").read_text() == "previous\n"


_WRITE_SCRIPT = """
import sys, time
from diracgan.errors import Interrupted, raise_on_signals
from diracgan.io import atomic_output
try:
    with raise_on_signals(), atomic_output(sys.argv[1]) as tmp:
        tmp.write_text("partial")
        print("ready", flush=True)
        time.sleep(30)
except Interrupted as exc:
    sys.exit(exc.exit_code)
"""


def test_sigterm_during_the_atomic_write_removes_the_temporary_file(tmp_path):
    (tmp_path / "a.csv").write_text("previous\n")
    proc = _start(_WRITE_SCRIPT, [tmp_path / "a.csv"], tmp_path)
    assert len(list(tmp_path.iterdir())) == 2          # the temporary file exists now
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert proc.returncode == 143
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"] and (tmp_path / "a.csv").read_text() == "previous\n"


def test_keyboard_interrupt_is_interrupted_not_aborted(monkeypatch):
    import diracgan.cli.games_cache

    def interrupt(kind):
        raise KeyboardInterrupt

    monkeypatch.setattr(diracgan.cli.games_cache, "rendering", interrupt)
    result = run_cli(["games"])
    assert result.exit_code == 130 and result.stderr.strip().splitlines() == ["Interrupted."]


def test_interrupted_figures_leave_the_manifest_consistent(tmp_path, monkeypatch):
    from diracgan.viz import catalogue

    calls = []

    def render(entry, folder, style="paper"):
        if calls:
            raise Interrupted(signal.SIGINT)
        calls.append(entry.name)
        path = Path(folder) / entry.filename
        path.write_bytes(b"fresh " + entry.name.encode())
        return path

    (tmp_path / catalogue.CATALOGUE[1].filename).write_bytes(b"old")
    monkeypatch.setattr(catalogue, "render", render)
    with pytest.raises(Interrupted):
        catalogue.render_all(tmp_path, progress=False)
    files = json.loads((tmp_path / "manifest.json").read_text())["files"]
    on_disk = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()
               if p.name != "manifest.json"}
    assert files == on_disk and len(files) == 2


# ---------------------------------------------------------------------------------------
# Overflow and removable singularities
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("game", [make_game("gp", c=0.0, lam=0.3), make_game("gp1", lam=0.0)],
                         ids=["gp c=0", "gp1 lam=0"])
def test_parameters_that_remove_the_singularity(game):
    theta = np.array([[0.3, -0.1]])
    dtheta, dphi = velocity(game, theta, np.zeros((1, 2)))
    # Both reduce to the bilinear game plus λ‖φ‖² (λ = 0 for gp1): at φ = 0, θ' = 0, φ' = −θ.
    np.testing.assert_array_equal(dtheta, 0.0)
    np.testing.assert_array_equal(dphi, -theta)
    run = simulate(game, theta[0], [0.0, 0.0], t_max=2.0, samples=5)
    assert run.ok[0], run.messages[0]


@pytest.mark.parametrize("scale", [1e-108, 1e-160, 1e-300])
def test_wgan_field_at_tiny_phi_is_exact(scale):
    """θ' = φ/‖φ‖ is invariant under φ → sφ, φ' = −(θ − (θ·φ̂)φ̂)/‖φ‖ scales like 1/s."""
    game = make_game("wgan")
    theta, u = np.array([0.3, 0.1]), np.array([1.0, 2.0])
    t1, p1 = velocity(game, theta, u)
    ts, ps = velocity(game, theta, scale * u)
    np.testing.assert_allclose(ts, t1, rtol=1e-14)
    np.testing.assert_allclose(ps * scale, p1, rtol=1e-12)


def test_huge_parameters_overflow_and_say_so(tmp_path):
    result = run_cli(["eig", "--lam", "1e308", "--no-numeric"])
    assert result.exit_code == 0 and "nan" not in result.stdout and "-inf ×2" in result.stdout
    result = run_cli(["stability", "--lam", "1e308"])
    line = one_line_error(result, "exceeds the float range", 2)
    assert "overflow, not a singularity" in line and "not differentiable" not in line
    result = run_cli(["train", "--lam", "1e308", "--steps", "5"])
    assert result.exit_code == 0 and "reached ‖(θ, φ)‖ ≥ 1e+06 at step 1" in result.stdout + result.stderr
    assert "not differentiable" not in result.stderr


def test_stability_map_counts_overflow_as_unstable(tmp_path):
    out = tmp_path / "s.csv"
    result = run_cli(["stability", "--lr", "1:1e300:5", "-o", out])
    assert result.exit_code == 0, result.output
    assert "stable (ρ < 1) on 20.0% of it; ρ exceeds the float range (unstable) at 4 points" in result.stderr
    rows = out.read_text().splitlines()[1:]
    assert len(rows) == 5 and [r.split(",")[1] for r in rows[1:]] == ["inf"] * 4


def test_ema_text_after_every_run_diverged():
    result = run_cli(["train", "--loss", "vanilla", "--lr", "100", "--steps", "400", "--ema", "0.9"])
    assert result.exit_code == 0, result.output
    assert "nan×" not in result.stdout + result.stderr and "EMA (decay 0.9): no comparison" in result.stdout


@pytest.mark.parametrize("loss,verdict", [("wgan", "undetermined"), ("gp1", "undetermined"), ("qp", "undetermined"),
                                          ("gp0", "converges")])
def test_eig_from_the_equilibrium(loss, verdict):
    result = run_cli(["eig", "--loss", loss, "--theta", "0,0", "--phi", "0,0", "--json"])
    assert result.exit_code == 0, result.output
    v = json.loads(result.stdout)["numeric_verdict"]
    assert v["verdict"] == verdict
    assert ("not defined" in v["message"]) == (verdict == "undetermined")


def test_output_error_is_an_oserror_and_input_error_a_value_error():
    assert issubclass(OutputError, OSError) and issubclass(InputError, ValueError)


def test_eigenvalue_sweep_to_the_float_limit(tmp_path):
    """gp0's small eigenvalue −λ + √(λ² − 1) ≈ −1/(2λ) survives λ = 2.5e307; λ = 1e308 (2λ = inf) is an
    overflow, left out and counted, not 'not differentiable'."""
    out = tmp_path / "s.csv"
    result = run_cli(["eig", "--sweep", "lam=0:1e308:5", "-o", out])
    assert result.exit_code == 0, result.output
    assert "exceed the float range for 1 values" in result.stderr and "not differentiable" not in result.stderr
    rows = [r.split(",") for r in out.read_text().splitlines()[1:]]
    small = {float(r[0]): float(r[2]) for r in rows if r[1] == "1"}
    for lam in (2.5e307, 5e307, 7.5e307):
        assert small[lam] == pytest.approx(-1 / (2 * lam), rel=1e-12)


def test_exact_per_value_decisions_are_bounded(tmp_path):
    result = run_cli(["eig", "--loss", "gp", "--sweep", "c=0:2:100000", "-o", tmp_path / "s.csv"])
    assert_usage_error(result, "at most 5000 distinct values, got 100000", tmp_path)


def test_json_output_stays_valid_json_at_an_overflow():
    result = run_cli(["eig", "--lam", "1e308", "--json", "--no-numeric"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"invalid JSON constant {c}"))
    assert "-inf" in [e["re"] for e in doc["eigenvalues"]]


def test_a_huge_stability_grid_is_refused_before_allocating(tmp_path):
    result = run_cli(["stability", "--lr", "0.01:2:5000", "--lam", "0:2:5000", "-o", tmp_path / "m.npz"])
    assert_usage_error(result, "a stability map of 25000000 grid points would need", tmp_path)
    assert "lower the COUNT of the ranges" in result.stderr


def test_stability_map_draws_overflow_above_the_scale_not_blank():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from diracgan import make_game
    from diracgan.analysis.stability import stability_map
    from diracgan.dynamics.optimizers import make_optimizer
    from diracgan.dynamics.training import Scheme
    from diracgan.viz.plotting import plot_stability_map

    def factory(**kw):
        return Scheme(make_optimizer("sgd", **kw), make_optimizer("sgd", **kw), "simultaneous")

    lrs, lams = np.array([0.1, 1.0, 1e300]), np.array([0.1, 1.0, 1e10])
    smap = stability_map(make_game("gp0"), factory, {"lr": lrs, "lam": lams})
    over = np.isposinf(smap.rho)
    assert over[-1, -1] and over.sum() < over.size and not np.isnan(smap.rho).any()
    fig, ax = plt.subplots()
    plot_stability_map(ax, smap)
    mesh = ax.collections[0]
    values = np.ma.masked_invalid(mesh.get_array()).reshape(smap.rho.shape)
    assert values.count() == smap.rho.size                      # nothing blank
    assert (values[over] > mesh.norm.vmax).all()               # the overflow: above the colour scale
    assert mesh.norm.vmax <= 10 * np.max(smap.rho[~over])       # the scale is set by the finite ρ
    line = stability_map(make_game("gp0", lam=1e10), factory, {"lr": lrs})
    assert list(np.isposinf(line.rho)) == [False, False, True]
    fig1, ax1 = plt.subplots()
    plot_stability_map(ax1, line)
    curve, marks = ax1.lines[0], ax1.lines[1]
    assert np.ma.getmaskarray(curve.get_ydata()).tolist() == [False, False, True]   # a gap, not a spike
    assert list(marks.get_xdata()) == [1e300] and list(marks.get_ydata()) == [1.0]  # a mark at the top
    assert ax1.get_ylim()[1] < 10 * np.max(line.rho[:2])
    plt.close("all")
