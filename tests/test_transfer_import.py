"""Importing customers from a spreadsheet: the columns are matched by their headers, a dry run says what each row would
do and why not, applying writes every valid row in one transaction, and the whole batch can be reverted — except a
record someone changed since, which is left alone and named."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from sqlmodel import func, select

from backoffice import events
from backoffice.config import reload_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import PermissionDenied, ServiceError, StaleRecord, ValidationFailed
from backoffice.listing import query
from backoffice.models import AuditEntry, Customer, ImportBatch
from backoffice.resources import resource
from backoffice.services import crud
from backoffice.services.customers import ban_customer
from backoffice.transfer import import_apply, import_map, import_plan, import_read, import_revert
from backoffice.transfer.exports import export_rows
from components import import_preview

from .support.factories import make_company, make_customer, make_user

CUSTOMERS = resource('customers')

FILE = (
    'Email;Name;Company;Agrees to marketing email;Favourite colour\n'
    'ADA@example.com;Ada King;;yes;blue\n'  # 1 update: name (matched by email, ignoring case)
    'bob@example.com;Bob;Acme;no;red\n'  # 2 unchanged
    'new@example.com;Newt;Acme;Yes;\n'  # 3 create, company given by name
    'not-an-email;Nobody;;;\n'  # 4 error: the email
    'eve@example.com;Eve;Nope Ltd;;\n'  # 5 error: no such company
    'NEW@example.com;Newt again;;;\n'  # 6 error: the same new customer twice
)


@pytest.fixture
def manager():
    return make_user('manager')


@pytest.fixture
def shop():
    acme = make_company('Acme')
    ada = make_customer('ada@example.com', name='Ada Lovelace', consent=True)
    bob = make_customer('bob@example.com', name='Bob', company_id=acme.id)
    return {'acme': acme, 'ada': ada, 'bob': bob}


def plan_for(actor, text: str | bytes, file_name: str = 'customers.csv') -> list[import_plan.RowPlan]:
    rows = import_read.read_table(text.encode() if isinstance(text, str) else text, file_name)
    mapping = import_map.map_columns(CUSTOMERS, rows[0].keys())
    with read_session() as session:
        return import_plan.preview(session=session, actor=actor, resource=CUSTOMERS, rows=rows, mapping=mapping)


def apply(actor, plan, file_name='customers.csv') -> ImportBatch:
    with session_scope() as session:
        return import_apply.apply(session=session, actor=actor, resource=CUSTOMERS, plan=plan, file_name=file_name)


def revert(actor, batch_id) -> dict:
    with session_scope() as session:
        return import_revert.revert(session=session, actor=actor, batch_id=batch_id)


def customer(email: str) -> Customer | None:
    with read_session() as session:
        return session.exec(select(Customer).where(Customer.email == email)).first()


def count(model) -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


# --- reading and mapping ---------------------------------------------------------------------------------------------


def test_columns_are_matched_by_label_or_name_ignoring_case_and_spaces() -> None:
    mapping = import_map.map_columns(
        CUSTOMERS, ['E-mail', ' name ', 'COMPANY', 'Consent', 'company_id', 'id', 'Favourite colour']
    )
    assert mapping == {
        'E-mail': 'email',
        ' name ': 'name',
        'COMPANY': 'company_id',
        'Consent': 'marketing_consent',
        'company_id': None,
        'id': 'id',
        'Favourite colour': None,
    }  # a second Company column: ignored


def test_csv_with_bom_semicolons_or_tabs_and_xlsx_are_read() -> None:
    semicolons = import_read.read_table('\ufeffEmail;Name\n\nzoë@example.com;Zoë\n'.encode(), 'a.csv')
    assert semicolons == [{'Email': 'zoë@example.com', 'Name': 'Zoë'}]  # BOM gone, blank line skipped
    assert import_read.read_table(b'Email\tName\r\na@example.com\tA\r\n', 'a.csv') == [
        {'Email': 'a@example.com', 'Name': 'A'}
    ]
    assert import_read.read_table('Email,Name\nb@example.com,Bé\n'.encode('cp1252'), 'b.csv')[0]['Name'] == 'Bé'
    # Excel's "Unicode Text": UTF-16 with its byte-order mark, tab-separated
    assert import_read.read_table('Email\tName\r\nc@example.com\tÇa\r\n'.encode('utf-16'), 'c.csv') == [
        {'Email': 'c@example.com', 'Name': 'Ça'}
    ]
    assert import_read.read_table(b'Email,Name\nd@example.com,D\x00e\n', 'd.csv')[0]['Name'] == 'De'  # no NUL kept
    workbook = Workbook()
    workbook.active.append(['Email', 'Name', 'Consent', 'Company'])
    workbook.active.append(['x@example.com', 'X', True, 7])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert import_read.read_table(buffer.getvalue(), 'people.XLSX') == [
        {'Email': 'x@example.com', 'Name': 'X', 'Consent': 'Yes', 'Company': '7'}
    ]


@pytest.mark.parametrize(
    'data, name, message',
    [
        (b'', 'a.csv', 'The file is empty'),
        (b'\n \n', 'a.csv', 'The file is empty'),
        (b'Email,Name\n', 'a.csv', 'no rows under it'),
        (b'not a workbook', 'a.xlsx', 'could not be read as an Excel workbook'),
        (b'Email\nx@example.com\n', 'a.pdf', 'Upload a .csv or .xlsx file'),
        (b'Email,Email\nx@example.com,y@example.com\n', 'a.csv', 'appears twice'),
    ],
)
def test_unreadable_files_are_refused_in_words(data: bytes, name: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        import_read.read_table(data, name)
    assert message in refused.value.errors['file']


def test_too_many_rows_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('BACKOFFICE_MAX_IMPORT_ROWS', '3')
    reload_settings()
    import_read.read_table(b'Email\na\nb\nc\n', 'a.csv')
    with pytest.raises(ValidationFailed, match='more than 3 rows'):
        import_read.read_table(b'Email\na\nb\nc\nd\n', 'a.csv')


# --- preview ---------------------------------------------------------------------------------------------------------


def test_preview_says_what_each_row_would_do_and_writes_nothing(shop, manager) -> None:
    customers, audits = count(Customer), count(AuditEntry)
    plan = plan_for(manager, FILE)
    assert [row.action for row in plan] == ['update', 'unchanged', 'create', 'error', 'error', 'error']
    update, _unchanged, create, bad_email, no_company, twice = plan
    assert update.record_id == shop['ada'].id and update.changes == {'name': ['Ada Lovelace', 'Ada King']}
    assert create.values['company_id'] == shop['acme'].id and create.values['marketing_consent'] is True
    assert create.changes['email'] == [None, 'new@example.com']
    assert bad_email.reason == 'Email: Enter a valid email address.'
    assert no_company.reason == 'Company: No company is named "Nope Ltd".'
    assert twice.reason == 'Email: Row 3 of this file has the same email.'
    assert import_plan.count_actions(plan) == {'create': 1, 'update': 1, 'unchanged': 1, 'error': 3}
    assert (count(Customer), count(AuditEntry)) == (customers, audits)


def test_preview_uses_the_same_rules_as_the_form(shop, manager) -> None:
    gone = make_customer('gone@example.com')
    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=CUSTOMERS, record_id=gone.id)
    plan = plan_for(
        manager,
        'Email,Status,Phone\n'
        'gone@example.com,Active,\n'  # a customer in the trash has this email
        'c@example.com,Banned,\n'  # banning is an action with a reason
        'd@example.com,Asleep,\n'  # not a status
        'e@example.com,unfinished,abc\n',
    )  # not a phone number
    assert [row.action for row in plan] == ['error'] * 4
    assert 'in the trash has this email; restore it instead' in plan[0].reason
    assert 'Ban a customer with the Ban action' in plan[1].reason
    assert plan[2].reason == 'Status: Choose one of: Active, Unfinished sign-up.'
    assert plan[3].reason.startswith('Phone: Enter a phone number')


def test_yes_no_columns_read_the_true_and_false_excel_writes_in_english_or_french(manager) -> None:
    """A French Excel saves a TRUE cell as VRAI and FALSE as FAUX (they were refused: 'Write Yes or No')."""
    plan = plan_for(
        manager,
        'Email;Name;Agrees to marketing email\n'
        'vrai@example.com;"Véra ""V"": <script>";VRAI\n'
        'faux@example.com;"Fanny \'F\': <script>";FAUX\n'
        'true@example.com;Tom;TRUE\n'
        'false@example.com;Fay;False\n'
        'maybe@example.com;May;Peut-être\n',
    )
    assert [row.action for row in plan] == ['create'] * 4 + ['error'], [row.errors for row in plan]
    assert [row.values['marketing_consent'] for row in plan[:4]] == [True, False, True, False]
    assert plan[4].errors == {'marketing_consent': 'Write Yes or No'}


def test_rows_can_be_matched_by_id_and_an_empty_cell_keeps_the_field(shop, manager) -> None:
    plan = plan_for(
        manager, f'ID,Email,Company\n{shop["bob"].id},bob@example.com,\n999,x@example.com,\n,zed@example.com,Acme\n'
    )
    assert [row.action for row in plan] == ['unchanged', 'error', 'create']
    assert plan[0].kept == {'company_id': shop['acme'].id} and plan[0].changes == {}
    assert plan[1].reason == 'ID: No customer has the id 999.'


def test_an_empty_cell_on_an_update_keeps_consent_and_phone_unless_asked_to_clear(shop, manager) -> None:
    with session_scope() as session:
        crud.update_record(
            session=session,
            actor=manager,
            resource=CUSTOMERS,
            record_id=shop['ada'].id,
            version=1,
            changes={'phone': '+44 20 7946 0000'},
        )
    text = 'Email,Name,Phone,Agrees to marketing email\nada@example.com,"Ada: \'<script>x</script>",,\n'
    kept = plan_for(manager, text)[0]
    assert kept.action == 'update' and kept.changes == {'name': ['Ada Lovelace', "Ada: '<script>x</script>"]}
    assert kept.kept == {'phone': '+44 20 7946 0000', 'marketing_consent': True} and kept.cleared == []
    apply(manager, [kept])
    stored = customer('ada@example.com')
    assert stored.marketing_consent is True and stored.phone == '+44 20 7946 0000'
    assert stored.name == "Ada: '<script>x</script>"

    rows = import_read.read_table(text.encode(), 'c.csv')
    with read_session() as session:
        cleared = import_plan.preview(
            session=session,
            actor=manager,
            resource=CUSTOMERS,
            rows=rows,
            mapping=import_map.map_columns(CUSTOMERS, rows[0].keys()),
            clear=['phone', 'marketing_consent'],
        )[0]
    assert cleared.changes == {'phone': ['+44 20 7946 0000', None], 'marketing_consent': [True, False]}
    assert sorted(cleared.cleared) == ['marketing_consent', 'phone'] and cleared.kept == {}
    apply(manager, [cleared])
    stored = customer('ada@example.com')
    assert stored.marketing_consent is False and stored.phone is None


def test_an_import_never_opts_a_customer_back_in_but_may_opt_one_out(shop, manager) -> None:
    """A spreadsheet made before Bob opted out says Yes: his No stands, and the preview says why; Ada's Yes may still
    become No (withdrawing is always fine), and a new customer takes the file's Yes."""
    text = (
        'Email,Name,Agrees to marketing email\n'
        'bob@example.com,"Bob: \'<script>x</script>",Yes\n'
        'ada@example.com,Ada Lovelace,No\n'
        'new.one@example.com,"Zoë ""Q""",Yes\n'
    )
    bob, ada, new = plan_for(manager, text)
    assert bob.action == 'update' and bob.changes == {'name': ['Bob', "Bob: '<script>x</script>"]}
    assert bob.withheld == {'marketing_consent': False}
    said = import_preview.describe(CUSTOMERS, bob)
    assert 'Kept as it is (only the person can agree to it): Agrees to marketing email' in said
    assert ada.changes == {'marketing_consent': [True, False]} and ada.withheld == {}
    assert new.action == 'create' and new.values['marketing_consent'] is True
    apply(manager, [bob, ada, new])
    assert customer('bob@example.com').marketing_consent is False
    assert customer('bob@example.com').name == "Bob: '<script>x</script>"
    assert customer('ada@example.com').marketing_consent is False
    assert customer('new.one@example.com').marketing_consent is True
    only_consent = plan_for(manager, 'Email,Agrees to marketing email\nbob@example.com,yes\n')[0]
    assert only_consent.action == 'unchanged' and only_consent.withheld == {'marketing_consent': False}


def test_preview_and_apply_report_their_progress(shop, manager) -> None:
    lines = ''.join(f'p{n}@example.com,Person {n}\n' for n in range(250))
    rows = import_read.read_table(f'Email,Name\n{lines}'.encode(), 'c.csv')
    seen: list[tuple[int, int]] = []
    with read_session() as session:
        plan = import_plan.preview(
            session=session,
            actor=manager,
            resource=CUSTOMERS,
            rows=rows,
            mapping=import_map.map_columns(CUSTOMERS, rows[0].keys()),
            progress=lambda done, total: seen.append((done, total)),
        )
    assert seen == [(100, 250), (200, 250), (250, 250)]
    seen.clear()
    with session_scope() as session:
        import_apply.apply(
            session=session,
            actor=manager,
            resource=CUSTOMERS,
            plan=plan,
            file_name='c.csv',
            progress=lambda done, total: seen.append((done, total)),
        )
    assert seen == [(100, 250), (200, 250), (250, 250)]


def test_a_banned_customer_exported_and_imported_back_is_unchanged(shop, manager) -> None:
    with session_scope() as session:
        ban_customer(
            session=session, actor=manager, record_id=shop['bob'].id, version=shop['bob'].version, reason='Fraud'
        )
        odd = make_customer('=cmd@example.com', name='=SUM(A1)')
        crud.update_record(
            session=session,
            actor=manager,
            resource=CUSTOMERS,
            record_id=odd.id,
            version=1,
            changes={'phone': '+44 20 7946 0000'},
        )  # exported as '+44…, read back without the '
    with read_session() as session:
        exported = export_rows(
            session=session, actor=manager, resource=CUSTOMERS, fmt='csv', request=query.ListRequest()
        )
        data = b''.join(exported.chunks)
    plan = plan_for(manager, data)
    assert [row.action for row in plan] == ['unchanged'] * 3, [row.reason for row in plan]


def test_a_viewer_may_not_import_or_revert(shop, manager) -> None:
    viewer = make_user('viewer')
    with pytest.raises(PermissionDenied):
        plan_for(viewer, FILE)
    plan = plan_for(manager, FILE)
    with pytest.raises(PermissionDenied):
        apply(viewer, plan)
    batch = apply(manager, plan)
    with pytest.raises(PermissionDenied):
        revert(viewer, batch.id)
    assert customer('ada@example.com').name == 'Ada King'


def test_read_only_lists_cannot_be_imported(manager) -> None:
    with read_session() as session, pytest.raises(ServiceError, match='cannot be imported'):
        import_plan.preview(
            session=session,
            actor=manager,
            resource=resource('audit'),
            rows=[{'Who': 'x'}],
            mapping={'Who': 'actor_email'},
        )


# --- apply -----------------------------------------------------------------------------------------------------------


def test_apply_writes_the_valid_rows_audits_them_and_tells_the_lists(shop, manager) -> None:
    heard = []
    events.subscribe('customers', heard.append, key='test')
    batch = apply(manager, plan_for(manager, FILE), file_name='spring.csv')
    assert batch.counts == {'created': 1, 'updated': 1, 'unchanged': 1, 'skipped': 3}
    new = customer('new@example.com')
    assert new.company_id == shop['acme'].id and new.name == 'Newt'
    assert customer('ada@example.com').name == 'Ada King' and customer('ada@example.com').version == 2
    assert customer('eve@example.com') is None
    with read_session() as session:
        stored = session.get(ImportBatch, batch.id)
        assert stored.created_ids == [new.id] and stored.file_name == 'spring.csv' and stored.actor_id == manager.id
        assert stored.updated[str(shop['ada'].id)]['before'] == {'name': 'Ada Lovelace'}
        actions = [e.action for e in session.exec(select(AuditEntry).where(AuditEntry.actor_id == manager.id))]
    assert sorted(actions) == ['customer.created', 'customer.imported', 'customer.updated']
    assert heard == [{'id': None, 'action': 'imported', 'batch_id': batch.id, 'ids': [new.id, shop['ada'].id]}]


def test_a_row_that_fails_at_apply_time_writes_nothing(shop, manager) -> None:
    plan = plan_for(manager, FILE)
    make_customer('new@example.com', name='Someone was quicker')  # between the preview and the click on Apply
    batches, audits = count(ImportBatch), count(AuditEntry)
    with pytest.raises(ValidationFailed) as refused:
        apply(manager, plan)
    assert refused.value.errors[''].startswith('Row 3 (new@example.com): Email: Another customer already has')
    assert 'Nothing was imported' in refused.value.errors['']
    assert customer('ada@example.com').name == 'Ada Lovelace'  # row 1 was rolled back with the rest
    assert (count(ImportBatch), count(AuditEntry)) == (batches, audits)


def test_a_file_with_nothing_to_do_is_not_applied(shop, manager) -> None:
    plan = plan_for(manager, 'Email,Name\nbob@example.com,Bob\nbad,\n')
    with pytest.raises(ValidationFailed, match='Nothing to import'):
        apply(manager, plan)
    assert count(ImportBatch) == 0


def test_a_record_edited_after_the_preview_stops_the_import(shop, manager) -> None:
    plan = plan_for(manager, FILE)
    with session_scope() as session:
        crud.update_record(
            session=session,
            actor=manager,
            resource=CUSTOMERS,
            record_id=shop['ada'].id,
            version=1,
            changes={'phone': '+44 20 7946 0000'},
        )
    with pytest.raises(ValidationFailed) as refused:
        apply(manager, plan)
    assert refused.value.errors[''].startswith(f'Row 1 (ada@example.com): {manager.name} changed this customer at ')
    assert refused.value.errors[''].endswith('after the preview. Nothing was imported; preview the file again.')
    assert isinstance(refused.value.__cause__, StaleRecord)
    assert customer('new@example.com') is None


# --- revert ----------------------------------------------------------------------------------------------------------


def test_revert_trashes_what_was_added_and_restores_what_was_changed(shop, manager) -> None:
    batch = apply(manager, plan_for(manager, FILE))
    summary = revert(manager, batch.id)
    assert summary == {'done': 2, 'trashed': 1, 'restored': 1, 'skipped': []}
    assert customer('new@example.com').deleted_at is not None  # in the trash: restorable
    ada = customer('ada@example.com')
    assert ada.name == 'Ada Lovelace' and ada.version == 3
    with read_session() as session:
        assert session.get(ImportBatch, batch.id).reverted_at is not None
        entries = session.exec(
            select(AuditEntry).where(
                AuditEntry.action.in_(['customer.import_reverted', 'customer.reverted', 'customer.deleted'])
            )
        ).all()
    assert sorted(e.action for e in entries) == ['customer.deleted', 'customer.import_reverted', 'customer.reverted']
    with pytest.raises(ValidationFailed, match='already reverted'):
        revert(manager, batch.id)


def test_revert_leaves_a_record_changed_after_the_import_and_says_why(shop, manager) -> None:
    batch = apply(manager, plan_for(manager, FILE))
    agent = make_user('agent', email='alex@example.com', name='Alex "A": <script>x</script>')
    with session_scope() as session:
        crud.update_record(
            session=session,
            actor=agent,
            resource=CUSTOMERS,
            record_id=shop['ada'].id,
            version=2,
            changes={'name': 'Ada, Countess of Lovelace'},
        )
    summary = revert(manager, batch.id)
    assert summary['done'] == 1 and summary['trashed'] == 1
    [skipped] = summary['skipped']
    assert skipped['id'] == shop['ada'].id and skipped['title'] == 'ada@example.com'
    # by name, as every history names people (not by the email the log keeps)
    assert (
        skipped['reason'].startswith('Changed by Alex "A": <script>x</script> on ')
        and 'after the import' in skipped['reason']
    )
    assert customer('ada@example.com').name == 'Ada, Countess of Lovelace'  # the later edit is kept


def test_unknown_batches_are_not_found(manager) -> None:
    with pytest.raises(ServiceError, match='no longer exists'):
        revert(manager, 12345)


def test_products_round_trip_through_a_spreadsheet(manager) -> None:
    """Export to XLSX, edit in a spreadsheet, import back: money, currency codes or labels, categories by name, whether
    the product is kept on a shelf."""
    products, categories = resource('products'), resource('categories')
    with session_scope() as session:
        tea = crud.create_record(session=session, actor=manager, resource=categories, data={'name': 'Tea'})
        crud.create_record(
            session=session,
            actor=manager,
            resource=products,
            data={'sku': 'TEA-1', 'name': 'Green tea', 'price': '4.50', 'currency': 'EUR', 'category_id': tea.id},
        )
    with read_session() as session:
        exported = b''.join(
            export_rows(
                session=session, actor=manager, resource=products, fmt='xlsx', request=query.ListRequest()
            ).chunks
        )
    workbook = load_workbook(io.BytesIO(exported))
    sheet = workbook.active
    header = [cell.value for cell in sheet[1]]
    assert header == ['ID', 'SKU', 'Name', 'Category', 'Price', 'Currency', 'Active', 'Stocked', 'Description']
    assert sheet['E2'].value == 4.5 and sheet['E2'].number_format == '#,##0.00'
    sheet['E2'] = 5.25  # a new price
    sheet.append([None, 'tea-2', 'Black tea', 'tea', '3', 'GBP — Pound sterling', 'No', 'No'])  # a tasting, say
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = import_read.read_table(buffer.getvalue(), 'products.xlsx')
    with read_session() as session:
        plan = import_plan.preview(
            session=session,
            actor=manager,
            resource=products,
            rows=rows,
            mapping=import_map.map_columns(products, header),
        )
    assert [row.action for row in plan] == ['update', 'create'], [row.reason for row in plan]
    assert plan[0].changes == {'price': ['4.50', '5.25']}
    assert plan[1].values['sku'] == 'TEA-2' and plan[1].values['category_id'] == tea.id
    with session_scope() as session:
        import_apply.apply(session=session, actor=manager, resource=products, plan=plan, file_name='products.xlsx')
    with read_session() as session:
        prices = {p.sku: (p.price, p.currency, p.active, p.stocked) for p in session.exec(select(products.model))}
    assert prices == {'TEA-1': (Decimal('5.25'), 'EUR', True, True), 'TEA-2': (Decimal('3.00'), 'GBP', False, False)}


@pytest.mark.parametrize('fmt', ['csv', 'xlsx'])
def test_products_exported_then_imported_unchanged_change_nothing(manager, fmt: str) -> None:
    """Every field the product form edits and an import reads is exported, the description included, so the file
    just exported imports as "no change" — hostile text too: quotes, colons, a tag, a leading = (guarded against
    formulas on the way out, read back without the guard), several lines."""
    products, categories = resource('products'), resource('categories')
    hostile = '=HYPERLINK("http://x"): <script>alert(1)</script> l\'Été'
    with session_scope() as session:
        tea = crud.create_record(session=session, actor=manager, resource=categories, data={'name': f'Tea {hostile}'})
        for sku, description in (('TEA-1', hostile), ('TEA-2', f'+ Line one: "quoted"\n\n- {hostile}'), ('TEA-3', '')):
            crud.create_record(
                session=session,
                actor=manager,
                resource=products,
                data={
                    'sku': sku,
                    'name': f'{sku} {hostile}',
                    'price': '4.50',
                    'currency': 'EUR',
                    'category_id': tea.id,
                    'active': sku != 'TEA-2',
                    'stocked': sku != 'TEA-3',
                    'description': description,
                },
            )
    with read_session() as session:
        exported = b''.join(
            export_rows(session=session, actor=manager, resource=products, fmt=fmt, request=query.ListRequest()).chunks
        )
    rows = import_read.read_table(exported, f'products.{fmt}')
    assert 'Description' in rows[0]
    with read_session() as session:
        plan = import_plan.preview(
            session=session,
            actor=manager,
            resource=products,
            rows=rows,
            mapping=import_map.map_columns(products, rows[0].keys()),
        )
    assert [(row.action, row.changes) for row in plan] == [('unchanged', {})] * 3, [row.reason for row in plan]
    edited = [dict(row) for row in rows]
    edited[2]['Description'] = f'Now described: {hostile}'  # an edit in the file is the one change the import makes
    with read_session() as session:
        plan = import_plan.preview(
            session=session,
            actor=manager,
            resource=products,
            rows=edited,
            mapping=import_map.map_columns(products, rows[0].keys()),
        )
    assert [row.action for row in plan] == ['unchanged', 'unchanged', 'update']
    assert plan[2].changes == {'description': ['', f'Now described: {hostile}']}


# --- bounded reading: a file cannot exhaust the app -------------------------------------------------------------------


def xlsx_parts(sheet_xml: str, shared_strings: str | None = None) -> bytes:
    """A minimal workbook, written by hand: what a hostile file can claim that openpyxl would never write."""
    import zipfile

    types = (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        + (
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.sharedStrings+xml"/>'
            if shared_strings
            else ''
        )
        + '</Types>'
    )
    rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'xmlns:r="{rel}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    workbook_rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        + (f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>' if shared_strings else '')
        + '</Relationships>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        archive.writestr('[Content_Types].xml', types)
        archive.writestr('_rels/.rels', rels)
        archive.writestr('xl/workbook.xml', workbook)
        archive.writestr('xl/_rels/workbook.xml.rels', workbook_rels)
        archive.writestr('xl/worksheets/sheet1.xml', sheet_xml)
        if shared_strings:
            archive.writestr('xl/sharedStrings.xml', shared_strings)
    return buffer.getvalue()


def sheet(dimension: str, rows: str) -> str:
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'
    )


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def test_a_hand_written_workbook_is_read() -> None:
    rows = f'<row r="1">{inline("A1", "Email")}</row><row r="2">{inline("A2", "a@example.com")}</row>'
    assert import_read.read_table(xlsx_parts(sheet('A1:A2', rows)), 'a.xlsx') == [{'Email': 'a@example.com'}]


def test_shared_strings_that_unpack_too_large_are_refused_before_the_workbook_is_opened(monkeypatch) -> None:
    monkeypatch.setenv('BACKOFFICE_MAX_UPLOAD_MB', '1')
    reload_settings()
    strings = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + f'<si><t>{"a" * 64}</t></si>' * 60_000
        + '</sst>'
    )
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>'
    data = xlsx_parts(sheet('A1:A2', rows), strings)
    assert len(data) < 100_000  # a few KB of zip, 4 MB of strings once unpacked
    with pytest.raises(ValidationFailed, match='The workbook unpacks to more than its 1 MB allows'):
        import_read.read_table(data, 'bomb.xlsx')


def test_a_sheet_claiming_a_million_empty_rows_is_refused_by_the_row_limit(monkeypatch) -> None:
    monkeypatch.setenv('BACKOFFICE_MAX_IMPORT_ROWS', '1000')
    reload_settings()
    rows = (
        f'<row r="1">{inline("A1", "Email")}</row><row r="2">{inline("A2", "a@example.com")}</row>'
        f'<row r="1048576">{inline("A1048576", "z@example.com")}</row>'
    )
    with pytest.raises(ValidationFailed, match='more than 1,000 rows'):
        import_read.read_table(xlsx_parts(sheet('A1:A1048576', rows)), 'gaps.xlsx')


def test_a_sheet_claiming_every_column_is_read_as_far_as_the_column_cap() -> None:
    rows = (
        f'<row r="1">{inline("A1", "Email")}{inline("B1", "Name")}</row>'
        f'<row r="2">{inline("A2", "a@example.com")}{inline("XFD2", "far away")}</row>'
    )
    assert import_read.read_table(xlsx_parts(sheet('A1:XFD2', rows)), 'wide.xlsx') == [
        {'Email': 'a@example.com', 'Name': ''}
    ]


def test_more_columns_than_the_cap_are_refused() -> None:
    header = ','.join(f'Column {n}' for n in range(import_read.MAX_COLUMNS + 1))
    with pytest.raises(ValidationFailed, match=f'more than {import_read.MAX_COLUMNS} columns'):
        import_read.read_table(f'{header}\n{"x," * import_read.MAX_COLUMNS}x\n'.encode(), 'wide.csv')
    rows = ''.join(inline(f'{get_column_letter(n + 1)}1', f'Column {n}') for n in range(import_read.MAX_COLUMNS + 1))
    with pytest.raises(ValidationFailed, match=f'more than {import_read.MAX_COLUMNS} columns'):
        import_read.read_table(xlsx_parts(sheet('A1:BJ1', f'<row r="1">{rows}</row>')), 'wide.xlsx')


def test_blank_lines_count_towards_the_row_limit_and_a_csv_stops_at_it(monkeypatch) -> None:
    monkeypatch.setenv('BACKOFFICE_MAX_IMPORT_ROWS', '10')
    reload_settings()
    with pytest.raises(ValidationFailed, match='more than 10 rows'):
        import_read.read_table(b'Email\n' + b',\n' * 11 + b'a@example.com\n', 'blank.csv')
    lines = b'Email\n' + b''.join(b'p%d@example.com\n' % n for n in range(1_000_000))
    with pytest.raises(ValidationFailed, match='more than 10 rows'):
        import_read.read_table(lines, 'many.csv')


def test_a_csv_line_longer_than_the_limit_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(import_read, 'MAX_LINE_CHARS', 1000)
    with pytest.raises(ValidationFailed, match='longer than 1,000 characters'):
        import_read.read_table(b'Email,Name\n' + b',' * 2000 + b'\n', 'long.csv')


def test_a_file_over_the_upload_limit_is_refused(monkeypatch) -> None:
    monkeypatch.setenv('BACKOFFICE_MAX_UPLOAD_MB', '1')
    reload_settings()
    with pytest.raises(ValidationFailed, match='larger than 1 MB'):
        import_read.read_table(b'Email\n' + b'a@example.com\n' * 80_000, 'big.csv')


def test_a_workbook_that_states_no_size_is_read_without_parsing_it_twice(monkeypatch) -> None:
    """openpyxl parses a whole sheet just to measure it when the sheet states no size (as this app's own exports do):
    minutes of work for a large file. The import reads rows with explicit bounds and never measures."""
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    def measured(self) -> None:
        raise AssertionError('the whole sheet was parsed to measure it')

    monkeypatch.setattr(ReadOnlyWorksheet, '_get_size', measured)
    workbook = Workbook(write_only=True)
    rows = workbook.create_sheet()
    rows.append(['Email', 'Name'])
    rows.append(['w@example.com', 'W: "quoted" <script>'])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert import_read.read_table(buffer.getvalue(), 'export.xlsx') == [
        {'Email': 'w@example.com', 'Name': 'W: "quoted" <script>'}
    ]


def test_reverting_an_import_does_not_stop_stocking_a_product_whose_shelf_or_orders_hold_units(manager) -> None:
    """An import made a service a stocked product; goods were then received and an order reserved some. Reverting the
    import put 'not stocked' back around the rule the form and the import keep (a product with units on its shelf or
    reserved cannot stop being stocked): the reserved units were never released nor shipped from the shelf. The
    product is now left as it is, and the revert says why."""
    from backoffice.services import purchases, stock

    from .support.factories import level, place

    products = resource('products')
    with session_scope() as session:
        gift = crud.create_record(
            session=session,
            actor=manager,
            resource=products,
            data={
                'sku': 'GIFT',
                'name': "Gift 'wrap': <script>x</script>",
                'price': '5.00',
                'currency': 'EUR',
                'stocked': False,
            },
        )
    rows = import_read.read_table(f'ID,SKU,Stocked\n{gift.id},GIFT,Yes\n'.encode(), 'products.csv')
    with read_session() as session:
        plan = import_plan.preview(
            session=session,
            actor=manager,
            resource=products,
            rows=rows,
            mapping=import_map.map_columns(products, rows[0].keys()),
        )
    with session_scope() as session:
        batch = import_apply.apply(session=session, actor=manager, resource=products, plan=plan, file_name='p.csv')
    with session_scope() as session:
        purchases.receive_purchase(session=session, actor=manager, lines=[{'product_id': gift.id, 'quantity': 5}])
    place(('GIFT', 2))
    summary = revert(manager, batch.id)
    assert summary['restored'] == 0 and [entry['id'] for entry in summary['skipped']] == [gift.id]
    assert summary['skipped'][0]['reason'] == (
        'Its earlier values are no longer valid (GIFT still has stock — on the shelf: 5, reserved by open orders: 2. '
        'Ship or cancel those orders, then count the rest out (Count stock: 0, saying where it went); it can then stop '
        'being stocked.)'
    )
    with read_session() as session:
        assert session.get(type(gift), gift.id).stocked is True
        assert stock.ledger_mismatches(session=session) == []
        assert stock.reservation_mismatches(session=session) == []
    assert (level(gift.id).on_hand, level(gift.id).reserved) == (5, 2)


def test_a_category_named_by_a_number_stays_the_products_category_through_a_spreadsheet(manager) -> None:
    """An export names a product's category; a category named '2024' (a collection) is that category when the file
    comes back, never the category whose id is 2024 (the product was moved to another category, unsaid). A number that
    names nothing is still an id."""
    products, categories = resource('products'), resource('categories')
    with session_scope() as session:
        other = crud.create_record(session=session, actor=manager, resource=categories, data={'name': 'Tea "x": <b>'})
        numbered = crud.create_record(session=session, actor=manager, resource=categories, data={'name': str(other.id)})
        crud.create_record(
            session=session,
            actor=manager,
            resource=products,
            data={'sku': 'NUM-1', 'name': 'Tin "2024": <script>', 'price': '4.50', 'category_id': numbered.id},
        )
    with read_session() as session:
        exported = b''.join(
            export_rows(
                session=session, actor=manager, resource=products, fmt='csv', request=query.ListRequest()
            ).chunks
        )
    rows = import_read.read_table(exported, 'products.csv')
    assert rows[0]['Category'] == str(other.id)
    rows.append({**rows[0], 'ID': '', 'SKU': 'NUM-2', 'Category': str(numbered.id)})  # by its id: nothing has that name
    with read_session() as session:
        plan = import_plan.preview(
            session=session,
            actor=manager,
            resource=products,
            rows=rows,
            mapping=import_map.map_columns(products, rows[0].keys()),
        )
    assert [(row.action, row.changes) for row in plan][0] == ('unchanged', {}), [row.reason for row in plan]
    assert plan[1].action == 'create' and plan[1].values['category_id'] == numbered.id


def test_products_of_a_category_in_the_trash_come_back_unchanged_and_a_new_one_is_told_why(manager) -> None:
    """A category moved to the trash still names its products in an export: the file imported back leaves them as
    they are (every row was an error: 'No category is named …'); a row giving that category anew says it is in the
    trash."""
    products, categories = resource('products'), resource('categories')
    with session_scope() as session:
        shelf = crud.create_record(
            session=session, actor=manager, resource=categories, data={'name': 'Old shelf "x": <b>'}
        )
        crud.create_record(
            session=session,
            actor=manager,
            resource=products,
            data={'sku': 'OLD-1', 'name': 'Tin: "old" <script>', 'price': '4.50', 'category_id': shelf.id},
        )
    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=categories, record_id=shelf.id)
    with read_session() as session:
        exported = b''.join(
            export_rows(
                session=session, actor=manager, resource=products, fmt='csv', request=query.ListRequest()
            ).chunks
        )
    rows = import_read.read_table(exported, 'products.csv')
    rows.append({**rows[0], 'ID': '', 'SKU': 'OLD-2'})
    with read_session() as session:
        plan = import_plan.preview(
            session=session,
            actor=manager,
            resource=products,
            rows=rows,
            mapping=import_map.map_columns(products, rows[0].keys()),
        )
    assert (plan[0].action, plan[0].changes) == ('unchanged', {}), plan[0].reason
    assert (plan[1].action, plan[1].reason) == (
        'error',
        'Category: The category "Old shelf "x": <b>" is in the trash; restore it first.',
    )
