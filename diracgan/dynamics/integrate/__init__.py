"""The batch integrator behind :func:`diracgan.dynamics.flow.simulate`, one concept per module.

=================  ===========================================================================
``stepper``        scipy's solver classes, the per-run error norm, the solver of one group
                   of runs on its stacked state (column-wise for the explicit methods)
``sampling``       the output times, dense output, and the samples written after each step
``switching``      switching surfaces of a non-smooth field: events, landing, Filippov sliding
``budget``         run statuses, the size and step budgets, stopping and reporting runs
``results``        :class:`Trajectories`, the result of an integration
``engine``         :class:`Engine` (the four mixins above tied together) and :func:`solve_batch`
=================  ===========================================================================

Users import from :mod:`diracgan.dynamics.flow` (or :mod:`diracgan`); the names here are the
same objects.
"""

from .budget import MAX_OUTPUT_BYTES, Status, check_simulation_size
from .engine import Engine, solve_batch
from .results import Trajectories
from .sampling import n_output_times, output_times
from .stepper import (DEFAULT_ATOL, DEFAULT_BOUND, DEFAULT_METHOD, DEFAULT_RTOL, GROUP_SIZE, METHODS,
                      PER_RUN_MARGIN)
from .switching import Piecewise

__all__ = ["METHODS", "DEFAULT_METHOD", "DEFAULT_RTOL", "DEFAULT_ATOL", "DEFAULT_BOUND", "GROUP_SIZE",
           "PER_RUN_MARGIN", "MAX_OUTPUT_BYTES", "Status", "Trajectories", "Engine", "Piecewise", "solve_batch",
           "output_times", "n_output_times", "check_simulation_size"]
