"""The result of an integration: :class:`Trajectories` (N runs sampled at common output times)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...games import Game
from .budget import Status

__all__ = ["Trajectories"]


@dataclass(frozen=True, eq=False)
class Trajectories:
    """Integrated trajectories of N runs, sampled at common output times.

    Attributes
    ----------
    t : (S,) output times, from 0 to t_max.
    states : (N, S, 2d) the state (θ, φ) at ``t``; NaN after a run stopped (use
        :meth:`run` for a run's valid samples, which ends with its final state).
    t_end : (N,) the time each run ended (t_max if it finished).
    state_end : (N, 2d) the state at ``t_end``.
    status : (N,) codes of :class:`Status`; ``messages`` says the same in words.
    """

    game: Game | None
    t: np.ndarray
    states: np.ndarray
    t_end: np.ndarray
    state_end: np.ndarray
    status: np.ndarray
    messages: tuple[str, ...]
    method: str
    rtol: float
    atol: float
    bound: float
    nfev: int = 0
    options: dict = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        return self.states.shape[0]

    @property
    def dim(self) -> int:
        return self.states.shape[-1] // 2

    @property
    def theta(self) -> np.ndarray:
        """(N, S, d) θ at the output times (NaN after a stop)."""
        return self.states[..., : self.dim]

    @property
    def phi(self) -> np.ndarray:
        """(N, S, d) φ at the output times (NaN after a stop)."""
        return self.states[..., self.dim:]

    @property
    def t_max(self) -> float:
        return float(self.t[-1])

    @property
    def ok(self) -> np.ndarray:
        """(N,) True for runs that reached t_max."""
        return self.status == Status.FINISHED

    def status_name(self, i: int) -> str:
        return Status.NAMES[int(self.status[i])]

    def run(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Run ``i``'s valid samples ``(t, z)``, z of shape (S_i, 2d); a stopped run ends
        with an extra sample at its stopping time."""
        keep = self.t <= self.t_end[i]
        t, z = self.t[keep], self.states[i, keep]
        if self.t_end[i] < self.t_max and (len(t) == 0 or t[-1] < self.t_end[i]):
            t = np.append(t, self.t_end[i])
            z = np.vstack([z, self.state_end[i]])
        return t, z

    def summary(self) -> str:
        """One line per kind of outcome: ``'500 runs: 498 finished, 2 diverged'``."""
        counts = {}
        for s in self.status:
            counts[Status.NAMES[int(s)]] = counts.get(Status.NAMES[int(s)], 0) + 1
        parts = ", ".join(f"{n} {k}" for k, n in counts.items())
        return f"{self.n_runs} run{'s' if self.n_runs != 1 else ''}: {parts}"

    # -- display and conversion (notebooks, pandas, xarray) ------------------------------------

    def _describe(self) -> list[tuple[str, object]]:
        game = self.game.label() if self.game is not None else "custom field"
        with np.errstate(all="ignore"):
            dist = np.linalg.norm(self.state_end, axis=1)
        end = f"{dist[0]:.4g}" if self.n_runs == 1 else f"median {np.nanmedian(dist):.4g}"
        return [("game", game), ("d", self.dim), ("runs", self.summary()),
                ("time", f"0 to {self.t_max:g}, {len(self.t)} samples"),
                ("solver", f"{self.method}, rtol {self.rtol:g}, atol {self.atol:g}"),
                ("distance to θ = φ = 0 at the end", end)]

    def __repr__(self) -> str:
        game = self.game.label() if self.game is not None else "custom field"
        return (f"<Trajectories {game}, d = {self.dim}, {self.summary()}, t ≤ {self.t_max:g}, "
                f"{len(self.t)} samples>")

    def _repr_html_(self) -> str:
        from ..display import html_table

        return html_table("Trajectories", self._describe())

    def to_dataframe(self):
        """The samples as a pandas DataFrame in long format.

        Returns
        -------
        pandas.DataFrame
            One row per (run, t): columns ``run``, ``t``, ``theta_1`` … ``theta_d``,
            ``phi_1`` … ``phi_d`` (NaN after a run stopped) and ``status``.
        """
        from ..display import array_frame

        return array_frame("t", self.t, {"theta": self.theta, "phi": self.phi},
                           {"status": [Status.NAMES[int(s)] for s in self.status]}, "Trajectories.to_dataframe()")

    def to_xarray(self):
        """The samples as an ``xarray.Dataset`` with dimensions (run, t, coordinate).

        Returns
        -------
        xarray.Dataset
            ``theta``, ``phi`` (run, t, coordinate); ``t_end``, ``status`` (run).
        """
        from ..display import array_dataset

        attrs = {"game": self.game.label() if self.game is not None else "custom field", "method": self.method,
                 "rtol": self.rtol, "atol": self.atol}
        return array_dataset("t", self.t, {"theta": self.theta, "phi": self.phi},
                             {"t_end": self.t_end, "status": [Status.NAMES[int(s)] for s in self.status]}, attrs,
                             "Trajectories.to_xarray()")
