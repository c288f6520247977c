"""The bridge's data sets (diracgan.bridge.data): geometry against the published definitions
(typed here by hand from the sources), deterministic torch sampling with the right law, data
files, and every bad input as a one-line InputError."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from diracgan.bridge import data as bd  # noqa: E402
from diracgan.bridge.data import DATASETS, load_points, make_dataset  # noqa: E402
from diracgan.errors import InputError  # noqa: E402


def gen(seed=0):
    return torch.Generator().manual_seed(seed)


def one_line(excinfo, fragment):
    msg = str(excinfo.value)
    assert "\n" not in msg and fragment in msg, msg
    return msg


# ---------------------------------------------------------------------------------------
# Geometry: the published definitions, typed independently
# ---------------------------------------------------------------------------------------

def test_names_and_geometry_match_the_sources():
    assert DATASETS == ("dirac", "gaussian", "ring8", "grid25")
    ring = make_dataset("ring8")
    # PacGAN's ring (config.py: (cos(2πk/8), sin(2πk/8)), σ = 0.01) scaled by 2 (Metz et al.).
    pacgan_ring = np.array([[math.cos(k * math.pi * 2 / 8), math.sin(k * math.pi * 2 / 8)] for k in range(8)])
    np.testing.assert_allclose(ring.modes, 2 * pacgan_ring, rtol=0, atol=1e-15)
    assert ring.std == 0.02 and ring.kind == "mixture"
    assert len({tuple(np.round(m, 9)) for m in ring.modes}) == 8          # 8 distinct modes
    grid = make_dataset("grid25")
    # PacGAN/VEEGAN grid (config.py: product(range(-4, 5, 2), range(-4, 5, 2)), σ = 0.05).
    pacgan_grid = np.array(list(itertools.product(range(-4, 5, 2), range(-4, 5, 2))), dtype=float)
    np.testing.assert_array_equal(grid.modes, pacgan_grid)
    assert grid.std == 0.05 and grid.modes.mean(axis=0).tolist() == [0.0, 0.0]
    dirac = make_dataset("dirac", target=(1.5, -2.0))
    assert dirac.kind == "point" and dirac.std == 0.0 and dirac.modes.tolist() == [[1.5, -2.0]]
    gauss = make_dataset("gaussian")
    assert gauss.kind == "gaussian" and gauss.modes is None and gauss.std == 1.0
    assert gauss.target.tolist() == [0.0, 0.0]
    with pytest.raises(ValueError):                                       # frozen arrays
        ring.modes[0, 0] = 1.0


# ---------------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DATASETS)
def test_sampling_is_deterministic_per_generator(name):
    d = make_dataset(name)
    a, b = d.sample(64, gen(3)), d.sample(64, gen(3))
    assert a.shape == (64, 2) and a.dtype == torch.float64
    assert torch.equal(a, b)
    if name != "dirac":
        assert not torch.equal(a, d.sample(64, gen(4)))
    assert d.sample(8, gen(3), dtype=torch.float32).dtype == torch.float32
    g = gen(5)
    first = d.sample(10, g)
    assert name == "dirac" or not torch.equal(first, d.sample(10, g))   # the generator advances


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_mixture_samples_have_the_mixture_law(name):
    d = make_dataset(name)
    n = 20_000
    x = d.sample(n, gen(1)).numpy()
    d2 = ((x[:, None, :] - d.modes[None]) ** 2).sum(-1)
    k = d2.argmin(1)
    r2 = d2.min(1) / d.std**2
    # Squared residual in units of σ²: chi-square with 2 dof, mean 2, sd 2 → mean within 5 sd/√n.
    assert abs(r2.mean() - 2.0) < 5 * 2 / math.sqrt(n)
    counts = np.bincount(k, minlength=len(d.modes))
    expected = n / len(d.modes)
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert chi2 < len(d.modes) - 1 + 6 * math.sqrt(2 * (len(d.modes) - 1))   # uniform weights


def test_gaussian_and_dirac_laws_and_target():
    n = 20_000
    x = make_dataset("gaussian", target=(1.0, -3.0)).sample(n, gen(2)).numpy()
    np.testing.assert_allclose(x.mean(0), [1.0, -3.0], atol=5 / math.sqrt(n))
    np.testing.assert_allclose(np.cov(x.T), np.eye(2), atol=6 * math.sqrt(2 / n))
    p = make_dataset("dirac", target=(0.25, 0.5)).sample(7, gen(2))
    assert p.tolist() == [[0.25, 0.5]] * 7


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU")
@pytest.mark.parametrize("name", DATASETS)
def test_sampling_on_cuda(name):
    g = torch.Generator(device="cuda").manual_seed(0)
    x = make_dataset(name).sample(16, g)
    assert x.device.type == "cuda" and x.shape == (16, 2)


# ---------------------------------------------------------------------------------------
# Data files
# ---------------------------------------------------------------------------------------

POINTS = np.array([[0.0, 1.0], [2.5, -1.0], [3.0, 3.0]])


def test_data_files_npy_and_csv_with_a_header(tmp_path):
    np.save(tmp_path / "p.npy", POINTS)
    (tmp_path / "h.csv").write_text("x,y\n0,1\n2.5,-1\n3,3\n")
    (tmp_path / "plain.csv").write_text("# my points\n0,1\n2.5,-1\n\n3,3\n")
    (tmp_path / "named.csv").write_text("label,y,x\n7,1,0\n8,-1,2.5\n9,3,3\n")  # columns by name
    for name in ("p.npy", "h.csv", "plain.csv", "named.csv"):
        np.testing.assert_array_equal(load_points(tmp_path / name), POINTS)
    d = make_dataset(None, file=tmp_path / "h.csv")
    assert d.kind == "file" and d.name == "file" and d.modes is None and d.points.shape == (3, 2)
    assert make_dataset("ring8", file=tmp_path / "h.csv").kind == "file"    # the file wins
    assert d.std == pytest.approx(math.sqrt(POINTS.var(axis=0).mean()))
    x = d.sample(3000, gen(0)).numpy()
    rows = (x[:, None, :] == POINTS[None]).all(-1)
    assert rows.sum(1).tolist() == [1] * 3000                               # every sample is a row
    np.testing.assert_allclose(rows.mean(0), [1 / 3] * 3, atol=5 * math.sqrt(2 / 9 / 3000))
    assert torch.equal(d.sample(50, gen(9)), d.sample(50, gen(9)))


BAD_FILES = [
    ("missing.npy", None, "does not exist"),
    ("empty.npy", b"", "is empty"),
    ("empty.csv", "", "is empty"),
    ("comments.csv", "# nothing\n\n", "no rows"),
    ("header.csv", "x,y\n", "a header but no rows"),
    ("zero.npy", np.zeros((0, 2)), "got shape (0, 2)"),
    ("three.npy", np.zeros((4, 3)), "got shape (4, 3)"),
    ("flat.npy", np.zeros(4), "got shape (4,)"),
    ("cube.npy", np.zeros((2, 2, 2)), "got shape (2, 2, 2)"),
    ("three.csv", "1,2,3\n4,5,6\n", "got shape (2, 3)"),
    ("hdr3.csv", "a,b,c\n1,2,3\n", "name two of them x and y"),
    ("nan.npy", np.array([[0.0, np.nan]]), "non-finite"),
    ("inf.npy", np.array([[np.inf, 0.0]]), "non-finite"),
    ("nan.csv", "0,1\nnan,2\n", "non-finite"),
    ("inf.csv", "0,1\n-inf,2\n", "non-finite"),
    ("huge.csv", "1" + "0" * 400 + ",0\n", "non-finite"),
    ("text.csv", "0,1\n2,abc\n", "row 2, column 2: 'abc' is not a real number"),
    ("ragged.csv", "0,1\n2\n", "row 2 has 1 values, expected 2"),
    ("strings.npy", np.array([["a", "b"]]), "is not real numbers"),
    ("complex.npy", np.array([[1 + 1j, 0]]), "complex numbers"),
    ("points.json", "[[0, 1]]", "must be .npy or .csv"),
    ("truncated.npy", b"\x93NUMPY\x01\x00", "cannot read data from"),
]


@pytest.mark.parametrize("name,content,fragment", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_data_files_are_one_line_input_errors(tmp_path, name, content, fragment):
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        np.save(path, content, allow_pickle=False)
    with pytest.raises(InputError) as e:
        make_dataset(None, file=path)
    one_line(e, fragment)


def test_data_file_bounds(tmp_path, monkeypatch):
    np.save(tmp_path / "p.npy", np.zeros((10, 2)))
    monkeypatch.setattr(bd, "MAX_DATA_POINTS", 9)
    with pytest.raises(InputError) as e:
        load_points(tmp_path / "p.npy")
    one_line(e, "has 10 points; the limit is 9")
    monkeypatch.setattr(bd, "MAX_DATA_FILE_BYTES", 2**20)
    np.save(tmp_path / "big.npy", np.zeros((70_000, 2)))                # 1.07 MiB
    with pytest.raises(InputError) as e:
        load_points(tmp_path / "big.npy")
    one_line(e, "the limit is 1 MiB")


@pytest.mark.parametrize("call,fragment", [
    (lambda: make_dataset("ring9"), "unknown data set 'ring9'; choose one of dirac, gaussian, ring8, grid25"),
    (lambda: make_dataset(None), "unknown data set None"),
    (lambda: make_dataset("file"), "unknown data set 'file'"),
    (lambda: make_dataset(3), "unknown data set 3"),
    (lambda: make_dataset("dirac", target=(0.0, float("nan"))), "target must be two finite numbers"),
    (lambda: make_dataset("dirac", target=(1.0, 2.0, 3.0)), "target must be two finite numbers"),
    (lambda: make_dataset("dirac", target="a,b"), "target must be two finite numbers"),
    (lambda: make_dataset("ring8", target=(1.0, 0.0)), "target= moves only the dirac and gaussian"),
    (lambda: make_dataset("ring8").sample(0, gen()), "n must be a whole number ≥ 1"),
    (lambda: make_dataset("ring8").sample(2.5, gen()), "n must be a whole number ≥ 1"),
])
def test_bad_arguments_are_one_line_input_errors(call, fragment):
    with pytest.raises(InputError) as e:
        call()
    one_line(e, fragment)
