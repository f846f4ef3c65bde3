"""Check the layout of the surveyapp package; exit 1 on any breach (issue #20).

- no import cycle among surveyapp's modules: imports inside functions count (they run
  too, only later); those under ``if TYPE_CHECKING:`` do not (they never run);
- no module over MAX_LINES lines;
- no folder with more than MAX_MODULES .py modules (``__init__.py`` included).

Usage: python scripts/check_layout.py [REPO_ROOT]   (stdlib only, reads the code, runs none)
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "surveyapp"
MAX_LINES = 400
MAX_MODULES = 12


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}  ({self.path}:{self.line})"


def find_modules(root: Path) -> dict[str, Path]:
    """Dotted module name → file, for every .py file of the package."""
    modules = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement that can run, at any depth (the body of an
    ``if TYPE_CHECKING:`` is skipped; its ``else:`` branch is not)."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))
    return found


def find_edges(root: Path, modules: dict[str, Path]) -> list[Edge]:
    """One edge per (importing module, imported surveyapp module, statement)."""

    def known(name: str) -> str | None:
        # ``from a.b import c`` names module a.b.c, or a thing defined in a.b
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    edges = []
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in _imports(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [known(alias.name) for alias in node.names]
            else:
                base = node.module or ""
                if node.level:  # relative: from .x import y
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                targets = [known(f"{base}.{alias.name}") or known(base) for alias in node.names]
            for target in dict.fromkeys(targets):
                if target and target != module:
                    edges.append(Edge(module, target, path.relative_to(root), node.lineno))
    return edges


def find_cycles(modules: dict[str, Path], edges: list[Edge]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    graph: dict[str, set[str]] = {module: set() for module in modules}
    for edge in edges:
        graph[edge.source].add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return sorted(components)


def check(root: Path) -> list[str]:
    """The breaches, each a message naming the modules (and the import lines) at fault."""
    modules = find_modules(root)
    edges = find_edges(root, modules)
    problems = []
    for component in find_cycles(modules, edges):
        members = set(component)
        inside = sorted(
            (e for e in edges if e.source in members and e.target in members),
            key=lambda e: (e.source, e.target, e.line),
        )
        lines = "\n".join(f"    {edge}" for edge in inside)
        problems.append(f"import cycle among {', '.join(component)}:\n{lines}")
    for module, path in modules.items():
        count = len(path.read_text().splitlines())
        if count > MAX_LINES:
            problems.append(f"module {module} ({path.relative_to(root)}) has {count} lines, "
                            f"more than {MAX_LINES}")  # fmt: skip
    folders: dict[Path, int] = defaultdict(int)
    for path in modules.values():
        folders[path.parent.relative_to(root)] += 1
    for folder, count in sorted(folders.items()):
        if count > MAX_MODULES:
            problems.append(f"folder {folder}/ has {count} modules, more than {MAX_MODULES}")
    return problems


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else Path(__file__).resolve().parent.parent)
    problems = check(root)
    for problem in problems:
        print(f"layout: {problem}", file=sys.stderr)
    if problems:
        print(f"layout check failed: {len(problems)} problems", file=sys.stderr)
        return 1
    print(f"layout check passed: {len(find_modules(root))} modules of {PACKAGE}, no import cycle, "
          f"none over {MAX_LINES} lines, no folder over {MAX_MODULES} modules")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
