"""Cost of the bridge's metrics (issue 20): what one record of a run costs, per metric.

    python bench/bench_bridge_metrics.py [--quick]

For ring8 samples (S seeds × n points against an n-point reference batch) it prints the time of
each metric per seed, and the time of ``evaluate_seeds`` against a loop of ``evaluate`` over the
seeds (the ratio is what the vectorisation buys).  The exact EMD (network simplex, ~n³) is the
dominant term beyond a few hundred points; the bridge records ``S × R`` of them per run, so the
table says which evaluation batch a run can afford.  Timings are medians of a few repeats, and
ratios are the numbers to quote on a shared machine.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from diracgan.bridge.data import make_dataset
from diracgan.bridge.metrics import (_sliced_seeds, emd, evaluate, evaluate_seeds, mmd, mmd_bandwidth,
                                     mode_counts, sliced_wasserstein)


def timed(f, repeat=3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main(quick: bool) -> None:
    d = make_dataset("ring8")
    sizes = (256, 512) if quick else (256, 512, 1000, 2000)
    S = 8
    print(f"ring8, S = {S} seeds, n samples per seed against an n-point reference (ms; per seed unless noted)")
    print(f"{'n':>5} {'modes':>7} {'emd':>8} {'SW POT':>7} {'SW sort':>7} {'mmd':>7} {'h':>6} |"
          f" {'loop S':>8} {'batched S':>9} {'ratio':>6} {'emd share':>9}")
    for n in sizes:
        ref = d.reference(n, seed=0)
        xs = np.stack([d.reference(n, seed=s) for s in range(1, S + 1)])
        h = mmd_bandwidth(ref)
        t_modes = timed(lambda: mode_counts(xs[0], d.modes, d.std))
        t_emd = timed(lambda: emd(xs[0], ref), 1 if n > 1000 else 3)
        t_sw = timed(lambda: sliced_wasserstein(xs[0], ref))
        t_sort = timed(lambda: _sliced_seeds(xs[:1], ref, np.array([True])))
        t_mmd = timed(lambda: mmd(xs[0], ref, h))
        t_h = timed(lambda: mmd_bandwidth(ref))
        rep = 1 if n > 1000 else 3
        t_loop = timed(lambda: [evaluate(x, d, ref, bandwidth=h) for x in xs], rep)
        t_batch = timed(lambda: evaluate_seeds(xs, d, ref, bandwidth=h), rep)
        print(f"{n:>5} {1e3 * t_modes:7.2f} {1e3 * t_emd:8.1f} {1e3 * t_sw:7.2f} {1e3 * t_sort:7.2f} {1e3 * t_mmd:7.2f}"
              f" {1e3 * t_h:6.1f} | {1e3 * t_loop:8.0f} {1e3 * t_batch:9.0f} {t_loop / t_batch:6.2f}"
              f" {S * t_emd / t_batch:9.0%}")
    print("SW POT = ot.sliced_wasserstein_distance; SW sort = the same number by sorting (what evaluate uses "
          "when n = m).\nh = the MMD bandwidth (median heuristic on the reference; once per run with bandwidth=). "
          "emd share = S × emd / batched.")


if __name__ == "__main__":
    main("--quick" in sys.argv[1:])
