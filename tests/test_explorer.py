"""The browser explorer (``diracgan explore``), tested in a real headless Chromium via Playwright.

The page's numbers are checked against the Python library, which is the independent side here:
its field is the lambdified numpy code (:func:`diracgan.derivation.numeric.velocity`), its
trajectories scipy's DOP853 (:func:`diracgan.dynamics.flow.simulate`), its training the numpy
loop (:func:`diracgan.dynamics.training.train`), its eigenvalues :func:`diracgan.analysis.linear.analyse`.
The page's JavaScript is generated from the same sympy derivation, by a different printer, and
runs a different integrator (Dormand–Prince 5(4)).

The browser is Debian's ``chromium`` (``/usr/bin/chromium``), never a downloaded one; one
browser serves the whole session.  Without it the browser tests skip with the install line, except
in CI (``CI`` set, as ``.ci/run`` runs), where they fail: CI installs it and must run them.  ``DIRACGAN_SCREENSHOT=docs/explorer.png`` makes the screenshot test write the
README's picture there.
"""

from __future__ import annotations

import json
import math
import os
import threading
import urllib.request
import zlib
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

from diracgan.analysis.linear import analyse
from diracgan.cli import cli
from diracgan.derivation.numeric import velocity
from diracgan.dynamics.flow import simulate
from diracgan.dynamics.training import TrainStatus, train
from diracgan.errors import InputError
from diracgan.games import GAMES, REGULARISERS, GameSpec, Param, compose

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

def _variants(game):
    """The game and, for a game that is C¹ at the equilibrium (no singular set), every composition
    with a regulariser that compose() accepts (as the page does)."""
    out = [game]
    for r in (REGULARISERS if not game.singular else ()):
        try:
            out.append(compose(game, r))
        except InputError:
            pass
    return out


#: Every game of the registry and every game composed with every regulariser (names only: no
#: derivation at collection time).  Games added to the registry later are picked up here.
ENTRIES = [s.name for g in GAMES.values() for s in _variants(g)]
ODE_ENTRIES = [s.name for g in GAMES.values() if not g.discrete_only for s in _variants(g)]


def spec_of(name: str) -> GameSpec:
    base, *regs = name.split("+")
    return compose(GAMES[base], *regs) if regs else GAMES[base]


def _hinge(s):
    # A hinge discriminator (max(0, 1 − D(real)) + max(0, 1 + D(fake)), D(real) = 0): the custom
    # game exercises Max in the losses and Heaviside in the derived field.
    return 1 + sp.Max(0, 1 + s.dot), -s.dot


HINGE = GameSpec("hinge-test", "hinge test game", _hinge, reference="a test")


def _bessel_game(s):
    return sp.besselj(0, s.dot), -s.dot      # its field has besselj(1, θ·φ): no JavaScript for it


BESSEL = GameSpec("bessel-test", "a loss JavaScript cannot print", _bessel_game)


# ---------------------------------------------------------------------------------------
# Session fixtures: the page (built once) and one browser
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def page_file(tmp_path_factory):
    """The page of every registered game (each also with every regulariser) and the custom hinge
    game, built once per test session: under xdist the workers share it (a file lock)."""
    import fcntl

    from diracgan.viz.explorer import build_page

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent                    # the session's folder, shared by its workers
    path = base / "explorer-test-page.html"
    with open(base / "explorer-test-page.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_text(build_page(list(GAMES.values()) + [HINGE]), encoding="utf-8")
            tmp.replace(path)
    return path


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium (Debian's; no browser is downloaded)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run the browser tests")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Watched:
    """A page with its console errors, page errors and every request it made."""

    def __init__(self, page, url):
        self.page, self.url = page, url
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console.{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        page.on("request", lambda r: self.requests.append(r.url))

    def open(self, hash_: str = ""):
        self.page.goto(self.url + hash_)
        self.page.wait_for_function("() => window.diracgan && window.diracgan.ready === true")
        return self

    def js(self, expr, arg=None):
        return self.page.evaluate(expr, arg)

    def drawn(self):
        return self.js("JSON.parse(JSON.stringify(window.diracgan.drawn))")

    def assert_clean(self):
        assert self.errors == [], self.errors
        others = [u for u in self.requests if u.split("#")[0] != self.url]
        assert others == [], f"the page made network requests: {others}"


@pytest.fixture(scope="session")
def api_page(browser, page_file):
    """One loaded page for the numeric API tests (read-only use)."""
    w = Watched(browser.new_page(), page_file.as_uri()).open()
    yield w
    w.assert_clean()
    w.page.close()


@pytest.fixture
def ui(browser, page_file):
    """A fresh page for an interaction test; it must end without errors or requests."""
    w = Watched(browser.new_page(viewport={"width": 1600, "height": 1000}), page_file.as_uri())
    yield w
    w.assert_clean()
    w.page.close()


def param_sets(spec: GameSpec, rng) -> list[dict]:
    """Defaults, exact boundary values (λ = 0, c = 0 where allowed) and random values."""
    sets = [{}]
    for p in spec.params:
        if not p.lower_open and math.isfinite(p.lower):
            sets.append({p.name: p.lower})
        elif p.lower == -math.inf:
            sets.append({p.name: 0.0})           # e.g. LSGAN's degenerate label 0
    for _ in range(3):
        sets.append({p.name: float(rng.uniform(-3.0 if p.lower == -math.inf else max(p.lower, 0) + 0.01, 3.0))
                     for p in spec.params})
    return sets


# ---------------------------------------------------------------------------------------
# The page itself, and the Python side
# ---------------------------------------------------------------------------------------


def test_page_is_one_small_self_contained_file(page_file):
    html = page_file.read_text(encoding="utf-8")
    size = len(html.encode("utf-8"))
    assert size < 500_000, size
    lowered = html.lower()
    for needle in ("<link", " src=", "@import", "http://", "https://", "fetch(", "xmlhttprequest", "import("):
        assert needle not in lowered, needle
    assert "default-src 'none'" in html          # a CSP that forbids any request
    assert html.count("<script>") == 1


def test_every_registered_game_and_regulariser_is_on_the_page(api_page):
    names = api_page.js("window.diracgan.games")
    assert set(ENTRIES) | {"hinge-test"} <= set(names)
    metas = {m["name"]: m for m in api_page.js("window.diracgan.entries()")}
    for name in ENTRIES:
        spec = spec_of(name)
        assert [p["name"] for p in metas[name]["params"]] == list(spec.param_names)
        assert [p["default"] for p in metas[name]["params"]] == [p.default for p in spec.params]
        assert metas[name]["discreteOnly"] == spec.discrete_only


def test_generated_field_comes_from_sympy_not_from_the_template():
    from importlib import resources

    js = resources.files("diracgan.viz.explorer").joinpath("explorer.js").read_text()
    for name in GAMES:
        assert f'"{name}"' not in js and f"'{name}'" not in js, f"the page script names the game {name}"
    for fn in ("sigmoid(", "softplus("):
        assert js.count(fn) == 0, fn          # only the generated code and the DG helpers call them


def test_explore_object_saves_and_shows_inline(tmp_path):
    from diracgan import explore

    page = explore(["gp0", HINGE])
    html = page._repr_html_()
    assert html.startswith("<iframe") and "srcdoc=" in html and "&lt;script&gt;" in html
    assert "<script>" not in html            # the page is escaped inside the attribute
    out = page.save(tmp_path / "e.html")
    assert out.read_text(encoding="utf-8") == page.html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.html"]
    with pytest.raises(InputError, match="unknown extension"):
        page.save(tmp_path / "e.txt")
    with pytest.raises(InputError, match="unknown loss 'nope'"):
        explore(["nope"])


def test_a_function_javascript_cannot_print_is_a_clear_error():
    from diracgan.derivation.javascript import field_js

    with pytest.raises(InputError, match="bessel-test.*besselj"):
        field_js(BESSEL)


# ---------------------------------------------------------------------------------------
# Numbers: the page against the library
# ---------------------------------------------------------------------------------------

# Arrays go in and out as JSON text: exact for doubles, and much faster than Playwright's
# value-by-value serialisation of nested lists.
FIELD_JS = """([game, data]) => JSON.stringify(JSON.parse(data).map(([params, T, P]) =>
  T.map((t, i) => { const v = window.diracgan.field(game, params, t, P[i]); return v[0].concat(v[1]); })))"""


@pytest.mark.parametrize("name", ODE_ENTRIES + ["hinge-test"])
def test_field_equals_python_field(api_page, name):
    spec = HINGE if name == "hinge-test" else spec_of(name)
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    jobs = []
    for params in param_sets(spec, rng):
        for dim in (1, 2, 3):
            n = {1: 200, 2: 1000, 3: 200}[dim]
            scale = np.exp(rng.uniform(-3, 2, size=(n, 1)))
            jobs.append((params, rng.normal(size=(n, dim)) * scale, rng.normal(size=(n, dim)) * scale))
    # one page call for all parameter sets and dimensions (a round trip costs more than the field)
    text = api_page.js(FIELD_JS, [name, json.dumps([[params, th.tolist(), ph.tolist()] for params, th, ph in jobs])])
    results = json.loads(text.replace("null", "NaN"))
    assert len(results) == len(jobs)
    worst = 0.0
    for (params, theta, phi), got in zip(jobs, results):
        got = np.array(got, dtype=float)
        want = np.hstack(velocity(spec.bind(**params), theta, phi))
        assert np.array_equal(np.isfinite(got), np.isfinite(want))
        ok = np.isfinite(want).all(axis=1)
        err = np.max(np.abs(got[ok] - want[ok]), axis=1) / np.maximum(np.max(np.abs(want[ok]), axis=1), 1e-300)
        worst = max(worst, float(err.max(initial=0.0)))
    # wgan + consensus: ‖v‖² of the normalised critic has terms ~‖θ‖²/‖φ‖⁵ that cancel, so two
    # evaluation orders (numpy's and JavaScript's common subexpressions) differ by ~1e-9 relative
    # at states with ‖φ‖ ≪ ‖θ‖; every other game agrees to rounding.
    tol = 1e-8 if name == "wgan+consensus" else 1e-12
    assert worst <= tol, f"{name}: max relative error {worst:.3g}"


SIM_JS = """([game, params, th, ph, T]) => { const r = window.diracgan.simulate(game, params, th, ph, T);
  return {status: r.status, tEnd: r.tEnd, end: r.thetaEnd.concat(r.phiEnd), n: r.t.length, t1: r.t[1],
          mid: r.theta[500].concat(r.phi[500]), steps: r.steps}; }"""


@pytest.mark.parametrize("name", ODE_ENTRIES + ["hinge-test"])
def test_trajectory_end_point_equals_simulate(api_page, name):
    spec = HINGE if name == "hinge-test" else spec_of(name)
    theta0, phi0 = [0.2, 0.1], [0.1, 0.2]
    params = {p.name: p.default for p in spec.params}
    # The seed's start, t_max = 20, cut short for a game with a singular set before the run comes
    # within 0.02 of θ = 0 or φ = 0: a damped wgan slides into φ = 0 in finite time, where the
    # flow is not Lipschitz (not unique) and two integrators need not agree.
    t_max = 20.0
    game = spec.bind(**params)
    if spec.singular:
        probe = simulate(game, theta0, phi0, t_max=t_max, rtol=1e-6, atol=1e-9, max_steps=300)
        th, ph = probe.theta[0], probe.phi[0]
        near = ~(np.minimum(np.linalg.norm(th, axis=1), np.linalg.norm(ph, axis=1)) >= 0.02)
        if near.any():
            t_max = float(0.9 * probe.t[np.argmax(near)])
    run = simulate(game, theta0, phi0, t_max=t_max)
    assert run.ok[0] and t_max > 0.5, (t_max, run.messages)
    got = api_page.js(SIM_JS, [name, params, theta0, phi0, t_max])
    assert got["status"] == "finished", got
    assert got["n"] == 1001 and got["t1"] == pytest.approx(t_max / 1000, rel=1e-15)
    scale = max(1.0, float(np.abs(run.state_end[0]).max()))
    assert np.max(np.abs(np.array(got["end"]) - run.state_end[0])) <= 1e-6 * scale
    # the dense output at t = T/2 as well
    assert np.max(np.abs(np.array(got["mid"]) - run.states[0, 500])) <= 1e-6 * scale


def test_trajectory_long_vanilla_d1_and_singular_start(api_page):
    got = api_page.js(SIM_JS, ["vanilla", {}, [1.0], [-1.0], 100.0])
    run = simulate(GAMES["vanilla"].bind(), [1.0], [-1.0], t_max=100)
    assert np.max(np.abs(np.array(got["end"]) - run.state_end[0])) <= 1e-6
    # wgan's field is not finite at φ = 0: the run stops as singular, as the Python one does
    r = api_page.js("window.diracgan.simulate('wgan', {}, [0.2, 0.1], [0, 0], 5)")
    assert r["status"] == "singular" and r["tEnd"] == 0
    assert simulate(GAMES["wgan"].bind(), [0.2, 0.1], [0.0, 0.0], t_max=5).status_name(0) == "singular"


EIG_JS = "([game, params, d]) => window.diracgan.eigenvalues(game, params, d)"


@pytest.mark.parametrize("name", ODE_ENTRIES)
def test_eigenvalues_and_verdict_equal_analyse(api_page, name):
    spec = spec_of(name)
    rng = np.random.default_rng(7)
    # sympy's analyse takes ~0.2 s per call.  Registered games: defaults in d = 1 and 2, each exact
    # boundary value (λ = 0, c = 0), a random set, and λ = 1 (gp0's double eigenvalue −1).
    # Games with a regulariser: defaults, and every parameter at its lower bound.
    if "+" in name:
        sets = [({}, 2), ({p.name: (p.lower if math.isfinite(p.lower) else 0.0) for p in spec.params if not p.lower_open}, 2)]
    else:
        sets = [(p, 2) for p in param_sets(spec, rng)[:2 + len(spec.params)]]
        sets += [({}, 1), ({p.name: 1.0 for p in spec.params if p.name == "lam"}, 2)]
    for params, dim in sets:
        if True:
            want = analyse(spec.bind(**params), dim=dim)
            got = api_page.js(EIG_JS, [name, params, dim])
            assert got["verdict"] == want.verdict, (name, params, got, want.verdict_text())
            if want.differentiable:
                g = sorted((e["re"], e["im"], e["mult"]) for e in got["eigenvalues"])
                w = sorted((e.re, e.im, e.multiplicity) for e in want.eigenvalues)
                assert len(g) == len(w), (g, w)
                for (gr, gi, gm), (wr, wi, wm) in zip(g, w):
                    assert gm == wm and abs(gr - wr) <= 1e-12 * (1 + abs(wr)) and abs(gi - wi) <= 1e-12 * (1 + abs(wi))
                if want.verdict == "asymptotically stable":
                    assert f"{want.max_re:.6g}" in got["text"]
            else:
                # the same statement: not differentiable, singular on the same sets
                text = want.differentiability_text()
                assert got["text"].startswith("no linear verdict: the field is not differentiable at the equilibrium")
                for where in ("θ = 0", "φ = 0"):
                    assert (where in got["text"]) == (where in text), (where, got["text"], text)
                if want.m_limit is not None:
                    assert "M₀" in got["text"]


TRAIN_JS = "([game, params, th, ph, o]) => window.diracgan.train(game, params, th, ph, o)"


@pytest.mark.parametrize("name, params, mode, momentum, n_critic, ema", [
    ("vanilla", {}, "simultaneous", 0.0, 1, 0.99),
    ("gp0", {"lam": 0.3}, "alternating", 0.9, 1, 0.999),      # diverges at step 184, in both
    ("gp0", {"lam": 0.3}, "alternating", 0.5, 1, 0.999),
    ("gp1", {"lam": 0.1}, "alternating", 0.0, 5, 0.9),
    ("wgan-clip", {"clip": 0.05}, "alternating", 0.5, 3, 0.99),
    ("gp0+r1", {"lam": 0.3, "r1_gamma": 0.5}, "simultaneous", 0.3, 1, None),
])
def test_training_equals_python_training(api_page, name, params, mode, momentum, n_critic, ema):
    spec = spec_of(name)
    theta0, phi0 = [0.2, 0.1], [0.1, 0.2]
    o = {"lr": 0.05, "momentum": momentum, "mode": mode, "nCritic": n_critic, "steps": 300, "ema": ema}
    got = api_page.js(TRAIN_JS, [name, params, theta0, phi0, o])
    run = train(spec.bind(**params), theta0, phi0, lr=0.05, momentum=momentum, mode=mode, n_critic=n_critic,
                steps=300, ema=ema)
    assert got["status"] == TrainStatus.NAMES[int(run.status[0])]
    assert got["stopStep"] == run.stop_step[0] and len(got["theta"]) == run.stop_step[0] + 1
    keep = run.valid(0)
    pairs = [("theta", run.theta), ("phi", run.phi)]
    if ema is not None:
        pairs += [("emaTheta", run.ema_theta), ("emaPhi", run.ema_phi)]
    for key, want in pairs:
        np.testing.assert_allclose(np.array(got[key]), want[0][keep], rtol=1e-12, atol=1e-15, err_msg=key)
    if spec.param_names == ("clip",):
        assert np.abs(np.array(got["phi"][1:])).max() <= params["clip"]     # the start is not clipped


# ---------------------------------------------------------------------------------------
# Interaction: what is drawn follows the controls
# ---------------------------------------------------------------------------------------


def _canvas_click(ui, x, y):
    """Click the phase plot at plot coordinates (x, y)."""
    box = ui.page.locator("#phase").bounding_box()
    R = ui.drawn()["view"]["R"]
    ui.page.mouse.click(box["x"] + (x / R + 1) / 2 * box["width"], box["y"] + (1 - y / R) / 2 * box["height"])


def test_choose_game_slider_click_and_discrete_mode_change_the_drawing(ui):
    ui.open()
    first = ui.drawn()
    assert first["game"] == "vanilla" and first["flow"]["n"] == 801 and first["discrete"]["n"] > 1

    ui.page.select_option("#game", "gp0")
    gp0 = ui.drawn()
    assert gp0["game"] == "gp0" and gp0["params"] == {"lam": 0.1}
    assert gp0["flow"]["points"] != first["flow"]["points"]
    assert "asymptotically stable" in gp0["readout"] and "−0.1 t" in gp0["readout"]

    # the slider, with the keyboard: one step right
    ui.page.focus("#param-lam")
    ui.page.keyboard.press("ArrowRight")
    moved = ui.drawn()
    assert moved["params"]["lam"] == pytest.approx(0.105)
    assert moved["flow"]["points"] != gp0["flow"]["points"]
    # the drawn flow is the API's trajectory for these parameters
    sim = ui.js("window.diracgan.simulate('gp0', {lam: 0.105}, [0.2, 0.1], [0.1, 0.2], 40, {samples: 801})")
    assert moved["flow"]["points"][-1] == pytest.approx(sim["thetaEnd"], abs=1e-15)

    # the regulariser
    ui.page.select_option("#reg", "r1")
    assert ui.drawn()["game"] == "gp0+r1"
    ui.page.select_option("#reg", "")

    # a click sets the start θ(0) (d = 2: the θ-plane)
    _canvas_click(ui, -0.1, 0.15)
    clicked = ui.drawn()
    assert clicked["start"]["theta"] == pytest.approx([-0.1, 0.15], abs=0.01)
    assert clicked["flow"]["points"][0] == pytest.approx(clicked["start"]["theta"], abs=1e-15)

    # discrete only, then both
    ui.page.select_option("#mode", "discrete")
    disc = ui.drawn()
    assert disc["flow"] is None and disc["discrete"]["n"] == 401 and disc["ema"]["n"] == 401
    assert disc["discrete"]["points"][0] == pytest.approx(clicked["start"]["theta"], abs=1e-15)
    ui.page.fill("#lr", "0.2")
    assert ui.drawn()["discrete"]["n"] == 201
    ui.page.select_option("#scheme", "simultaneous")
    assert ui.drawn()["discrete"]["points"] != disc["discrete"]["points"]
    ui.page.select_option("#mode", "both")
    both = ui.drawn()
    assert both["flow"]["n"] == 801 and both["discrete"]["n"] == 201

    # a game that exists only in discrete time switches to training and says why
    ui.page.select_option("#game", "wgan-clip")
    clip = ui.drawn()
    assert clip["game"] == "wgan-clip" and clip["mode"] == "discrete" and clip["flow"] is None
    assert clip["discrete"]["n"] > 1 and "only in discrete time" in clip["readout"]
    assert ui.page.locator("#mode option[value=flow]").is_disabled()


def test_d1_draws_the_derived_field(ui):
    ui.open("#game=minimax&d=1&theta=0.5&phi=0&T=10&mode=flow")
    d = ui.drawn()
    assert d["d"] == 1 and d["flow"] and d["discrete"] is None
    arrows = np.array(d["arrows"])
    assert len(arrows) >= 17 * 17 - 1
    dth, dph = velocity(GAMES["minimax"].bind(), arrows[:, :1], arrows[:, 1:2])
    np.testing.assert_allclose(arrows[:, 2:], np.hstack([dth, dph]), rtol=1e-14, atol=1e-300)
    # minimax conserves θ² + φ²: the drawn orbit stays on the circle of radius 0.5
    r = np.hypot(*np.array(d["flow"]["points"]).T)
    assert np.abs(r - 0.5).max() < 1e-7
    _canvas_click(ui, 0.3, -0.4)
    d2 = ui.drawn()
    assert d2["start"]["theta"][0] == pytest.approx(0.3, abs=0.02) and d2["start"]["phi"][0] == pytest.approx(-0.4, abs=0.02)


def test_url_hash_restores_a_configuration(ui, browser, page_file):
    hash_ = "#game=gp0%2Bl2&p.lam=0.3&p.l2_gamma=0.25&d=1&theta=0.5&phi=-0.2&T=12&mode=both&scheme=simultaneous&lr=0.05&momentum=0.5&ncritic=1&ema=0.9"
    ui.open(hash_)
    st = ui.js("window.diracgan.state()")
    assert st["game"] == "gp0+l2" and st["params"] == {"lam": 0.3, "l2_gamma": 0.25}
    assert (st["d"], st["theta"], st["phi"], st["T"], st["mode"], st["scheme"], st["lr"], st["momentum"], st["ema"]) == (
        1, [0.5], [-0.2], 12, "both", "simultaneous", 0.05, 0.5, 0.9)
    assert ui.page.input_value("#game") == "gp0" and ui.page.input_value("#reg") == "l2"
    assert ui.page.input_value("#param-lam-value") == "0.3"
    drawn = ui.drawn()
    # change something; the URL follows; a new page opened at that URL draws the same thing
    ui.page.fill("#param-lam-value", "0.7")
    ui.page.wait_for_function("() => location.hash.includes('p.lam=0.7')", timeout=5000)
    url = ui.page.url
    again = Watched(browser.new_page(viewport={"width": 1600, "height": 1000}), page_file.as_uri())
    again.open("#" + url.split("#", 1)[1])
    assert again.js("window.diracgan.state()") == ui.js("window.diracgan.state()")
    assert again.drawn()["flow"]["points"] == ui.drawn()["flow"]["points"] != drawn["flow"]["points"]
    again.assert_clean()
    again.page.close()
    # a bad hash falls back to defaults instead of breaking the page
    ui.open("#game=nope&p.lam=-3&d=7")
    assert ui.js("window.diracgan.state()")["game"] == "gp0+l2"


def test_keyboard_play_step_reset_and_frame_rate(ui):
    ui.open("#game=gp0&T=40")
    ui.page.locator("#phase").focus()
    ui.page.keyboard.press("ArrowUp")
    assert ui.drawn()["start"]["theta"][1] > 0.1
    ui.page.keyboard.press("n")
    assert ui.page.text_content("#clock").startswith("t = 0.40")
    ui.page.keyboard.press("r")
    assert ui.page.text_content("#clock").startswith("t = 0.00")
    ui.page.keyboard.press("m")
    assert ui.js("window.diracgan.state()")["mode"] == "flow"
    ui.page.keyboard.press(" ")
    ui.page.wait_for_timeout(2200)
    fps = ui.js("window.diracgan.fps()")
    ui.page.keyboard.press(" ")
    t = float(ui.page.text_content("#clock").split()[2])
    assert 4 < t <= 40                      # the run plays in 10 s: ≈ 8.8 after 2.2 s
    assert fps > 5, fps                     # 60 (the display rate) on an idle machine
    print(f"explorer frame rate while playing: {fps:.0f} fps")


def test_screenshot(ui, tmp_path):
    ui.open("#game=gp1&d=2&T=40&mode=both&lr=0.1&ema=0.99")
    target = os.environ.get("DIRACGAN_SCREENSHOT")
    path = Path(target) if target else tmp_path / "explorer.png"
    ui.page.screenshot(path=str(path), full_page=True)
    from PIL import Image

    with Image.open(path) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50          # not a blank page


# ---------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------


def test_cli_explore_writes_the_page(tmp_path):
    runner = CliRunner()
    out = tmp_path / "page.html"
    res = runner.invoke(cli, ["explore", "--out", str(out), "--loss", "gp0"], prog_name="diracgan")
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert '"initial": "gp0"' in html and len(html.encode()) < 500_000
    assert "wrote" in res.stderr
    bad = runner.invoke(cli, ["explore", "--out", str(tmp_path / "page.txt")], prog_name="diracgan")
    assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1 and bad.stderr.startswith("Error: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]


def test_serve_serves_the_page_on_loopback():
    from diracgan.viz.explorer import make_server

    server = make_server("<html>ok</html>", port=0)
    host, port = server.server_address[:2]
    assert host == "127.0.0.1"
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
            assert r.status == 200 and r.read() == b"<html>ok</html>"
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/other", timeout=5)
        # a busy port is one clear error
        res = CliRunner().invoke(cli, ["explore", "--serve", "--port", str(port), "--loss", "gp0"], prog_name="diracgan")
        assert res.exit_code == 2 and "cannot serve on 127.0.0.1" in res.stderr
    finally:
        server.shutdown()
        server.server_close()


def test_custom_param_game_slider_ranges():
    from diracgan.viz.explorer import game_entries

    spec = GameSpec("scaled", "scaled bilinear", lambda s, k: (k * s.dot, -k * s.dot),
                    params=(Param("k", "k", "k", 0.5, "scale", lower=0.0, lower_open=True),))
    (entry, *_rest) = game_entries([spec], regularisers=False)
    (p,) = entry["params"]
    assert p["min"] > 0 and p["max"] >= 5 and p["default"] == 0.5
    assert json.dumps(entry["variants"][0]["m"], ensure_ascii=False) == '["0", "k", "-k", "0"]'


def test_eigenvalues_fall_back_to_numeric_values_of_the_exact_m(browser, tmp_path, monkeypatch):
    """Should sympy's eigenvalues not print as JavaScript, the page computes them from M's exact
    entries (stable 2×2 formula); they still equal analyse's."""
    import diracgan.viz.explorer as explorer

    def refuse(*args, **kwargs):
        raise InputError("no JavaScript for this eigenvalue")

    monkeypatch.setattr(explorer, "complex_js", refuse)
    spec = GameSpec("damped-fallback", "bilinear + decay on D", lambda s, k: (s.dot + k / 2 * s.phi_sq, -s.dot),
                    params=(Param("k", "k", "k", 0.5, "decay"),))
    path = tmp_path / "fallback.html"
    path.write_text(explorer.build_page([spec]), encoding="utf-8")
    w = Watched(browser.new_page(), path.as_uri()).open()
    for k in (0.0, 0.5, 2.0, 3.0):
        got = w.js(EIG_JS, ["damped-fallback", {"k": k}, 2])
        want = analyse(spec.bind(k=k), dim=2)
        assert got["verdict"] == want.verdict
        g = sorted((e["re"], e["im"]) for e in got["eigenvalues"] for _ in range(e["mult"] // 2))
        w_ = sorted((e.re, e.im) for e in want.eigenvalues for _ in range(e.multiplicity // 2))
        np.testing.assert_allclose(g, w_, rtol=1e-12, atol=1e-15)
        assert "numeric" in got["eigenvalues"][0]["text"]
    w.assert_clean()
    w.page.close()
