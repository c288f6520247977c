"""The bridge's headline: the Dirac-GAN's prediction beside the MLP GAN's outcome.

For one game and optimizer configuration, :func:`compare` puts side by side

* the Dirac prediction: ``eig``'s linear verdict at the equilibrium
  (:func:`diracgan.analysis.linear.analyse`), its numeric verdict of the gradient flow from the
  seed's start (:func:`diracgan.analysis.verdict.numeric_verdict`; none for discrete-only games),
  and a numpy ``train`` run of the same optimizer and scheme from that start
  (:func:`diracgan.dynamics.training.train`), each in the bridge's words
  (:mod:`diracgan.bridge.verdict`);
* the MLP outcome over S seeds (:func:`diracgan.bridge.training.train_bridge`, batched): the
  fraction of seeds per verdict, and the median and spread (25th–75th percentile over the seeds)
  of every metric at the last record.

The train run is the prediction the MLP is scored against (``agreement``: the fraction of seeds
whose verdict is the train run's), since it has the same optimizer, learning rates and steps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..dynamics.starts import SEED_PHI, SEED_THETA
from ..errors import InputError
from ..games import Game
from .verdict import LINEAR_TO_VERDICT, VERDICTS, BridgeVerdict, dirac_train_verdict

__all__ = ["Comparison", "compare", "dirac_prediction", "NUMERIC_TO_VERDICT", "TRAIN_KEYS"]

NUMERIC_TO_VERDICT = {"converges": "converges", "oscillates": "cycles", "diverges": "diverges", "stalls": "stalls",
                      "undetermined": "undetermined"}

TRAIN_KEYS = ("optimizer", "lr", "lr_d", "lr_g", "mode", "order", "n_critic", "n_gen", "steps", "ema", "record_every",
              "momentum", "nesterov", "dampening", "weight_decay", "beta1", "beta2", "betas", "eps", "amsgrad", "alpha",
              "centered")
"""The arguments of :func:`compare` that the Dirac-GAN's train run shares with the MLP run."""


@dataclass(frozen=True, eq=False)
class Comparison:
    """See the module doc.  ``linear`` / ``numeric`` / ``train``: (verdict, text) of the Dirac
    side; ``fractions`` verdict → fraction of seeds; ``metrics`` name → (median, q25, q75) at the
    last record; ``run`` the MLP :class:`~diracgan.bridge.training.BridgeRun`."""

    game: Game
    linear: tuple[str, str]
    numeric: tuple[str, str] | None
    train: BridgeVerdict
    run: object
    verdicts: tuple[BridgeVerdict, ...]
    fractions: dict
    metrics: dict
    config: dict = field(default_factory=dict)

    @property
    def agreement(self) -> float:
        """Fraction of the seeds whose verdict is the Dirac train run's."""
        return self.fractions.get(self.train.verdict, 0.0)

    def as_dict(self) -> dict:
        return {
            "game": self.game.label(),
            "dirac": {"linear": {"verdict": self.linear[0], "text": self.linear[1]},
                      "numeric": None if self.numeric is None else {"verdict": self.numeric[0], "text": self.numeric[1]},
                      "train": self.train.as_dict()},
            "mlp": {"seeds": list(self.run.seeds), "fractions": self.fractions,
                    "metrics": {k: dict(zip(("median", "q25", "q75"), v)) for k, v in self.metrics.items()},
                    "verdicts": [v.as_dict() for v in self.verdicts]},
            "agreement": self.agreement,
            "config": self.config,
        }

    def table(self) -> str:
        """The comparison as plain text lines."""
        lines = [f"Dirac-GAN ({self.game.label()}):",
                 f"  eig, linear:   {self.linear[0]:12s} {self.linear[1]}"]
        if self.numeric is not None:
            lines.append(f"  eig, numeric:  {self.numeric[0]:12s} {self.numeric[1]}")
        lines.append(f"  train:         {self.train.verdict:12s} {self.train.message}")
        run = self.run
        lines.append(f"MLP GAN on {run.dataset.name} ({run.models.describe()}), {run.n_seeds} seeds:")
        lines.append("  verdicts:      " + ", ".join(f"{k} {100 * v:.0f}%" for k, v in self.fractions.items() if v))
        for k, (med, lo, hi) in self.metrics.items():
            lines.append(f"  {k + ':':14s} median {med:.4g} (25–75%: {lo:.4g} – {hi:.4g}) at step {int(run.steps[-1])}")
        lines.append(f"agreement with the Dirac train run: {100 * self.agreement:.0f}% of the seeds {self.train.verdict}")
        return "\n".join(lines)


def dirac_prediction(game: Game, *, numeric: bool = True, **train_kwargs):
    """(linear, numeric, train) verdicts of the Dirac-GAN for ``game`` from the seed's start."""
    from ..analysis.linear import analyse
    from ..dynamics.training import train

    try:
        lin = analyse(game, dim=2)
        linear = (LINEAR_TO_VERDICT.get(lin.verdict, lin.verdict), lin.verdict_text())
    except InputError as exc:
        lin, linear = None, ("undetermined", str(exc))
    num = None
    if numeric and not game.spec.discrete_only:
        from ..analysis.verdict import numeric_verdict

        try:
            nv = numeric_verdict(game, SEED_THETA, SEED_PHI, linear=lin)
            num = (NUMERIC_TO_VERDICT.get(nv.verdict, nv.verdict), nv.message)
        except InputError as exc:
            num = ("undetermined", str(exc))
    run = train(game, SEED_THETA, SEED_PHI, **train_kwargs)
    return linear, num, dirac_train_verdict(run)


def compare(game: Game, *, seeds: int = 8, numeric: bool = True, **kwargs) -> Comparison:
    """The Dirac prediction and the MLP outcome over ``seeds`` seeds (see module doc); ``kwargs``
    are :func:`~diracgan.bridge.training.train_bridge`'s (those of :data:`TRAIN_KEYS` also go
    to the Dirac-GAN's train run)."""
    from .training import train_bridge

    run = train_bridge(game, seeds=seeds, **kwargs)
    shared = {k: v for k, v in kwargs.items() if k in TRAIN_KEYS and v is not None}
    linear, num, train_v = dirac_prediction(game, numeric=numeric, **shared)
    verdicts = tuple(run.verdicts())
    fractions = {v: sum(x.verdict == v for x in verdicts) / len(verdicts) for v in VERDICTS}
    metrics = {}
    for key, values in run.metrics.items():
        last = np.array([values[i, run.valid(i)][-1] for i in range(run.n_seeds)])
        last = last[np.isfinite(last)]
        if len(last):
            metrics[key] = tuple(float(x) for x in np.percentile(last, [50, 25, 75]))
    return Comparison(game, linear, num, train_v, run, verdicts, fractions, metrics, dict(run.config))
