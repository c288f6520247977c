"""The interactive explorer: one self-contained HTML page that runs the Dirac-GAN in the browser.

The page (``page.html`` with ``explorer.js``, package data of this folder) is filled with one
entry per game: every registered game, every game composed with every registered regulariser
(:func:`~diracgan.games.compose`), and any custom :class:`~diracgan.games.GameSpec` given to
:func:`explore`.  For each entry the Python side hands over only *generated* code:

* the field coefficients [g_θθ, g_θφ, g_φθ, g_φφ] in p = θ·φ, a = ‖θ‖², b = ‖φ‖² and the
  parameters, printed from the sympy derivation by :func:`diracgan.derivation.javascript.field_js`
  (θ' = g_θθ θ + g_θφ φ, φ' = g_φθ θ + g_φφ φ; no field is typed by hand in JavaScript);
* the exact eigenvalues of M, where J(0) = M ⊗ I_d (:mod:`diracgan.analysis.linear`), as
  expressions of the parameters printed to JavaScript complex arithmetic
  (:func:`~diracgan.derivation.javascript.complex_js`).  Where the field is not C¹ at the
  equilibrium for generic parameter values, the page shows the non-differentiability note
  (the wording of :meth:`~diracgan.analysis.linear.EquilibriumAnalysis.differentiability_text`,
  with the parameters left symbolic) and, if it exists, the limit M₀ of the Jacobian along rays;
  parameter values that remove the singularity (gp's c = 0, or λ = 0) are found exactly by
  sympy and get their own eigenvalue expressions.

The JavaScript side integrates the flow with the Dormand–Prince 5(4) pair (rtol 1e-10,
atol 1e-12, as ``diracgan simulate``'s defaults) and runs discrete training (SGD with heavy-ball
momentum as ``torch.optim.SGD``, simultaneous or alternating d-first with n_critic, EMA as
``torch.optim.swa_utils``), using the generated field as the negative gradient.

:func:`explore` returns an :class:`Explorer`, which displays inline in Jupyter
(``_repr_html_``: an iframe whose ``srcdoc`` is the page) and writes the file (``save``).
"""

from __future__ import annotations

import html as _html
import itertools
import json
import math
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable

import sympy as sp
from sympy.matrices.exceptions import MatrixError

from ...analysis.linear import (
    EquilibriumAnalysis,
    coefficient_exprs,
    localised_coefficients,
    loss_culprits,
    m_matrix,
    ray_limit,
    singular_sets_of,
    spec_structure,
)
from ...derivation.javascript import (
    JS_HELPERS,
    complex_js,
    field_js,
    field_js_expression,
    param_names_js,
)
from ...derivation.symbolic import INVARIANTS, jacobian_blocks, tidy, to_text
from ...dynamics.flow import DEFAULT_ATOL, DEFAULT_RTOL
from ...dynamics.starts import default_start
from ...errors import InputError
from ...games import GAMES, REGULARISERS, GameSpec, compose
from ...io import atomic_output, check_output

__all__ = ["Explorer", "explore", "build_page", "game_entries", "make_server", "PAGE_RTOL", "PAGE_ATOL", "MAX_PAGE_BYTES"]

PAGE_RTOL = DEFAULT_RTOL
PAGE_ATOL = DEFAULT_ATOL
"""Tolerances of the page's Dormand–Prince 5(4) integrator (those of ``diracgan simulate``)."""

MAX_PAGE_BYTES = 500_000

P, A, B = INVARIANTS
_ORIGIN = {P: 0, A: 0, B: 0}


def _slider_range(p) -> tuple[float, float, float]:
    """(min, max, step) of a parameter's slider: from its lower bound to max(2, 10 × default)."""
    if p.lower == -math.inf:              # any real value (LSGAN's labels): symmetric about 0
        hi = max(2.0, 2.0 * abs(p.default))
        return -hi, hi, 2 * hi / 400
    hi = max(2.0, 10.0 * abs(p.default), p.lower + 1.0)
    step = hi / 400
    lo = p.lower + (step if p.lower_open else 0.0)
    return lo, hi, step


def _eigen_js(m: sp.Matrix, names: dict, game: str) -> list[dict]:
    """M's exact eigenvalues (sympy, in the parameters) as JavaScript ``[re, im]`` code.

    Should sympy's eigenvalues not print as JavaScript complex arithmetic (a function of a
    possibly complex argument), the page computes them numerically from M's exact entries
    instead (``DG.eig2``, the stable 2×2 formula of ``analysis.linear.eigenvalues_2x2``)."""
    out = []
    try:
        for ev, mult in m.eigenvals(multiple=False).items():
            out.append({"js": complex_js(ev, names, game, "an eigenvalue of J(0)"), "text": to_text(ev),
                        "mult": int(mult)})
        return out
    except (InputError, NotImplementedError, MatrixError):
        entries = ", ".join(field_js_expression(x, names, game) for x in m)
        return [{"js": f"DG.eig2({entries})[{k}]", "text": f"eigenvalue {k + 1} of M (numeric)", "mult": 1}
                for k in range(2)]


def _exceptional_values(der, exprs, singular) -> dict[int, set]:
    """Parameter values that may remove a generic singularity of the field at the equilibrium.

    For each singular coefficient g = N/D and each singular set (θ = 0, φ = 0, the origin), the
    roots of the factors of N restricted to the set that are linear in one parameter (gp:
    N = 2λ(c − √b) is 2λc on φ = 0, so λ = 0 and c = 0).  Candidates only: each is confirmed
    by the exact check of :func:`_equilibrium`."""
    from ...analysis.linear import SINGULAR_SETS

    found: dict[int, set] = {i: set() for i in range(len(der.params))}
    index = {sym: i for i, sym in enumerate(der.params)}
    for k in singular:
        num = sp.fraction(sp.together(exprs[k]))[0]
        for _, sub in SINGULAR_SETS:
            restricted = sp.sympify(num.subs(sub))
            if restricted == 0 or not restricted.free_symbols & set(index):
                continue
            for factor, _mult in sp.factor_list(restricted)[1]:
                syms = factor.free_symbols
                if len(syms) != 1 or not syms <= set(index):
                    continue
                sym = next(iter(syms))
                poly = sp.Poly(factor, sym)
                if poly.degree() == 1:
                    a1, a0 = poly.all_coeffs()
                    root = sp.nsimplify(-a0 / a1)
                    p = der.spec.params[index[sym]]
                    value = float(root) if root.is_real else float("nan")
                    if value > p.lower or (value == p.lower and not p.lower_open):
                        found[index[sym]].add(root)     # only values the parameter may take
    return found


def _pinned_coefficients(der, sub: dict) -> dict:
    """The field coefficients with some parameters pinned to exact values, re-simplified (so that
    gp's (c − √b)/√b at c = 0 cancels to the constant it is)."""
    return localised_coefficients({v: {u: tidy(sp.sympify(e).subs(sub)) for u, e in row.items()}
                       for v, row in der.coefficients.items()})


@lru_cache(maxsize=None)
def _equilibrium(spec: GameSpec) -> dict:
    """What the readout needs for ``spec``: eigenvalue code per parameter variant, the note.

    A *variant* pins some parameters to exact values (none for a game that is C¹ at the
    equilibrium for every parameter value); its M = J(0)'s 2×2 block is exact in the others."""
    der, exprs, singular, m_exprs = spec_structure(spec)
    names = param_names_js(spec)
    variants = []

    def add_variant(pins: dict, coeffs: dict):
        m = m_matrix(jacobian_blocks(coeffs), _ORIGIN)
        variants.append({"pins": {str(i): float(v) for i, v in pins.items()},
                         "eig": _eigen_js(m, names, spec.name), "m": [to_text(x) for x in m]})

    note, limit = "", None
    if not singular:
        add_variant({}, localised_coefficients(der.coefficients))
    else:
        cands = _exceptional_values(der, exprs, singular)
        pairs = [(i, v) for i, vs in cands.items() for v in sorted(vs)]
        seen = []
        for r in range(1, len(pairs) + 1):
            for combo in itertools.combinations(pairs, r):
                idx = [i for i, _ in combo]
                if len(set(idx)) != len(idx):
                    continue
                pins = dict(combo)
                if any(set(s.items()) <= set(pins.items()) for s in seen):
                    continue      # a smaller pin set already removes the singularity
                coeffs = _pinned_coefficients(der, {der.params[i]: v for i, v in pins.items()})
                if not singular_sets_of(coefficient_exprs(coeffs)):
                    seen.append(pins)
                    add_variant(pins, coeffs)
        sets = singular_sets_of(exprs)
        culprits = loss_culprits(der, {})
        # The wording of EquilibriumAnalysis.differentiability_text, parameters left symbolic.
        note = EquilibriumAnalysis(None, 1, False, sets, culprits, None, None, ()).differentiability_text()
        m_lim = ray_limit(der.jacobian)
        if m_lim is not None:
            limit = {"eig": _eigen_js(m_lim, names, spec.name), "m": [to_text(x) for x in m_lim]}
    return {"variants": variants, "note": note, "limit": limit}


def _entry(spec: GameSpec, base: str, reg: str) -> dict:
    eq = _equilibrium(spec) if not spec.discrete_only else {"variants": [], "note": "", "limit": None}
    params = []
    for p in spec.params:
        lo, hi, step = _slider_range(p)
        params.append({"name": p.name, "symbol": p.symbol, "default": p.default, "lower": p.lower,
                       "lowerOpen": p.lower_open, "doc": p.doc, "min": lo, "max": hi, "step": step})
    return {
        "name": spec.name, "base": base, "reg": reg, "title": spec.title, "reference": spec.reference,
        "singular": spec.singular, "discreteOnly": spec.discrete_only, "params": params,
        "clip": "clip" in spec.param_names,
        "field": field_js(spec), "variants": eq["variants"], "note": eq["note"], "limit": eq["limit"],
    }


def game_entries(specs: Iterable[GameSpec | str] | None = None, regularisers: bool = True) -> list[dict]:
    """The page's game entries: each spec alone and, if it is C¹ at the equilibrium, composed
    with every registered regulariser.

    ``specs`` defaults to every registered game (:data:`diracgan.games.GAMES`); names and
    :class:`GameSpec` values may be mixed.  Each entry carries the generated JavaScript."""
    if specs is None:
        specs = list(GAMES.values())
    out, names = [], set()
    for s in specs:
        if isinstance(s, str):
            if s not in GAMES:
                raise InputError(f"unknown loss {s!r}; choose one of: {', '.join(GAMES)}")
            s = GAMES[s]
        variants = [(s, "")]
        # Regularisers on the games that are C¹ at the equilibrium (no singular set), where the
        # readout shows what each does to J(0).
        for r in (REGULARISERS if regularisers and not s.singular else ()):
            try:
                variants.append((compose(s, r), r))
            except InputError:     # refused combinations (a gradient penalty on wgan's normalised critic)
                continue
        for spec, reg in variants:
            if spec.name in names:
                raise InputError(f"two games are called {spec.name!r}; give custom games distinct names")
            try:
                entry = _entry(spec, s.name, reg)
            except InputError:
                if not reg:
                    raise
                continue   # a combination the derivation refuses (instance noise on a non-smooth loss)
            names.add(spec.name)
            out.append(entry)
    return out


def _eig_list(eigs: list[dict], n_params: int) -> str:
    decl = "".join(f"var q{i} = q[{i}]; " for i in range(n_params))
    return "[%s]" % ", ".join(
        "{text: %s, mult: %d, value: function (q) { %sreturn %s; }}"
        % (json.dumps(x["text"], ensure_ascii=False), x["mult"], decl, x["js"]) for x in eigs)


def _js_literal(entries: list[dict]) -> str:
    """The entries as a JavaScript array literal: JSON, except the generated code as functions."""
    items = []
    for e in entries:
        n = len(e["params"])
        meta = {k: v for k, v in e.items() if k not in ("field", "variants", "limit")}
        variants = ", ".join("{pins: %s, m: %s, eig: %s}" % (json.dumps(v["pins"]), json.dumps(v["m"], ensure_ascii=False),
                                                             _eig_list(v["eig"], n)) for v in e["variants"])
        limit = "null" if e["limit"] is None else "{m: %s, eig: %s}" % (
            json.dumps(e["limit"]["m"], ensure_ascii=False), _eig_list(e["limit"]["eig"], n))
        items.append("{meta: %s,\n field: %s,\n variants: [%s],\n limit: %s}"
                     % (json.dumps(meta, ensure_ascii=False), e["field"], variants, limit))
    return "[\n" + ",\n".join(items) + "\n]"


def _asset(name: str) -> str:
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def build_page(specs: Iterable[GameSpec | str] | None = None, initial: str | None = None) -> str:
    """The explorer page as one self-contained HTML string (inline JavaScript and CSS, no network).

    ``specs``: the games (default: every registered game), each also composed with every
    regulariser.  ``initial``: the game shown first (default: the first entry; the URL hash
    overrides it)."""
    entries = game_entries(specs)
    if initial is not None and initial not in {e["name"] for e in entries}:
        raise InputError(f"unknown game {initial!r} for the explorer; choose one of: "
                         f"{', '.join(e['name'] for e in entries)}")
    theta2, phi2 = default_start(2)
    config = {
        "rtol": PAGE_RTOL, "atol": PAGE_ATOL, "initial": initial or entries[0]["name"],
        "start": {"theta": [float(x) for x in theta2], "phi": [float(x) for x in phi2]},
        "regularisers": {r.name: r.title for r in REGULARISERS.values()},
    }
    data = ("var DG = {\n" + JS_HELPERS + "};\n"
            + "DG.CONFIG = " + json.dumps(config, ensure_ascii=False) + ";\n"
            + "DG.ENTRIES = " + _js_literal(entries) + ";\n")
    script = data + _asset("explorer.js")
    if "</script" in script.lower():
        raise InputError("generated code contains '</script'; cannot inline it")   # pragma: no cover
    page = _asset("page.html").replace("/*__SCRIPT__*/", script)
    size = len(page.encode("utf-8"))
    if size > MAX_PAGE_BYTES:
        raise InputError(f"the explorer page would be {size / 1000:.0f} kB, over its {MAX_PAGE_BYTES / 1000:.0f} kB "
                         f"budget; explore fewer games")
    return page


class Explorer:
    """The explorer page: shows inline in Jupyter, writes an HTML file.

    Attributes
    ----------
    html : str
        The whole page (inline JavaScript and CSS; it makes no network request).
    """

    def __init__(self, html: str):
        self.html = html

    def _repr_html_(self) -> str:
        return ('<iframe style="width: 100%; height: 900px; border: 0" sandbox="allow-scripts" '
                f'srcdoc="{_html.escape(self.html, quote=True)}"></iframe>')

    def save(self, path) -> Path:
        """Write the page to ``path`` (``.html``), atomically; returns the path."""
        path = check_output(path, (".html",))
        with atomic_output(path) as tmp:
            tmp.write_text(self.html, encoding="utf-8")
        return path

    def __repr__(self) -> str:
        return f"<Explorer: {len(self.html.encode('utf-8')) / 1000:.0f} kB page>"


def explore(games: Iterable[GameSpec | str] | None = None, initial: str | None = None) -> Explorer:
    """The interactive explorer of ``games`` (default: every registered game, each also with every
    regulariser): ``diracgan.explore()`` in a notebook shows it inline; ``.save('x.html')``.

    >>> from diracgan import explore
    >>> page = explore()                        # doctest: +SKIP
    >>> page.save("explorer.html")              # doctest: +SKIP
    """
    return Explorer(build_page(games, initial))


def make_server(html: str, port: int = 8000, host: str = "127.0.0.1"):
    """An ``http.server`` that serves ``html`` at ``/`` (and ``/index.html``) on ``host``:``port``
    (loopback only by default; port 0 takes a free port).  404 for every other path.  The caller
    runs ``serve_forever()`` and reads the bound port from ``server.server_address``."""
    import http.server

    body = html.encode("utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):   # noqa: N802 (http.server's name)
            if self.path.split("?", 1)[0] in ("/", "/index.html"):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404, "the explorer is served at /")

        def log_message(self, format, *args):   # quiet: the command prints the URL once
            pass

    try:
        return http.server.ThreadingHTTPServer((host, int(port)), Handler)
    except OSError as exc:
        raise InputError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None
