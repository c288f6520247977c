"""JavaScript code generation: a game's derived field as JavaScript source, for the browser explorer.

The same expressions that :mod:`.numeric` lambdifies for numpy are printed here with sympy's
JavaScript code printer (:class:`sympy.printing.jscode.JavascriptCodePrinter`), after common
subexpression elimination (``sympy.cse``).  No field formula is written by hand in JavaScript:
for a :class:`~diracgan.games.GameSpec` (registered, composed with regularisers, or custom),
:func:`field_js` returns the source of

    function (p, a, b, q) { …; return [g_θθ, g_θφ, g_φθ, g_φφ]; }

with p = θ·φ, a = ‖θ‖², b = ‖φ‖² and ``q`` the parameter values in ``spec.params`` order, so
that the page assembles θ' = g_θθ θ + g_θφ φ and φ' = g_φθ θ + g_φφ φ exactly as
:class:`~diracgan.derivation.numeric.VectorField` does.  The special functions of the losses
print as calls of the helpers in :data:`JS_HELPERS` (``DG.sigmoid``, ``DG.softplus``), which
evaluate them as stably as the numpy side does (``scipy.special.expit``, ``numpy.logaddexp``).
``Max``, ``Min``, ``Abs``, ``sign``, ``Piecewise`` and ``Heaviside`` (H(0) = ½, sympy's
convention) print as JavaScript too; anything else raises an :class:`~diracgan.errors.InputError`
naming the game and the function.

:func:`complex_js` prints an expression that may be complex for some parameter values (the
exact eigenvalues of J(0), e.g. −λ ± √(λ² − 1)) as JavaScript complex arithmetic on
``[re, im]`` pairs (the ``DG.c*`` helpers; principal square root), since JavaScript has no
complex numbers.
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp
from sympy.printing.codeprinter import PrintMethodNotImplementedError
from sympy.printing.jscode import JavascriptCodePrinter

from ..errors import InputError
from ..games import GameSpec
from .symbolic import INVARIANTS, derive

__all__ = ["JS_HELPERS", "field_js", "field_js_expression", "complex_js", "js_number", "param_names_js"]

JS_HELPERS = r"""
// Numerically stable special functions (same formulas as scipy.special.expit and numpy.logaddexp(0, x)).
sigmoid: function (x) {
  if (x >= 0) { return 1 / (1 + Math.exp(-x)); }
  var e = Math.exp(x); return e / (1 + e);
},
softplus: function (x) {
  if (x !== x) { return x; }
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
},
// Complex arithmetic on [re, im] pairs, for the exact eigenvalues.
cadd: function (u, v) { return [u[0] + v[0], u[1] + v[1]]; },
cmul: function (u, v) { return [u[0] * v[0] - u[1] * v[1], u[0] * v[1] + u[1] * v[0]]; },
cdiv: function (u, v) {
  var d = v[0] * v[0] + v[1] * v[1];
  return [(u[0] * v[0] + u[1] * v[1]) / d, (u[1] * v[0] - u[0] * v[1]) / d];
},
csqrt: function (u) {             // principal square root, exact on the real axis
  if (u[1] === 0) { return u[0] >= 0 ? [Math.sqrt(u[0]), 0] : [0, Math.sqrt(-u[0])]; }
  var r = Math.hypot(u[0], u[1]);
  var re = Math.sqrt((r + u[0]) / 2), im = Math.sqrt((r - u[0]) / 2);
  return [re, u[1] < 0 ? -im : im];
},
cpowi: function (u, n) {          // integer power by repeated multiplication
  var out = [1, 0], base = n < 0 ? DG.cdiv([1, 0], u) : u;
  for (var k = 0; k < Math.abs(n); k++) { out = DG.cmul(out, base); }
  return out;
},
cexp: function (u) { var m = Math.exp(u[0]); return [m * Math.cos(u[1]), m * Math.sin(u[1])]; },
clog: function (u) { return [Math.log(Math.hypot(u[0], u[1])), Math.atan2(u[1], u[0])]; },
eig2: function (a, b, c, d) {      // eigenvalues of [[a, b], [c, d]], sorted, as [re, im] pairs (stable)
  var half = (a + d) / 2, det = a * d - b * c, disc = half * half - det, root = Math.sqrt(Math.abs(disc));
  if (disc < 0) { return [[half, -root], [half, root]]; }
  var big = half + (half >= 0 ? root : -root), small = big !== 0 ? det / big : 0;
  return [[Math.min(big, small), 0], [Math.max(big, small), 0]];
},
cpow: function (u, v) {
  if (u[0] === 0 && u[1] === 0) { return [0, 0]; }
  return DG.cexp(DG.cmul(v, DG.clog(u)));
}
"""
"""Members of the page's ``DG`` helper object that the generated code calls."""


class _Printer(JavascriptCodePrinter):
    """sympy's JavaScript printer with the losses' special functions as ``DG`` helpers."""

    def _print_sigmoid(self, expr):
        return "DG.sigmoid(%s)" % self._print(expr.args[0])

    def _print_softplus(self, expr):
        return "DG.softplus(%s)" % self._print(expr.args[0])

    def _print_Heaviside(self, expr):
        # sympy's H(0) = 1/2 unless a second argument says otherwise; print it as a Piecewise.
        return self._print(expr.rewrite(sp.Piecewise))

    def _print_Float(self, expr):
        return js_number(float(expr))


def js_number(x: float) -> str:
    """A float as a JavaScript literal that reads back to the same double (``repr`` round-trips)."""
    x = float(x)
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "Infinity" if x > 0 else "-Infinity"
    return repr(x)


def param_names_js(spec: GameSpec) -> dict:
    """Parameter symbol → the JavaScript name ``q0``, ``q1``, … (symbols such as λ or γ_r1 are
    renamed so that any parameter name prints as a valid identifier)."""
    der = derive(spec)
    return {sym: sp.Symbol(f"q{i}", **sym.assumptions0) for i, sym in enumerate(der.params)}


def _print(printer, expr, game: str, what: str) -> str:
    try:
        return printer.doprint(expr)
    except PrintMethodNotImplementedError as exc:
        name = str(exc).split(":", 1)[-1].split("\n", 1)[0].strip()
        raise InputError(f"cannot generate JavaScript for {what} of {game}: "
                         f"the function {name} has no JavaScript equivalent") from None


@lru_cache(maxsize=None)
def field_js(spec: GameSpec) -> str:
    """JavaScript source of the game's field coefficients (see module doc).

    Returns ``function (p, a, b, q) { … return [g_θθ, g_θφ, g_φθ, g_φφ]; }``, the coefficients
    of θ' = −∇_θ L_G = g_θθ θ + g_θφ φ and φ' = −∇_φ L_D = g_φθ θ + g_φφ φ as derived by
    :func:`~diracgan.derivation.symbolic.derive`, common subexpressions computed once.
    """
    der = derive(spec)
    rename = param_names_js(spec)
    exprs = [sp.sympify(e).subs(rename) for e in der.field_exprs()]
    allowed = set(INVARIANTS) | set(rename.values())
    for e in exprs:
        extra = e.free_symbols - allowed
        if extra:
            raise InputError(f"cannot generate JavaScript for the field of {spec.name}: it depends on "
                             f"{', '.join(sorted(map(str, extra)))}, which is neither an invariant nor a parameter")
    temps, reduced = sp.cse(exprs, symbols=sp.numbered_symbols("t"), optimizations=None)
    printer = _Printer()
    lines = [f"  var q{i} = q[{i}];" for i in range(len(rename))]
    for sym, e in temps:
        lines.append(f"  var {sym} = {_print(printer, e, spec.name, 'the field')};")
    out = ", ".join(_print(printer, e, spec.name, "the field") for e in reduced)
    return "function (p, a, b, q) {\n" + "\n".join(lines) + f"\n  return [{out}];\n}}"


def field_js_expression(expr: sp.Expr, names: dict, game: str = "", what: str = "an expression") -> str:
    """One real expression as JavaScript (symbols renamed by ``names``), with the ``DG`` helpers."""
    return _print(_Printer(), sp.sympify(expr).subs(names), game or "a game", what)


def complex_js(expr: sp.Expr, names: dict, game: str = "", what: str = "an eigenvalue") -> str:
    """JavaScript that evaluates ``expr`` (real symbols: the keys of ``names``) as ``[re, im]``.

    Sums, products and powers use the ``DG.c*`` helpers (the principal square root for
    exponent ½, as sympy's ``sqrt``); numbers are evaluated by sympy to double precision;
    sub-expressions without ``I`` and without powers that may turn complex are printed with the
    real printer.  ``names`` maps each real symbol to its JavaScript name.
    """
    printer = _Printer()
    expr = sp.sympify(expr).subs(names)

    def real_safe(e) -> bool:
        # Printable as a real JavaScript expression: no I, no fractional powers of bases that
        # may be negative.
        if e.has(sp.I):
            return False
        for pw in e.atoms(sp.Pow):
            if not pw.exp.is_integer and not pw.base.is_nonnegative:
                return False
        return not e.has(sp.log) or all(a.args[0].is_positive for a in e.atoms(sp.log))

    def go(e) -> str:
        if e.is_number:
            z = complex(sp.N(e, 30))
            return f"[{js_number(z.real)}, {js_number(z.imag)}]"
        if real_safe(e):
            return f"[{_print(printer, e, game, what)}, 0]"
        if e.is_Add:
            out = go(e.args[0])
            for arg in e.args[1:]:
                out = f"DG.cadd({out}, {go(arg)})"
            return out
        if e.is_Mul:
            out = go(e.args[0])
            for arg in e.args[1:]:
                out = f"DG.cmul({out}, {go(arg)})"
            return out
        if e.is_Pow:
            base, ex = e.as_base_exp()
            if ex == sp.S.Half:
                return f"DG.csqrt({go(base)})"
            if ex == -sp.S.Half:
                return f"DG.cdiv([1, 0], DG.csqrt({go(base)}))"
            if ex.is_Integer:
                return f"DG.cpowi({go(base)}, {int(ex)})"
            return f"DG.cpow({go(base)}, {go(ex)})"
        if isinstance(e, sp.exp):
            return f"DG.cexp({go(e.args[0])})"
        if isinstance(e, sp.log):
            return f"DG.clog({go(e.args[0])})"
        raise InputError(f"cannot generate JavaScript for {what} of {game or 'a game'}: "
                         f"{type(e).__name__} of a possibly complex argument is not supported")

    return go(expr)
