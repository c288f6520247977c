"""Layer 1, games: every Dirac-GAN game defined once, as a pair of losses.

Holds the values (:mod:`.spec`: ``Param``, ``GameSpec``, ``Game``), the registry of named games
(:mod:`.registry`: ``GAMES``, ``make_game``) and the regularisers that add terms to any game's
losses (:mod:`.regularisers`: ``REGULARISERS``, ``compose``) and games typed by the user as two loss
expressions (:mod:`.custom`: ``custom_game``, a whitelist grammar, never ``eval``).  Pure Python, no numpy or sympy at
import time, so the CLI reads its ``--loss`` choices instantly.  May import: ``diracgan.errors``.
"""

from ..errors import InputError
from .registry import GAMES, ODE_GAMES, get_spec, make_game
from .regularisers import REGULARISERS, Regulariser, compose
from .spec import Game, GameSpec, LossFn, Param, describe_params

__all__ = ["InputError", "Param", "GameSpec", "Game", "LossFn", "describe_params", "GAMES", "ODE_GAMES",
           "get_spec", "make_game", "Regulariser", "REGULARISERS", "compose", "custom_game"]


def __getattr__(name):
    # The grammar of typed losses (ast, its whitelist) loads on first use: listing the registry's
    # names, as `diracgan games` and every option parser do, does not need it.
    if name == "custom_game":
        from .custom import custom_game

        return custom_game
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
