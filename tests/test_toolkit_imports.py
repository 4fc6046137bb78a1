"""The test toolkit holds: a test module (or conftest, or a support module) imports shared helpers only from
tests/support/, never from a test module or a conftest (fixtures reach tests by name, not by import)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_test_modules(path: Path, source: str | None = None) -> list[str]:
    """What this file imports from the tests package other than tests.support (imports inside functions count)."""
    package = path.relative_to(TESTS.parent).with_suffix('').parts[:-1]  # ('tests',) or ('tests', 'browser')
    found = []
    for node in ast.walk(ast.parse(path.read_text() if source is None else source, str(path))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            names = [*base, *(node.module or '').split('.')] if node.module else [*base]
            targets = ['.'.join(names)] if node.module else ['.'.join([*names, a.name]) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            targets = [node.module]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        found += [
            t
            for t in targets
            if t.split('.')[0] == 'tests' and not (t == 'tests.support' or t.startswith('tests.support.'))
        ]
    return found


def test_no_test_module_imports_another_or_a_conftest() -> None:
    offenders = {
        str(path.relative_to(TESTS.parent)): imported
        for path in sorted(TESTS.rglob('*.py'))
        if (imported := imported_test_modules(path))
    }
    assert not offenders, (
        'move shared helpers to tests/support/ and import them from there '
        f'(fixtures stay in conftest.py and are taken by name): {offenders}'
    )


def test_the_guard_sees_relative_absolute_and_nested_imports() -> None:
    source = (
        'from .conftest import ADMIN_EMAIL\nfrom ..test_catalog import tiny_png\nimport tests.sales\n'
        'from ..support.browser import sign_in\nfrom ..support import factories\n'
        'def helper():\n    from .. import test_cli\n'
    )
    assert imported_test_modules(TESTS / 'browser' / 'test_sample.py', source) == [
        'tests.browser.conftest',
        'tests.test_catalog',
        'tests.sales',
        'tests.test_cli',
    ]
