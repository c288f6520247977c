"""Speed goals of the core engine, measured against naive baselines in one run.

    python bench/bench_core.py            # the loop baseline is timed on 100 starts, scaled ×10
    python bench/bench_core.py --full     # time the loop on all 1,000 starts (about a minute)

Goals (issue 2): `diracgan --help` well under 0.3 s; 1,000 starts of gp0 in d = 2 to T = 40
at least 20× faster than a loop of one solve_ivp per start at the same tolerances;
`diracgan phase --dim 64` in a few seconds. The engine against its floor: bench/bench_engine.py.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.integrate

from diracgan import make_game, random_starts, simulate
from diracgan.derivation.numeric import vector_field
from diracgan.dynamics.flow import DEFAULT_ATOL, DEFAULT_RTOL, output_times

SCRIPT = Path(sys.executable).parent / "diracgan"


def wall(cmd: list[str], repeat: int = 7, cwd=None) -> float:
    """Median wall time of a command over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_help() -> None:
    python = wall([sys.executable, "-c", "pass"])
    helptime = wall([str(SCRIPT), "--help"])
    ok = "ok" if helptime < 0.3 else "MISSED"
    print(f"diracgan --help: {helptime * 1000:.0f} ms (bare python start-up {python * 1000:.0f} ms, "
          f"ratio {helptime / python:.1f}x); goal < 300 ms: {ok}")


def bench_batch(full: bool) -> None:
    game = make_game("gp0")
    theta, phi = random_starts(1000, 2, seed=0)
    t = output_times(40.0)
    simulate(game, theta[:2], phi[:2], t_max=1.0)  # derive + lambdify once (cached), not timed
    t0 = time.perf_counter()
    batch = simulate(game, theta, phi, t_max=40.0)
    t_batch = time.perf_counter() - t0

    params = game.param_values()
    field = vector_field(game.spec)
    fun = lambda _, z: field.rhs(z, params)  # noqa: E731
    n_loop = 1000 if full else 100
    t0 = time.perf_counter()
    worst = 0.0
    for i in range(n_loop):
        ref = scipy.integrate.solve_ivp(fun, (0, 40.0), np.concatenate([theta[i], phi[i]]), method="DOP853",
                                        t_eval=t, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL)
        worst = max(worst, float(np.abs(ref.y.T - batch.states[i]).max()))
    t_loop = (time.perf_counter() - t0) * (1000 / n_loop)
    ratio = t_loop / t_batch
    scaled = "" if full else f" (timed on {n_loop} starts, scaled to 1,000)"
    ok = "ok" if ratio >= 20 else "MISSED"
    print(f"1,000 starts, gp0, d = 2, T = 40, DOP853 rtol {DEFAULT_RTOL:g}: batch {t_batch:.2f} s, "
          f"loop of solve_ivp {t_loop:.1f} s{scaled}: {ratio:.0f}x faster; goal ≥ 20x: {ok}")
    print(f"  largest difference batch vs loop: {worst:.1e} (both at rtol {DEFAULT_RTOL:g}, atol {DEFAULT_ATOL:g})")


def bench_phase64() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        dt = wall([str(SCRIPT), "phase", "--loss", "gp0", "--dim", "64", "--out", "p.png"], repeat=3, cwd=tmp)
        dt2 = wall([str(SCRIPT), "phase", "--loss", "gp0", "--dim", "2", "--out", "p.png"], repeat=3, cwd=tmp)
    ok = "ok" if dt < 5 else "MISSED"
    print(f"diracgan phase --dim 64: {dt:.2f} s (d = 2: {dt2:.2f} s, ratio {dt / dt2:.2f}); goal a few seconds: {ok}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="time the loop baseline on all 1,000 starts")
    args = parser.parse_args()
    bench_help()
    bench_batch(args.full)
    bench_phase64()


if __name__ == "__main__":
    main()
