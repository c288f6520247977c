"""The teaching surface: figures that read well (legends off the data, titles on the figure,
automatic scales, start/end/direction marks, styles), results that feel native in Python and
Jupyter (reprs, inline figures, tables, torch's spellings, clear errors), and the CLI's
behaviour without torch, with --quiet and its defaults."""

import re

import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.backends.backend_agg import FigureCanvasAgg

import diracgan as dg
from diracgan.cli import cli
from diracgan.viz import plotting

START = ([0.2, 0.1], [0.1, 0.2])


def run_cli(args):
    return CliRunner().invoke(cli, [str(a) for a in args], prog_name="diracgan")


@pytest.fixture(scope="module")
def gp0_run():
    return dg.simulate(dg.make_game("gp0"), *START, t_max=40, samples=401)


@pytest.fixture(scope="module")
def gp0_figure(gp0_run):
    """The paper-style phase figure of gp0_run, drawn once for the tests that only read it."""
    return dg.phase_figure(gp0_run)


def _extents(fig):
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    return renderer, [ax.get_window_extent(renderer) for ax in fig.axes]


def test_phase_figure_legend_sits_outside_every_panel_and_titles_fit(gp0_run):
    fig = dg.phase_figure(gp0_run, title="x" * 60 + ": " + "y" * 60)
    renderer, boxes = _extents(fig)
    assert not any(ax.get_legend() for ax in fig.axes) and len(fig.legends) == 1
    legend = fig.legends[0].get_window_extent(renderer)
    assert not any(legend.overlaps(b) for b in boxes)
    inside = fig.bbox
    for text in [fig._suptitle] + [ax.title for ax in fig.axes]:
        bb = text.get_window_extent(renderer)
        assert inside.x0 <= bb.x0 and bb.x1 <= inside.x1, text.get_text()


def test_distance_panel_is_the_distance_on_an_automatic_scale(gp0_run):
    ax_log = dg.plot_distance(plotting.DiracFigure().subplots(), gp0_run)
    assert ax_log.get_yscale() == "log"     # gp0 falls over two decades
    labels = [line.get_label() for line in ax_log.get_lines()]
    assert labels[0] == "‖(θ, φ)‖" and {"‖θ‖", "‖φ‖"} <= set(labels)
    z = gp0_run.run(0)[1]
    np.testing.assert_allclose(ax_log.get_lines()[0].get_ydata(), np.linalg.norm(z, axis=1))
    orbit = dg.simulate(dg.make_game("vanilla"), [0.2], [0.1], t_max=30, samples=301)
    ax_lin = dg.plot_distance(plotting.DiracFigure().subplots(), orbit)
    assert ax_lin.get_yscale() == "linear"  # a narrow range: no log spikes
    assert [line.get_label() for line in ax_lin.get_lines()] == ["‖(θ, φ)‖"]   # d = 1: no components


def test_trajectories_show_start_end_and_direction(gp0_run):
    ax = dg.plot_theta_plane(plotting.DiracFigure().subplots(), gp0_run)
    labels = [line.get_label() for line in ax.get_lines()]
    assert "start" in labels and "end (t = 40)" in labels
    arrows = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None]
    assert len(arrows) == 3
    z = gp0_run.run(0)[1]
    (x0, y0), (x1, y1) = arrows[0].xyann, arrows[0].xy   # tail → head follows the motion
    i0 = np.argmin(np.hypot(z[:, 0] - x0, z[:, 1] - y0))
    i1 = np.argmin(np.hypot(z[:, 0] - x1, z[:, 1] - y1))
    assert i1 > i0


def test_many_runs_show_where_they_end():
    th, ph = dg.random_starts(30, 2, seed=0)
    many = dg.simulate(dg.make_game("gp1"), th, ph, t_max=20, samples=201)
    ax = dg.plot_theta_plane(plotting.DiracFigure().subplots(), many)
    ends = [line for line in ax.get_lines() if line.get_label().startswith("where the 30 runs end")]
    assert len(ends) == 1 and len(ends[0].get_xdata()) == 30
    r = np.hypot(ends[0].get_xdata(), ends[0].get_ydata())
    assert np.median(r) > 0.8    # gp1's runs end near the circle ‖θ‖ = 1


def test_per_run_ema_decays_plot_and_label_each_decay():
    fit = dg.train(dg.make_game("vanilla"), np.vstack([START[0]] * 2), np.vstack([START[1]] * 2), lr=0.05,
                   steps=400, ema=np.array([[0.9], [0.99]]))
    fig = dg.training_figure(fit)
    labels = {t.get_text() for t in fig.legends[0].get_texts()}
    assert {"EMA (decay 0.9)", "EMA (decay 0.99)"} <= labels


def test_talk_style_is_bigger_and_svg_keeps_text(gp0_run, gp0_figure, tmp_path):
    paper, talk = gp0_figure, dg.phase_figure(gp0_run, style="talk")
    assert talk.get_figwidth() > paper.get_figwidth()
    assert talk._suptitle.get_fontsize() > paper._suptitle.get_fontsize()
    assert max(line.get_linewidth() for line in talk.axes[0].get_lines()) > \
        max(line.get_linewidth() for line in paper.axes[0].get_lines())
    svg = dg.save_figure(paper, tmp_path / "p.svg").read_text()
    assert "<text" in svg and "generator θ-plane" in svg
    with pytest.raises(ValueError, match="style"):
        dg.phase_figure(gp0_run, style="poster")


def test_labels_name_parameters_not_cli_flags():
    sweep = dg.eigenvalue_sweep(dg.make_game("gp0"), "lam", np.linspace(0, 1, 5))
    smap = dg.stability_map(dg.make_game("gp0"), dg.scheme_factory("sgd", mode="simultaneous"),
                            {"lr": np.linspace(0.1, 1, 4), "lam": np.linspace(0, 1, 3)})
    for fig in (dg.sweep_figure(sweep), dg.stability_figure(smap)):
        texts = [t.get_text() for ax in fig.axes for t in (ax.xaxis.label, ax.yaxis.label, ax.title)]
        assert texts and not any("--" in t or "seed" in t for t in texts), texts


def test_figures_display_inline_without_pyplot(gp0_figure):
    png = gp0_figure._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000


def test_results_have_short_reprs_and_html_tables(gp0_run):
    fit = dg.train(dg.make_game("gp0"), *START, steps=50, ema=0.9)
    eq = dg.analyse(dg.make_game("gp0"), 2)
    for obj, name in ((gp0_run, "Trajectories"), (fit, "TrainingRun"), (eq, "EquilibriumAnalysis")):
        text = repr(obj)
        assert text.startswith(f"<{name} ") and "\n" not in text and len(text) < 200
        assert obj._repr_html_().startswith("<table>") and name in obj._repr_html_()
    assert "-0.1 + 0.994987i" in repr(eq)


def test_tables_with_named_dimensions(gp0_run):
    pd = pytest.importorskip("pandas")
    df = gp0_run.to_dataframe()
    assert isinstance(df, pd.DataFrame) and list(df.columns) == ["run", "t", "theta_1", "theta_2", "phi_1", "phi_2",
                                                                "status"]
    assert len(df) == 401 and df["theta_1"].iloc[0] == 0.2
    fit = dg.train(dg.make_game("gp0"), *START, steps=20, ema=0.9)
    assert "ema_phi_2" in fit.to_dataframe().columns and len(fit.to_dataframe()) == 21


def test_xarray_or_a_clear_import_error(gp0_run, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_xarray(name, *args, **kw):
        if name == "xarray":
            raise ImportError("no xarray here")
        return real(name, *args, **kw)

    monkeypatch.setattr(builtins, "__import__", no_xarray)
    with pytest.raises(ImportError, match=r"to_xarray\(\) needs xarray.*pip install xarray"):
        gp0_run.to_xarray()
    monkeypatch.undo()
    xr = pytest.importorskip("xarray")
    ds = gp0_run.to_xarray()
    assert isinstance(ds, xr.Dataset) and ds["theta"].dims == ("run", "t", "coordinate")


def test_train_takes_torch_spelling_and_names_typos():
    game = dg.make_game("gp1")
    fit = dg.train(game, *START, optimizer="adam", lr=1e-3, betas=(0.5, 0.9), steps=5)
    assert (fit.scheme.opt_g.beta1, fit.scheme.opt_g.beta2) == (0.5, 0.9)
    with pytest.raises(TypeError, match="'step'.*did you mean 'steps'"):
        dg.train(game, *START, step=5)
    with pytest.raises(TypeError, match="not both"):
        dg.train(game, *START, optimizer="adam", betas=(0.5, 0.9), beta1=0.5)


def test_api_errors_name_arguments_and_cli_errors_name_options():
    with pytest.raises(dg.InputError, match=re.escape("λ (lam) of gp0 must be finite")):
        dg.make_game("gp0", lam=-1)
    with pytest.raises(dg.InputError, match=re.escape("make_game('gp', c=...)")):
        dg.make_game("gp0", c=1)
    r = run_cli(["simulate", "--loss", "gp0", "--lam", "-1"])
    assert r.exit_code == 2 and "λ (--lam) of gp0" in r.stderr
    r = run_cli(["simulate", "--loss", "gp0", "--c", "1"])
    assert "use --loss gp --c ..." in r.stderr


def test_without_torch_check_and_torch_training_say_how_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    for args in (["check", "--quick"], ["train", "--backend", "torch", "--steps", "3"]):
        r = run_cli(args)
        assert r.exit_code == 2, r.output
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and 'pip install "diracgan[torch]"' in lines[0]


def test_train_prints_on_stdout_and_quiet_silences_it(tmp_path):
    r = run_cli(["train", "--loss", "gp0", "--steps", "20"])
    assert r.exit_code == 0 and "distance to the equilibrium" in r.stdout
    r = run_cli(["train", "--loss", "gp0", "--steps", "20", "--quiet", "--out", tmp_path / "q.csv"])
    assert r.exit_code == 0 and r.stdout == "" and r.stderr == "" and (tmp_path / "q.csv").exists()


def test_stability_uses_the_same_default_dimension_as_the_other_commands():
    r = run_cli(["stability", "--loss", "gp0", "--lr", "0.1"])
    assert r.exit_code == 0 and "I_2" in r.stdout


def test_reference_flow_of_long_training_runs_is_sampled_densely():
    from diracgan.cli.training import flow_samples as _flow_samples

    assert _flow_samples(3000.0, 60_000) >= 20 * 3000       # > 200 samples per turn (period 4π)
    assert _flow_samples(10.0, 100) == 2001
    assert _flow_samples(1e9, 10**9) == 200_001             # bounded memory


def test_version_has_one_source():
    from pathlib import Path

    root = Path(__file__).parents[1]
    assert 'dynamic = ["version"]' in (root / "pyproject.toml").read_text()
    assert re.search(r"^version: (.+)$", (root / "CITATION.cff").read_text(), re.M).group(1) == dg.__version__
    assert "MIT License" in (root / "LICENSE").read_text()


@pytest.mark.parametrize("name", ["make_game", "simulate", "train", "analyse", "numeric_verdict", "eigenvalue_sweep",
                                  "phase_figure"])
def test_public_api_has_numpydoc_with_examples_that_run(name):
    import doctest

    fn = getattr(dg, name)
    doc = fn.__doc__
    assert "Parameters\n    ----------" in doc and "Returns\n    -------" in doc and "Examples\n    --------" in doc
    tests = doctest.DocTestFinder().find(fn, name, globs={})
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for t in tests:
        runner.run(t)
    assert runner.failures == 0 and runner.tries >= 1
