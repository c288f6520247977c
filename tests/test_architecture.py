"""The package's layering: imports only go down the documented list, and nothing imports in a
circle (lazy imports inside functions included).

Every ``import`` and ``from … import`` statement of every module under ``diracgan/`` is read with
``ast`` (wherever it stands: top level, function body, ``if`` branch), resolved to the module it
names, and checked against ``LAYERS`` (the order docs/architecture.md gives).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "diracgan"

#: Low to high.  A module may import its own layer's modules and any lower layer's, never a
#: higher one's.  The package's own ``__init__``/``__main__`` are the facade over all of them.
LAYERS = ("errors", "games", "derivation", "dynamics", "analysis", "torchgan", "bridge", "io", "report", "sweep", "viz",
          "cli")
FACADE = ("diracgan", "diracgan.__main__")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(name: str) -> bool:
    return (PACKAGE.parent / Path(*name.split(".")) / "__init__.py").exists()


def _exists(name: str) -> bool:
    return _is_package(name) or (PACKAGE.parent / Path(*name.split("."))).with_suffix(".py").exists()


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    """(imported diracgan module, line) for every import statement in the module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if _is_package(name) else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.split(".")[0] == "diracgan"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "diracgan":
                continue
            # `from pkg import sub` names the submodule when there is one.
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.append((sub if _exists(sub) else target, node.lineno))
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(name: str) -> int:
    if name in FACADE:
        return len(LAYERS)
    return LAYERS.index(name.split(".")[1])


def test_every_module_belongs_to_a_documented_layer():
    for name in MODULES:
        assert name in FACADE or name.split(".")[1] in LAYERS, f"{name} is in no layer of {LAYERS}"


def test_architecture_doc_lists_the_layers_in_order():
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    positions = [doc.find(f"`{layer}`") for layer in LAYERS]
    assert all(p >= 0 for p in positions), dict(zip(LAYERS, positions))
    assert positions == sorted(positions), "docs/architecture.md lists the layers in another order"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_only_go_down(name):
    for target, line in GRAPH[name]:
        assert target in MODULES, f"{name}:{line} imports {target}, which does not exist"
        assert _layer(target) <= _layer(name), (
            f"{name}:{line} imports {target}: {LAYERS[_layer(target)]} is above {LAYERS[_layer(name)]}")


def test_no_import_circle():
    state: dict[str, int] = {}   # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target, _ in GRAPH.get(node, ()):
            if state.get(target) == 1:
                cycle = stack[stack.index(target):] + [target]
                pytest.fail("import circle: " + " → ".join(cycle))
            if target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for name in sorted(MODULES):
        if name not in state:
            visit(name)


def test_the_checker_sees_lazy_and_upward_imports(tmp_path):
    """The walker must find an import inside a function body and resolve relative levels."""
    name = "diracgan.derivation.numeric"
    targets = {t for t, _ in GRAPH[name]}
    assert "diracgan.games" in targets and "diracgan.derivation.symbolic" in targets
    lazy = "diracgan.cli.catalogue"
    assert "diracgan.viz.catalogue" in {t for t, _ in GRAPH[lazy]}   # imported inside `figures`
    # An upward import is reported: games importing the derivation would fail the layer test.
    assert _layer("diracgan.derivation.symbolic") > _layer("diracgan.games.spec")


def test_the_torch_model_does_not_import_the_derivation():
    """The torch side's gradients come from autograd alone: the model and its training loop
    import nothing from ``derivation`` (they take the update schedule from ``dynamics``)."""
    for name in ("diracgan.torchgan.model", "diracgan.torchgan.training"):
        direct = {t for t, _ in GRAPH[name]}
        assert not any(t.startswith("diracgan.derivation") for t in direct), (name, sorted(direct))
