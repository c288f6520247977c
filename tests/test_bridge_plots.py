"""The bridge's figures (diracgan.viz.plots.bridge): what is drawn is the run's data (samples,
medians over seeds, θ paths), panels share the data's frame and count what falls outside, and
the same run gives byte-identical files."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("ot")

from diracgan.bridge.models import ModelSpec  # noqa: E402
from diracgan.bridge.training import train_bridge  # noqa: E402
from diracgan.games import make_game  # noqa: E402
from diracgan.viz.plots.bridge import (bridge_figure, bridge_samples_figure, default_records,  # noqa: E402
                                       plot_bridge_metric, plot_bridge_samples, plot_bridge_theta)
from diracgan.viz.plots.style import new_figure, save_figure  # noqa: E402

TINY = dict(models=ModelSpec(width=8, depth=1), steps=6, record_every=2, batch=16, eval_size=32, optimizer="adam",
            lr=1e-2)


@pytest.fixture(scope="module")
def ring_run():
    return train_bridge(make_game("vanilla"), data="ring8", seeds=3, **TINY)


@pytest.fixture(scope="module")
def linear_run():
    return train_bridge(make_game("vanilla"), data="dirac", models=ModelSpec(g="linear", d="linear"), steps=8,
                        record_every=1, seeds=2, batch=4, eval_size=4, optimizer="sgd", lr=0.1, mode="simultaneous")


def _points(ax, label):
    (line,) = [ln for ln in ax.lines if ln.get_label() == label]
    return np.column_stack(line.get_data())


def test_bridge_figure_draws_the_runs_samples_and_metrics(ring_run, tmp_path):
    fig = bridge_figure(ring_run, seed=1)
    records = default_records(ring_run)
    assert records == [0, 1, 2, 3]
    sample_axes, metric_axes = fig.axes[:4], fig.axes[4:]
    assert [ax.get_ylabel() for ax in metric_axes] == ["modes covered", "high-quality fraction (< 3σ)",
                                                       "EMD (exact W₁)", "sliced W₁", "MMD (RBF, biased)"]
    for ax, r in zip(sample_axes, records):
        assert ax.get_title() == f"step {int(ring_run.steps[r])}"
        drawn = _points(ax, "generator's samples")
        pts = ring_run.samples[1, r]
        lim = ax.get_xlim()[1]
        inside = np.all(np.abs(pts) <= lim, axis=1)
        np.testing.assert_array_equal(drawn, pts[inside])
        np.testing.assert_array_equal(_points(ax, "data"), ring_run.reference)
    # The median line of the EMD panel is the median over the seeds at every record.
    (median,) = [ln for ln in metric_axes[2].lines if ln.get_label() == "median of 3 seeds"]
    np.testing.assert_allclose(median.get_ydata(), np.median(ring_run.metrics["emd"], axis=0), rtol=1e-15)
    # Byte-reproducible files (a small figure: saving is the slow part).
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    save_figure(bridge_samples_figure({"run": ring_run}, records=[-1]), a)
    save_figure(bridge_samples_figure({"run": ring_run}, records=[-1]), b)
    assert a.read_bytes() == b.read_bytes()


def test_samples_outside_the_frame_are_counted(ring_run):
    samples = ring_run.samples.copy()
    samples[0, -1, :5] = 50.0                      # five far away
    samples[0, -1, 5] = np.nan                     # one not finite
    run = dataclasses.replace(ring_run, samples=samples)
    fig = new_figure("paper", 3, 3)
    ax = plot_bridge_samples(fig.subplots(), run, -1)
    assert len(_points(ax, "generator's samples")) == samples.shape[2] - 6
    assert [t.get_text() for t in ax.texts] == [f"6 of {samples.shape[2]} samples outside the frame"]


def test_runs_side_by_side_share_one_frame(ring_run):
    other = train_bridge(make_game("gp0"), data="ring8", seeds=1, **TINY)
    fig = bridge_samples_figure({"vanilla": ring_run, "gp0": other}, records=[0, -1])
    assert len(fig.axes) == 4
    assert len({ax.get_xlim() for ax in fig.axes}) == 1
    assert [fig.axes[0].get_ylabel(), fig.axes[2].get_ylabel()] == ["vanilla", "gp0"]


def test_linear_run_theta_path_and_dirac_panels(linear_run, ring_run):
    fig = new_figure("paper", 3, 3)
    ax = plot_bridge_theta(fig.subplots(), linear_run)
    assert ax.lines[0].get_label() == "bridge runs θ (2 seeds)"
    for i in range(2):                                      # one path per seed, every record
        np.testing.assert_array_equal(np.column_stack(ax.lines[i].get_data()), linear_run.theta[i])
    fig = bridge_figure(linear_run)
    assert fig.axes[-1].get_ylabel() == "‖D's weights‖"   # dirac data: ‖D‖ beside the metrics
    np.testing.assert_array_equal(fig.axes[-1].lines[0].get_ydata(), linear_run.d_norm[0])
    with pytest.raises(ValueError, match="linear generator"):
        plot_bridge_theta(new_figure("paper", 3, 3).subplots(), ring_run)


@pytest.mark.parametrize("call, match", [
    (lambda ax, run: plot_bridge_samples(ax, run, seed=3), "seed must be an index 0..2"),
    (lambda ax, run: plot_bridge_samples(ax, run, ema=True), "no EMA"),
    (lambda ax, run: plot_bridge_metric(ax, run, "fid"), "unknown metric 'fid'; this run has: modes_covered"),
])
def test_bad_plot_arguments(ring_run, call, match):
    with pytest.raises(ValueError, match=match):
        call(new_figure("paper", 3, 3).subplots(), ring_run)
