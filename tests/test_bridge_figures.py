"""The bridge's figures draw from tiny runs (the catalogue renders the real ones)."""

import io

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("ot")

from diracgan.bridge.models import ModelSpec  # noqa: E402
from diracgan.bridge.training import train_bridge  # noqa: E402
from diracgan.dynamics.flow import simulate  # noqa: E402
from diracgan.games import make_game  # noqa: E402
from diracgan.viz.bridge_figures import dirac_overlay_figure, samples_over_time_figure  # noqa: E402


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    return buf.getvalue()


def test_samples_over_time_and_overlay():
    kw = dict(data="ring8", models=ModelSpec(width=8), steps=4, record_every=2, batch=8, eval_size=16)
    runs = {"vanilla": train_bridge(make_game("vanilla"), **kw), "gp0": train_bridge(make_game("gp0"), **kw)}
    fig = samples_over_time_figure(runs, columns=3)
    assert len(fig.axes) == 6 and _png(fig)[:4] == b"\x89PNG"
    lin = train_bridge(make_game("vanilla"), data="dirac", models=ModelSpec(g="linear", d="linear"), optimizer="sgd",
                       lr=0.05, mode="simultaneous", steps=20, record_every=1, batch=2, eval_size=2, metrics=False)
    ode = simulate(make_game("vanilla"), np.array([0.2, 0.1]), np.array([0.1, 0.2]), t_max=1.0, samples=21)
    fig = dirac_overlay_figure(lin, ode, lr=0.05)
    assert _png(fig)[:4] == b"\x89PNG"
    # vanilla's first simultaneous step by hand: θ' = σ(−θ·φ) φ (L_G = softplus(−θ·φ))
    th, ph = np.array([0.2, 0.1]), np.array([0.1, 0.2])
    assert np.allclose(lin.theta[0, 1], th + 0.05 * ph / (1 + np.exp(th @ ph)), rtol=0, atol=1e-15)
