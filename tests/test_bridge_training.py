"""The bridge's MLP training: batched seeds equal single-model runs, spectral normalisation, the
non-finite stop, bad input, and the verdicts on samples with a known answer."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("ot")

from diracgan.bridge.data import make_dataset  # noqa: E402
from diracgan.bridge.models import ModelSpec, normalised_weights, spectral_update  # noqa: E402
from diracgan.bridge.training import BridgeRun, compute_metrics, train_bridge  # noqa: E402
from diracgan.bridge.verdict import bridge_verdicts  # noqa: E402
from diracgan.errors import InputError  # noqa: E402
from diracgan.games import custom_game, make_game  # noqa: E402

SMALL = ModelSpec(width=12, depth=2)
KW = dict(data="ring8", models=SMALL, steps=6, record_every=3, batch=16, eval_size=16, metrics=False)


@pytest.mark.parametrize("loss, opt", [
    ("vanilla", dict(optimizer="adam", lr=2e-3, betas=(0.5, 0.9))),
    ("gp0+consensus", dict(optimizer="sgd", lr=0.05, momentum=0.7, nesterov=True, mode="simultaneous")),
    ("wgan", dict(optimizer="sgd", lr=0.05, momentum=-0.4, n_critic=2)),
    ("gp1+noise", dict(optimizer="rmsprop", lr=1e-3, order="g-first")),
])
def test_batched_seeds_equal_single_runs(loss, opt):
    """Seed 5 of a batched run of seeds 4..6 is the single-model run (no vmap) of seed 5, to
    1e-6 relative (the batched matrix products round differently, so not bit-equal)."""
    game = make_game(loss)
    batched = train_bridge(game, seeds=3, seed=4, ema=0.9, **KW, **opt)
    single = train_bridge(game, seeds=1, seed=5, batched=False, ema=0.9, **KW, **opt)
    for key in ("samples", "ema_samples"):
        a, b = getattr(batched, key)[1], getattr(single, key)[0]
        assert np.all(np.isfinite(a))
        assert np.max(np.abs(a - b)) <= 1e-6 * np.max(np.abs(b))
    assert not np.allclose(batched.samples[0], batched.samples[1])     # the seeds differ
    assert np.all(batched.samples[:, 2] != batched.samples[:, 0])      # and they trained


def test_spectral_normalisation_power_iteration():
    """σ = uᵀWv after power iterations is the largest singular value (numpy's SVD), batched."""
    g = torch.Generator().manual_seed(0)
    w = torch.randn(3, 5, 4, generator=g, dtype=torch.float64)
    sn = {"w.weight": (torch.randn(3, 5, generator=g, dtype=torch.float64),
                       torch.randn(3, 4, generator=g, dtype=torch.float64))}
    pd = {"w.weight": w}
    for _ in range(200):
        sn = spectral_update(pd, sn)
    for i in range(3):
        out = normalised_weights({"w.weight": w[i]}, {"w.weight": (sn["w.weight"][0][i], sn["w.weight"][1][i])}, False)
        assert np.linalg.norm(out["w.weight"].numpy(), 2) == pytest.approx(1.0, rel=1e-9)
    phi = torch.tensor([[3.0, 4.0]], dtype=torch.float64)      # the linear critic: exactly φ/‖φ‖
    assert np.allclose(normalised_weights({"weight": phi}, None, True)["weight"].numpy(), [[0.6, 0.8]])


def test_non_finite_weights_diverge_with_records_so_far():
    run = train_bridge(make_game("vanilla"), **{**KW, "steps": 12, "record_every": 1}, seeds=2, optimizer="sgd",
                       lr=1e300, bound=float("inf"))
    assert list(run.status) == [1, 1]
    k = int(run.stop_step[0])
    assert 0 <= k < 12 and "non-finite" in run.messages[0]
    assert np.all(np.isfinite(run.samples[0, : k + 1])) and np.all(np.isnan(run.samples[0, k + 1:]))
    assert {v.verdict for v in run.verdicts()} == {"diverges"}


@pytest.mark.parametrize("kwargs, match", [
    (dict(models=ModelSpec(width=1), batch=0), "batch"),
    (dict(seeds=0), "seeds"),
    (dict(steps=0), "steps"),
    (dict(data="moons"), "moons"),
    (dict(device="tpu"), "device"),
])
def test_bad_input_is_one_line(kwargs, match):
    with pytest.raises(InputError, match=match) as exc:
        train_bridge(make_game("vanilla"), **{**KW, **kwargs})
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("kwargs, match", [(dict(width=0), "width"), (dict(depth=-1), "depth"),
                                           (dict(activation="gelu"), "relu"), (dict(g="conv"), "linear")])
def test_bad_models(kwargs, match):
    with pytest.raises(InputError, match=match):
        ModelSpec(**kwargs)


def test_custom_loss_on_dirac_parameters_is_refused():
    game = make_game(custom_game("softplus(-d_real) + softplus(d_fake) + phi_sq", "softplus(-dot)"))
    with pytest.raises(InputError, match="phi_sq.*D's outputs"):
        train_bridge(game, **KW)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_cuda_without_gpu():
    with pytest.raises(InputError, match="cuda.*is_available"):
        train_bridge(make_game("vanilla"), device="cuda", **KW)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU")
def test_cuda_equals_cpu():   # pragma: no cover - runs only with a GPU
    a = train_bridge(make_game("vanilla"), device="cuda", **KW)
    b = train_bridge(make_game("vanilla"), **KW)
    assert np.allclose(a.samples, b.samples, rtol=1e-6, atol=1e-9)


def _run_with(samples: np.ndarray, data: str) -> BridgeRun:
    """A BridgeRun holding given samples (S, R, n, 2) at steps 0..R-1, metrics computed."""
    ds = make_dataset(data)
    s, r = samples.shape[:2]
    rec = np.arange(r)
    ref = ds.reference(samples.shape[2], seed=3)
    stop = np.full(s, r - 1)
    metrics = compute_metrics(samples, ds, ref, stop, rec)
    return BridgeRun(make_game("vanilla"), SMALL, ds, None, tuple(range(s)), rec, samples, None, np.zeros((s, r)),
                     None, None, np.zeros(s, int), stop, ("finished",) * s, metrics, ref)


def test_verdicts_on_known_samples():
    """Data itself converges; all on one mode collapses; a blur around the ring cycles; far
    samples diverge; on dirac, at the point converges and 0.3 away cycles."""
    ring = make_dataset("ring8")
    g = torch.Generator().manual_seed(1)
    n = 256
    data = ring.sample(n, g).numpy()
    one_mode = ring.modes[0] + ring.std * np.random.default_rng(0).normal(size=(n, 2))
    blur = 2 * np.random.default_rng(1).normal(size=(n, 2))
    far = 1e4 * np.ones((n, 2))
    samples = np.stack([np.stack([x] * 4) for x in (data, one_mode, blur, far)])
    v = bridge_verdicts(_run_with(samples, "ring8"))
    assert [x.verdict for x in v] == ["converges", "collapses", "cycles", "diverges"]
    assert v[1].numbers["modes_covered"] == 1 and v[0].numbers["modes_covered"] == 8
    point = np.zeros((n, 2))
    off = point + [0.3, 0.0]
    v = bridge_verdicts(_run_with(np.stack([np.stack([x] * 4) for x in (point, off)]), "dirac"))
    assert [x.verdict for x in v] == ["converges", "cycles"]
    assert v[1].numbers["dist_to_target"] == pytest.approx(0.3)
