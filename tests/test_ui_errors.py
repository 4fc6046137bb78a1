"""One way for a screen to call a service and show its refusal: components/forms.py call()/call_now()."""

import ast
from pathlib import Path

from nicegui import ui
from nicegui.testing import User

from backoffice.errors import ServiceError, StaleRecord, ValidationFailed
from components.forms import FAILED, call, error_line

from .support.factories import make_user
from .support.signin import signed_in

ROOT = Path(__file__).resolve().parent.parent
SERVICE_ERRORS = {'ServiceError', 'ValidationFailed', 'StaleRecord'}  # (a record not found is a screen of its own)
# where a refusal is not shown but means something else: the live count shows "Check the filters" while typing
ALLOWED = {'components/forms.py', 'pages/segments.py:update_count'}


def test_no_screen_catches_a_service_error_by_hand() -> None:
    found = []
    for path in [*ROOT.glob('pages/*.py'), *ROOT.glob('components/*.py')]:
        name = str(path.relative_to(ROOT))
        if name in ALLOWED:
            continue
        found += _handlers(ast.parse(path.read_text()), name, '')
    assert sorted(set(found)) == [], 'use components.forms.call / call_now'


def _handlers(node: ast.AST, name: str, function: str) -> list[str]:
    found = []
    for child in ast.iter_child_nodes(node):
        inner = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
        if isinstance(child, ast.ExceptHandler) and child.type is not None:
            caught = {n.id for n in ast.walk(child.type) if isinstance(n, ast.Name)}
            if caught & SERVICE_ERRORS and f'{name}:{function}' not in ALLOWED:
                found.append(f'{name}:{child.lineno}')
        found += _handlers(child, name, inner)
    return found


async def test_call_shows_each_message_where_it_belongs(user: User) -> None:
    shown: dict = {}

    @ui.page('/call-test')
    def page() -> None:
        shown['name'] = ui.input('Name')
        shown['line'] = error_line()

        async def refuse(error: ServiceError) -> None:
            def service() -> None:
                raise error

            shown['result'] = await call(
                service,
                fields={'name': shown['name']},
                message=shown['line'],
                on_stale=lambda e: shown.setdefault('stale', str(e)),
            )

        shown['refuse'] = refuse

    await signed_in(user, make_user('agent').email, path='/call-test')
    await user.should_see('Name')
    await shown['refuse'](ValidationFailed({'name': 'Not "this": <script>', '': 'The whole form: no'}))
    assert shown['result'] is FAILED and not shown['result']
    assert shown['name'].error == 'Not "this": <script>'
    assert shown['line'].text == 'The whole form: no' and shown['line'].visible
    await shown['refuse'](StaleRecord('order', 'kim@example.com', None, 3))
    assert 'kim@example.com' in shown['stale']
    assert shown['name'].error is None and not shown['line'].visible  # the earlier messages are cleared


async def test_a_falsy_result_is_not_a_failure(user: User) -> None:
    @ui.page('/call-ok')
    def page() -> None:
        pass

    await signed_in(user, make_user('agent').email, path='/call-ok')
    for value in (0, '', [], None):
        assert await call(lambda value=value: value) == value and await call(lambda value=value: value) is not FAILED
