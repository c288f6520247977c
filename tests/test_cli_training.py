"""`diracgan train` and `diracgan stability` end to end."""

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import assert_usage_error
from diracgan.cli import cli


def run(args):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="diracgan")


def test_train_csv_columns_and_first_rows(tmp_path):
    out = tmp_path / "run.csv"
    r = run(["train", "--loss", "vanilla", "--dim", "2", "--optimizer", "sgd", "--lr", "0.1", "--mode",
             "simultaneous", "--steps", "200", "--ema", "0.99", "--out", out])
    assert r.exit_code == 0, r.output
    rows = list(csv.reader(out.open()))
    assert rows[0] == ["step", "theta_1", "theta_2", "phi_1", "phi_2", "ema_theta_1", "ema_theta_2", "ema_phi_1",
                       "ema_phi_2"]
    assert len(rows) == 202 and rows[1][:5] == ["0", "0.2", "0.1", "0.1", "0.2"]
    # step 1 by hand: θ' = σ(−θ·φ)φ, φ' = −σ(θ·φ)θ at θ·φ = 0.04
    s = 1 / (1 + np.exp(-0.04))
    want = [0.2 + 0.1 * (1 - s) * 0.1, 0.1 + 0.1 * (1 - s) * 0.2, 0.1 - 0.1 * s * 0.2, 0.2 - 0.1 * s * 0.1]
    np.testing.assert_allclose([float(x) for x in rows[2][1:5]], want, rtol=1e-15)
    # Results on stdout, like every other command; file notes on stderr.
    assert "spectral radius ρ = 1.00125" in r.stdout and "farther from the equilibrium than its EMA" in r.stdout
    assert "wrote" in r.stderr and "wrote" not in r.stdout


def test_train_issue_examples(tmp_path):
    r = run(["train", "--loss", "gp1", "--optimizer", "adam", "--lr", "1e-3", "--betas", "0.5,0.9", "--mode",
             "alternating", "--n-critic", "5", "--ema", "0.999", "--plot", tmp_path / "run.png", "--steps", "500"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "run.png").stat().st_size > 10_000
    r = run(["train", "--loss", "wgan-clip", "--clip", "0.01", "--optimizer", "rmsprop", "--lr", "5e-5",
             "--n-critic", "5", "--steps", "300", "--out", tmp_path / "c.json"])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "c.json").read_text())
    assert doc["mode"] == "alternating" and doc["n_critic"] == 5 and doc["clip"] == 0.01
    phi = np.array(doc["runs"][0]["phi"])
    assert np.abs(phi[1:]).max() <= 0.01


def test_train_batch_npz(tmp_path):
    out = tmp_path / "b.npz"
    r = run(["train", "--loss", "gp0", "--n-init", "4", "--seed", "1", "--optimizer", "sgd", "--lr", "0.1",
             "--steps", "50", "--out", out])
    assert r.exit_code == 0, r.output
    with np.load(out) as f:
        assert f["theta"].shape == (4, 51, 2) and f["status"].tolist() == [0, 0, 0, 0]


def test_stability_single_and_map(tmp_path):
    r = run(["stability", "--loss", "vanilla", "--mode", "simultaneous", "--lr", "0.1"])
    assert r.exit_code == 0, r.output
    assert "1 - 0.05i" in r.stdout and "no stable learning rate" in r.stdout
    r = run(["stability", "--loss", "gp0", "--mode", "simultaneous", "--lr", "0.1", "--json"])
    doc = json.loads(r.stdout)
    assert doc["largest_stable_lr"] == pytest.approx(0.2, rel=1e-9) and doc["verdict"] == "stable"
    out = tmp_path / "map.png"
    r = run(["stability", "--loss", "gp0", "--mode", "simultaneous", "--lr", "0.01:2:50", "--lam", "0:2:40",
             "--out", out])
    assert r.exit_code == 0, r.output
    assert out.stat().st_size > 10_000
    data = tmp_path / "map.csv"
    r = run(["stability", "--loss", "gp0", "--mode", "simultaneous", "--lr", "0.01:2:50", "--lam", "0:2:40",
             "--out", data])
    rows = list(csv.reader(data.open()))
    assert rows[0] == ["lr", "lam", "rho"] and len(rows) == 1 + 50 * 40
    h, lam, rho = (float(x) for x in rows[1 + 40 * 0 + 10])   # lam = 0 row, lr index 10
    assert rho == pytest.approx(np.sqrt(1 + h * h), rel=1e-12) and lam == 0


@pytest.mark.parametrize("args, fragment", [
    (["train", "--optimizer", "adam", "--momentum", "0.9"], "no option 'momentum'"),
    (["train", "--mode", "simultaneous", "--n-critic", "5"], "need --mode alternating"),
    (["train", "--optimizer", "extragradient", "--mode", "alternating"], "simultaneous scheme"),
    (["train", "--ema", "1"], "[0, 1)"),
    (["train", "--betas", "0.5"], "--betas has 1 value"),
    (["train", "--loss", "vanilla", "--clip", "0.1"], "no parameter 'clip'"),
    (["train", "--lr", "-0.1"], "lr must be finite and > 0"),
    (["train", "--plot", "x.gif"], "unknown extension"),
    (["stability", "--optimizer", "adam", "--lr", "0.1"], "not linear"),
    (["stability", "--loss", "gp1", "--lr", "0.1"], "not differentiable"),
    (["stability", "--lr", "0:1:5", "--lam", "0:1:5", "--momentum", "0:1:5"], "at most two ranges"),
    (["stability", "--lr", "a:b:c"], "START:STOP:COUNT"),
    (["stability", "--lr", "0.1", "--out", "x.png"], "needs a range"),
])
def test_bad_input(tmp_path, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    assert_usage_error(run(args), fragment, tmp_path)


@pytest.mark.parametrize("args, fragment", [
    (["simulate", "--n-init", "2", "--seed", "-1"], "--seed"),
    (["train", "--optimizer", "adam", "--betas", "0.9"], "but Adam takes 2"),
    (["stability", "--lr", "0:2:200"], "lr must be finite and > 0, got 0 among its values"),
    (["eig", "--sweep", "lam=-1:3:5"], "got -1"),
    (["animate", "--loss", "qp", "--theta", "0,0"], "nothing to animate"),
    (["simulate", "--rtol", "1e-30"], "rtol must be in"),
    (["simulate", "--n-init", "3000000"], "GiB"),
    (["stability", "--lr", "1e300"], "not finite"),
])
def test_more_bad_input(tmp_path, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    assert_usage_error(run(args), fragment, tmp_path)


def test_output_path_under_a_file(tmp_path):
    (tmp_path / "afile").write_text("x")
    r = run(["simulate", "--out", tmp_path / "afile" / "x.csv"])
    assert r.exit_code == 2 and "is a file, not a folder" in r.stderr


def test_train_with_an_absurd_lr_keeps_what_was_computed(tmp_path):
    out = tmp_path / "big.csv"
    r = run(["train", "--loss", "gp0", "--lr", "1e300", "--steps", "5", "--out", out])
    assert r.exit_code == 0, r.output
    assert "diverged" in r.stdout and "not finite" in r.stdout and out.exists()
