"""Speed of the discrete dynamics (issue 4), against naive baselines, in one run.

    python bench/bench_training.py

* A 100×100 stability map (ρ of the update map over lr × λ): one batched call, against a
  loop that builds and diagonalises the update matrix grid point by grid point.
* Training 1,000 starts for 2,000 steps, batched, against a loop of single-start runs
  (timed on 20 starts and scaled).
Goal: the 100×100 map in well under a second of compute.
"""

from __future__ import annotations

import time

import numpy as np

from diracgan import make_game, random_starts
from diracgan.analysis.stability import equilibrium_matrix, scheme_factory, stability_map, update_matrices
from diracgan.dynamics.training import train


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


def bench_training() -> None:
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


if __name__ == "__main__":
    bench_map()
    bench_training()
