"""No two modules of the app depend on each other, even through an import inside a function or under TYPE_CHECKING."""

import ast
from pathlib import Path

from .support.python_imports import imported_from

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ('backoffice', 'pages', 'components')


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def app_modules() -> dict[str, Path]:
    found = {
        module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob('*.py') if 'migrations' not in p.parts
    }
    found['main'] = ROOT / 'main.py'
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every app module this one imports, wherever the import statement is."""
    package = name if path.name == '__init__.py' else name.rpartition('.')[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = imported_from(node, package)
            for alias in node.names:
                submodule = f'{base}.{alias.name}'
                targets.add(submodule if submodule in modules else base)
    return {t for t in targets if t in modules and t != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components with more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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


def test_no_module_depends_on_a_module_that_depends_back_on_it():
    modules = app_modules()
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    found = cycles(graph)
    assert not found, 'import cycles (each group reaches itself):\n' + '\n'.join(' ↔ '.join(c) for c in found)


def test_the_check_sees_a_cycle_through_an_import_inside_a_function():
    assert cycles({'a': {'b'}, 'b': {'a'}, 'c': set()}) == [['a', 'b']]
