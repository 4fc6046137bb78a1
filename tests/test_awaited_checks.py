"""A simulated user's checks are coroutines: one written without `await` checks nothing and passes (two did)."""

from __future__ import annotations

import ast
from pathlib import Path

ASYNC_USER_METHODS = {'should_see', 'should_not_see', 'open'}
TESTS = Path(__file__).parent


def test_every_check_of_the_simulated_user_is_awaited() -> None:
    found = []
    for path in sorted(TESTS.rglob('*.py')):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            call = node.value if isinstance(node, ast.Expr) else None
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr in ASYNC_USER_METHODS
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id == 'user'
            ):
                found.append(f'{path.relative_to(TESTS.parent)}:{node.lineno}')
    assert not found, f'not awaited, so checking nothing: {found}'
