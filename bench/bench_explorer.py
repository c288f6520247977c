"""The explorer page, measured in headless Chromium (Debian's /usr/bin/chromium, via playwright).

    python bench/bench_explorer.py

Prints: the page's build time and size; the largest relative difference between the page's field
and the Python field (every registered ODE game and every game with a regulariser, defaults and
three random parameter sets, 1,000 random states each in d = 2); the largest difference between
the page's trajectory end point (Dormand–Prince 5(4), rtol 1e-10, atol 1e-12) and `simulate`
(DOP853, same tolerances) from the seed's start to T = 10 (cut short before a damped wgan slides into
its singular set φ = 0); the time the page takes to recompute
one trajectory; the frame rate while the animation plays.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np

from diracgan.derivation.numeric import velocity
from diracgan.dynamics.flow import simulate
from diracgan.games import GAMES, REGULARISERS, compose
from diracgan.viz.explorer import build_page

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
FIELD_JS = """([game, params, data]) => { const [T, P] = JSON.parse(data);
  return JSON.stringify(T.map((t, i) => { const v = window.diracgan.field(game, params, t, P[i]); return v[0].concat(v[1]); })); }"""


def cut_time(spec, t_max):
    """t_max, or 0.9 × the time the run first comes within 0.02 of θ = 0 or φ = 0 for a game with a
    singular set (a damped wgan slides into φ = 0, where the flow is not unique)."""
    if not spec.singular:
        return t_max
    probe = simulate(spec.bind(), [0.2, 0.1], [0.1, 0.2], t_max=t_max, rtol=1e-6, atol=1e-9, max_steps=300)
    near = ~(np.minimum(np.linalg.norm(probe.theta[0], axis=1), np.linalg.norm(probe.phi[0], axis=1)) >= 0.02)
    return float(0.9 * probe.t[np.argmax(near)]) if near.any() else t_max


def main():
    t0 = time.perf_counter()
    html = build_page()
    build = time.perf_counter() - t0
    print(f"page: {len(html.encode()) / 1000:.0f} kB, built in {build:.1f} s")
    specs = [s for g in GAMES.values() if not g.discrete_only for s in [g] + [compose(g, r) for r in REGULARISERS]]
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        path = Path(tmp) / "explorer.html"
        path.write_text(html, encoding="utf-8")
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        page.goto(path.as_uri())
        page.wait_for_function("() => window.diracgan && window.diracgan.ready")
        rng = np.random.default_rng(0)
        worst_field, worst_traj, n_states = 0.0, 0.0, 0
        for spec in specs:
            sets = [{}] + [{p.name: float(rng.uniform(max(p.lower, 0) + 0.01, 3)) for p in spec.params} for _ in range(3)]
            for params in sets:
                theta, phi = rng.normal(size=(1000, 2)), rng.normal(size=(1000, 2))
                got = np.array(json.loads(page.evaluate(FIELD_JS, [spec.name, params, json.dumps([theta.tolist(), phi.tolist()])])))
                want = np.hstack(velocity(spec.bind(**params), theta, phi))
                ok = np.isfinite(want).all(axis=1)
                err = np.abs(got[ok] - want[ok]).max(axis=1) / np.abs(want[ok]).max(axis=1)
                worst_field = max(worst_field, float(err.max()))
                n_states += int(ok.sum())
            t_max = cut_time(spec, 10.0)
            run = simulate(spec.bind(), [0.2, 0.1], [0.1, 0.2], t_max=t_max)
            got = page.evaluate("([g, T]) => { const r = window.diracgan.simulate(g, {}, [0.2, 0.1], [0.1, 0.2], T);"
                                " return r.thetaEnd.concat(r.phiEnd); }", [spec.name, t_max])
            worst_traj = max(worst_traj, float(np.abs(np.array(got) - run.state_end[0]).max()))
        print(f"field: max relative difference {worst_field:.2g} over {n_states} states of {len(specs)} games")
        print(f"trajectory end points (T ≤ 10, seed start): max difference {worst_traj:.2g}")
        ms = page.evaluate("""() => { const t = performance.now();
            for (let i = 0; i < 20; i++) window.diracgan.simulate('gp0', {lam: 0.1}, [0.2, 0.1], [0.1, 0.2], 40, {samples: 801});
            return (performance.now() - t) / 20; }""")
        print(f"one gp0 trajectory to T = 40 in the page: {ms:.1f} ms")
        page.keyboard.press(" ")
        page.wait_for_timeout(3000)
        print(f"frame rate while playing: {page.evaluate('window.diracgan.fps()'):.0f} fps")
        browser.close()


if __name__ == "__main__":
    main()
