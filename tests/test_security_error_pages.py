"""Security probe: what a failing page tells whoever asked.

NiceGUI's own error page showed the exception's class and text (`OverflowError: Python int too large to convert to
SQLite INTEGER` for /customers/99999999999999999999; an SQLAlchemy error shows its statement and values). A page that
fails now says so in words, with the way back, and the exception only goes to the log; an id no database could hold
is "not found"."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from backoffice.services import roles

from .support.factories import make_user
from .support.signin import signed_in

TOO_LARGE = '99999999999999999999'


@pytest.mark.parametrize('path', ['/customers/', '/companies/', '/users/', '/finance/bills/', '/requests/'])
async def test_an_id_too_large_for_the_database_is_not_found(user: User, path: str) -> None:
    admin = make_user('admin')
    await signed_in(user, admin.email, path=f'{path}{TOO_LARGE}')
    if path == '/requests/':
        await user.should_see(f'There is no request #{TOO_LARGE}.', retries=30)
    else:
        await user.should_see(marker='not-found', retries=30)


@pytest.mark.expect_error('SELECT password_hash')
async def test_a_failing_page_shows_no_exception_text(user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    admin = make_user('admin')
    await signed_in(user, admin.email, path='/')

    def broken(**_kwargs):
        raise RuntimeError(
            "(sqlite3.OperationalError) [SQL: SELECT password_hash FROM users] [parameters: ('hunter2',)]"
        )

    monkeypatch.setattr(roles, 'list_roles', broken)
    answer = await user.http_client.get('/roles')
    assert answer.status_code == 500
    assert 'Something went wrong' in answer.text
    assert 'hunter2' not in answer.text and 'RuntimeError' not in answer.text and 'password_hash' not in answer.text
