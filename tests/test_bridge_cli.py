"""``diracgan bridge``: outputs (.csv/.json/.npz, --plot, --json), --compare, and bad input:
one line, exit code 2, nothing written."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

pytest.importorskip("torch")
pytest.importorskip("ot")

from diracgan.cli import cli  # noqa: E402

TINY = ["--width", "8", "--batch", "8", "--eval-size", "16", "--steps", "4", "--record-every", "2"]
LINEAR = ["--g", "linear", "--d", "linear", "--data", "dirac", "--batch", "2", "--eval-size", "4"]


def run(args):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="diracgan")


def test_outputs(tmp_path):
    csv_path, npz, js, png = (tmp_path / f"r.{e}" for e in ("csv", "npz", "json", "png"))
    for out in (csv_path, npz, js):
        r = run(["bridge", "--loss", "vanilla", *TINY, "--seeds", "2", "--ema", "0.9", "-o", out, "-q"])
        assert r.exit_code == 0, r.output
    with open(csv_path, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:3] == ["seed", "step", "modes_covered"] and len(rows) == 1 + 2 * 3
    data = np.load(npz)
    assert data["samples"].shape == (2, 3, 16, 2) and data["ema_samples"].shape == (2, 3, 16, 2)
    assert json.loads(str(data["metadata"]))["data"] == "ring8"
    summary = json.loads(js.read_text())
    assert [s["steps"] for s in summary["seeds"]] == [[0, 2, 4]] * 2
    r = run(["bridge", "--loss", "gp0", *LINEAR, "--steps", "3", "--record-every", "1", "--plot", png, "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["seeds"][0]["verdict"] in ("converges", "cycles") and png.read_bytes()[:4] == b"\x89PNG"


def test_compare_json():
    r = run(["bridge", "--loss", "gp0", "--lam", "1", *LINEAR, "--steps", "60", "--record-every", "10",
             "--seeds", "2", "--optimizer", "sgd", "--lr", "0.2", "--compare", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["dirac"]["linear"]["verdict"] == "converges"
    # the linear shapes on dirac data are the Dirac-GAN: the MLP side agrees with its train run
    assert out["dirac"]["train"]["verdict"] == "converges" and out["mlp"]["fractions"]["converges"] == 1.0
    assert out["agreement"] == 1.0


def _bad_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    three = tmp_path / "three.npy"
    np.save(three, np.zeros((5, 3)))
    nan = tmp_path / "nan.csv"
    nan.write_text("0,1\nnan,2\n")
    return {"missing": tmp_path / "nope.npy", "empty": empty, "not 2-D": three, "NaN": nan}


@pytest.mark.parametrize("args", [
    ["--data", "moons"], ["--width", "0"], ["--depth", "-1"], ["--batch", "0"], ["--steps", "0"], ["--seeds", "0"],
    ["--loss-d", "softplus(-d_real) + softplus(d_fake) + phi_sq", "--loss-g", "softplus(-dot)"],
    ["--dim", "3"], ["--target", "1,2,3"], ["--activation", "gelu"],
])
def test_bad_input(tmp_path, args):
    out = tmp_path / "r.csv"
    r = run(["bridge", *TINY, *args, "-o", out])
    assert r.exit_code == 2 and not out.exists()
    assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1 and "Traceback" not in r.output


def test_bad_data_files(tmp_path):
    for what, path in _bad_files(tmp_path).items():
        out = tmp_path / "r.csv"
        r = run(["bridge", *TINY, "--data-file", path, "-o", out])
        assert r.exit_code == 2 and not out.exists(), what
        assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1, (what, r.stderr)


def test_cuda_without_gpu(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    r = run(["bridge", *TINY, "--device", "cuda", "-o", tmp_path / "r.csv"])
    assert r.exit_code == 2 and "--device cuda" in r.stderr and not (tmp_path / "r.csv").exists()
