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
from pathlib import Path


from diracgan import GAMES
from diracgan.symbolic import derive, explicit_field

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

if __name__ == "__main__":
    main()
