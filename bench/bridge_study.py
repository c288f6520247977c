"""The bridge study (issue 20): does the Dirac-GAN's verdict predict a small MLP GAN?

    python bench/bridge_study.py [--steps 1000] [--seeds 8] [--out study.md]

For every configuration below, the Dirac prediction (``eig``'s linear and numeric verdicts and a
numpy ``train`` run of the same optimizer, scheme and steps from the seed's start) beside the MLP
GAN's outcome (2 × 64 relu MLPs, batch 64) on ``dirac``, ``ring8`` and ``grid25`` over the seeds:
the verdicts' counts, and whether the majority verdict is the train run's.  Writes a Markdown
table (stdout, and ``--out``).  Each cell is one batched run of all seeds, i.e.

    diracgan bridge --loss L [params] --data D --seeds 8 --steps 1000 --width 64 --batch 64 \\
        --optimizer adam --lr 2e-3 --betas 0.5,0.9 --record-every 50 --eval-size 256 --compare
"""

from __future__ import annotations

import argparse
import time
from collections import Counter

from diracgan.bridge.compare import dirac_prediction
from diracgan.bridge.models import ModelSpec
from diracgan.bridge.training import train_bridge
from diracgan.games import make_game

ADAM = dict(optimizer="adam", lr=2e-3, betas=(0.5, 0.9))
NEG = dict(optimizer="sgd", lr=0.02, momentum=-0.5)
CONFIGS = (
    ("vanilla", {}, ADAM, "vanilla"),
    ("minimax", {}, ADAM, "minimax"),
    ("wgan-clip", {"clip": 0.01}, ADAM, "wgan-clip (c = 0.01)"),
    ("gp", {"lam": 10.0, "c": 1.0}, ADAM, "gp (λ = 10, c = 1: WGAN-GP)"),
    ("gp0", {"lam": 1.0}, ADAM, "gp0 (λ = 1, = R1 with γ = 2)"),
    ("gp1", {"lam": 0.1}, ADAM, "gp1 (λ = 0.1)"),
    ("qp", {"lam": 1.0}, ADAM, "qp (λ = 1)"),
    ("vanilla+consensus", {"consensus_gamma": 1.0}, ADAM, "vanilla + consensus (γ = 1)"),
    ("vanilla+noise", {"noise_sigma": 0.2}, ADAM, "vanilla + instance noise (σ = 0.2)"),
    ("vanilla", {}, NEG, "vanilla, sgd negative momentum −0.5 (lr 0.02)"),
)
DATA = ("dirac", "ring8", "grid25")
SHORT = {"converges": "conv", "cycles": "cyc", "diverges": "div", "collapses": "coll"}


def cell(verdicts, predicted: str) -> str:
    counts = Counter(verdicts)
    text = ", ".join(f"{SHORT[k]} {n}" for k, n in counts.most_common())
    top = counts.most_common(1)[0][0]
    return f"{text} {'✓' if top == predicted else '✗'}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    models = ModelSpec(width=args.width)
    common = dict(steps=args.steps, record_every=50, batch=64, eval_size=256, seeds=args.seeds, models=models)
    head = ("| configuration | eig linear | eig numeric | Dirac train | " + " | ".join(f"MLP on {d}" for d in DATA)
            + " |\n|" + "---|" * (4 + len(DATA)))
    lines = [head]
    t0 = time.perf_counter()
    for loss, params, opt, label in CONFIGS:
        game = make_game(loss, **params)
        linear, numeric, train_v = dirac_prediction(game, steps=args.steps, **opt)
        row = [label, linear[0], numeric[0] if numeric else "—", train_v.verdict]
        for data in DATA:
            run = train_bridge(game, data=data, **common, **opt)
            row.append(cell([v.verdict for v in run.verdicts()], train_v.verdict))
        lines.append("| " + " | ".join(row) + " |")
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    note = (f"\n\n{args.seeds} seeds per cell, {args.steps} steps, MLPs 2 × {args.width} relu, batch 64; ✓: the "
            f"majority verdict of the seeds is the Dirac train run's. ({time.perf_counter() - t0:.0f} s)\n")
    print("\n" + table + note)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(table + note)


if __name__ == "__main__":
    main()
