"""Speed of `diracgan sweep` on Dask distributed (issue 22), with the serial time beside it.

    python bench/bench_sweep.py [--workers 2] [--train-tasks 64] [--steps 3000] [--eig-tasks 10000]

Measured (2 cores shared with other jobs, load average 2–4, one run): train grid 64 × 0.49 s,
serial 31.1 s, sweep 19.2 s: 1.62× (1.52× with the LocalCluster's 1.3 s start-up); eig grid
10,000 tasks in 625 chunks: overhead 0.61 ms per task (serial 9.7 s, sweep 17.6 s: each fresh
worker derives gp0 and analyses every λ again, Σ task seconds 29.2 s).

1. **Parallel speed-up**: a grid of ``--train-tasks`` gp0 training runs (lr × lam, ``--steps``
   SGD steps each, about 0.5 s on an idle core at 3000 steps), run serially in this process
   (:func:`diracgan.sweep.engine.run_task` one by one, the same code the workers run) and as a
   sweep on a LocalCluster of ``--workers`` processes.  Goal on 2 cores: ≥ 1.7× faster.  The
   sweep is timed from a cluster already started (what a user of a running cluster sees) and
   with the cluster's start-up included; both include each worker's first derivation of the
   game (the serial run pays it once).
2. **Scheduler overhead**: an eig grid of ``--eig-tasks`` tasks (``numeric=False``: lam × horizon;
   the horizon does not enter an analysis without the numeric verdict, so each worker's cache
   serves all but one task per lam and the grid measures the scheduler, not sympy), chunked
   automatically.  Overhead per task = (wall × workers − Σ the tasks' own seconds) / tasks, the
   time a task costs beyond its computation.  Goal: < 20 ms per task.

Timings are wall-clock; on a shared machine compare the ratios printed in one run.
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np


def serial(command: str, grid: dict, **options) -> tuple[float, float]:
    """(wall seconds, Σ task seconds) of the grid's tasks run one by one in this process."""
    from diracgan.sweep import build_tasks, get_runner
    from diracgan.sweep.engine import run_task

    runner = get_runner(command)
    tasks, _, _ = build_tasks(runner, options, grid)
    t0 = time.perf_counter()
    rows = [run_task(runner, t.key, t.options, t.point) for t in tasks]
    assert all(r["status"] == "ok" for r in rows), [r["message"] for r in rows if r["status"] != "ok"][:3]
    return time.perf_counter() - t0, sum(r["seconds"] for r in rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--train-tasks", type=int, default=64, help="a square number: lr × lam")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--eig-tasks", type=int, default=10_000, help="a square number: lam × horizon")
    args = ap.parse_args()

    import distributed

    from diracgan.sweep import run_sweep

    side = int(round(args.train_tasks ** 0.5))
    train_grid = {"lr": np.linspace(0.05, 0.4, side).tolist(), "lam": np.linspace(0.1, 1.0, side).tolist()}
    t_serial, _ = serial("train", train_grid, steps=args.steps)
    print(f"train grid: {side * side} tasks of {args.steps} steps; serial in-process {t_serial:.1f} s "
          f"({t_serial / (side * side):.2f} s per task)")

    t0 = time.perf_counter()
    cluster = distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
    client = distributed.Client(cluster, set_as_default=False)
    t_start = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        out = run_sweep("train", train_grid, steps=args.steps, client=client)
        t_sweep = time.perf_counter() - t0
        assert out.errors == 0 and out.computed == side * side
        print(f"  sweep on {args.workers} worker processes: {t_sweep:.1f} s ({out.chunks} chunks) → "
              f"{t_serial / t_sweep:.2f}× the serial speed; with the cluster's start-up ({t_start:.1f} s) "
              f"{t_serial / (t_sweep + t_start):.2f}×  [goal ≥ 1.7× on 2 cores]")

        side = int(round(args.eig_tasks ** 0.5))
        eig_grid = {"lam": np.linspace(0.0, 3.0, side).tolist(), "horizon": np.linspace(50, 250, side).tolist()}
        t_eig_serial, _ = serial("eig", eig_grid, numeric=False)
        client.restart()          # fresh workers: their caches start empty, as the serial run's did not
        t0 = time.perf_counter()
        out = run_sweep("eig", eig_grid, numeric=False, client=client)
        t_eig = time.perf_counter() - t0
        work = float(np.nansum(out.table.column("seconds").to_numpy(zero_copy_only=False)))
        n = side * side
        overhead = (t_eig * args.workers - work) / n
        print(f"eig grid: {n} tasks (numeric=False) in {out.chunks} chunks: serial in-process {t_eig_serial:.1f} s, "
              f"sweep {t_eig:.1f} s on {args.workers} workers ({t_eig_serial / t_eig:.2f}×); Σ task seconds "
              f"{work:.1f} s; scheduler overhead {1000 * overhead:.2f} ms per task  [goal < 20 ms]")
    finally:
        client.close()
        cluster.close()


if __name__ == "__main__":
    main()
