"""Your own game: two losses typed as text, parsed by a whitelist grammar (never ``eval``).

A loss is an arithmetic expression in

* the invariants ``dot`` (θ·φ = D(x_fake), also ``d_fake``), ``d_real`` (D(x_real) = 0, useful
  with instance noise), ``theta_sq`` (‖θ‖²), ``phi_sq`` (‖φ‖²), ``theta_norm`` (‖θ‖),
  ``phi_norm`` (‖φ‖);
* the functions ``softplus``, ``sigmoid``, ``log``, ``exp``, ``sqrt``, ``abs``, ``relu`` (one
  argument) and ``max`` (two or more);
* numbers, the declared parameters, ``+ - * / **`` and parentheses.

The text is read with Python's ``ast`` parser (which only builds a tree and runs nothing), and
every node is checked against this grammar: attribute access, subscripts, lambdas, keyword
arguments, comparisons, strings, unknown names (``__import__``, ``os``, …) are refused with a
one-line :class:`~diracgan.errors.InputError`.  The accepted tree is then turned into sympy
through the derivation's scope, so a custom game is derived exactly like a registered one.
sympy's ``parse_expr`` is not used: it evaluates Python.
"""

from __future__ import annotations

import ast
import keyword
import math
from dataclasses import dataclass
from typing import Mapping

from ..errors import InputError
from .spec import GameSpec, Param

__all__ = ["custom_game", "parse_loss", "INVARIANT_NAMES", "FUNCTION_NAMES", "MAX_LOSS_LENGTH"]

INVARIANT_NAMES = ("dot", "d_fake", "d_real", "theta_sq", "phi_sq", "theta_norm", "phi_norm")
FUNCTION_NAMES = ("softplus", "sigmoid", "log", "exp", "sqrt", "abs", "relu", "max")
MAX_LOSS_LENGTH = 2000
MAX_DEPTH = 60

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY = {ast.USub: "-", ast.UAdd: "+"}


def _refuse(text: str, what: str) -> InputError:
    return InputError(f"loss {text!r}: {what}; allowed: numbers, parameters, {', '.join(INVARIANT_NAMES)}, "
                      f"the functions {', '.join(FUNCTION_NAMES)}, + - * / ** and parentheses")


def parse_loss(text: str, params: tuple[str, ...] = ()) -> ast.Expression:
    """The checked syntax tree of one loss; :class:`InputError` for anything off the grammar."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("a loss must be a non-empty expression, e.g. 'softplus(dot)'")
    if len(text) > MAX_LOSS_LENGTH:
        raise InputError(f"a loss may have at most {MAX_LOSS_LENGTH} characters, got {len(text)}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise _refuse(text, f"not an expression ({type(exc).__name__})") from None
    _check(tree.body, text, set(params), 0)
    return tree


def _check(node: ast.AST, text: str, params: set, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _refuse(text, f"nested deeper than {MAX_DEPTH}")
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _refuse(text, f"{node.value!r} is not a number")
        if not math.isfinite(float(node.value)):
            raise _refuse(text, f"{node.value!r} is not a finite number")
        return
    if isinstance(node, ast.Name):
        if node.id not in INVARIANT_NAMES and node.id not in params:
            hint = f" (declare it: --param {node.id}=VALUE)" if node.id.isidentifier() and not node.id.startswith("_") \
                and node.id not in FUNCTION_NAMES else ""
            raise _refuse(text, f"unknown name {node.id!r}{hint}")
        return
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, text, params, depth + 1)
        _check(node.right, text, params, depth + 1)
        return
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        _check(node.operand, text, params, depth + 1)
        return
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTION_NAMES:
            raise _refuse(text, f"{ast.unparse(node.func)!r} is not an allowed function")
        if node.keywords:
            raise _refuse(text, "functions take no keyword arguments")
        n = len(node.args)
        if (node.func.id == "max" and n < 2) or (node.func.id != "max" and n != 1):
            raise _refuse(text, f"{node.func.id} takes {'two or more arguments' if node.func.id == 'max' else 'one argument'}")
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise _refuse(text, "no *arguments")
            _check(arg, text, params, depth + 1)
        return
    raise _refuse(text, f"{type(node).__name__} is not allowed")


def _build(node: ast.AST, s, params: Mapping):
    """The sympy expression of a checked tree, through the derivation's scope ``s``."""
    if isinstance(node, ast.Constant):
        return s.exact(float(node.value))
    if isinstance(node, ast.Name):
        if node.id in params:
            return params[node.id]
        return getattr(s, node.id)
    if isinstance(node, ast.BinOp):
        left, right = _build(node.left, s, params), _build(node.right, s, params)
        op = _BINARY[type(node.op)]
        return {"+": lambda: left + right, "-": lambda: left - right, "*": lambda: left * right,
                "/": lambda: left / right, "**": lambda: left**right}[op]()
    if isinstance(node, ast.UnaryOp):
        value = _build(node.operand, s, params)
        return -value if isinstance(node.op, ast.USub) else value
    args = [_build(a, s, params) for a in node.args]   # ast.Call, checked
    return getattr(s, node.func.id)(*args)


@dataclass(frozen=True)
class _ParsedLosses:
    """The loss function of a custom game (hashable: derivations cache per game)."""

    loss_d: str
    loss_g: str
    param_names: tuple[str, ...]

    def __call__(self, s, **params):
        trees = [parse_loss(t, self.param_names) for t in (self.loss_d, self.loss_g)]
        return tuple(_build(t.body, s, params) for t in trees)


def _check_param_name(name: str) -> str:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise InputError(f"parameter name {name!r} must be a plain identifier (letters, digits, _)")
    if name in INVARIANT_NAMES or name in FUNCTION_NAMES:
        raise InputError(f"parameter name {name!r} is taken by an invariant or a function")
    return name


def custom_game(loss_d: str, loss_g: str, params: Mapping[str, float] | None = None, *,
                name: str = "custom") -> GameSpec:
    """A :class:`GameSpec` from two loss expressions (see the module doc for the grammar).

    Parameters
    ----------
    loss_d, loss_g : str
        L_D (minimised over φ) and L_G (minimised over θ), e.g. ``'softplus(dot) + gamma/2*phi_sq'``
        and ``'softplus(-dot)'``.
    params : mapping of name to default value
        The parameters the losses use; each may take any finite real value.
    name : str
        The game's name in labels and file names.

    Returns
    -------
    GameSpec
        Bind values with ``spec.bind(gamma=0.3)`` or ``make_game(spec, gamma=0.3)``; its field,
        Jacobian and analysis are derived like a registered game's.

    Examples
    --------
    >>> spec = custom_game("softplus(dot) + gamma/2*phi_sq", "softplus(-dot)", {"gamma": 0.5})
    >>> spec.param_names
    ('gamma',)
    """
    params = dict(params or {})
    declared = []
    for key, value in params.items():
        _check_param_name(key)
        try:
            default = float(value)
        except (TypeError, ValueError):
            raise InputError(f"parameter {key!r} needs a number, got {value!r}") from None
        if not math.isfinite(default):
            raise InputError(f"parameter {key!r} must be finite, got {value!r}")
        declared.append(Param(key, key, key, default, "user parameter", lower=-math.inf))
    names = tuple(params)
    for text in (loss_d, loss_g):
        parse_loss(text, names)   # refuse bad text now, not at derivation time
    return GameSpec(name, f"custom: L_D = {loss_d.strip()}, L_G = {loss_g.strip()}",
                    _ParsedLosses(loss_d.strip(), loss_g.strip(), names), params=tuple(declared),
                    reference="user-defined")
