"""Layer 5, torchgan: the independent second implementation, a real torch GAN.

:mod:`.model` (generator, linear discriminator, the losses as training scripts write them, the
torch optimizers), :mod:`.training` (training with torch.optim and torch's EMA) and
:mod:`.checks` (the cross-check suite behind ``diracgan check``, and its table).  The model and
its training must not import the derivation: their gradients come from autograd alone.
May import: ``errors``, ``games``, ``dynamics`` (``derivation`` only in :mod:`.checks`, as the
reference that the torch side is compared with).
"""

from .checks import *  # noqa: F403
from .checks import __all__ as _checks
from .model import *  # noqa: F403
from .model import __all__ as _model
from .training import train_torch

__all__ = list(_model) + ["train_torch"] + list(_checks)
