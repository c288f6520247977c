"""Layer 2, derivation: from a game's two losses to code that evaluates its dynamics.

:mod:`.symbolic` derives the field coefficients and Jacobian blocks with sympy by the chain rule
in the invariants (θ·φ, ‖θ‖², ‖φ‖²); :mod:`.numeric` lambdifies them once per game into batched
numpy functions (``vector_field``, ``velocity``, ``jacobian``).  Code generation for other
targets belongs here too.  May import: ``errors``, ``games``.
"""

from .numeric import VectorField, jacobian, vector_field, velocity
from .symbolic import Derivation, derive, explicit_field

__all__ = ["Derivation", "derive", "explicit_field", "VectorField", "vector_field", "velocity", "jacobian"]
