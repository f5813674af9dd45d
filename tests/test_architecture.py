"""The shape of the code (issue 15), checked on the source: the import graph of `annotator/`, imports at the top, sizes.

Every `import` and `from ... import` statement counts, at module level and
inside functions alike (an import inside a function still ties the modules
together, and hides the tie from a reader); only imports under
`if TYPE_CHECKING:` are left out, since they never run. `from package import
name` is an import of `package.name` when that is a module, else of
`package`. Importing a submodule also runs its package's `__init__`; that
implicit edge is not drawn, or every package would be a cycle with its own
modules.

Layers, lowest first:
- pure: the formats, scoring, extraction, adjudication and span arithmetic
  (and the error family, which they subclass). They import no Django and
  nothing of the app but other pure modules, so they run and are tested
  without a database or settings.
- tables: models (and field/choice modules beside them). They import only
  each other and the pure parts.
- faces: views, the API, the task entry points (`tasks`, `jobs.tasks`),
  management commands, urls, admin, forms, middleware, template tags. Nothing
  below them imports them: selectors, services, db and the tables serve every
  face alike. The rest of `jobs/` (starting and planning runs) may enqueue
  through `jobs.tasks`, the one module that does, and nothing else above it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "annotator"

PURE = (
    "annotator.formats",
    "annotator.evaluation",
    "annotator.extraction",
    "annotator.adjudication",
    "annotator.offsets",
    "annotator.spans",
    "annotator.errors",
    "annotator.lazy",
)
TABLES = ("annotator.models", "annotator.fields", "annotator.choices", "annotator.roles")
FACES = (
    "annotator.views",
    "annotator.api",
    "annotator.tasks",
    "annotator.jobs.tasks",
    "annotator.management",
    "annotator.urls",
    "annotator.admin",
    "annotator.forms",
    "annotator.middleware",
    "annotator.templatetags",
    "annotator.wsgi",
    "annotator.asgi",
)
DJANGO = ("django", "rest_framework", "django_htmx", "django_tasks", "drf_spectacular", "template_partials")

MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 500


def _in(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def module_name(path: Path, top: Path) -> str:
    parts = list(path.relative_to(top).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def source_files(root: Path = PACKAGE) -> dict[str, Path]:
    """{module name: path} of every Python file under `root`, migrations left out."""
    return {module_name(p, root.parent): p for p in sorted(root.rglob("*.py")) if "migrations" not in p.relative_to(root).parts}


class _Imports(ast.NodeVisitor):
    """Every import a module makes, as (line, imported module, names imported), skipping TYPE_CHECKING."""

    def __init__(self, module: str, is_package: bool):
        self.package = module if is_package else module.rpartition(".")[0]
        self.found: list[tuple[int, str, list[str]]] = []

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
        if name == "TYPE_CHECKING":
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append((node.lineno, alias.name, []))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        self.found.append((node.lineno, target, [a.name for a in node.names]))


def import_graph(files: dict[str, Path]) -> dict[str, list[tuple[int, str]]]:
    """{module: [(line, imported module)]}: imports of the app's own modules resolved to modules, others kept as named."""
    graph: dict[str, list[tuple[int, str]]] = {}
    for module, path in files.items():
        visitor = _Imports(module, path.name == "__init__.py")
        visitor.visit(ast.parse(path.read_text(), str(path)))
        edges = []
        for line, target, names in visitor.found:
            if not names:
                edges.append((line, target))
                continue
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in files]
            if submodules:
                edges.extend((line, s) for s in submodules)
            if len(submodules) < len(names):
                edges.append((line, target))
        graph[module] = edges
    return graph


def layer_violations(graph: dict[str, list[tuple[int, str]]]) -> list[str]:
    """Each import that goes from a lower layer to a higher one, as "module:line imports target"."""
    bad = []
    for module, edges in graph.items():
        for line, target in edges:
            own = target == "annotator" or target.startswith("annotator.")
            if _in(module, PURE):
                wrong = _in(target, DJANGO) or (own and not _in(target, PURE))
            elif _in(module, TABLES):
                wrong = own and not _in(target, PURE + TABLES)
            elif _in(module, ("annotator.jobs",)):
                wrong = _in(target, FACES) and not _in(target, ("annotator.jobs.tasks",))
            elif not _in(module, FACES):
                wrong = _in(target, FACES)
            else:
                wrong = False
            if wrong:
                bad.append(f"{module}:{line} imports {target}")
    return bad


def cycles(graph: dict[str, list[tuple[int, str]]]) -> list[list[str]]:
    """The import cycles among the app's modules: strongly connected components of two or more (Tarjan)."""
    edges = {m: sorted({t for _, t in es if t in graph and t != m}) for m, es in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def connect(node: str) -> None:
        # Iterative Tarjan: the graph is small, but a recursion limit should never decide the check.
        work = [(node, iter(edges[node]))]
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        while work:
            current, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                    break
                if child in on_stack:
                    low[current] = min(low[current], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[current])
                if low[current] == index[current]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == current:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return sorted(found)


def oversized(files: dict[str, Path]) -> list[str]:
    """Modules over MAX_MODULE_LINES lines and functions (methods too) over MAX_FUNCTION_LINES."""
    found = []
    for module, path in files.items():
        text = path.read_text()
        lines = text.count("\n") + (not text.endswith("\n") and bool(text))
        if lines > MAX_MODULE_LINES:
            found.append(f"{module}: {lines} lines")
        for node in ast.walk(ast.parse(text, str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{module}.{node.name}: {length} lines")
    return sorted(found)


def imports_inside_functions(files: dict[str, Path]) -> list[str]:
    """Each import made inside a function or method, as "module:line": imports belong at the top, where a reader sees them."""
    found = []
    for module, path in files.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.extend(
                    f"{module}:{inner.lineno}" for inner in ast.walk(node) if isinstance(inner, (ast.Import, ast.ImportFrom))
                )
    return sorted(set(found))


# ------------------------------------------------------------------ the checks


def test_no_import_goes_up_a_layer():
    assert layer_violations(import_graph(source_files())) == []


def test_no_import_cycles():
    assert cycles(import_graph(source_files())) == []


def test_no_module_over_500_lines_and_no_function_over_80():
    assert oversized(source_files()) == []


def test_no_import_inside_a_function():
    assert imports_inside_functions(source_files()) == []


# ------------------------------------------------------------------ the checker checks itself


def _tree(tmp_path: Path, modules: dict[str, str]) -> dict[str, Path]:
    for name, body in modules.items():
        path = tmp_path.joinpath(*name.split("."))
        if name.count(".") == 0 or name.endswith(".__init__"):
            path = tmp_path.joinpath(*name.removesuffix(".__init__").split("."), "__init__.py")
        else:
            path = path.with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    return source_files(tmp_path / "annotator")


def test_the_checker_sees_imports_inside_functions_and_relative_ones(tmp_path):
    files = _tree(
        tmp_path,
        {
            "annotator": "",
            "annotator.formats.__init__": "from . import jsonl\n",
            "annotator.formats.jsonl": "def load():\n    from ..models import Document\n",
            "annotator.models": "from django.db import models\nfrom .views import page\n",
            "annotator.views": "from .services import edit\n",
            "annotator.services": "import typing\nif typing.TYPE_CHECKING:\n    from .views import page\n",
        },
    )
    graph = import_graph(files)
    assert (1, "annotator.formats.jsonl") in graph["annotator.formats"]
    assert layer_violations(graph) == [
        "annotator.formats.jsonl:2 imports annotator.models",
        "annotator.models:2 imports annotator.views",
    ]
    assert graph["annotator.services"] == [(1, "typing")]


def test_the_checker_finds_cycles_and_django_in_pure_parts(tmp_path):
    files = _tree(
        tmp_path,
        {
            "annotator": "",
            "annotator.spans": "import django.db\n",
            "annotator.selectors": "from annotator.services import x\n",
            "annotator.services": "def f():\n    from . import selectors\n",
        },
    )
    graph = import_graph(files)
    assert layer_violations(graph) == ["annotator.spans:1 imports django.db"]
    assert cycles(graph) == [["annotator.selectors", "annotator.services"]]


def test_the_checker_measures_functions(tmp_path):
    body = "def long():\n" + "    x = 1\n" * 80 + "\n\ndef short():\n    return 1\n"
    files = _tree(tmp_path, {"annotator": "", "annotator.big": body})
    assert oversized(files) == ["annotator.big.long: 81 lines"]


def test_the_checker_finds_imports_inside_functions_and_methods(tmp_path):
    body = (
        "import json\n\n\ndef f():\n    import os\n\n\n"
        "class C:\n    def m(self):\n        def g():\n            from . import x\n"
    )
    files = _tree(tmp_path, {"annotator": "", "annotator.mod": body})
    assert imports_inside_functions(files) == ["annotator.mod:11", "annotator.mod:5"]
