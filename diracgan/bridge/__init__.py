"""Layer ``bridge`` (after torchgan): MLP GANs on 2-D data in the same game language.

:mod:`.models` (G: R^k → R², D: R² → R, MLPs or the Dirac shapes, stacked over seeds),
:mod:`.losses` (every loss and regulariser of the registry on sample batches, through
torch.func), :mod:`.training` (S seeds in one vmapped computation with torch.optim),
:mod:`.verdict` (converges / cycles / diverges / collapses), :mod:`.compare` (the Dirac
prediction beside the MLP outcome), :mod:`.data` and :mod:`.metrics` (the data sets and the
sample metrics).  Nothing is imported here: torch and POT load when a submodule is used.
May import: ``errors``, ``games``, ``dynamics``, ``analysis``, ``torchgan`` (``derivation`` only
in tests and :mod:`.compare`, never for the MLP's gradients).
"""
