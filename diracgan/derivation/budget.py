"""The symbolic budget: how much sympy work the derivation and the analysis may attempt.

sympy's simplifications have no time bound: ``cancel`` of ``(θ·φ + ‖θ‖² + ‖φ‖² + 1)^29``
expands 4,960 terms and then differentiates each, and ``simplify`` on the nested Max of an
eight-argument ``max`` loss runs for minutes.  Every costly call here is first priced by a
deterministic count on the expression, never by a clock, so whether the symbolic route is
taken depends on the game alone, not on the machine's load:

* :func:`tree_size`: the number of nodes of the expression tree (shared subtrees counted each
  time, as the recursive algorithms visit them), counted up to a cap so that counting itself
  stays cheap;
* :func:`expanded_terms`: an upper estimate of the number of terms once products and integer
  powers of sums are multiplied out (a multinomial count), which is what ``cancel`` and
  ``simplify`` pay for.

Over budget, the derivation keeps the unsimplified (still exact) expressions, the switching
surfaces are compared by expansion instead of ``simplify``, and the linear analysis takes its
numeric route (:func:`diracgan.analysis.linear.analyse`: the derived Jacobian evaluated at the
equilibrium, numeric eigenvalues, stated as such).  The budgets are 10–100× the largest count
of any registered game with any regulariser (measured in tests/test_symbolic_budget.py), so
the registry never leaves the symbolic route.
"""

from __future__ import annotations

from math import comb

import sympy as sp

__all__ = ["TIDY_TERMS", "TIDY_SIZE", "SIMPLIFY_SIZE", "ANALYSIS_SIZE", "tree_size", "expanded_terms", "within"]

TIDY_TERMS = 500
"""Most terms (:func:`expanded_terms`) an expression may expand to for ``tidy`` to ``cancel`` it."""

TIDY_SIZE = 1_500
"""Largest :func:`tree_size` of an expression that ``tidy`` simplifies at all (``factor_terms``)."""

SIMPLIFY_SIZE = 400
"""Largest :func:`tree_size` of an expression handed to ``sp.simplify`` (switching surfaces)."""

ANALYSIS_SIZE = 3_000
"""Largest total :func:`tree_size` of the localised field coefficients and Jacobian blocks for
the exact linear analysis (eigenvalues, singular sets, limits along rays); above it, the
analysis is numeric."""

_CAP = 10**12


def tree_size(expr, cap: int = _CAP) -> int:
    """Nodes of ``expr``'s tree, counted up to ``cap`` (then ``cap`` + 1 is returned)."""
    n = 0
    for _ in sp.preorder_traversal(sp.sympify(expr)):
        n += 1
        if n > cap:
            break
    return n


def expanded_terms(expr) -> int:
    """An upper estimate of the number of terms ``cancel`` handles when it writes ``expr`` as
    one fraction N/D with N and D multiplied out: each part is priced as (terms of N, terms of
    D); a sum Σ n_i/d_i becomes (Σ_i n_i Π_{j≠i} d_j) / Π d_j, a product multiplies numerators
    and denominators, an integer power k of a t-term polynomial has C(t + k − 1, k) terms (a
    multinomial count; a negative power swaps N and D); a function call, symbol, number or
    non-integer power is one term (``cancel`` treats those as generators).  Returns N + D,
    memoised on the nodes (shared subexpressions cost once), capped at 10¹²."""
    memo: dict = {}

    def power(t: int, k: int) -> int:
        return 1 if t == 1 else comb(t + k - 1, k) if k < 10**6 else _CAP

    def terms(e) -> tuple[int, int]:
        hit = memo.get(e)
        if hit is not None:
            return hit
        if e.is_Add:
            parts = [terms(a) for a in e.args]
            den = 1
            for _, d in parts:
                den = min(den * d, _CAP)
            num = sum(min(n * (den // d), _CAP) for n, d in parts)
            out = (num, den)
        elif e.is_Mul:
            num = den = 1
            for a in e.args:
                n, d = terms(a)
                num, den = min(num * n, _CAP), min(den * d, _CAP)
            out = (num, den)
        elif e.is_Pow and e.exp.is_Integer:
            n, d = terms(e.base)
            k = int(e.exp)
            out = (power(n, k), power(d, k)) if k >= 0 else (power(d, -k), power(n, -k))
        else:
            out = (1, 1)
        out = (min(out[0], _CAP), min(out[1], _CAP))
        memo[e] = out
        return out

    n, d = terms(sp.sympify(expr))
    return min(n + d, _CAP)


def within(exprs, size: int) -> bool:
    """Whether the total :func:`tree_size` of ``exprs`` is at most ``size``."""
    left = size
    for e in exprs:
        left -= tree_size(e, left)
        if left < 0:
            return False
    return True
