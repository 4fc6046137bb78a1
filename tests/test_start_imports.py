"""Starting the app imports none of the libraries only a few screens and jobs use: every app process (each test worker,
each browser test's server, a restart, a deploy) would pay for them before serving its first page. They are imported
inside the function that uses them; this reads main.py and the app's modules it imports at module level."""

import ast
from pathlib import Path

from .support.python_imports import imported_from

ROOT = Path(__file__).resolve().parents[1]
OURS = ('backoffice', 'components', 'pages', 'main')

# each, with what uses it (together ~1.5 s of an app start's CPU, 2026-12-05: tests/README.md)
LATER = {
    'pandas': 'reports and the dashboard',
    'numpy': 'pandas and fpdf2 bring it',
    'openpyxl': 'spreadsheets written or imported',
    'fpdf': 'PDF documents',
    'PIL': "the digest's sparklines, fpdf2's images",
    'lxml': 'CAMT statements and e-invoices',
    'facturx': 'e-invoices (with pypdf and requests)',
    'ofxtools': 'OFX statements',
    'mt940': 'MT940 statements',
}


def test_starting_the_app_imports_no_library_that_only_some_screens_use() -> None:
    found = {
        f'{library} (for {LATER[library]}), imported by {" <- ".join(chain)}'
        for library, chain in third_party_at_start().items()
        if library in LATER
    }
    assert not found, 'import it inside the function that uses it:\n' + '\n'.join(sorted(found))


def test_the_check_follows_module_level_imports_only() -> None:
    source = (
        'from typing import TYPE_CHECKING\nimport pandas\nif TYPE_CHECKING:\n    import fpdf\n'
        'try:\n    import lxml\nexcept ImportError:\n    pass\ndef later():\n    import openpyxl\n'
    )
    assert module_level_imports(ast.parse(source), 'x') == ['typing', 'typing.TYPE_CHECKING', 'pandas', 'lxml']


def third_party_at_start() -> dict[str, list[str]]:
    """Each library the start imports (first found) with the app modules that lead to it, from main.py on."""
    reached: dict[str, str | None] = {}
    libraries: dict[str, list[str]] = {}
    waiting: list[tuple[str, str | None]] = [('main', None)]
    while waiting:
        name, importer = waiting.pop()
        if name in reached:
            continue
        path = source_of(name)
        if path is None:
            top = name.split('.')[0]
            if top not in OURS and importer is not None:
                libraries.setdefault(top, chain_to(importer, reached))
            continue
        reached[name] = importer
        parts = name.split('.')
        waiting.extend(('.'.join(parts[:n]), name) for n in range(1, len(parts)))  # its packages run first
        package = name if path.name == '__init__.py' else name.rpartition('.')[0]
        waiting.extend((target, name) for target in module_level_imports(ast.parse(path.read_text()), package))
    return libraries


def module_level_imports(tree: ast.Module, package: str) -> list[str]:
    """What a module imports as it runs: not inside a function, not under `if TYPE_CHECKING:`."""
    found: list[str] = []

    def walk(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If):
                if 'TYPE_CHECKING' not in ast.unparse(node.test):
                    walk(node.body)
                walk(node.orelse)
            elif isinstance(node, ast.Try):
                for block in (node.body, *(handler.body for handler in node.handlers), node.orelse, node.finalbody):
                    walk(block)
            elif isinstance(node, ast.With):
                walk(node.body)
            elif isinstance(node, ast.Import):
                found.extend(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = imported_from(node, package)
                found.append(base)
                found.extend(f'{base}.{alias.name}' for alias in node.names)  # a submodule, or a name in `base`

    walk(tree.body)
    return found


def source_of(name: str) -> Path | None:
    if name.split('.')[0] not in OURS:
        return None
    for path in (ROOT / f'{name.replace(".", "/")}.py', ROOT / name.replace('.', '/') / '__init__.py'):
        if path.is_file():
            return path
    return None


def chain_to(name: str, reached: dict[str, str | None]) -> list[str]:
    chain: list[str] = []
    current: str | None = name
    while current is not None:
        chain.append(current)
        current = reached[current]
    return chain
