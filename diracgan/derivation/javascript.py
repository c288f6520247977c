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
from .symbolic import INVARIANTS, derive, gaussian_mean

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
},
// E f(m + sqrt(v) Z), Z ~ N(0, 1) (instance noise): the same Gauss-Hermite rule as the numpy side
// (diracgan.derivation.numeric.GAUSS_HERMITE_NUMERIC_NODES nodes; weights divided by sqrt(pi)).
gmean: function (f, m, v) {
  var s = Math.sqrt(2 * v), out = 0;
  for (var k = 0; k < DG.ghx.length; k++) { out += DG.ghw[k] * f(m + s * DG.ghx[k]); }
  return out;
},
ghx: [-19.339248667911406, -18.822895980564734, -18.398096565132175, -18.021081501173164, -17.675122529961925, -17.351596779550405, -17.04533115109215, -16.75291719139818, -16.47196038876288, -16.200697936792103, -15.937784868895722, -15.682165658809753, -15.432992784892866, -15.189572756961194, -14.951329028681464, -14.717775731247299, -14.4884985875727, -14.263140734648264, -14.041391987855553, -13.822980573565543, -13.607666666938064, -13.39523727320802, -13.185502124544026, -12.97829035543407, -12.773447782488505, -12.570834658918322, -12.370323805730497, -12.171799044787127, -11.975153875897131, -11.78029035280524, -11.587118122520339, -11.395553599726043, -11.205519253636432, -11.016942989025184, -10.829757606576079, -10.643900330402786, -10.459312392733537, -10.275938667476474, -10.09372734576829, -9.912629647733798, -9.732599565601927, -9.55359363407682, -9.375570724483644, -9.198491859723555, -9.022320047500836, -8.847020129643674, -8.672558645641239, -8.498903708773607, -8.326024893426121, -8.153893132362484, -7.982480622886646, -7.8117607409569425, -7.641707962430267, -7.472297790712723, -7.303506690178222, -7.135312024790252, -6.967692001426046, -6.800625617458123, -6.634092612196868, -6.468073421840371, -6.302549137615144, -6.137501466824152, -5.972912696547549, -5.808765659767065, -5.645043703707577, -5.481730660209469, -5.318810817963144, -5.156268896452903, -4.994090021471522, -4.832259702079436, -4.670763808893703, -4.509588553602011, -4.348720469606022, -4.188146393706468, -4.027853448749714, -3.8678290271620566, -3.70806077530396, -3.548536578581765, -3.389244547259216, -3.230173002915508, -3.071310465500502, -2.9126456409412915, -2.7541674092575477, -2.5958648131459716, -2.4377270469968213, -2.2797434463078634, -2.121903477463271, -1.9641967278469104, -1.8066128962612529, -1.6491417836246947, -1.4917732839215188, -1.3344973753799918, -1.1773041118552332, -1.0201836143944953, -0.863126062963396, -0.7061216883124085, -0.5491607639635989, -0.3922335982981664, -0.2353305267258213, -0.0784419039174208, 0.0784419039174208, 0.2353305267258213, 0.3922335982981664, 0.5491607639635989, 0.7061216883124085, 0.863126062963396, 1.0201836143944953, 1.1773041118552332, 1.3344973753799918, 1.4917732839215188, 1.6491417836246947, 1.8066128962612529, 1.9641967278469104, 2.121903477463271, 2.2797434463078634, 2.4377270469968213, 2.5958648131459716, 2.7541674092575477, 2.9126456409412915, 3.071310465500502, 3.230173002915508, 3.389244547259216, 3.548536578581765, 3.70806077530396, 3.8678290271620566, 4.027853448749714, 4.188146393706468, 4.348720469606022, 4.509588553602011, 4.670763808893703, 4.832259702079436, 4.994090021471522, 5.156268896452903, 5.318810817963144, 5.481730660209469, 5.645043703707577, 5.808765659767065, 5.972912696547549, 6.137501466824152, 6.302549137615144, 6.468073421840371, 6.634092612196868, 6.800625617458123, 6.967692001426046, 7.135312024790252, 7.303506690178222, 7.472297790712723, 7.641707962430267, 7.8117607409569425, 7.982480622886646, 8.153893132362484, 8.326024893426121, 8.498903708773607, 8.672558645641239, 8.847020129643674, 9.022320047500836, 9.198491859723555, 9.375570724483644, 9.55359363407682, 9.732599565601927, 9.912629647733798, 10.09372734576829, 10.275938667476474, 10.459312392733537, 10.643900330402786, 10.829757606576079, 11.016942989025184, 11.205519253636432, 11.395553599726043, 11.587118122520339, 11.78029035280524, 11.975153875897131, 12.171799044787127, 12.370323805730497, 12.570834658918322, 12.773447782488505, 12.97829035543407, 13.185502124544026, 13.39523727320802, 13.607666666938064, 13.822980573565543, 14.041391987855553, 14.263140734648264, 14.4884985875727, 14.717775731247299, 14.951329028681464, 15.189572756961194, 15.432992784892866, 15.682165658809753, 15.937784868895722, 16.200697936792103, 16.47196038876288, 16.75291719139818, 17.04533115109215, 17.351596779550405, 17.675122529961925, 18.021081501173164, 18.398096565132175, 18.822895980564734, 19.339248667911406],
ghw: [1.2576313313555769e-163, 3.4819695683661732e-155, 2.217601235464768e-148, 1.845272378554275e-142, 3.952095543204834e-137, 3.105821910202462e-132, 1.110589848066202e-127, 2.0851061985711787e-123, 2.2748308564766108e-119, 1.5548705392437408e-115, 7.054567165306034e-112, 2.2238643810981585e-108, 5.053891258758168e-105, 8.534981448176906e-102, 1.0986312770149175e-98, 1.1012861851470987e-95, 8.756590515370857e-93, 5.611334204886381e-90, 2.9384802435726575e-87, 1.2729366896595922e-84, 4.611184597558419e-82, 1.4103337485746906e-79, 3.6735108972352e-77, 8.212280827035627e-75, 1.5867919500825666e-72, 2.666985620706813e-70, 3.9218588023510654e-68, 5.072767703280969e-66, 5.799640326514066e-64, 5.887258678994984e-62, 5.328242527051481e-60, 4.316007868470857e-58, 3.1401893311354497e-56, 2.0589419778024344e-54, 1.220360321545921e-52, 6.557519971455887e-51, 3.203092661352111e-49, 1.4258521005747266e-47, 5.7980721292500205e-46, 2.1585587624507235e-44, 7.37267618016298e-43, 2.3148601806835265e-41, 6.6937798670220025e-40, 1.785784047614323e-38, 4.402703418912415e-37, 1.004676675768572e-35, 2.1251862611591482e-34, 4.172970128741247e-33, 7.616467386354716e-32, 1.2938234748201683e-30, 2.048024729360875e-29, 3.024362865654853e-28, 4.17106235935368e-27, 5.378067981288792e-26, 6.489390921041793e-25, 7.334838506673075e-24, 7.772807046662477e-23, 7.729288437697655e-22, 7.218248379194964e-21, 6.335703893214033e-20, 5.230620624576121e-19, 4.064589445476471e-18, 2.9749593279691835e-17, 2.05224236841088e-16, 1.3351471783925667e-15, 8.196716383112699e-15, 4.7512366445417216e-14, 2.601740207693329e-13, 1.3465903706526051e-12, 6.590750705415868e-12, 3.051867433247906e-11, 1.3375866157805347e-10, 5.551221128787673e-10, 2.182436159536713e-09, 8.131084585233665e-09, 2.8718950248403223e-08, 9.619512142099054e-08, 3.0566481205168064e-07, 9.216833824723264e-07, 2.6380965724535023e-06, 7.169582409425798e-06, 1.8505720111761995e-05, 4.5376925603754166e-05, 0.000105726177037585, 0.00023412262998870152, 0.0004928405314752152, 0.0009864026097802542, 0.0018774283652642102, 0.003398635506873601, 0.005852517688368252, 0.009588197443503485, 0.014946545089653014, 0.022171865974201177, 0.031301397314024294, 0.042059324714677604, 0.053793476141514765, 0.06549256186864061, 0.07590500478846117, 0.08374919456234517, 0.0879697049660523, 0.0879697049660523, 0.08374919456234517, 0.07590500478846117, 0.06549256186864061, 0.053793476141514765, 0.042059324714677604, 0.031301397314024294, 0.022171865974201177, 0.014946545089653014, 0.009588197443503485, 0.005852517688368252, 0.003398635506873601, 0.0018774283652642102, 0.0009864026097802542, 0.0004928405314752152, 0.00023412262998870152, 0.000105726177037585, 4.5376925603754166e-05, 1.8505720111761995e-05, 7.169582409425798e-06, 2.6380965724535023e-06, 9.216833824723264e-07, 3.0566481205168064e-07, 9.619512142099054e-08, 2.8718950248403223e-08, 8.131084585233665e-09, 2.182436159536713e-09, 5.551221128787673e-10, 1.3375866157805347e-10, 3.051867433247906e-11, 6.590750705415868e-12, 1.3465903706526051e-12, 2.601740207693329e-13, 4.7512366445417216e-14, 8.196716383112699e-15, 1.3351471783925667e-15, 2.05224236841088e-16, 2.9749593279691835e-17, 4.064589445476471e-18, 5.230620624576121e-19, 6.335703893214033e-20, 7.218248379194964e-21, 7.729288437697655e-22, 7.772807046662477e-23, 7.334838506673075e-24, 6.489390921041793e-25, 5.378067981288792e-26, 4.17106235935368e-27, 3.024362865654853e-28, 2.048024729360875e-29, 1.2938234748201683e-30, 7.616467386354716e-32, 4.172970128741247e-33, 2.1251862611591482e-34, 1.004676675768572e-35, 4.402703418912415e-37, 1.785784047614323e-38, 6.6937798670220025e-40, 2.3148601806835265e-41, 7.37267618016298e-43, 2.1585587624507235e-44, 5.7980721292500205e-46, 1.4258521005747266e-47, 3.203092661352111e-49, 6.557519971455887e-51, 1.220360321545921e-52, 2.0589419778024344e-54, 3.1401893311354497e-56, 4.316007868470857e-58, 5.328242527051481e-60, 5.887258678994984e-62, 5.799640326514066e-64, 5.072767703280969e-66, 3.9218588023510654e-68, 2.666985620706813e-70, 1.5867919500825666e-72, 8.212280827035627e-75, 3.6735108972352e-77, 1.4103337485746906e-79, 4.611184597558419e-82, 1.2729366896595922e-84, 2.9384802435726575e-87, 5.611334204886381e-90, 8.756590515370857e-93, 1.1012861851470987e-95, 1.0986312770149175e-98, 8.534981448176906e-102, 5.053891258758168e-105, 2.2238643810981585e-108, 7.054567165306034e-112, 1.5548705392437408e-115, 2.2748308564766108e-119, 2.0851061985711787e-123, 1.110589848066202e-127, 3.105821910202462e-132, 3.952095543204834e-137, 1.845272378554275e-142, 2.217601235464768e-148, 3.4819695683661732e-155, 1.2576313313555769e-163]
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

    def _print_Symbol(self, expr):
        # The invariants are the generated function's arguments p, a, b.
        return _ARGUMENT_NAMES.get(expr, None) or super()._print_Symbol(expr)

    def _print_Function(self, expr):
        integrand = _OPAQUE.get(expr.func.__name__)
        if integrand is None:
            return super()._print_Function(expr)
        x, body = integrand.variables[0], integrand.expr
        m, v = expr.args
        return "DG.gmean(function (%s) { return %s; }, %s, %s)" % (
            self._print(x), self._print(body), self._print(m), self._print(v))


_ARGUMENT_NAMES = dict(zip(INVARIANTS, ("p", "a", "b")))
_OPAQUE: dict = {}
"""Opaque stand-ins of Gaussian expectations (name → integrand Lambda): sympy's cse must not
reach into an integrand, so each ``gaussian_mean(f, m, v)`` is a function symbol until printed."""


def _opaque_gaussian_means(expr):
    def replace(e):
        f, m, v = e.args
        name = next((k for k, g in _OPAQUE.items() if g == f), None)
        if name is None:
            name = f"gaussian_mean_{len(_OPAQUE)}"
            _OPAQUE[name] = f
        return sp.Function(name)(m, v)

    return expr.replace(lambda z: isinstance(z, gaussian_mean), replace) if expr.has(gaussian_mean) else expr


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
    exprs = [_opaque_gaussian_means(sp.sympify(e).subs(rename)) for e in der.field_exprs()]
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
