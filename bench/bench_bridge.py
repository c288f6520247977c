"""Speed of `diracgan bridge` (issue 20), as ratios measured in one run (the machine is shared).

    python bench/bench_bridge.py [--quick]

1. 32 seeds batched (one vmapped computation) vs a loop of 32 single-model runs, at the
   default models (MLP 2 × 128 relu) and at small ones (2 × 32, batch 64), where the
   per-call overhead that batching removes is a larger part of a step.
2. The bridge's cost per step (one seed, ``batched=False`` and batched with S = 1) vs a plain
   hand-written torch loop with the same models, loss (vanilla), optimizer (Adam) and batch.
3. The wall time of the README's default ``diracgan bridge --compare`` (a subprocess).
A GPU entry is added when torch sees one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import torch
from torch import nn

from diracgan.bridge.models import ModelSpec
from diracgan.bridge.training import train_bridge
from diracgan.games import make_game

ROOT = Path(__file__).resolve().parents[1]
README_COMPARE = ["bridge", "--loss", "gp0", "--data", "ring8", "--compare", "--seeds", "4", "--steps", "1000",
                  "--width", "64", "--batch", "64", "--optimizer", "adam", "--lr", "1e-3", "--betas", "0.5,0.9"]


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def plain_loop(width: int, batch: int, steps: int, device="cpu") -> None:
    """A hand-written torch GAN loop: vanilla loss, Adam, alternating d-first, float64."""
    torch.manual_seed(0)
    dt = torch.float64

    def mlp(n_in, n_out):
        return nn.Sequential(nn.Linear(n_in, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                             nn.Linear(width, n_out)).to(dt).to(device)

    G, D = mlp(2, 2), mlp(2, 1)
    od, og = torch.optim.Adam(D.parameters(), 1e-3), torch.optim.Adam(G.parameters(), 1e-3)
    bce = nn.functional.binary_cross_entropy_with_logits
    modes = 2 * torch.stack([torch.cos(torch.arange(8) * torch.pi / 4), torch.sin(torch.arange(8) * torch.pi / 4)], 1)
    modes = modes.to(dt).to(device)
    for _ in range(steps):
        real = modes[torch.randint(8, (batch,), device=device)] + 0.02 * torch.randn(batch, 2, dtype=dt, device=device)
        fake = G(torch.randn(batch, 2, dtype=dt, device=device)).detach()
        dr, df = D(real).squeeze(-1), D(fake).squeeze(-1)
        loss_d = bce(dr, torch.ones_like(dr)) + bce(df, torch.zeros_like(df))
        od.zero_grad()
        loss_d.backward()
        od.step()
        real = modes[torch.randint(8, (batch,), device=device)] + 0.02 * torch.randn(batch, 2, dtype=dt, device=device)
        df = D(G(torch.randn(batch, 2, dtype=dt, device=device))).squeeze(-1)
        loss_g = bce(df, torch.ones_like(df))
        og.zero_grad()
        loss_g.backward()
        og.step()


def bridge(width, batch, steps, seeds=1, seed=0, batched=True, device="cpu"):
    train_bridge(make_game("vanilla"), data="ring8", models=ModelSpec(width=width), optimizer="adam", lr=1e-3,
                 steps=steps, record_every=steps, seeds=seeds, seed=seed, batch=batch, eval_size=64, metrics=False,
                 batched=batched, device=device)


def main(quick: bool = False) -> None:
    torch.set_num_threads(1)
    steps = 10 if quick else 30
    for width, batch in ((128, 256), (32, 64)):
        t_batch = timed(lambda: bridge(width, batch, steps, seeds=32))
        n_loop = 8
        t_loop = timed(lambda: [bridge(width, batch, steps, seed=s, batched=False) for s in range(n_loop)]) * 32 / n_loop
        ratio = t_loop / t_batch
        print(f"32 seeds, MLP 2×{width}, batch {batch}, {steps} steps: batched {t_batch:.2f} s, loop of 32 single "
              f"runs {t_loop:.2f} s (8 timed) → {ratio:.2f}× ({'ok' if ratio >= 5 else 'MISSED'}: goal ≥ 5×)")
    for width, batch in ((128, 256), (32, 64)):
        plain = timed(lambda: plain_loop(width, batch, steps)) / steps
        single = timed(lambda: bridge(width, batch, steps, batched=False)) / steps
        one = timed(lambda: bridge(width, batch, steps, seeds=1)) / steps
        print(f"per step, MLP 2×{width}, batch {batch}: plain torch loop {1e3 * plain:.2f} ms, bridge single "
              f"{1e3 * single:.2f} ms ({single / plain:.2f}×), bridge batched S = 1 {1e3 * one:.2f} ms "
              f"({one / plain:.2f}×); goal ≤ 1.5×: {'ok' if single / plain <= 1.5 else 'MISSED'}")
    if torch.cuda.is_available():  # pragma: no cover
        t = timed(lambda: bridge(128, 256, steps, seeds=32, device="cuda"))
        print(f"GPU: 32 seeds batched, {steps} steps: {t:.2f} s")
    else:
        print("GPU: none visible to torch (no entry)")
    if not quick:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        t = timed(lambda: subprocess.run([sys.executable, "-m", "diracgan", *README_COMPARE], check=True, env=env,
                                         cwd=ROOT, stdout=subprocess.DEVNULL))
        print(f"diracgan {' '.join(README_COMPARE)}: {t:.1f} s ({'ok' if t < 60 else 'MISSED'}: goal < 1 min)")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
