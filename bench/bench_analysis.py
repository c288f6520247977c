"""Speed of `diracgan eig` (issue 3): any seed game at d = 64 in a couple of seconds.

    python bench/bench_analysis.py

Prints the wall time of `diracgan eig --loss L --dim 64` per game (whole process, imports,
symbolic analysis and the numeric verdict's integration) and, as the naive baseline, the
componentwise symbolic Jacobian (2d × 2d, losses written in components), which grows like
d^2.3 and is out of reach at d = 64.
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
from pathlib import Path


from diracgan import GAMES
from diracgan.derivation.symbolic import derive, explicit_field

SCRIPT = Path(sys.executable).parent / "diracgan"


def wall(cmd) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> None:
    for name in ("vanilla", "wgan", "gp0", "gp1", "qp"):
        dt = wall([str(SCRIPT), "eig", "--loss", name, "--dim", "64"])
        ok = "ok" if dt < 3 else "MISSED"
        print(f"diracgan eig --loss {name:<7} --dim 64: {dt:.2f} s; goal a couple of seconds: {ok}")

    # Baseline: the textbook componentwise derivation of the Jacobian (losses in θ_1..θ_d,
    # φ_1..φ_d, sympy's .jacobian), against the invariant route, which does not depend on d.
    for d in (8, 16, 32):
        t0 = time.perf_counter()
        velocity, (th, ph), _ = explicit_field(GAMES["wgan"], d)
        velocity.jacobian(list(th) + list(ph))
        t_full = time.perf_counter() - t0
        derive.cache_clear()
        t0 = time.perf_counter()
        derive(GAMES["wgan"])
        t_ours = time.perf_counter() - t0
        print(f"wgan, d = {d}: componentwise symbolic Jacobian {t_full:.2f} s, invariant derivation (any d) "
              f"{t_ours:.3f} s: {t_full / t_ours:.0f}x")

def bench_value_dependent_sweep() -> None:
    """gp's centre c: differentiable at the equilibrium only at c = 0, decided exactly per value."""
    from diracgan import make_game
    from diracgan.analysis import eigenvalue_sweep

    eigenvalue_sweep(make_game("gp"), "c", [0.0, 1.0])   # derive once, not timed
    t0 = time.perf_counter()
    s = eigenvalue_sweep(make_game("gp"), "c", np.linspace(0, 1, 1001))
    dt = time.perf_counter() - t0
    print(f"eig sweep over gp's c (1,001 values, {int(s.valid.sum())} differentiable): {dt:.2f} s "
          f"({1000 * dt / 1001:.1f} ms per value)")


if __name__ == "__main__":
    main()
    bench_value_dependent_sweep()
