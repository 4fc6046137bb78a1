"""Exporting a customer list: what a manager downloads is what the list shows — labels, company names, statuses — as
CSV that Excel opens with its accents intact, or XLSX with real dates and numbers; every export is audited."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.errors import PermissionDenied, ValidationFailed
from backoffice.listing import query
from backoffice.models import AuditEntry, Customer
from backoffice.resources import RESOURCES, resource
from backoffice.services import audit_story
from backoffice.services.customers import ban_customer
from backoffice.transfer.exports import export_rows, records_counted

from .support.factories import make_company, make_customer, make_user

CUSTOMERS = resource('customers')
HEADER = ['ID', 'Email', 'Name', 'Phone', 'Status', 'Company', 'Consent', 'Signed up', 'Last seen']


@pytest.fixture
def shop():
    """Three customers: one at a company with an accented name, one with a name that looks like a formula."""
    acme = make_company('Acme Société')
    ada = make_customer('ada@example.com', name='Ada Lovelace', company_id=acme.id, consent=True)
    make_customer('bob@example.com', name='=HYPERLINK("http://evil","click")', status='unfinished')
    cyd = make_customer('cyd@example.com', name='Cyd Charisse')
    manager = make_user('manager')
    with session_scope() as session:
        ban_customer(session=session, actor=manager, record_id=cyd.id, version=cyd.version, reason='Spam')
    return {'acme': acme, 'ada': ada, 'manager': manager}


def export(actor, fmt='csv', progress=None, batch_size=1000, **request) -> bytes:
    request = query.ListRequest(**{'sort': 'email', 'descending': False, **request})
    with read_session() as session:
        result = export_rows(
            session=session,
            actor=actor,
            resource=CUSTOMERS,
            request=request,
            fmt=fmt,
            progress=progress,
            batch_size=batch_size,
        )
        assert result.file_name.startswith('customers-') and result.file_name.endswith(f'.{fmt}')
        return b''.join(result.chunks)


def parsed(data: bytes) -> list[list[str]]:
    assert data.startswith('\ufeff'.encode()), 'a BOM, so Excel reads UTF-8'
    return list(csv.reader(io.StringIO(data.decode('utf-8-sig'))))


def test_csv_shows_what_the_list_shows(shop) -> None:
    rows = parsed(export(shop['manager']))
    assert rows[0] == HEADER
    by_email = {row[1]: dict(zip(HEADER, row, strict=True)) for row in rows[1:]}
    assert list(by_email) == ['ada@example.com', 'bob@example.com', 'cyd@example.com']  # the list's sort
    ada = by_email['ada@example.com']
    assert ada['ID'] == str(shop['ada'].id)
    assert ada['Company'] == 'Acme Société'  # the related record's title, accents intact
    assert ada['Status'] == 'Active' and ada['Consent'] == 'Yes' and ada['Last seen'] == ''
    assert datetime.fromisoformat(ada['Signed up']).utcoffset().total_seconds() == 0  # ISO, in UTC
    assert by_email['bob@example.com']['Status'] == 'Unfinished sign-up'
    assert by_email['cyd@example.com']['Status'] == 'Banned'
    assert by_email['bob@example.com']['Name'] == '\'=HYPERLINK("http://evil","click")'  # never run as a formula


def test_the_current_filters_search_and_sort_are_respected(shop) -> None:
    rows = parsed(export(shop['manager'], filters={'status': 'active'}))
    assert [row[1] for row in rows[1:]] == ['ada@example.com']
    rows = parsed(export(shop['manager'], search='cyd'))
    assert [row[1] for row in rows[1:]] == ['cyd@example.com']
    rows = parsed(export(shop['manager'], sort='email', descending=True))
    assert [row[1] for row in rows[1:]] == ['cyd@example.com', 'bob@example.com', 'ada@example.com']


def test_every_export_is_audited_with_its_count_and_filters(shop) -> None:
    export(shop['manager'], filters={'status': 'active'})
    with read_session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'customer.exported')).one()
    assert entry.actor_email == shop['manager'].email
    assert entry.changes['rows'] == [None, 1]
    assert entry.changes['filters'][1]['filters'] == {'status': 'active'}
    assert 'Exported 1 customer to CSV' in entry.summary and 'Status = active' in entry.summary
    with i18n.use('fr'):  # the summary reads in its reader's language; the stored one stays English
        assert audit_story.summary_text(entry) == 'Export de 1 client en CSV\u00a0: Statut = active'


HOSTILE = 'Zoé "Z": <script>alert(1)</script>; ok?'


def test_an_export_summary_names_the_records_in_the_readers_language() -> None:
    """Staff users, supplier bills, received mail: their English label glued into '{n} staff users' had no French;
    the summary now counts with the resource's own wording, and a row stored the old way reads in French too."""
    admin = make_user('admin', name=HOSTILE)
    for key in ('users', 'supplier-bills', 'mailbox-mails'):
        with read_session() as session:
            request = query.ListRequest(search=HOSTILE, sort='id', descending=False)
            b''.join(
                export_rows(session=session, actor=admin, resource=resource(key), request=request, fmt='csv').chunks
            )
    with read_session() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action.like('%.exported'))).all()
    summaries = {entry.action: entry for entry in entries}
    assert summaries['user.exported'].summary.startswith('Exported 1 staff user to CSV: search "Zoé')
    with i18n.use('fr'):
        shown = {action: audit_story.summary_text(entry) for action, entry in summaries.items()}
    assert shown['user.exported'].startswith('Export de 1 utilisateur en CSV\u00a0: recherche')
    assert shown['supplier bill.exported'].startswith('Export de 0 facture en CSV')
    assert shown['received mail.exported'].startswith('Export de 0 message en CSV')
    assert HOSTILE in shown['user.exported']
    old = summaries['user.exported']  # as stored before: the count glued from the label
    old.summary_params = {
        **old.summary_params,
        'exported': {
            'key': old.summary_params['exported']['key'],
            'params': {
                **old.summary_params['exported']['params'],
                'records': {'plural': ['{n} user', '{n} staff users'], 'n': 2},
            },
        },
    }
    with i18n.use('fr'):
        assert audit_story.summary_text(old).startswith('Export de 2 utilisateurs en CSV')


def test_every_resource_counts_its_exported_records_in_french() -> None:
    french = i18n.translations('fr')
    for declared in RESOURCES.values():
        said = records_counted(declared, 3)
        singular, plural = said['plural']
        assert french.ngettext(singular, plural, 3) != plural or declared.key == 'webhooks', declared.key


def test_xlsx_has_real_types(shop) -> None:
    sheet = load_workbook(io.BytesIO(export(shop['manager'], fmt='xlsx'))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    ada = dict(zip(HEADER, rows[1], strict=True))
    assert ada['ID'] == shop['ada'].id and isinstance(ada['ID'], int)
    assert isinstance(ada['Signed up'], datetime)
    assert ada['Consent'] == 'Yes' and ada['Company'] == 'Acme Société' and ada['Status'] == 'Active'
    assert ada['Last seen'] is None
    formula_cell = sheet.cell(row=3, column=3)
    assert formula_cell.value.startswith('=HYPERLINK') and formula_cell.data_type == 's'  # text, not a formula


def test_large_exports_stream_in_batches_with_progress() -> None:
    manager = make_user('manager')
    with session_scope() as session:
        session.add_all(Customer(email=f'c{n:04}@example.com', name=f'Customer {n}') for n in range(2_500))
        session.commit()
    seen: list[tuple[int, int | None]] = []
    request = query.ListRequest(sort='email', descending=False)
    with read_session() as session:
        result = export_rows(
            session=session,
            actor=manager,
            resource=CUSTOMERS,
            request=request,
            fmt='csv',
            progress=lambda done, total: seen.append((done, total)),
            batch_size=1000,
        )
        assert seen == [], 'no row is read before the download starts'
        chunks = list(result.chunks)
    assert len(chunks) >= 4  # the header, then one chunk per batch
    rows = parsed(b''.join(chunks))
    assert len(rows) == 2_501 and rows[1][1] == 'c0000@example.com' and rows[-1][1] == 'c2499@example.com'
    assert seen == [(0, 2500), (1000, 2500), (2000, 2500), (2500, 2500)]


def test_an_export_stopped_early_is_still_audited() -> None:
    manager = make_user('manager')
    with session_scope() as session:
        session.add_all(Customer(email=f'c{n:04}@example.com') for n in range(30))
        session.commit()
    with read_session() as session:
        chunks = export_rows(
            session=session,
            actor=manager,
            resource=CUSTOMERS,
            fmt='csv',
            batch_size=10,
            request=query.ListRequest(sort='email', descending=False),
        ).chunks
        next(chunks), next(chunks)
        chunks.close()  # the browser went away
    with read_session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'customer.exported')).one()
    assert entry.changes['rows'] == [None, 10] and entry.changes['complete'] == [None, False]
    assert 'stopped early' in entry.summary


def test_export_needs_read_permission(shop) -> None:
    viewer = make_user('viewer')
    assert len(parsed(export(viewer))) == 4  # a viewer may read, so may export
    gone = make_user('viewer', active=False)
    with pytest.raises(PermissionDenied):
        export(gone)


@pytest.mark.parametrize('key', sorted(RESOURCES))
def test_every_declared_list_exports_in_both_formats(key: str) -> None:
    admin = make_user('admin')  # the audit log and the staff list have a row each by now
    declared = resource(key)
    for fmt in ('csv', 'xlsx'):
        with read_session() as session:
            data = b''.join(
                export_rows(
                    session=session, actor=admin, resource=declared, fmt=fmt, request=query.ListRequest()
                ).chunks
            )
        header = (
            parsed(data)[0]
            if fmt == 'csv'
            else [c.value for c in next(load_workbook(io.BytesIO(data)).active.iter_rows(max_row=1))]
        )
        assert header == ['ID', *(column.label for column in declared.columns)]


def test_a_bad_filter_is_refused_before_the_download_starts(shop) -> None:
    with read_session() as session, pytest.raises(ValidationFailed, match='no such filter'):
        export_rows(
            session=session,
            actor=shop['manager'],
            resource=CUSTOMERS,
            fmt='csv',
            request=query.ListRequest(filters={'favourite_colour': 'blue'}),
        )
