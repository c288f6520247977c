"""`diracgan figures` serial against parallel, per entry, in one run (issue 19: ≤ 15 s on 2 cores).

    python bench/bench_figures.py              # serial, then 2 workers (about a minute)
    python bench/bench_figures.py --jobs 3     # another number of workers
    python bench/bench_figures.py --ema        # also the EMA entry's 60,000 steps: train() against
                                               # the exact float path (sgd_with_emas)

Renders the whole catalogue into temporary folders, first in this process (``jobs=1``, what
``figures`` did before), then with the worker pool, and prints for each entry the wall and CPU
seconds of both, and the totals: wall of the whole run, and CPU seconds summed over the
processes that drew (``time.process_time`` in each worker: less noisy than wall time on a
shared machine, where the wall time mostly measures the other processes).  Both renders are
compared byte for byte with ``figures/`` on the way.

Measured on the 2-core development machine (shared with other jobs; CPU seconds are the
reliable column), before this work (serial, EMA through ``train``) and after:

=======================  ============  ============
                         before        after
=======================  ============  ============
figures, wall (idle)     54 s          see below
catalogue, CPU s         about 24      about 14
ema entry, CPU s         10.1          0.9
=======================  ============  ============

Timing bounds live here, never in unit tests.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

FIGURES = Path(__file__).parents[1] / "figures"


def run(jobs: int) -> tuple[float, float, dict]:
    """(wall s of the run, CPU s summed over the drawing processes, name → (wall, CPU))."""
    from diracgan.viz.catalogue import CATALOGUE, render_entries

    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu = time.perf_counter(), time.process_time()
        times = render_entries(list(CATALOGUE), Path(tmp), jobs=jobs)
        wall = time.perf_counter() - wall
        parent = time.process_time() - cpu
        differ = [e.filename for e in CATALOGUE
                  if (Path(tmp) / e.filename).read_bytes() != (FIGURES / e.filename).read_bytes()]
    if differ:
        print(f"  jobs={jobs}: differ from figures/: {', '.join(differ)}")
    cpu = sum(c for _, c in times.values()) + (parent if jobs > 1 else 0.0)
    return wall, cpu, times


def ema_paths() -> None:
    import numpy as np

    from diracgan import make_game, train
    from diracgan.dynamics.starts import default_start
    from diracgan.viz.entries.scalar_train import sgd_with_emas

    game, (th, ph) = make_game("vanilla"), default_start(2)
    kw = dict(optimizer="sgd", lr=0.05, mode="alternating", steps=60_000, record_every=4)
    cpu = time.process_time()
    a = train(game, np.vstack([th, th]), np.vstack([ph, ph]), ema=np.array([[0.999], [0.9999]]), **kw)
    slow = time.process_time() - cpu
    cpu = time.process_time()
    b = sgd_with_emas(game, th, ph, lr=0.05, mode="alternating", steps=60_000, record_every=4,
                      decays=(0.999, 0.9999))
    fast = time.process_time() - cpu
    same = all(np.array_equal(getattr(a, k), getattr(b, k)) for k in ("theta", "phi", "ema_theta", "ema_phi"))
    print(f"EMA entry, 60,000 steps: train {slow:.2f} CPU s, sgd_with_emas {fast:.2f} CPU s "
          f"({slow / fast:.1f}×), bit-identical: {same}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--ema", action="store_true", help="also time the EMA entry's two training paths")
    args = ap.parse_args()
    wall = time.perf_counter()
    import diracgan.viz.catalogue  # noqa: F401  (the imports, timed apart from the rendering)

    print(f"import of the catalogue: {time.perf_counter() - wall:.2f} s")
    if args.ema:
        ema_paths()
    s_wall, s_cpu, serial = run(1)
    p_wall, p_cpu, parallel = run(args.jobs)
    print(f"{'entry':<22}{'serial wall':>12}{'CPU':>8}{f'jobs={args.jobs} wall':>14}{'CPU':>8}")
    for name, (w, c) in serial.items():
        pw, pc = parallel[name]
        print(f"{name:<22}{w:>11.2f}s{c:>7.2f}s{pw:>13.2f}s{pc:>7.2f}s")
    print(f"{'total':<22}{s_wall:>11.2f}s{s_cpu:>7.2f}s{p_wall:>13.2f}s{p_cpu:>7.2f}s")
    print(f"parallel / serial: wall {p_wall / s_wall:.2f}, CPU {p_cpu / s_cpu:.2f}"
          f"  (the wall ratio is ≥ 1/{args.jobs} only when the cores are otherwise idle)")


if __name__ == "__main__":
    main()
