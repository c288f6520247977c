"""Output files and start points: formats, precision, atomicity, validation."""

import json

import numpy as np
import pytest

from diracgan.games import InputError, make_game
from diracgan.dynamics.flow import simulate
from diracgan.io import atomic_output, check_output, write_trajectories
from diracgan.dynamics.starts import default_start, load_starts, parse_vector, random_starts


@pytest.fixture(scope="module")
def batch():
    theta, phi = random_starts(3, 2, seed=1)
    return simulate(make_game("gp1"), theta, phi, t_max=2, samples=9)


def test_csv_round_trips_every_float_exactly(batch, tmp_path):
    path = write_trajectories(batch, tmp_path / "b.csv")
    header = path.read_text().splitlines()[0]
    assert header == "run,t,theta_1,theta_2,phi_1,phi_2"
    data = np.loadtxt(path, delimiter=",", skiprows=1)
    assert data.shape == (27, 6)
    for i in range(3):
        rows = data[data[:, 0] == i]
        np.testing.assert_array_equal(rows[:, 1], batch.t)
        np.testing.assert_array_equal(rows[:, 2:], batch.states[i])   # exact, not approx


def test_json_and_npz_carry_status_and_metadata(batch, tmp_path):
    doc = json.loads(write_trajectories(batch, tmp_path / "b.json").read_text())
    assert doc["loss"] == "gp1" and doc["params"] == {"lam": 0.1} and doc["dim"] == 2
    assert [r["status"] for r in doc["runs"]] == ["finished"] * 3
    np.testing.assert_array_equal(np.array(doc["runs"][1]["theta"]), batch.theta[1])
    with np.load(write_trajectories(batch, tmp_path / "b.npz")) as npz:
        np.testing.assert_array_equal(npz["theta"], batch.theta)
        np.testing.assert_array_equal(npz["phi_end"], batch.state_end[:, 2:])
        assert json.loads(str(npz["metadata"]))["method"] == "DOP853"


def test_atomic_output_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            tmp.write_text("partial")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path, match", [
    ("x.txt", "unknown extension"),
    ("x", "unknown extension"),
    ("missing/x.csv", "does not exist"),
])
def test_check_output_rejects(tmp_path, path, match):
    with pytest.raises(InputError, match=match):
        check_output(tmp_path / path, (".csv", ".json", ".npz"))


def test_starts_round_trip_through_every_format(batch, tmp_path):
    theta, phi = batch.theta[:, 0], batch.phi[:, 0]
    np.save(tmp_path / "s.npy", np.hstack([theta, phi]))
    (tmp_path / "s.json").write_text(json.dumps({"theta": theta.tolist(), "phi": phi.tolist()}))
    write_trajectories(batch, tmp_path / "prev.csv")
    (tmp_path / "plain.csv").write_text("\n".join(",".join(repr(float(x)) for x in row)
                                                  for row in np.hstack([theta, phi])) + "\n")
    for name in ("s.npy", "s.json", "prev.csv", "plain.csv"):
        th, ph = load_starts(tmp_path / name)
        np.testing.assert_array_equal(th, theta)
        np.testing.assert_array_equal(ph, phi)
    with pytest.raises(InputError, match="d = 2 but --dim is 3"):
        load_starts(tmp_path / "s.npy", dim=3)


def test_bad_starts_files(tmp_path):
    (tmp_path / "odd.npy").write_bytes(b"")
    np.save(tmp_path / "odd.npy", np.ones((2, 3)))
    np.save(tmp_path / "nan.npy", np.array([[np.nan, 1.0]]))
    for name, match in [("odd.npy", "rows of 2d numbers"), ("nan.npy", "non-finite"), ("none.csv", "does not exist")]:
        with pytest.raises(InputError, match=match):
            load_starts(tmp_path / name)


def test_default_and_random_starts():
    th, ph = default_start(1)
    assert th.tolist() == [0.2] and ph.tolist() == [0.1]
    th, ph = default_start(4)
    assert th.tolist() == [0.2, 0.1, 0, 0] and ph.tolist() == [0.1, 0.2, 0, 0]
    a = random_starts(100, 3, seed=7, box=0.25)
    b = random_starts(100, 3, seed=7, box=0.25)
    np.testing.assert_array_equal(a[0], b[0])
    assert np.abs(np.hstack(a)).max() <= 0.25 and a[0].shape == (100, 3)
    assert not np.array_equal(random_starts(5, 3, seed=8)[0], random_starts(5, 3, seed=7)[0])


def test_parse_vector():
    np.testing.assert_array_equal(parse_vector("0.2, 0.1,0", "--theta"), [0.2, 0.1, 0.0])
    for text, match in [("a,b", "comma-separated"), ("nan,1", "finite"), ("1,2", "--dim is 3")]:
        with pytest.raises(InputError, match=match):
            parse_vector(text, "--theta", dim=3)
