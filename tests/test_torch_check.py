"""The torch cross-check: the four checks pass with their numbers, they can fail, and
train_torch reproduces diracgan.dynamics.training.train (batches, divergence, config)."""

import json
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from diracgan.games import InputError, compose, custom_game, get_spec, make_game  # noqa: E402
from diracgan.dynamics.optimizers import make_optimizer  # noqa: E402
from diracgan.derivation.numeric import velocity  # noqa: E402
from diracgan.dynamics.starts import random_starts  # noqa: E402
from diracgan.torchgan import (  # noqa: E402
    GRAD_TOL,
    OPTIMIZER_CASES,
    QUICK_OPTIMIZER_STEPS,
    TORCH_GAMES,
    CHECK_GAMES,
    TRAIN_TOL,
    CheckResult,
    TorchGAN,
    TrainCase,
    check_gradients,
    check_ode_tracking,
    check_optimizers,
    check_verdicts,
    checks_json,
    checks_table,
    compare_runs,
    run_checks,
    torch_gradients,
    train_torch,
)
from diracgan.dynamics.training import Scheme, TrainStatus, train  # noqa: E402

SEED = ((0.2, 0.1), (0.1, 0.2))


def assert_all_pass(rows):
    assert rows, "no rows"
    for r in rows:
        assert isinstance(r, CheckResult)
        assert r.passed, f"{r.check} {r.loss} {r.case}: {r.measured:g} > {r.tolerance:g}; {r.detail}"
        assert math.isfinite(r.measured) and r.measured <= r.tolerance, r


# -- the four checks pass, with their numbers ------------------------------------------------

def test_check_gradients_every_game_at_rounding_level():
    rows = check_gradients()
    assert_all_pass(rows)
    assert [r.loss.split(" ")[0] for r in rows] == list(CHECK_GAMES)
    assert set(TORCH_GAMES) <= set(CHECK_GAMES)
    for r in rows:
        assert r.tolerance == GRAD_TOL == 1e-12
        assert r.measured < 1e-14           # the gradients agree to a few ulps
        assert "d ∈ {1, 2, 3, 5}" in r.case


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=[f"{c.loss}-{c.name}" for c in OPTIMIZER_CASES])
def test_check_optimizers_reproduce_torch_step_by_step(case):
    # Over the quick check's 200 steps: a discrepancy in an update rule shows at the first step
    # it acts (the bug-injection tests below show it for β₂, lr, weight decay); the 1000-step
    # horizon of `diracgan check` is exercised by the test after this one.
    rows = check_optimizers(cases=[case], steps=QUICK_OPTIMIZER_STEPS)
    assert_all_pass(rows)
    assert len(rows) == 1
    for r in rows:
        assert r.tolerance == TRAIN_TOL == 1e-10
        assert f"{QUICK_OPTIMIZER_STEPS} steps" in r.case and "both finished" in r.detail


LONG_HORIZON_CASES = ["adam amsgrad + weight decay 0.01, g-first", "sgd momentum −0.5, alternating d-first"]


@pytest.mark.parametrize("name", LONG_HORIZON_CASES)
def test_check_optimizers_over_the_full_horizon(name):
    # The full check's 1000 steps, for the cases whose state matters late: AMSGrad's running
    # maximum of v (it takes over once the gradients shrink) and negative momentum's
    # alternating-sign velocity; the runs stay bounded and agree to the tolerance throughout.
    case = next(c for c in OPTIMIZER_CASES if c.name == name)
    rows = check_optimizers(cases=[case])
    assert_all_pass(rows)
    assert "1000 steps" in rows[0].case and "both finished" in rows[0].detail


def test_optimizer_cases_cover_every_optimizer_and_scheme():
    # Coverage: every optimizer and option, every scheme, TTUR, clipping, EMA.
    kws = [c.kwargs for c in OPTIMIZER_CASES]
    assert {k["optimizer"] for k in kws} == {"sgd", "adam", "rmsprop", "optimistic", "extragradient"}
    assert any(k.get("momentum") and k.get("dampening") for k in kws)
    assert any(k.get("nesterov") for k in kws)
    assert any(k.get("beta1") == 0.5 and k.get("beta2") == 0.9 for k in kws)
    assert any(k.get("amsgrad") and k.get("weight_decay") for k in kws)
    assert any(k.get("centered") and k.get("momentum") and k["optimizer"] == "rmsprop" for k in kws)
    assert any(k.get("mode") == "simultaneous" for k in kws)
    assert any(k.get("n_critic") == 5 and k.get("order", "d-first") == "d-first" for k in kws)
    assert any(k.get("order") == "g-first" for k in kws)
    assert any(k.get("lr_d") is not None and k.get("lr_d") != k.get("lr_g") for k in kws)
    assert any(k.get("ema") == 0.999 for k in kws)
    assert {c.loss.split("+")[0] for c in OPTIMIZER_CASES} == set(TORCH_GAMES)


def test_ode_check_covers_the_seed_games():
    from diracgan.torchgan.checks import ODE_CASES, ODE_QUICK

    assert set(ODE_CASES) == {"gp0", "vanilla", "minimax", "gp1", "qp", "wgan", "gp"}
    assert set(ODE_QUICK) == {"gp0", "vanilla"}


@pytest.mark.parametrize("name", ["gp0", "vanilla", "minimax", "gp1", "qp", "wgan", "gp"])
def test_check_ode_tracking_first_order(name):
    # one game per test: xdist spreads them over the cores
    rows = check_ode_tracking([name])
    assert_all_pass(rows)
    assert [r.case.split(",")[0] for r in rows] == ["order of SGD → ODE", "tracking error at h = 0.005"
                                                    if name != "wgan" else "tracking error at h = 0.00125"]
    assert {r.loss.split(" ")[0] for r in rows} == {name}
    p = float(rows[0].detail.split("p = ")[1].split(" ")[0])
    assert 0.85 <= p <= 1.15


@pytest.mark.parametrize("name", ["gp0", "vanilla", "wgan", "gp1", "qp"])
def test_check_verdicts_seed_claims(name):
    rows = check_verdicts([name])
    assert_all_pass(rows)
    by = {(r.loss.split(" ")[0], r.case.split(":")[0]): r for r in rows}
    if name == "gp0":
        assert by[("gp0", "converges")].measured < 1e-3          # shrinks by > 1000×
    else:
        assert by[(name, "does not converge")].measured < 2      # the distance does not shrink much
    ema = [r for r in rows if r.case.startswith("EMA")]
    assert len(ema) == (1 if name in ("vanilla", "gp1") else 0)  # EMA cases: vanilla and gp1
    assert all(r.measured < 0.25 for r in ema)                  # the EMA sits ≥ 4× closer


def test_run_checks_restricted_quick_and_reports():
    rows = run_checks(losses=["gp0"], quick=True)
    assert_all_pass(rows)
    assert {r.check for r in rows} == {"gradients", "noise", "optimizers", "ode", "verdict"}
    assert all(r.loss.startswith("gp0") for r in rows)
    # every gp0 case (gp0+lp included), each over the quick number of steps
    optimizer_rows = [r for r in rows if r.check == "optimizers"]
    assert [r.case for r in optimizer_rows] == [f"{c.name}, {QUICK_OPTIMIZER_STEPS} steps" for c in OPTIMIZER_CASES
                                                if c.loss.split("+")[0] == "gp0"]
    assert QUICK_OPTIMIZER_STEPS == 200
    assert [r.case for r in rows if r.check == "gradients"] == ["d ∈ {1, 2, 3, 5}, 6 points each"] * 2
    table = checks_table(rows)
    lines = table.splitlines()
    assert lines[0].split() == ["check", "loss", "case", "measured", "tolerance", "result"]
    assert all("PASS" in line for line in lines[2:-1])
    assert lines[-1].startswith(f"{len(rows)} checks: {len(rows)} passed, 0 failed")
    data = checks_json(rows)
    assert json.loads(json.dumps(data)) == data
    assert set(data[0]) == {"check", "loss", "case", "measured", "tolerance", "passed", "detail"}
    with pytest.raises(InputError):
        run_checks(losses=["nope"])


def test_table_reports_failures():
    rows = [CheckResult("x", "gp0", "a", 1.0, 0.5, False, ""), CheckResult("x", "gp0", "b", math.nan, 0.5, False, "")]
    table = checks_table(rows)
    assert "FAIL" in table and table.splitlines()[-1].startswith("2 checks: 0 passed, 2 failed")
    assert checks_json(rows)[1]["measured"] is None


# -- the checks can fail ----------------------------------------------------------------------

def test_gradient_check_fails_for_a_flipped_sign():
    def flipped(game, theta, phi):
        v_theta, v_phi = velocity(game, theta, phi)
        return v_theta, -v_phi

    rows = check_gradients(["gp0", "vanilla"], dims=(2,), n_points=3, reference=flipped)
    assert rows and not any(r.passed for r in rows)
    assert all(r.measured > 1 for r in rows)          # relative error ~2


def test_gradient_check_fails_for_a_wrong_lambda():
    rows = check_gradients(["gp0", "gp1", "qp"], dims=(1, 3), n_points=3,
                           torch_params={"gp0": {"lam": 0.31}, "qp": {"lam": 0.9}})
    res = {r.loss.split(" ")[0]: r for r in rows}
    assert not res["gp0"].passed and res["gp0"].measured > 1e-4
    assert not res["qp"].passed and res["qp"].measured > 1e-4
    assert res["gp1"].passed                          # untouched game still agrees


def test_optimizer_check_fails_for_a_perturbed_beta2():
    # the WGAN-GP case (adam, betas (0.5, 0.9), n_critic 5) passes in the test above
    case = next(c for c in OPTIMIZER_CASES if c.kwargs["optimizer"] == "adam" and c.kwargs.get("n_critic") == 5)
    bad = check_optimizers(cases=[case], steps=100, numpy_overrides={"beta2": 0.99})
    assert not bad[0].passed and bad[0].measured > 1e3 * TRAIN_TOL
    # a 1e-8 relative change of the learning rate is already caught
    case = TrainCase("sgd", "gp0", dict(optimizer="sgd", lr=0.05, mode="simultaneous"))
    bad = check_optimizers(cases=[case], steps=200, numpy_overrides={"lr": 0.05 * (1 + 1e-8)})
    assert not bad[0].passed and bad[0].measured > TRAIN_TOL


def test_optimizer_check_fails_when_a_run_does_not_finish():
    case = TrainCase("sgd too large", "gp0", dict(optimizer="sgd", lr=0.5, mode="simultaneous", bound=100.0))
    rows = check_optimizers(cases=[case], steps=300)
    assert not rows[0].passed and "NOT BOTH FINISHED" in rows[0].detail


# -- train_torch against diracgan.dynamics.training.train ------------------------------------------------

def assert_same_run(a, b, tol=1e-12):
    assert a.steps.tolist() == b.steps.tolist()
    assert a.theta.shape == b.theta.shape
    diff = compare_runs(a, b)
    assert diff["same_stop"]
    for k in ("theta", "phi", "ema_theta", "ema_phi"):
        assert diff[k] <= tol, (k, diff[k])
    assert a.messages == b.messages
    assert a.config == b.config
    assert a.scheme == b.scheme
    assert a.ema == b.ema
    assert a.game == b.game


def test_train_torch_batch_of_three_matches_numpy():
    theta, phi = random_starts(3, 3, seed=7)
    game = make_game("gp1", lam=0.3)
    kw = dict(optimizer="adam", lr=3e-3, beta1=0.5, beta2=0.9, n_critic=2, order="g-first", steps=120,
              record_every=7, ema=0.99)
    a = train(game, theta, phi, **kw)
    b = train_torch(game, theta, phi, **kw)
    assert b.theta.shape == (3, len(b.steps), 3) and b.steps[-1] == 120
    assert np.all(b.status == TrainStatus.FINISHED)
    assert_same_run(a, b)
    # one (d,) start gives N = 1
    c = train_torch(game, theta[0], phi[0], **kw)
    np.testing.assert_array_equal(c.theta[0], b.theta[0])


def test_train_torch_defaults_follow_numpy():
    game = make_game("vanilla")
    a = train(game, *SEED, optimizer="extragradient", steps=5)
    b = train_torch(game, *SEED, optimizer="extragradient", steps=5)
    assert b.scheme.mode == "simultaneous" and b.config["lr_d"] == 1e-3       # default mode and torch's lr
    assert_same_run(a, b)
    a = train(game, *SEED, optimizer="rmsprop", steps=5)
    b = train_torch(game, *SEED, optimizer="rmsprop", steps=5)
    assert b.scheme.mode == "alternating" and b.config["lr_g"] == 1e-2
    assert_same_run(a, b)
    assert np.all(np.isnan(b.ema_theta))                                      # no EMA requested


def test_train_torch_diverging_runs_stop_and_keep_what_was_computed():
    game = make_game("gp0")
    theta = np.array([[0.2, 0.1], [2.0, 1.0]])
    phi = np.array([[0.1, 0.2], [1.0, 2.0]])
    kw = dict(optimizer="sgd", lr=0.5, mode="simultaneous", steps=200, bound=100.0, ema=0.9, record_every=3)
    a = train(game, theta, phi, **kw)
    b = train_torch(game, theta, phi, **kw)
    assert np.all(b.status == TrainStatus.DIVERGED)
    assert b.stop_step[1] < b.stop_step[0] < 200
    for i in range(2):
        k = int(b.stop_step[i])
        assert b.messages[i] == (f"diverged: the iterate reached ‖(θ, φ)‖ ≥ 100 at step {k + 1}; "
                                 f"kept steps 0..{k}")
        kept = b.valid(i)
        assert np.all(np.isfinite(b.theta[i, kept])) and np.all(np.isnan(b.theta[i, ~kept]))
        assert np.all(b.distance()[i, kept] < 100)
    assert_same_run(a, b, tol=1e-10)


def test_train_torch_singular_start():
    game = make_game("qp")             # singular at θ = 0: the loss divides by ‖x_fake − x_real‖
    kw = dict(optimizer="sgd", lr=0.1, steps=10)
    a = train(game, [0.0, 0.0], [0.1, 0.2], **kw)
    b = train_torch(game, [0.0, 0.0], [0.1, 0.2], **kw)
    assert b.status[0] == TrainStatus.SINGULAR and b.stop_step[0] == 0
    assert b.messages[0].startswith("singular: the gradient is not finite at the start (qp is singular at θ = 0")
    np.testing.assert_array_equal(b.theta[0, 0], [0.0, 0.0])
    assert np.all(np.isnan(b.theta[0, 1:]))
    assert_same_run(a, b)


def test_train_torch_rejects_bad_input():
    game = make_game("gp0")
    with pytest.raises(InputError, match="adam has no option"):
        train_torch(game, *SEED, optimizer="adam", momentum=0.9)
    with pytest.raises(InputError, match="one value of lr"):
        train_torch(game, *SEED, lr=np.array([[0.1], [0.2]]))
    with pytest.raises(InputError, match="extragradient is a simultaneous scheme"):
        train_torch(game, *SEED, optimizer="extragradient", mode="alternating")
    with pytest.raises(InputError, match="same shape"):
        train_torch(game, [0.1, 0.2], [0.1])
    with pytest.raises(InputError, match="torch model implements"):
        train_torch(make_game(custom_game("softplus(dot)", "softplus(-dot)")), *SEED, steps=2)
    # composed games are implemented: vanilla + R1 trains on the torch model
    assert train_torch(make_game(compose(get_spec("vanilla"), "r1")), *SEED, steps=2).status[0] == 0


def test_the_torch_model_is_real_torch():
    game = make_game("wgan-clip", clip=0.05)
    scheme = Scheme(make_optimizer("adam", lr=1e-3), make_optimizer("adam", lr=1e-3), clip=0.05)
    run = TorchGAN(game, *SEED, scheme, ema=0.999)
    assert isinstance(run.opt_d, torch.optim.Adam) and isinstance(run.opt_g, torch.optim.Adam)
    assert isinstance(run.D.linear, torch.nn.Linear) and run.D.linear.bias is None
    assert run.G.theta.dtype == torch.float64 and run.D.linear.weight.shape == (1, 2)
    assert isinstance(run.ema, torch.optim.swa_utils.AveragedModel)
    run.step()
    assert float(run.D.linear.weight.detach().abs().max()) <= 0.05              # clipped after the D step
    # the gradient-penalty game differentiates through torch.autograd.grad(create_graph=True)
    g_theta, g_phi = torch_gradients(make_game("gp1", lam=0.5), [0.3, -0.2], [0.4, 0.1])
    v_theta, v_phi = velocity(make_game("gp1", lam=0.5), np.array([0.3, -0.2]), np.array([0.4, 0.1]))
    np.testing.assert_allclose(g_phi, -v_phi, rtol=1e-13)
    np.testing.assert_allclose(g_theta, -v_theta, rtol=1e-13)


# -- a discrepancy between the numpy side and torch (reported, not hidden) ------------------------

def test_extragradient_with_weight_decay_matches_torch():
    game = make_game("gp0")
    kw = dict(optimizer="extragradient", lr=0.05, weight_decay=0.1, steps=200)
    diff = compare_runs(train(game, *SEED, **kw), train_torch(game, *SEED, **kw))
    assert max(diff["theta"], diff["phi"]) <= TRAIN_TOL


# -- the command ----------------------------------------------------------------------------------

def test_check_command_exit_codes(monkeypatch):
    from click.testing import CliRunner

    import diracgan.torchgan.checks as tc
    from diracgan.cli import cli

    # The command passes its options through and reports every row it gets (the rows
    # themselves: test_run_checks_restricted_quick_and_reports makes the real call).
    given = [tc.CheckResult(check, "gp0 (λ = 0.1)", f"case {i}", 1e-16 * (i + 1), 1e-12, True, "detail")
             for i, check in enumerate(["gradients", "noise", "optimizers", "ode", "verdict"])]
    calls = []
    monkeypatch.setattr(tc, "run_checks", lambda losses=None, quick=False, progress=None, workers=1:
                        calls.append((losses, quick)) or given)
    r = CliRunner().invoke(cli, ["check", "--loss", "gp0", "--quick", "--json"], prog_name="diracgan")
    assert calls == [(["gp0"], True)]
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == checks_json(given)
    r = CliRunner().invoke(cli, ["check", "--loss", "gp0", "--reg", "lp"], prog_name="diracgan")
    assert r.exit_code == 0 and calls[-1] == (["gp0", "+lp"], False), (r.output, calls)
    assert r.stdout.strip().splitlines()[-1].startswith("5 checks: 5 passed, 0 failed")
    bad = tc.CheckResult("gradients", "gp0", "forced failure", 1.0, 1e-12, False, "test")
    monkeypatch.setattr(tc, "run_checks", lambda losses=None, quick=False, progress=None, workers=1: [bad])
    r = CliRunner().invoke(cli, ["check"], prog_name="diracgan")
    assert r.exit_code == 1 and "FAIL" in r.stdout and "1 failed" in r.stdout


def test_train_backend_torch_matches_numpy(tmp_path):
    from click.testing import CliRunner

    from diracgan.cli import cli

    outs = {}
    for backend in ("numpy", "torch"):
        out = tmp_path / f"{backend}.csv"
        r = CliRunner().invoke(cli, ["train", "--loss", "gp1", "--optimizer", "adam", "--lr", "1e-3", "--betas",
                                     "0.5,0.9", "--n-critic", "5", "--steps", "200", "--ema", "0.99", "--backend",
                                     backend, "--out", str(out)], prog_name="diracgan")
        assert r.exit_code == 0, r.output
        outs[backend] = np.loadtxt(out, delimiter=",", skiprows=1)
    assert outs["numpy"].shape == outs["torch"].shape == (201, 9)
    assert np.abs(outs["numpy"] - outs["torch"]).max() < 1e-12


# -- the check proves its own independence ---------------------------------------------------------

def test_gradient_and_noise_checks_fail_against_a_perturbed_symbolic_field():
    """Had the torch side borrowed the symbolic field, a perturbed field would still 'agree'."""
    from diracgan.torchgan.checks import check_noise

    def perturbed(game, th, ph):
        v_t, v_p = velocity(game, th, ph)
        return v_t * (1 + 1e-8), v_p * (1 - 1e-8)

    rows = check_gradients(["vanilla+r1", "hinge", "minimax+consensus"], dims=(2,), n_points=3, reference=perturbed)
    assert rows and not any(r.passed for r in rows) and all(r.measured > 1e3 * GRAD_TOL for r in rows)

    def shifted(game, th, ph):
        v_t, v_p = velocity(game, th, ph)
        return v_t, v_p + 0.05 * np.abs(v_p).max()

    rows = check_noise(["vanilla+noise"], dims=(2,), n_points=1, reference=shifted)
    assert rows and not rows[0].passed


def _scheme_of(case, **replace):
    import dataclasses

    from diracgan.dynamics.training import prepare

    scheme = prepare(case.game(), case.theta0, case.phi0, **dict(case.kwargs, steps=10)).scheme
    return dataclasses.replace(scheme, **replace)


def _same_as_torch(case, scheme, steps=200):
    # 200 steps: the full 1000 of the case pass in test_check_optimizers_reproduce_torch_step_by_step;
    # here the point is that the injected bug shows (it does at the first decayed step).
    kw = dict(case.kwargs, steps=steps)
    run_t = train_torch(case.game(), case.theta0, case.phi0, **kw)
    run_np = train(case.game(), case.theta0, case.phi0, scheme=scheme, steps=steps, ema=kw.get("ema"))
    diff = compare_runs(run_np, run_t)
    return max(diff[k] for k in ("theta", "phi")) <= TRAIN_TOL


def test_weight_decay_cases_catch_an_adamw_style_double_decay():
    import dataclasses

    from diracgan.dynamics.optimizers import Adam

    class DoubleDecay(Adam):   # torch's L2 decay in the gradient *and* AdamW's decoupled decay
        def step(self, param, grad, state, out=None):   # returns its own array (allowed): out unused
            return super().step(param, grad, state) - self.lr * self.weight_decay * param

    case = next(c for c in OPTIMIZER_CASES if c.name == "adam + weight decay 0.1, simultaneous")
    good = _scheme_of(case)
    assert _same_as_torch(case, good)
    bad = {k: DoubleDecay(**{f.name: getattr(getattr(good, k), f.name) for f in dataclasses.fields(Adam)})
           for k in ("opt_d", "opt_g")}
    assert not _same_as_torch(case, _scheme_of(case, **bad))


def test_weight_decay_cases_catch_a_generator_look_ahead_without_decay():
    from diracgan.dynamics.training import Scheme as BaseScheme

    class NoDecayInGeneratorLookAhead(BaseScheme):
        def step(self, theta, phi, grad, state_d, state_g, out=None):
            g_theta, g_phi = grad(theta, phi)
            theta_x = theta - self.opt_g.lr * g_theta                       # the bug: no decay here
            phi_x = phi - self.opt_d.lr * self.opt_d._decayed(phi, g_phi)
            g_theta, g_phi = grad(theta_x, phi_x)
            return self.opt_g.step(theta, g_theta, state_g), self.opt_d.step(phi, g_phi, state_d)

    case = next(c for c in OPTIMIZER_CASES if c.name.startswith("extragradient TTUR lr_d 0.08"))
    good = _scheme_of(case)
    assert _same_as_torch(case, good)
    bad = NoDecayInGeneratorLookAhead(good.opt_d, good.opt_g, good.mode, good.order, good.n_critic, good.n_gen,
                                      good.clip)
    assert not _same_as_torch(case, bad)


def test_check_rows_cover_every_loss_and_regulariser():
    from diracgan.games import GAMES, REGULARISERS
    from diracgan.torchgan.checks import CHECK_GAMES, NOISE_GAMES

    names = set(CHECK_GAMES) | set(NOISE_GAMES)
    assert set(GAMES) <= names
    assert {r for n in names for r in n.split("+")[1:]} == set(REGULARISERS)
    optimizer_losses = {c.loss.split("+")[0] for c in OPTIMIZER_CASES}
    assert set(GAMES) <= optimizer_losses
    assert any(c.kwargs.get("momentum", 0) < 0 for c in OPTIMIZER_CASES)
    for name in ("sgd", "adam", "rmsprop", "optimistic", "extragradient"):
        assert any(c.kwargs.get("optimizer") == name and c.kwargs.get("weight_decay") for c in OPTIMIZER_CASES), name


def test_run_checks_in_two_processes_gives_the_same_rows():
    # The rows are independent and seeded: computed in two processes they are identical, in order.
    one = run_checks(losses=["hinge"], quick=True)
    assert run_checks(losses=["hinge"], quick=True, workers=2) == one
    assert {r.check for r in one} == {"gradients", "optimizers"} and len(one) >= 3   # hinge, hinge+r1
    with pytest.raises(InputError, match="workers"):
        run_checks(losses=["hinge"], workers=0)
