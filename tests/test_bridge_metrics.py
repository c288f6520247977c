"""The bridge's metrics (diracgan.bridge.metrics), each on data whose answer is known in closed
form: the mixture's own samples, samples on one mode, shifted copies (W₁ = ‖v‖, sliced W₁ =
mean |⟨θ, v⟩|), point masses, and the MMD against a hand-written double loop."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
ot = pytest.importorskip("ot")

from diracgan.bridge.data import make_dataset  # noqa: E402
from diracgan.bridge.metrics import (  # noqa: E402
    SLICED_PROJECTIONS,
    SLICED_SEED,
    emd,
    evaluate,
    evaluate_seeds,
    metric_names,
    mmd,
    mmd_bandwidth,
    mode_counts,
    sliced_wasserstein,
)
from diracgan.errors import InputError  # noqa: E402

HQ_GAUSSIAN = 1 - math.exp(-9 / 2)   # P(‖N(0, σ²I₂)‖ < 3σ): Rayleigh tail


@pytest.fixture(scope="module")
def mixtures():
    out = {}
    for name in ("ring8", "grid25"):
        d = make_dataset(name)
        out[name] = (d, d.reference(500, seed=0), d.reference(500, seed=1))
    return out


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_the_mixtures_own_samples_cover_every_mode_with_high_quality(mixtures, name):
    d, ref, x = mixtures[name]
    m = evaluate(x, d, ref)
    assert list(m) == list(metric_names(d)) == ["modes_covered", "high_quality", "emd", "sliced_w", "mmd"]
    assert m["modes_covered"] == len(d.modes)
    assert m["high_quality"] >= 0.95
    assert abs(m["high_quality"] - HQ_GAUSSIAN) < 5 * math.sqrt(HQ_GAUSSIAN * (1 - HQ_GAUSSIAN) / len(x))
    assert 0 <= m["sliced_w"] <= m["emd"]


def test_samples_on_one_mode_cover_one(mixtures):
    d, ref, _ = mixtures["grid25"]
    rng = np.random.default_rng(0)
    on_one = d.modes[7] + d.std * rng.normal(size=(400, 2)) * 0.5       # all within 3σ of mode 7
    m = evaluate(on_one, d, ref)
    assert m["modes_covered"] == 1 and m["high_quality"] == 1.0
    # Between the modes (3σ + ε from each): nothing is high quality, nothing is covered.
    between = np.full((10, 2), 1.0)                                       # 1.41 from every mode
    m = evaluate(between, d, ref)
    assert m["modes_covered"] == 0 and m["high_quality"] == 0.0


def test_mode_counts_and_the_minimum_count(mixtures):
    d, ref, _ = mixtures["ring8"]
    s = d.std
    x = np.array([d.modes[0] + [2.9 * s, 0], d.modes[0], d.modes[0] - [0, 1.5 * s],   # 3 HQ on mode 0
                  d.modes[3] + [0, 2 * s],                                             # 1 HQ on mode 3
                  d.modes[5] + [3.1 * s, 0]])                                          # near mode 5, not HQ
    counts = mode_counts(x, d.modes, s)
    assert counts.tolist() == [3, 0, 0, 1, 0, 0, 0, 0]
    assert evaluate(x, d, ref)["modes_covered"] == 2
    assert evaluate(x, d, ref, min_count=2)["modes_covered"] == 1
    assert evaluate(x, d, ref)["high_quality"] == pytest.approx(4 / 5, abs=0)


def test_emd_is_w1_zero_to_itself_and_the_shift_to_a_shifted_copy():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 2))
    assert emd(x, x) == 0.0
    assert emd(x, np.vstack([x, x])) == pytest.approx(0.0, abs=1e-15)      # same measure, 2× the atoms
    for v in ([0.3, -0.4], [5.0, 0.0], [-1e-3, 2e-3]):
        assert emd(x, x + v) == pytest.approx(math.hypot(*v), rel=1e-12)
    # Equal sizes, uniform weights: an optimal plan is a permutation (Birkhoff), so W₁ is the
    # optimal assignment's mean cost (scipy's linear_sum_assignment, a second solver).
    from scipy.optimize import linear_sum_assignment
    from scipy.spatial.distance import cdist

    y = rng.normal(size=(200, 2)) * [1.0, 0.3] + [0.5, 0.0]
    cost = cdist(x, y)
    rows, cols = linear_sum_assignment(cost)
    assert emd(x, y) == pytest.approx(cost[rows, cols].mean(), rel=1e-12)
    # W₁ to a point mass is the mean distance to it (the only coupling).
    t = np.array([0.5, -1.0])
    assert emd(x, np.tile(t, (37, 1))) == pytest.approx(np.linalg.norm(x - t, axis=1).mean(), rel=1e-12)


def test_sliced_w_of_a_shift_is_its_closed_form():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 2))
    v = np.array([0.6, 0.8])
    theta = ot.sliced.get_random_projections(2, SLICED_PROJECTIONS, seed=SLICED_SEED)   # (2, P)
    assert sliced_wasserstein(x, x) == 0.0
    # With the same directions the 1-D W₁ of a shift is |⟨θ, v⟩| exactly ...
    assert sliced_wasserstein(x, x + v) == pytest.approx(np.abs(v @ theta).mean(), rel=1e-12)
    # ... and over uniform directions E|⟨θ, v⟩| = (2/π)‖v‖ (200 directions: within 10 %).
    assert sliced_wasserstein(x, x + v) == pytest.approx(2 / math.pi * np.linalg.norm(v), rel=0.1)
    # evaluate's sorted path (n = m) is POT's number.
    d = make_dataset("gaussian")
    y = rng.normal(size=(300, 2)) * 0.5
    assert evaluate(x, d, y)["sliced_w"] == pytest.approx(sliced_wasserstein(x, y), rel=1e-12)


def _hand_mmd(x, y, h):
    k = lambda a, b: math.exp(-sum((ai - bi) ** 2 for ai, bi in zip(a, b)) / (2 * h * h))  # noqa: E731
    kxx = sum(k(a, b) for a in x for b in x) / len(x) ** 2
    kyy = sum(k(a, b) for a in y for b in y) / len(y) ** 2
    kxy = sum(k(a, b) for a in x for b in y) / (len(x) * len(y))
    return math.sqrt(kxx + kyy - 2 * kxy)


def test_mmd_against_a_hand_loop_and_closed_forms():
    x = [[0.0, 0.0], [1.0, 0.5], [-0.5, 2.0]]
    y = [[0.2, 0.1], [1.5, -1.0]]
    assert mmd(x, y, bandwidth=0.7) == pytest.approx(_hand_mmd(x, y, 0.7), rel=1e-12)
    # The median heuristic on y alone: two points, one distance.
    assert mmd_bandwidth(y) == pytest.approx(math.hypot(1.3, 1.1), rel=1e-15)
    assert mmd(x, y) == pytest.approx(_hand_mmd(x, y, math.hypot(1.3, 1.1)), rel=1e-12)
    z = np.random.default_rng(3).normal(size=(50, 2))
    assert mmd(z, z) == 0.0                                               # biased: exactly 0
    # Point masses at distance r, h = 1 (a point-mass reference): sqrt(2 − 2 exp(−r²/2)).
    ref = np.zeros((5, 2))
    assert mmd_bandwidth(ref) == 1.0
    assert mmd(np.tile([0.3, 0.4], (4, 1)), ref) == pytest.approx(math.sqrt(2 - 2 * math.exp(-0.125)), rel=1e-12)


def test_dirac_metrics():
    d = make_dataset("dirac", target=(1.0, 2.0))
    ref = d.reference(50)
    x = np.array([[1.0, 2.0], [4.0, 6.0], [1.0, 2.5]])                   # distances 0, 5, 0.5
    m = evaluate(x, d, ref)
    assert list(m) == ["dist_to_target", "emd", "sliced_w", "mmd"]
    assert m["dist_to_target"] == pytest.approx(5.5 / 3, rel=1e-15)
    assert m["emd"] == pytest.approx(5.5 / 3, rel=1e-12)                  # W₁ to a point mass
    assert evaluate(d.reference(20, seed=4), d, ref) == {"dist_to_target": 0.0, "emd": 0.0, "sliced_w": 0.0,
                                                          "mmd": 0.0}
    g = make_dataset("gaussian")
    assert list(evaluate(g.reference(40, 1), g, g.reference(40))) == ["emd", "sliced_w", "mmd"]


def test_evaluate_seeds_equals_evaluate_seed_by_seed(mixtures):
    for name in ("ring8", "dirac"):
        d = make_dataset(name)
        ref = d.reference(120, seed=0)
        xs = np.stack([make_dataset("ring8").reference(120, seed=s) for s in range(1, 5)])
        xs[2, 5] = [np.nan, 0.0]                                          # a diverged seed
        xs[3, :60] = d.modes[0] if name == "dirac" else d.modes[2]       # half collapsed
        batched = evaluate_seeds(xs, d, ref)
        assert list(batched) == list(metric_names(d))
        for i in range(len(xs)):
            single = evaluate(xs[i], d, ref)
            for k, v in single.items():
                np.testing.assert_allclose(batched[k][i], v, rtol=1e-12, atol=1e-15, err_msg=f"{name} {k} {i}")
        assert np.isnan(batched["emd"][2]) and np.isnan(batched["mmd"][2]) and np.isnan(batched["sliced_w"][2])
    # Unequal sizes take POT's sliced path per seed: still equal.
    d = make_dataset("ring8")
    xs = np.stack([d.reference(30, seed=s) for s in range(2)])
    ref = d.reference(45)
    np.testing.assert_allclose(evaluate_seeds(xs, d, ref)["sliced_w"],
                               [evaluate(x, d, ref)["sliced_w"] for x in xs], rtol=1e-12)


def test_non_finite_samples(mixtures):
    d = make_dataset("dirac")
    m = evaluate(np.array([[np.inf, 0.0], [0.0, 0.0]]), d, d.reference(10))
    assert m["dist_to_target"] == math.inf and all(math.isnan(m[k]) for k in ("emd", "sliced_w", "mmd"))
    d, ref, _ = mixtures["ring8"]
    m = evaluate(np.array([[np.nan, np.nan], d.modes[1]]), d, ref)
    assert m["modes_covered"] == 1 and m["high_quality"] == 0.5


@pytest.mark.parametrize("call,fragment", [
    (lambda d: evaluate(np.zeros((3, 3)), d, np.zeros((3, 2))), "samples must be an array of shape (n, 2)"),
    (lambda d: evaluate(np.zeros((0, 2)), d, np.zeros((3, 2))), "got shape (0, 2)"),
    (lambda d: evaluate(np.zeros((3, 2)), d, np.zeros(2)), "reference must be an array of shape (n, 2)"),
    (lambda d: evaluate(np.zeros((3, 2)), d, np.full((3, 2), np.nan)), "reference must hold finite points"),
    (lambda d: evaluate_seeds(np.zeros((3, 2)), d, np.zeros((3, 2))), "shape (S, n, 2)"),
    (lambda d: evaluate(np.zeros((3, 2)), d, np.zeros((3, 2)), min_count=0), "min_count must be"),
])
def test_bad_metric_inputs(call, fragment):
    with pytest.raises(InputError) as e:
        call(make_dataset("ring8"))
    assert "\n" not in str(e.value) and fragment in str(e.value)


def test_without_pot_a_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "ot", None)                          # import ot → ImportError
    d = make_dataset("ring8")
    with pytest.raises(InputError) as e:
        evaluate(d.reference(5), d, d.reference(5))
    assert "\n" not in str(e.value) and "pip install 'diracgan[bridge]'" in str(e.value)
