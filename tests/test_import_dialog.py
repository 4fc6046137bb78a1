"""The import dialog as a manager uses it: an empty cell on an update keeps the field (the preview says so), clearing
is a choice the preview shows, the pager counts every row, and a long apply shows its progress with Apply disabled."""

from __future__ import annotations

import threading

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.models import Customer
from backoffice.services import users
from backoffice.transfer import import_apply

from .support.factories import make_customer, make_user
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = "Ada: 'quoted' <script>alert(1)</script>"


async def open_import(user: User) -> ui.upload:
    await signed_in(user, make_user('manager').email, path='/customers')
    await user.should_see('Customers')
    user.find('Import').click()
    await user.should_see('Choose a file')
    return user.find(ui.upload).elements.pop()


async def upload(user: User, text: str, name: str = 'customers.csv') -> None:
    element = await open_import(user)
    await element.handle_uploads([ui.upload.SmallFileUpload(name, 'text/csv', text.encode())])


def preview_rows(user: User) -> list[dict]:
    tables = user.find(marker='import-preview').elements
    return tables and next(iter(tables)).rows


def stored(email: str) -> Customer:
    with read_session() as session:
        return session.exec(select(Customer).where(Customer.email == email)).one()


async def test_an_empty_cell_on_an_update_row_keeps_the_consent(user: User) -> None:
    make_customer('ada@example.com', name='Ada Lovelace', consent=True)
    await upload(user, f'Email,Name,Agrees to marketing email\nada@example.com,"{HOSTILE.replace(chr(34), "")}",\n')
    await user.should_see('1 to update')
    rows = await eventually(lambda: preview_rows(user))
    assert rows[0]['action'] == 'Update'
    assert rows[0]['details'] == (
        f'Name: Ada Lovelace → {HOSTILE}; Kept as it is (empty cell): Agrees to marketing email'
    )
    user.find('Apply 1 change').click()
    await user.should_see('Imported: 0 created, 1 updated')
    customer = stored('ada@example.com')
    assert customer.marketing_consent is True and customer.name == HOSTILE


async def test_clearing_a_field_is_a_choice_the_preview_shows(user: User) -> None:
    make_customer('bo@example.com', name='Bo', consent=True)
    await upload(user, 'Email,Name,Agrees to marketing email\nbo@example.com,Bo,\n')
    await user.should_see('1 unchanged')
    assert (await eventually(lambda: preview_rows(user)))[0]['details'] == (
        'Kept as it is (empty cell): Agrees to marketing email'
    )
    user.find(marker='import-clear').elements.pop().set_value(['marketing_consent'])
    await user.should_see('1 to update')
    rows = await eventually(lambda: preview_rows(user))
    assert rows[0]['details'] == 'Will clear Agrees to marketing email (now Yes)'
    user.find('Apply 1 change').click()
    await user.should_see('Imported: 0 created, 1 updated')
    assert stored('bo@example.com').marketing_consent is False


async def test_the_pager_counts_every_row_of_a_long_file(user: User) -> None:
    lines = ''.join(f'p{n}@example.com,"Person {n}: <b>x</b>"\n' for n in range(1, 1201))
    await upload(user, f'Email,Name\n{lines}')
    await eventually(lambda: preview_rows(user))  # a preview of 1,200 rows takes a moment on a loaded machine
    await user.should_see('1,200 new')
    table = user.find(marker='import-preview').elements.pop()
    assert table.pagination['rowsNumber'] == 1200
    assert table.pagination['label'] == '1–10 of 1,200'  # a list's words (was Quasar's own '1-10 of 1200')
    assert [row['row'] for row in table.rows] == list(range(1, 11))
    # the browser asks for another page with the table's request event
    user.find(marker='import-preview').trigger('request', {'pagination': {'page': 120, 'rowsPerPage': 10}})
    assert [row['row'] for row in table.rows] == list(range(1191, 1201))
    assert table.rows[-1]['details'] == 'Email: p1200@example.com; Name: Person 1200: <b>x</b>'
    assert table.pagination == {'page': 120, 'rowsPerPage': 10, 'rowsNumber': 1200, 'label': '1,191–1,200 of 1,200'}


async def test_the_pager_says_its_range_in_the_readers_language(user: User) -> None:
    manager = make_user('manager')
    with session_scope() as session:
        users.set_language(session=session, actor=manager, language='fr')
    await signed_in(user, manager.email, path='/customers')
    user.find('Importer').click()
    element = user.find(ui.upload).elements.pop()
    lines = ''.join(f'p{n}@example.com,"P{n}: \'q\' <script>alert(1)</script>"\n' for n in range(1, 1201))
    await element.handle_uploads(
        [ui.upload.SmallFileUpload('clients.csv', 'text/csv', f'Email,Name\n{lines}'.encode())]
    )
    await eventually(lambda: preview_rows(user))
    table = user.find(marker='import-preview').elements.pop()
    assert table.pagination['label'] == '1–10 sur 1\u202f200'  # French groups with a narrow no-break space
    user.find(marker='import-preview').trigger('request', {'pagination': {'page': 2, 'rowsPerPage': 25}})
    assert table.pagination['label'] == '26–50 sur 1\u202f200'


async def test_a_long_apply_shows_progress_and_apply_cannot_be_clicked_twice(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_apply, release, calls = import_apply.apply, threading.Event(), []

    def slow_apply(**kwargs):
        calls.append(kwargs['file_name'])
        kwargs['progress'](1200, 3000)
        release.wait(30)
        return real_apply(**kwargs)

    monkeypatch.setattr(import_apply, 'apply', slow_apply)
    await upload(user, 'Email,Name\nnew@example.com,"New: <script>x</script>"\n')
    await user.should_see('1 new')
    try:
        user.find('Apply 1 change').click()
        await user.should_see('Applying: 1,200 of 3,000 rows')
        assert not user.find('Apply 1 change').elements.pop().enabled
        user.find('Apply 1 change').trigger('click')  # a second click that reached the server all the same
        await user.should_see('Applying: 1,200 of 3,000 rows')
    finally:
        release.set()
    await user.should_see('Imported: 1 created, 0 updated')
    assert calls == ['customers.csv']
    assert stored('new@example.com').name == 'New: <script>x</script>'


async def test_the_import_dialog_names_the_match_key_by_its_label_in_the_readers_language(user: User) -> None:
    """Products are matched by their SKU: a French reader reads 'Réf.', as the list's column says (it said 'sku', the
    field's name in the code)."""
    manager = make_user('manager')
    with session_scope() as session:
        users.set_language(session=session, actor=manager, language='fr')
    await signed_in(user, manager.email, path='/products')
    user.find('Importer').click()
    await user.should_see('Les lignes sont rapprochées')
    (said,) = [element.text for element in user.find(kind=ui.label, content='Les lignes sont rapprochées').elements]
    assert said.endswith(
        'Les lignes sont rapprochées des enregistrements existants (produits) par ID ou par «\u00a0Réf.\u00a0».'
    ), said
    assert 'sku' not in said
