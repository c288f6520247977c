"""Layer 4, analysis: why a game oscillates or converges.

:mod:`.linear` (the Jacobian at the equilibrium, its exact eigenvalues and the linear verdict;
the batched 2×2 matrices M behind sweeps and maps), :mod:`.verdict` (the numeric verdict of an
integrated trajectory), :mod:`.sweeps` (eigenvalue paths along a parameter) and
:mod:`.stability` (linear stability of the discrete update map, and maps of it over grids).
May import: ``errors``, ``games``, ``derivation``, ``dynamics``.
"""

from .linear import EquilibriumAnalysis, Eigenvalue, analyse, eigenvalues_2x2, equilibrium_matrices
from .stability import DiscreteStability, StabilityMap, discrete_stability, scheme_factory, stability_map
from .sweeps import SweepResult, eigenvalue_sweep
from .verdict import THRESHOLDS, NumericVerdict, numeric_verdict

__all__ = ["EquilibriumAnalysis", "Eigenvalue", "analyse", "eigenvalues_2x2", "equilibrium_matrices",
           "DiscreteStability", "StabilityMap", "discrete_stability", "scheme_factory", "stability_map",
           "SweepResult", "eigenvalue_sweep", "THRESHOLDS", "NumericVerdict", "numeric_verdict"]
