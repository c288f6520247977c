"""Gaussian expectations of losses (instance noise), symbolically.

:class:`gaussian_mean` is E f(m + √v·Z), Z ~ N(0, 1), as a sympy function with exact
derivatives (Stein's lemma); :func:`gaussian_expectation` takes the expectation of a loss over
independent Gaussian shifts of D's arguments; :func:`expand_gaussian_means` writes each mean out
as a Gauss–Hermite sum for numeric printers.  Used by :mod:`.symbolic` (instance noise).
"""

from __future__ import annotations

import sympy as sp

__all__ = ["gaussian_mean", "gaussian_expectation", "expand_gaussian_means", "GAUSS_HERMITE_NODES"]


class gaussian_mean(sp.Function):
    """E f(m + √v·Z), Z ~ N(0, 1): the Gaussian smoothing of f, as a function of the mean m and
    the variance v ≥ 0.  Arguments: ``(Lambda(x, f(x)), m, v)``.

    Exact where it can be: f(m) at v = 0, and the moments E Z^(2k) = (2k − 1)!! for polynomial f.
    Its derivatives are of the same kind, ∂_m E f(m + √v Z) = E f'(m + √v Z) and, by the heat
    equation (Stein's lemma), ∂_v E f(m + √v Z) = ½ E f''(m + √v Z), so they stay smooth at
    v = 0 (a Gauss–Hermite sum written out in √v would not).  Numerically it is the
    ``GAUSS_HERMITE_NODES``-node Gauss–Hermite rule (:func:`expand_gaussian_means`).
    """

    nargs = 3

    @classmethod
    def eval(cls, f, m, v):
        if not isinstance(f, sp.Lambda):
            return None
        if v.is_zero:
            return f(m)
        x = f.variables[0]
        if f.expr.is_polynomial(x):
            return _polynomial_mean(f.expr, x, m, v)
        return None

    def fdiff(self, argindex=1):
        f, m, v = self.args
        x = f.variables[0]
        if argindex == 2:
            return gaussian_mean(sp.Lambda(x, sp.diff(f.expr, x)), m, v)
        if argindex == 3:
            return gaussian_mean(sp.Lambda(x, sp.diff(f.expr, x, 2)), m, v) / 2
        raise sp.ArgumentIndexError(self, argindex)

    def _eval_is_real(self):
        return True

    def _latex(self, printer):
        f, m, v = self.args
        return r"\mathbb{E}_Z\left[%s\right]" % printer._print(f.expr.subs(f.variables[0], m + sp.sqrt(v) * _Z_DISPLAY))


_Z_DISPLAY = sp.Symbol("Z", real=True)
GAUSS_HERMITE_NODES = 40
"""Nodes of the Gauss–Hermite rule for Gaussian expectations of non-polynomial losses (exact
for polynomials of degree ≤ 79; the error on the softplus/sigmoid losses is measured in
tests/test_family.py)."""


def _polynomial_mean(body, x, m, v):
    """E p(m + √v Z) for a polynomial p, exactly: Σ_k c_k Σ_j C(k, 2j) m^(k−2j) v^j (2j − 1)!!."""
    out = sp.S.Zero
    for (k,), c in sp.Poly(body, x).terms():
        out += c * sum(sp.binomial(k, 2 * j) * m ** (k - 2 * j) * v**j * sp.factorial2(2 * j - 1)
                       for j in range(k // 2 + 1))
    return sp.expand(out)


def gaussian_expectation(expr, variables, variance):
    """E expr with each of ``variables`` shifted by its own independent N(0, ``variance``) noise.

    Every additive term must be (a factor free of the variables) × (a polynomial in them, or
    one function of a single linear combination L = Σ c_i x_i + c₀ of them); the latter
    becomes ``gaussian_mean(f, L, Σ c_i² · variance)``.  Anything else (products of such
    functions, non-smooth functions, whose Gaussian smoothing this module does not derive)
    raises :class:`~diracgan.errors.InputError`.
    """
    out = sp.S.Zero
    for term in sp.Add.make_args(sp.expand(expr, deep=False, mul=True, multinomial=False, power_exp=False,
                                           power_base=False, log=False)):
        indep, dep = term.as_independent(*variables, as_Add=False)
        if dep == 1:
            out += term
            continue
        if dep.is_polynomial(*variables):
            mean = dep
            for x in variables:
                y = sp.Dummy("y", real=True)
                mean = _polynomial_mean(mean.subs(x, y), y, x, variance) if mean.has(x) else mean
            out += indep * mean
            continue
        if isinstance(dep, sp.Function) and len(dep.args) == 1:
            arg = dep.args[0]
            coeffs = [sp.diff(arg, x) for x in variables]
            if all(not c.has(*variables) for c in coeffs) and not dep.has(sp.Max, sp.Min, sp.Abs, sp.Heaviside):
                x = sp.Dummy("x", real=True)
                var = sum(c**2 for c in coeffs) * variance
                out += indep * gaussian_mean(sp.Lambda(x, dep.func(x)), arg, var)
                continue
        from ..errors import InputError

        raise InputError(f"instance noise needs each loss term to be a polynomial in D, or a smooth function of "
                         f"one linear combination of D(real) and D(fake); cannot take the expectation of {dep}")
    return out


def expand_gaussian_means(expr, nodes: int = GAUSS_HERMITE_NODES):
    """``expr`` with every :class:`gaussian_mean` written out as its Gauss–Hermite sum
    Σ_i w_i/√π f(m + √(2v) x_i) (numpy's ``hermgauss`` nodes and weights, as floats)."""
    if not expr.has(gaussian_mean):
        return expr
    import numpy as np

    xs, ws = np.polynomial.hermite.hermgauss(nodes)

    def written_out(f, m, v):
        scale = sp.sqrt(2 * v)
        return sp.Add(*[sp.Float(w / np.sqrt(np.pi), 17) * f(m + sp.Float(x, 17) * scale) for x, w in zip(xs, ws)])

    return expr.replace(lambda e: isinstance(e, gaussian_mean), lambda e: written_out(*e.args))
