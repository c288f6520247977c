"""Speed of the discrete dynamics (issues 4 and 19), against naive baselines, in one run.

    python bench/bench_training.py            # everything
    python bench/bench_training.py kernels    # one part: kernels, train, map, batch

* ``kernels``: each optimizer of ``train`` (sgd, sgd with momentum, adam, rmsprop) stepping
  N = 10⁴ runs (d = 2) through its public ``step(param, grad, state, out=…)``, as the training
  loop calls it, against a hand-written numpy loop of the same rule (preallocated buffers,
  in-place updates, nothing allocated per step).  Goal (issue 19): ≤ 1.5×.
* ``train``: ``train`` itself on N = 10⁴ starts (gp0, simultaneous, 500 steps, the final
  state recorded) against a hand-written loop of the same rule on the same gradient function
  (the derived field) with the same divergence test.  Goal: ≤ 1.5×.
* ``map``: a 100×100 stability map (ρ of the update map over lr × λ): one batched call, against
  a loop that builds and diagonalises the update matrix grid point by grid point.
* ``batch``: training 1,000 starts for 2,000 steps, batched, against a loop of single-start runs
  (timed on 20 starts and scaled).

Every comparison asserts that both sides give bit-identical results.  Times are the best of
several interleaved repeats, so the ratios hold on a loaded machine.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from diracgan import make_game, random_starts
from diracgan.analysis.stability import equilibrium_matrix, scheme_factory, stability_map, update_matrices
from diracgan.dynamics.optimizers import make_optimizer
from diracgan.dynamics.training import gradient_function, train

N, D = 10_000, 2
RULES = {"sgd": dict(optimizer="sgd", lr=0.01), "momentum": dict(optimizer="sgd", lr=0.01, momentum=0.9),
         "adam": dict(optimizer="adam", lr=1e-3), "rmsprop": dict(optimizer="rmsprop", lr=1e-3)}


def hand_rule(name: str, shape: tuple):
    """A hand-written in-place update p ← rule(p, g) for RULES[name] (torch.optim's formulas,
    torch's defaults), with every buffer allocated here, once."""
    tmp, buf, m, v = np.empty(shape), np.empty(shape), np.zeros(shape), np.zeros(shape)
    if name == "sgd":
        def step(p, g, k):
            np.multiply(g, 0.01, out=tmp)
            np.subtract(p, tmp, out=p)
    elif name == "momentum":
        def step(p, g, k):
            if k == 1:
                buf[...] = g
            else:
                np.multiply(buf, 0.9, out=buf)
                np.add(buf, g, out=buf)     # (1 − dampening) g with dampening 0: g·1.0 = g
            np.multiply(buf, 0.01, out=tmp)
            np.subtract(p, tmp, out=p)
    elif name == "adam":
        b1, b2, eps, lr = 0.9, 0.999, 1e-8, 1e-3

        def step(p, g, k):
            np.subtract(g, m, out=tmp)      # m ← lerp(m, g, 1 − β₁)
            np.multiply(tmp, 1 - b1, out=tmp)
            np.add(m, tmp, out=m)
            np.multiply(v, b2, out=v)       # v ← β₂ v + (1 − β₂) g²
            np.multiply(g, g, out=tmp)
            np.multiply(tmp, 1 - b2, out=tmp)
            np.add(v, tmp, out=v)
            np.sqrt(v, out=tmp)             # p ← p − lr/(1 − β₁ᵏ) · m / (√v / √(1 − β₂ᵏ) + ε)
            np.divide(tmp, np.sqrt(1 - b2 ** k), out=tmp)
            np.add(tmp, eps, out=tmp)
            np.divide(m, tmp, out=tmp)
            np.multiply(tmp, lr / (1 - b1 ** k), out=tmp)
            np.subtract(p, tmp, out=p)
    elif name == "rmsprop":
        alpha, eps, lr = 0.99, 1e-8, 1e-3

        def step(p, g, k):
            np.multiply(v, alpha, out=v)    # s ← α s + (1 − α) g²
            np.multiply(g, g, out=tmp)
            np.multiply(tmp, 1 - alpha, out=tmp)
            np.add(v, tmp, out=v)
            np.sqrt(v, out=tmp)             # p ← p − lr · g / (√s + ε)
            np.add(tmp, eps, out=tmp)
            np.divide(g, tmp, out=tmp)
            np.multiply(tmp, lr, out=tmp)
            np.subtract(p, tmp, out=p)
    else:  # pragma: no cover
        raise KeyError(name)
    return step


def best(fns: dict, repeat: int = 5) -> dict:
    """Best time of each function over ``repeat`` interleaved rounds (and its last result)."""
    times, out = {k: np.inf for k in fns}, {}
    for _ in range(repeat):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            out[k] = fn()
            times[k] = min(times[k], time.perf_counter() - t0)
    return {k: (times[k], out[k]) for k in fns}


def bench_kernels(steps: int = 1000) -> None:
    rng = np.random.default_rng(0)
    p0, grads = rng.normal(size=(N, D)), rng.normal(size=(4, N, D))

    def api(name):
        hyper = dict(RULES[name])
        opt = make_optimizer(hyper.pop("optimizer"), **hyper)
        state = opt.init(p0)
        bufs = [p0.copy(), np.empty_like(p0)]
        p = bufs[0]
        for k in range(steps):
            p = opt.step(p, grads[k % 4], state, out=bufs[(k + 1) % 2])
        return p

    def hand(name):
        step = hand_rule(name, p0.shape)
        p = p0.copy()
        for k in range(1, steps + 1):
            step(p, grads[(k - 1) % 4], k)
        return p

    print(f"optimizer kernels, N = {N:,} runs × d = {D}, {steps} steps (best of 5):")
    for name in RULES:
        r = best({"api": lambda: api(name), "hand": lambda: hand(name)})
        assert np.array_equal(r["api"][1], r["hand"][1]), name
        ratio = r["api"][0] / r["hand"][0]
        print(f"  {name:9s} Optimizer.step {r['api'][0]:.3f} s, hand-written {r['hand'][0]:.3f} s: {ratio:.2f}× "
              f"(bit-identical; goal ≤ 1.5×: {'ok' if ratio <= 1.5 else 'MISSED'})")


def bench_train(steps: int = 500, loss: str = "gp0") -> None:
    game = make_game(loss)
    theta0, phi0 = random_starts(N, D, seed=0)
    grad = gradient_function(game)

    def library(name):
        run = train(game, theta0, phi0, mode="simultaneous", steps=steps, record_every=steps, **RULES[name])
        return run.theta[:, -1], run.phi[:, -1]

    def hand(name):
        th, ph = theta0.copy(), phi0.copy()
        step_d, step_g = hand_rule(name, th.shape), hand_rule(name, th.shape)
        with np.errstate(all="ignore"):
            for k in range(1, steps + 1):
                g_theta, g_phi = grad(th, ph)
                step_d(ph, g_phi, k)
                step_g(th, g_theta, k)
                norm = np.sqrt(np.einsum("ij,ij->i", th, th) + np.einsum("ij,ij->i", ph, ph))
                if not (norm < 1e6).all():
                    raise RuntimeError("a run diverged")
        return th, ph

    library("sgd")  # lambdify once, not timed
    print(f"train, N = {N:,} starts of {loss} (d = {D}), simultaneous, {steps} steps (best of 3):")
    for name in RULES:
        r = best({"train": lambda: library(name), "hand": lambda: hand(name)}, repeat=3)
        for a, b in zip(r["train"][1], r["hand"][1]):
            assert np.array_equal(a, b), name
        ratio = r["train"][0] / r["hand"][0]
        print(f"  {name:9s} train {r['train'][0]:.3f} s, hand-written loop {r['hand'][0]:.3f} s: {ratio:.2f}× "
              f"(bit-identical; goal ≤ 1.5×: {'ok' if ratio <= 1.5 else 'MISSED'})")


def bench_map() -> None:
    game = make_game("gp0")
    lrs, lams = np.linspace(0.01, 2, 100), np.linspace(0, 2, 100)
    factory = scheme_factory("sgd", mode="simultaneous")
    stability_map(game, factory, {"lr": lrs[:2], "lam": lams[:2]})   # lambdify once, not timed
    t0 = time.perf_counter()
    smap = stability_map(game, factory, {"lr": lrs, "lam": lams})
    t_batch = time.perf_counter() - t0

    t0 = time.perf_counter()
    rho = np.empty((100, 100))
    for j, lam in enumerate(lams):
        m = equilibrium_matrix(make_game("gp0", lam=float(lam)))[None]
        for i, lr in enumerate(lrs):
            f = update_matrices(scheme_factory("sgd", lr=float(lr), mode="simultaneous")(), m)[0]
            rho[j, i] = np.abs(np.linalg.eigvals(f)).max()
    t_loop = time.perf_counter() - t0
    assert np.allclose(rho, smap.rho, rtol=1e-12)
    ok = "ok" if t_batch < 0.5 else "MISSED"
    print(f"100×100 stability map (gp0, simultaneous SGD, lr × λ): batched {t_batch * 1000:.1f} ms, "
          f"point-by-point loop {t_loop:.2f} s: {t_loop / t_batch:.0f}x; goal well under 1 s: {ok}")
    momentum = scheme_factory("sgd", lr=0.1, mode="alternating")
    t0 = time.perf_counter()
    stability_map(game, momentum, {"momentum": np.linspace(0, 0.99, 100), "lam": lams})
    print(f"100×100 map with momentum (alternating, 4×4 update matrices): {1000 * (time.perf_counter() - t0):.1f} ms")


def bench_batch() -> None:
    game = make_game("vanilla")
    theta, phi = random_starts(1000, 2, seed=0)
    kw = dict(optimizer="adam", lr=1e-3, mode="alternating", n_critic=5, steps=2000, ema=0.999)
    t0 = time.perf_counter()
    batch = train(game, theta, phi, **kw)
    t_batch = time.perf_counter() - t0
    n = 20
    t0 = time.perf_counter()
    for i in range(n):
        alone = train(game, theta[i], phi[i], **kw)
        assert np.array_equal(alone.theta[0], batch.theta[i])
    t_loop = (time.perf_counter() - t0) * 1000 / n
    print(f"train 1,000 starts × 2,000 steps (Adam, alternating, n_critic 5, EMA): batched {t_batch:.2f} s, "
          f"loop of single runs {t_loop:.0f} s (timed on {n}, scaled): {t_loop / t_batch:.0f}x")


PARTS = {"kernels": bench_kernels, "train": bench_train, "map": bench_map, "batch": bench_batch}

if __name__ == "__main__":
    for part in sys.argv[1:] or PARTS:
        PARTS[part]()
