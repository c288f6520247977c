"""`diracgan eig` end to end: text, JSON schema, LaTeX, sweeps, bad input."""

import csv
import json

import pytest
from click.testing import CliRunner

from conftest import assert_usage_error
from diracgan.cli import cli


def run(args):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="diracgan")


def test_text_report_has_both_verdicts():
    r = run(["eig", "--loss", "gp0", "--dim", "2", "--lam", "0.1", "--horizon", "100"])
    assert r.exit_code == 0, r.output
    assert "-λ - sqrt(λ² - 1) = -0.1 - 0.994987i   ×2" in r.stdout
    assert "linear verdict:  asymptotically stable" in r.stdout
    assert "numeric verdict: converges" in r.stdout and "T = 100" in r.stdout


def test_json_schema():
    r = run(["eig", "--loss", "gp1", "--json", "--horizon", "60"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert set(doc) >= {"loss", "dim", "params", "equilibrium", "differentiable", "jacobian", "eigenvalues",
                        "linear_verdict", "numeric_verdict", "culprits", "jacobian_limit", "field"}
    assert doc["loss"] == "gp1" and doc["params"] == {"lam": 0.1} and doc["differentiable"] is False
    assert doc["eigenvalues"] == [] and doc["linear_verdict"]["verdict"] == "not differentiable"
    assert doc["numeric_verdict"]["verdict"] == "oscillates" and doc["numeric_verdict"]["horizon"] == 60
    r = run(["eig", "--loss", "vanilla", "--json", "--no-numeric", "--dim", "3"])
    doc = json.loads(r.stdout)
    assert doc["jacobian"]["M"] == [["0", "1/2"], ["-1/2", "0"]]
    assert doc["jacobian"]["M_numeric"] == [[0.0, 0.5], [-0.5, 0.0]]
    assert [(e["re"], e["im"], e["multiplicity"], e["exact"]) for e in doc["eigenvalues"]] == \
        [(0.0, -0.5, 3, "-i/2"), (0.0, 0.5, 3, "i/2")]
    assert doc["numeric_verdict"] is None and doc["linear_verdict"]["verdict"] == "centre"


def test_latex():
    r = run(["eig", "--loss", "vanilla", "--latex", "--no-numeric"])
    assert r.exit_code == 0
    assert r.stdout.startswith("% vanilla, d = 2") and r"\frac{i}{2}\ (\times 2)" in r.stdout


@pytest.mark.parametrize("ext", ["png", "svg", "csv", "json"])
def test_sweep_outputs(tmp_path, ext):
    out = tmp_path / f"eig.{ext}"
    r = run(["eig", "--loss", "gp0", "--sweep", "lam=0:3:61", "--out", out])
    assert r.exit_code == 0, r.output
    assert "changes sign at λ ≈ 0" in r.stderr
    if ext == "csv":
        rows = list(csv.reader(out.open()))
        assert rows[0] == ["lam", "branch", "re", "im", "multiplicity"] and len(rows) == 1 + 2 * 61
        assert [float(x) for x in rows[-1][2:4]] == pytest.approx([-3 + 8 ** 0.5, 0.0])
    elif ext == "json":
        doc = json.loads(out.read_text())
        assert doc["values"][-1] == 3.0 and doc["stability_crossings"] == [0.0]
    else:
        assert out.stat().st_size > 5000


@pytest.mark.parametrize("args, fragment", [
    (["--sweep", "gamma=0:1:3"], "no parameter 'gamma'"),
    (["--sweep", "lam=0:1"], "NAME=START:STOP:COUNT"),
    (["--sweep", "lam=-1:1:3"], "must be finite and ≥ 0"),
    (["--out", "x.png"], "--out needs --sweep"),
    (["--json", "--latex"], "not both"),
    (["--sweep", "lam=0:1:3", "--out", "x.txt"], "unknown extension"),
    (["--loss", "gp0", "--lam", "nan"], "not a finite number"),
    (["--theta", "1,2,3", "--dim", "2"], "--dim is 2"),
    (["--loss", "wgan-clip"], "discrete time"),
])
def test_bad_input(tmp_path, monkeypatch, args, fragment):
    monkeypatch.chdir(tmp_path)
    assert_usage_error(run(["eig"] + args), fragment, tmp_path)
