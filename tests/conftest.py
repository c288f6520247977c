import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from diracgan.games import GAMES  # noqa: E402


def random_params(spec, rng):
    """Random valid parameter values for a game (away from the excluded boundaries)."""
    return {p.name: float(rng.uniform(0.05, 2.0)) for p in spec.params}


def random_states(rng, n, dim, scale=1.0):
    return rng.normal(scale=scale, size=(n, dim)), rng.normal(scale=scale, size=(n, dim))


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


ALL_GAMES = list(GAMES)
ODE_GAMES = [n for n, s in GAMES.items() if not s.discrete_only]


def assert_usage_error(result, fragment, folder):
    """A CLI usage error: exit code 2, exactly one line ``Error: …`` containing ``fragment`` on
    stderr, and nothing written into ``folder``."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and fragment in lines[0], result.stderr
    assert list(folder.iterdir()) == []
