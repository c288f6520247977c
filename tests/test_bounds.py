"""Bounded eig: overflow, the numeric verdict's step budget, the symbolic budget and its numeric route.

Each case was a traceback or ran for minutes before (issue 19, "Bounded everywhere")."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

from diracgan import compose, custom_game, make_game
from diracgan.analysis.linear import analyse
from diracgan.analysis.verdict import numeric_verdict, verdict_step_budget
from diracgan.cli import cli
from diracgan.derivation import budget
from diracgan.derivation.symbolic import derive, switching_functions, tidy
from diracgan.games import GAMES, REGULARISERS


def run(args):
    return CliRunner().invoke(cli, args)


def test_eig_overflow_is_a_verdict_not_a_traceback():
    r = run(["eig", "--loss", "gp0", "--lam", "1.7e308", "--json"])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    v = doc["numeric_verdict"]
    assert v["verdict"] == "undetermined" and v["message"].startswith("undetermined: overflow:")
    assert v["max_steps"] is None            # nothing was integrated
    r = run(["eig", "--loss", "gp0", "--lam", "1.7e308"])
    assert "decided without integrating" in r.stdout


@pytest.mark.parametrize("reg", ["l2", "consensus"])
def test_wgan_regularised_verdict_ends_within_the_budget(reg):
    game = make_game(f"wgan+{reg}")
    v = numeric_verdict(game, dim=2, linear=analyse(game, 2))
    assert v.verdict == "undetermined" and v.message.startswith("undetermined: budget:")
    assert v.max_steps == verdict_step_budget(200.0) == 10_000


def test_budget_does_not_change_registered_verdicts():
    # wgan is the costliest registered game (2,500–3,000 steps at T = 200): 3× under the budget.
    v = numeric_verdict(make_game("wgan"), dim=2, max_steps=3_000)
    assert v.verdict == "oscillates"
    assert verdict_step_budget(1000.0) == 50_000


def _registered():
    for name in list(GAMES) + [f"{g}+{r}" for g in GAMES for r in REGULARISERS]:
        try:
            game = make_game(name)
            if not game.spec.discrete_only:
                yield game, derive(game.spec)
        except Exception:       # combinations the registry refuses (wgan+r1, noise on products)
            continue


def test_registry_stays_on_the_symbolic_route():
    """The budgets are at least 5× the largest count of any registered game and regulariser."""
    sizes = [sum(budget.tree_size(e) for e in d.field_exprs() + d.jacobian_exprs()) for _, d in _registered()]
    assert len(sizes) > 40 and max(sizes) * 4 < budget.ANALYSIS_SIZE
    terms = [budget.expanded_terms(e) for _, d in _registered() for e in d.field_exprs()]
    assert max(terms) * 10 < budget.TIDY_TERMS


def test_expanded_terms_counts():
    p, a, b = sp.symbols("p a b")
    assert budget.expanded_terms((p + a + b + 1) ** 29) == 4960 + 1     # C(32, 29) over 1
    assert budget.expanded_terms(1 / (1 + a) + 1 / (1 + b)) == 4 + 4    # (2 + 2 terms) / (4 terms)
    assert budget.tree_size(p + a, cap=1) == 2


def test_tidy_skips_cancel_over_budget_and_stays_exact():
    p, a, b = sp.symbols("p a b")
    e = 29 * (p + a + b + 1) ** 28                        # 4,495 terms expanded: over TIDY_TERMS
    assert budget.expanded_terms(e) > budget.TIDY_TERMS and tidy(e) == e      # kept, not expanded
    assert sp.expand(tidy((p**2 - 1) / (p - 1)) - (p + 1)) == 0


def test_power_loss_derives_fast_and_exactly():
    spec = custom_game("(dot+theta_sq+phi_sq+1)**30", "-dot")
    a = analyse(make_game(spec), 2)
    assert a.route == "symbolic" and a.verdict == "asymptotically stable"
    # The exact eigenvalues agree with numpy on M (cancel was skipped, the expressions stay exact).
    m = np.array(a.m_value.evalf(), dtype=float)
    assert np.allclose(sorted(np.linalg.eigvals(m).real), sorted(e.re for e in a.eigenvalues), rtol=1e-12)


def test_many_switches_compare_by_expansion_and_end():
    x, y, z, w = sp.symbols("x y z w", real=True)
    exprs = [sp.Heaviside(x - sp.Max(y, z, w, 1)) * sp.Max(x, y, z, w, 2)]
    found = switching_functions(exprs)
    assert 0 < len(found) <= 20


def test_numeric_route_over_the_budget(monkeypatch):
    import diracgan.analysis.linear as linear

    game = make_game("gp0", lam=0.3)
    exact = analyse(game, 2)
    monkeypatch.setattr(linear, "ANALYSIS_SIZE", 1)
    linear._analyse.cache_clear()
    try:
        num = analyse(game, 2)
    finally:
        linear._analyse.cache_clear()
    assert exact.route == "symbolic" and num.route == "numeric" and "symbolic budget" in num.route_reason
    assert num.verdict == exact.verdict == "asymptotically stable"
    assert np.allclose([(e.re, e.im) for e in num.eigenvalues], [(e.re, e.im) for e in exact.eigenvalues],
                       atol=1e-12)
    assert all(e.multiplicity == 2 for e in num.eigenvalues)
    assert "numeric route" in num.verdict_text()


def test_numeric_route_detects_non_differentiable(monkeypatch):
    import diracgan.analysis.linear as linear

    monkeypatch.setattr(linear, "ANALYSIS_SIZE", 1)
    linear._analyse.cache_clear()
    try:
        wgan = analyse(make_game("wgan"), 2)           # 1/‖φ‖: not finite at the origin
        hinge = analyse(make_game("vanilla"), 2)       # smooth: a centre
    finally:
        linear._analyse.cache_clear()
    assert not wgan.differentiable and "numerically" in wgan.singular_sets[0]
    assert hinge.differentiable and hinge.verdict == "centre"


def test_consensus_on_a_custom_loss_is_bounded():
    spec = compose(custom_game("log(1+exp(dot**3/phi_norm))+sqrt(1+theta_sq*phi_sq)*exp(-dot)",
                               "dot/(1+phi_norm)"), "consensus")
    a = analyse(make_game(spec), 2)
    assert a.route == "numeric" and not a.differentiable
    r = run(["eig", "--loss-d", "log(1+exp(dot**3/phi_norm))+sqrt(1+theta_sq*phi_sq)*exp(-dot)",
             "--loss-g", "dot/(1+phi_norm)", "--reg", "consensus", "--no-numeric", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["route"] == "numeric"


def test_api_names_arguments_and_cli_names_options():
    from diracgan.cli.options import cli_message

    with pytest.raises(Exception) as info:
        analyse(make_game("gp0"), 0)
    assert "dim must be" in str(info.value) and "--dim" not in str(info.value)
    with pytest.raises(Exception) as info:
        numeric_verdict(make_game("gp0"), horizon=float("nan"))
    assert "horizon must be" in str(info.value) and "--" not in str(info.value)
    assert cli_message("shorten horizon= or raise max_steps=", ("horizon", "dim")) == \
        "shorten --horizon or raise max_steps="
