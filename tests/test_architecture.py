"""The shape of the house: which modules may load what, and no module that needs itself.

Imports are read from the source (``ast``), so these tests see what importing a module
runs: module-level imports only. An import inside a function runs when it is called, and
one under ``if TYPE_CHECKING:`` never runs; neither counts. Importing ``a.b.c`` runs the
``__init__`` of ``a`` and ``a.b`` first, so those are edges too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "reconciler"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _module_level(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements a module runs when it is imported."""
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _module_level(node.body)
            yield from _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _module_level(block)
            for handler in node.handlers:
                yield from _module_level(handler.body)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            yield from _module_level(node.body)


def _with_parents(name: str) -> Iterator[str]:
    parts = name.split(".")
    for end in range(1, len(parts) + 1):
        yield ".".join(parts[:end])


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The reconciler modules (and packages) that importing ``path`` imports directly."""
    this = module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    own = set(_with_parents(package))
    found: set[str] = set()
    for node in _module_level(ast.parse(path.read_text(encoding="utf-8")).body):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            # `from a import b` imports a.b when b is a module, else a name of a.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        for target in targets:
            # The packages around this module are being initialised already: going through
            # them is no import of its own, but taking a name from one of them is.
            found.update(
                m for m in _with_parents(target) if m in known and (m not in own or m == target)
            )
    found.discard(this)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(path) for path in paths}
    return {module_name(path): imports_of(path, known) for path in paths}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for neighbour in sorted(graph.get(node, ())):
            if neighbour not in index:
                visit(neighbour)
                low[node] = min(low[node], low[neighbour])
            elif neighbour in on_stack:
                low[node] = min(low[node], index[neighbour])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle_through_a_package() -> None:
    graph = {"a": {"a.b"}, "a.b": set(), "c": {"a"}, "d": {"c"}, "a.e": {"d"}}
    graph["a"].add("a.e")
    assert cycles(graph) == [["a", "a.e", "c", "d"]]
    assert cycles({"x": {"y"}, "y": set()}) == []


def test_no_module_of_the_reconciler_imports_itself_through_others() -> None:
    assert cycles(import_graph()) == []


def test_reading_the_plan_model_does_not_load_the_semantic_diff() -> None:
    """``import reconciler.plan`` (the value, its vocabulary and file) leaves deepdiff out:
    reading or rendering a saved plan needs no diff."""
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, reconciler.plan; print('deepdiff' in sys.modules, "
            "'reconciler.plan.model' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent,
    )
    assert loaded.stdout.split() == ["False", "True"]


def _is_command(function: ast.FunctionDef) -> bool:
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(target, ast.Attribute) and target.attr in ("command", "group"):
            return True
    return False


def command_lengths() -> dict[str, int]:
    """Every click command of the command line and the lines of its body, docstring and the
    imports it makes when it runs (so that start-up loads only the command run) aside."""
    lengths = {}
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and _is_command(node):
                body = node.body
                if (
                    body
                    and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant)
                ):
                    body = body[1:]
                while body and isinstance(body[0], (ast.Import, ast.ImportFrom)):
                    body = body[1:]
                start = body[0].lineno if body else node.lineno
                end = node.end_lineno or start
                lengths[f"{path.stem}.{node.name}"] = end - start + 1
    return lengths


def test_every_command_is_flags_then_one_workflow_call_then_rendering() -> None:
    lengths = command_lengths()
    assert {"plan.plan", "apply.apply", "audit.audit", "importer.import_command"} <= set(lengths)
    assert {name: n for name, n in lengths.items() if n > 30} == {}


def test_the_command_line_reaches_soda_cloud_only_through_the_workflow() -> None:
    """No command opens a client, reads Soda Cloud or applies by itself: the workflow does."""
    graph = import_graph()
    direct = {
        "reconciler.cloud.client",
        "reconciler.cloud.session",
        "reconciler.observed",
        "reconciler.apply.executor",
        "reconciler.apply.steps",
        "reconciler.apply.saved",
    }
    reaching = {
        module: sorted(graph[module] & direct)
        for module in graph
        if module.startswith("reconciler.cli") and graph[module] & direct
    }
    assert reaching == {}


def test_the_flow_runs_one_way_commands_over_verbs_over_the_core() -> None:
    """The command line is on top, the workflow below it, the core below both: no core
    module imports a verb or a command (one that would could not be reused by another
    shell)."""
    graph = import_graph()
    upward = {
        module: sorted(
            target
            for target in targets
            if target.startswith(("reconciler.cli", "reconciler.workflow"))
        )
        for module, targets in graph.items()
        if not module.startswith(("reconciler.cli", "reconciler.workflow"))
        and module != "reconciler.__main__"
    }
    assert {module: found for module, found in upward.items() if found} == {}
    verbs = {module: targets for module, targets in graph.items() if ".workflow" in module}
    assert len(verbs) > 5
    assert not any(t.startswith("reconciler.cli") for t in set().union(*verbs.values()))
