"""Layer 3, dynamics: what the derived field does over time.

:mod:`.starts` (initial conditions: the seed's start, random batches, start files),
:mod:`.flow` (the continuous gradient flow, integrated in batches by scipy's solvers),
:mod:`.optimizers` (numpy optimizers that step exactly as torch.optim does) and
:mod:`.training` (discrete training: update schemes, n_critic, EMA).
May import: ``errors``, ``games``, ``derivation``.
"""

from .flow import METHODS, Status, Trajectories, output_times, simulate, solve_batch
from .optimizers import OPTIMIZERS, make_optimizer
from .starts import default_start, load_starts, random_starts
from .training import Scheme, TrainingRun, TrainStatus, train

__all__ = ["METHODS", "Status", "Trajectories", "output_times", "simulate", "solve_batch", "OPTIMIZERS",
           "make_optimizer", "default_start", "load_starts", "random_starts", "Scheme", "TrainingRun", "TrainStatus",
           "train"]
