"""A file's size as its chip on a request says it: one decimal, rounded to the nearest tenth (half up, never down),
in the largest unit it reaches once rounded, with the reader's decimal mark (1.3 MB; 1,3 Mo)."""

from __future__ import annotations

from nicegui.testing import User

from backoffice import formatting, i18n
from backoffice.db import session_scope
from backoffice.services import tickets, users

from .support.factories import make_user, submit_request
from .support.signin import signed_in

MB = 1024 * 1024
NBSP = '\u00a0'
HOSTILE = 'Scan "front": <img src=x onerror=alert(1)>'
# (bytes, English, French): 1.9 MB; 1.25 MB exactly (half up: 1.3, where half-even said 1.2); a byte short of 1 MB
# (1,024.0 KB before: the unit chosen before rounding); 250.25 KB; a byte past 1 MB; under one KB
SIZES = (
    (int(1.9 * MB), '1.9 MB', f'1,9{NBSP}Mo'),
    (int(1.25 * MB), '1.3 MB', f'1,3{NBSP}Mo'),
    (MB - 1, '1.0 MB', f'1,0{NBSP}Mo'),
    (256_256, '250.3 KB', f'250,3{NBSP}Ko'),
    (MB + 1, '1.0 MB', f'1,0{NBSP}Mo'),
    (999, '999 bytes', f'999{NBSP}octets'),
)


def test_sizes_are_rounded_half_up_to_one_decimal_in_the_readers_language() -> None:
    for count, english, french in SIZES:
        with i18n.use('en'):
            assert formatting.size(count) == english, count
        with i18n.use('fr'):
            assert formatting.size(count) == french, count
    with i18n.use('en'):
        assert formatting.size(1024 * MB - 1) == '1.0 GB'
        assert formatting.size(int(1.96 * 1024)) == '2.0 KB'


def pdf(count: int) -> bytes:
    return b'%PDF-' + b'0' * (count - 5)


async def test_a_requests_file_chips_show_their_sizes_rounded_for_an_english_and_a_french_reader(user: User) -> None:
    agent = make_user('agent')
    french = make_user('agent')
    with session_scope() as session:
        users.set_language(session=session, actor=french, language='fr')
    ticket = submit_request()
    files = [(f'{HOSTILE} {n}.pdf', pdf(count)) for n, (count, _e, _f) in enumerate(SIZES[:3])]
    with session_scope() as session:
        tickets.add_note(
            session=session, actor=agent, ticket_id=ticket.id, body='Scans: "see" <b>files</b>', files=files
        )
    await signed_in(user, agent.email, path=f'/requests/{ticket.number}')
    for n, (_count, english, _french) in enumerate(SIZES[:3]):
        await user.should_see(f'{HOSTILE} {n}.pdf ({english})')
    await signed_in(user, french.email, path=f'/requests/{ticket.number}')
    for n, (_count, _english, in_french) in enumerate(SIZES[:3]):
        await user.should_see(f'{HOSTILE} {n}.pdf ({in_french})')
