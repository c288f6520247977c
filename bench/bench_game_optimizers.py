"""Speed of the numpy game optimizers (issue 21): one SGA / CGD / HGD step on N = 10⁴ starts
costs at most 3× one plain simultaneous SGD step.

    python bench/bench_game_optimizers.py [--n 10000] [--dims 1,2,8] [--repeat 30]

Each step is ``GameScheme.step`` as the training loop calls it (the field, the structured
Jacobian coefficients, the products or the O(d) exact solve, the optimizer update).  Times are
the minimum over ``--repeat`` interleaved repetitions, reported as ratios to the SGD step
measured in the same run (absolute times depend on the machine's load).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from diracgan import make_game
from diracgan.dynamics.game_optimizers import game_scheme
from diracgan.dynamics.training import gradient_function

LIMIT = 3.0


def bench(game_name: str, n: int, d: int, repeat: int) -> dict:
    game = make_game(game_name)
    rng = np.random.default_rng(0)
    theta, phi = rng.normal(size=(n, d)), rng.normal(size=(n, d))
    grad = gradient_function(game)
    schemes = {name: game_scheme(game, name, lr=0.05, **({"mode": "simultaneous"} if name == "sgd" else {}))
               for name in ("sgd", "sga", "cgd", "hgd")}
    best = {name: np.inf for name in schemes}
    for _ in range(repeat):
        for name, scheme in schemes.items():
            state_d, state_g = scheme.init(theta, phi)
            t0 = time.perf_counter()
            scheme.step(theta, phi, grad, state_d, state_g)
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--dims", default="1,2,8")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--games", default="vanilla,gp1")
    args = ap.parse_args()
    worst = 0.0
    for game in args.games.split(","):
        for d in (int(x) for x in args.dims.split(",")):
            best = bench(game, args.n, d, args.repeat)
            ratios = {k: best[k] / best["sgd"] for k in ("sga", "cgd", "hgd")}
            worst = max(worst, *ratios.values())
            print(f"{game:8s} d = {d:2d}, N = {args.n}: sgd {best['sgd'] * 1e3:7.2f} ms; "
                  + ", ".join(f"{k} {r:.2f}×" for k, r in ratios.items()))
    print(f"worst ratio {worst:.2f}× (target ≤ {LIMIT:g}×): {'met' if worst <= LIMIT else 'MISSED'}")


if __name__ == "__main__":
    main()
