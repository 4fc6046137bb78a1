"""An import file cannot freeze or exhaust the app: an upload over BACKOFFICE_MAX_UPLOAD_MB is refused with 413 while it
streams (before anything stores it) and the dialog says why; a file is parsed in a worker thread, so other people's
pages keep answering while a large import is read (the parse is held until /healthz has answered: no timing)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import pytest
from nicegui import ui
from nicegui.testing import User

from backoffice.config import reload_settings
from backoffice.db import read_session
from backoffice.models import Customer
from backoffice.transfer import import_read

from .support.factories import make_user
from .support.signin import signed_in

MB = 1024 * 1024
BOUNDARY = 'backoffice-test-boundary'


@pytest.fixture
def one_mb_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('BACKOFFICE_MAX_UPLOAD_MB', '1')
    reload_settings()


async def open_import(user: User) -> ui.upload:
    account = make_user('manager')
    await signed_in(user, account.email, path='/customers')
    await user.should_see('Customers')
    user.find('Import').click()
    await user.should_see('Choose a file')
    return user.find(ui.upload).elements.pop()


def multipart(name: str, data: bytes) -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            f'Content-Type: text/csv\r\n\r\n'
        ).encode()
        + data
        + f'\r\n--{BOUNDARY}--\r\n'.encode()
    )


def customers_csv(count: int, columns: int = 1) -> bytes:
    extra = ''.join(f',Note {n}: "quoted" <script>' for n in range(columns - 1))
    header = 'Email,Name' + ''.join(f',Note {n}' for n in range(columns - 1))
    lines = [header] + [f'person{n}@example.com,"Person {n}: <b>x</b>"' + extra.replace('"', '') for n in range(count)]
    return ('\n'.join(lines) + '\n').encode()


async def test_a_file_under_the_limit_is_uploaded_over_http_and_previewed(user: User, one_mb_limit) -> None:
    upload = await open_import(user)
    body = multipart('customers.csv', b'Email,Name\nnew@example.com,"New: <script>x</script>"\n')
    response = await user.http_client.post(
        upload.props['url'], content=body, headers={'Content-Type': f'multipart/form-data; boundary={BOUNDARY}'}
    )
    assert response.status_code == 200
    await user.should_see('1 new, 0 to update')


async def test_an_upload_declaring_more_than_the_limit_is_refused_before_a_byte_is_read(
    user: User, one_mb_limit
) -> None:
    upload = await open_import(user)
    pulled = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(315):
            pulled += 1
            yield b'x' * MB

    response = await user.http_client.post(
        upload.props['url'],
        content=body(),
        headers={'Content-Type': f'multipart/form-data; boundary={BOUNDARY}', 'Content-Length': str(315 * MB)},
    )
    assert response.status_code == 413
    assert response.json() == {'detail': 'The file is larger than 1 MB; split it into smaller files'}
    assert pulled <= 1  # refused on its declared length, not read


async def test_a_chunked_upload_is_cut_off_with_413_as_soon_as_it_passes_the_limit(user: User, one_mb_limit) -> None:
    upload = await open_import(user)
    sent = 0

    async def body() -> AsyncIterator[bytes]:  # no Content-Length: the size is only known by counting
        nonlocal sent
        head = multipart('customers.csv', b'')
        yield head[: head.index(b'\r\n\r\n') + 4] + b'Email,Name\n'
        for n in range(315):
            sent += MB
            yield b''.join(f'p{n}-{i}@example.com,Person\n'.encode() for i in range(40_000))[:MB]

    response = await user.http_client.post(
        upload.props['url'], content=body(), headers={'Content-Type': f'multipart/form-data; boundary={BOUNDARY}'}
    )
    assert response.status_code == 413
    assert 'larger than 1 MB' in response.json()['detail']
    assert sent <= 3 * MB  # stopped at the limit, not after 315 MB
    await asyncio.sleep(0.2)
    await user.should_not_see('Column matching')  # nothing reached the import


async def test_the_dialog_says_why_when_the_server_refuses_the_upload(user: User, one_mb_limit) -> None:
    await open_import(user)
    user.find(ui.upload).trigger('failed', 413)  # what the browser's uploader reports with the response's status
    await user.should_see('The file is larger than 1 MB; split it into smaller files')


async def test_a_file_over_the_limit_that_reaches_the_dialog_is_refused_in_words(user: User, one_mb_limit) -> None:
    upload = await open_import(user)
    await upload.handle_uploads([ui.upload.SmallFileUpload('big.csv', 'text/csv', customers_csv(60_000))])
    await user.should_see('The file is larger than 1 MB; split it into smaller files')
    await user.should_not_see('Column matching')


async def test_too_many_rows_are_refused_in_the_dialog(user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('BACKOFFICE_MAX_IMPORT_ROWS', '100')
    reload_settings()
    upload = await open_import(user)
    await upload.handle_uploads([ui.upload.SmallFileUpload('many.csv', 'text/csv', customers_csv(101))])
    await user.should_see('The file has more than 100 rows; split it into smaller files')


async def test_pages_keep_answering_while_a_large_import_is_parsed(user: User, monkeypatch: pytest.MonkeyPatch) -> None:
    # Deterministic, whatever the machine's speed: the real parse is held until /healthz has answered twice while it is
    # under way. Parsed in a worker thread, it waits and goes on; parsed on the event loop, it would hold the loop, no
    # answer could come, and the wait would time out (counting answers in the parse's wall time flaked on fast runs).
    answered = threading.Event()
    parse_threads: list[threading.Thread] = []
    real_read = import_read.read_table_file

    def held_read(*args, **kwargs):
        parse_threads.append(threading.current_thread())
        held = answered.wait(timeout=10)
        assert held, 'the import held the event loop: /healthz could not answer while the file was parsed'
        return real_read(*args, **kwargs)

    monkeypatch.setattr(import_read, 'read_table_file', held_read)
    data = customers_csv(20_000, columns=16)  # about 5 MB
    upload = await open_import(user)
    loop_thread = threading.current_thread()
    uploading = asyncio.create_task(upload.handle_uploads([ui.upload.SmallFileUpload('big.csv', 'text/csv', data)]))
    started = time.perf_counter()
    while not parse_threads and time.perf_counter() - started < 10:
        await asyncio.sleep(0.01)
    assert parse_threads, 'the import never started parsing'
    answers = 0
    for _ in range(2):
        response = await user.http_client.get('/healthz')
        answers += response.status_code == 200
    assert answers == 2, f'/healthz answered {answers} of 2 times while the file was parsed'
    answered.set()
    await uploading
    await user.should_see('20,000 rows', retries=200)
    assert parse_threads[0] is not loop_thread
    with read_session() as session:
        assert session.get(Customer, 1) is None  # a preview saves nothing
