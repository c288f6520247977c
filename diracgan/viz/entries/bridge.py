"""Catalogue entries of the bridge (``diracgan bridge``): MLP GANs on ring8 over time, and the
bridge with the Dirac shapes over the Dirac game's gradient flow.  Both train torch on one CPU
thread with deterministic algorithms (:func:`diracgan.viz.bridge_figures.deterministic_torch`),
so the bytes are reproducible on the CPU.
"""

from __future__ import annotations

from .. import bridge_figures
from .entry import Entry

__all__ = ["ENTRIES"]

ENTRIES = (
    Entry("bridge-ring8", "bridge-ring8.png",
          "ring8, MLP GANs 2 × 64 relu, Adam (lr 3e-3, β = (0.5, 0.9)), batch 64, seed 0, 500 steps: G's samples "
          "over the data at five steps for vanilla, gp0 (λ = 1) and vanilla + consensus (γ = 1); each row names its "
          "verdict.",
          "diracgan figures --only bridge-ring8", draw=bridge_figures.ring8_over_time, cost=6.0,
          needs=("torch", "ot")),
    Entry("bridge-dirac-overlay", "bridge-dirac-overlay.png",
          "The bridge with the Dirac shapes (G(z) = θ, D(x) = φ·x, data dirac), vanilla, simultaneous SGD with lr "
          "0.05, over the Dirac game's gradient flow from the same start: the steps follow the orbit and drift "
          "outwards (the discrete map's spectral radius is above 1).",
          "diracgan figures --only bridge-dirac-overlay", draw=bridge_figures.dirac_overlay, cost=3.0,
          needs=("torch",)),
)
