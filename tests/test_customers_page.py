"""Customers through the resource engine, as a manager, an agent and a viewer use them."""

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import session_scope
from backoffice.models import AuditEntry, Customer, SavedView
from backoffice.resources import resource
from backoffice.services import crud
from backoffice.services.customers import ban_customer

from .support.companies import company_with, roles_in
from .support.factories import make_company, make_customer, make_user
from .support.lists import as_if_counted, ask_for, caption, footer, listed, open_row, rows_show, the_list
from .support.signin import signed_in
from .support.waiting import eventually

CUSTOMERS = resource('customers')
HOSTILE = 'Zed "<script>window.__x=1</script>": O\'Hara'
LONG_HOSTILE = '"quotes" : <img src=x onerror=alert(1)>' + 'Quentinwithaverylongsurnamethatneverbreaks'


def stored(email: str) -> Customer | None:
    with session_scope() as session:
        return session.exec(select(Customer).where(Customer.email == email)).first()


async def open_customers_as(user: User, role: str = 'manager'):
    account = make_user(role)
    await signed_in(user, account.email, path='/customers')
    await user.should_see('Customers')
    return account


async def test_a_manager_finds_customers_by_search_and_filter(user: User) -> None:
    make_customer('ann.active@example.com', name='Ann Active')
    make_customer('una.unfinished@example.com', name='Una', status='unfinished')
    await open_customers_as(user)
    await rows_show(user, 'ann.active@example.com', 'una.unfinished@example.com')
    user.find(marker='search').type('ann.act')
    await rows_show(user, 'ann.active@example.com', absent=('una.unfinished@example.com',))
    user.find(marker='search').clear()
    user.find(marker='filter-status').elements.pop().set_value(['unfinished'])
    await rows_show(user, 'una.unfinished@example.com', absent=('ann.active@example.com',))
    await user.should_see('1 customer')


async def test_a_new_customer_with_bad_input_is_refused_at_the_field(user: User) -> None:
    make_customer('taken@example.com')
    await open_customers_as(user)
    user.find('New customer').click()
    user.find('Email *').type('not an email')
    user.find('Create customer').click()
    await user.should_see('Enter a valid email address')
    user.find('Email *').clear().type('Taken@Example.com')
    user.find('Create customer').click()
    await user.should_see('Another customer already has this email')
    user.find('Email *').clear().type('fresh@example.com')
    user.find('Phone').type('+49 30 1234567')
    user.find('Create customer').click()
    await user.should_see('Customer created')
    await rows_show(user, 'fresh@example.com')
    assert stored('fresh@example.com').phone == '+49 30 1234567'


def counts(field: ui.element) -> tuple[object, object]:
    """What a field says of its length: whether it counts its characters, and the most it takes."""
    return field.props.get('counter'), field.props.get('maxlength')


async def test_a_customers_limited_fields_count_up_to_the_services_limit_and_a_longer_text_is_still_refused(
    user: User,
) -> None:
    """The limits the service checks show on the form ("12 / 120") and stop typing there; a longer text that
    arrives anyway (pasted past it, sent by the API) is refused at its field as before."""
    await open_customers_as(user)
    user.find('New customer').click()
    (name,) = user.find('Name').elements
    (email,) = user.find('Email *').elements
    (phone,) = user.find('Phone').elements
    assert (counts(name), counts(email), counts(phone)) == ((True, 120), (True, 254), (True, 40))
    too_long = (HOSTILE + ' ') * 5  # 160 characters, past the 120 the service takes
    user.find('Email *').type('long.name@example.com')
    user.find('Name').type(too_long)
    user.find('Create customer').click()
    await eventually(lambda: bool(name.error) and '120' in name.error)
    assert name.value == too_long and stored('long.name@example.com') is None
    user.find('Name').clear().type(HOSTILE)
    user.find('Create customer').click()
    await user.should_see('Customer created')
    assert stored('long.name@example.com').name == HOSTILE


async def test_a_ban_reason_counts_up_to_its_limit_and_a_read_only_field_counts_nothing(user: User) -> None:
    make_customer('counted@example.com', name=HOSTILE)
    await open_customers_as(user, 'agent')
    await rows_show(user, 'counted@example.com')
    open_row(user, 'counted@example.com')
    user.find(kind=ui.button, content='Ban').click()
    await user.should_see('Reason *')
    (reason,) = user.find('Reason *').elements
    assert counts(reason) == (True, 500)  # the action's own limit (BAN_REASON_MAX), declared with its input

    make_customer('shown@example.com', name=HOSTILE)
    await open_customers_as(user, 'viewer')
    await rows_show(user, 'shown@example.com')
    open_row(user, 'shown@example.com')
    await user.should_see('Close')
    (name,) = [f for f in user.find(kind=ui.input, content='Name').elements if f.props.get('label') == 'Name']
    assert name.props.get('readonly') and not name.props.get('counter')  # nothing to type: no count


async def test_two_people_editing_one_customer_keep_both_changes(user: User) -> None:
    customer = make_customer('shared@example.com', name='Old Name')
    await open_customers_as(user)
    await rows_show(user, 'shared@example.com')
    open_row(user, 'shared@example.com')
    await user.should_see('Save changes')
    user.find(kind=ui.input, content='Name').clear().type('New Name')

    colleague = make_user('agent', email='colleague@example.com')
    with session_scope() as session:  # a colleague saves first
        crud.update_record(
            session=session,
            actor=colleague,
            resource=CUSTOMERS,
            record_id=customer.id,
            version=customer.version,
            changes={'phone': '+33 1 23 45 67 89'},
        )

    user.find('Save changes').click()
    await user.should_see(f'changed by {colleague.name}')
    assert stored('shared@example.com').name == 'Old Name'
    user.find(kind=ui.button, content='Reload').click()
    user.find('Save changes').click()
    await user.should_see('Changes saved')
    saved = stored('shared@example.com')
    assert (saved.name, saved.phone) == ('New Name', '+33 1 23 45 67 89')


async def test_an_agent_bans_a_customer_with_a_reason_and_it_is_audited(user: User) -> None:
    make_customer('troll@example.com')
    agent = await open_customers_as(user, 'agent')
    await rows_show(user, 'troll@example.com')
    open_row(user, 'troll@example.com')
    user.find(kind=ui.button, content='Ban').click()
    await user.should_see('Reason *')
    user.find(marker='confirm-action').click()  # no reason yet: the dialog stays, and says so at the field
    reason = user.find('Reason *')
    await eventually(lambda: next(iter(reason.elements)).error == 'Say why: the reason is kept with the ban')
    assert stored('troll@example.com').status == 'active'
    reason.type('Abusive "messages": <script>x</script>')
    user.find(marker='confirm-action').click()
    await user.should_see('Ban: done')
    banned = stored('troll@example.com')
    assert (banned.status, banned.ban_reason) == ('banned', 'Abusive "messages": <script>x</script>')
    with session_scope() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'customer.banned')).one()
    assert entry.actor_email == agent.email and entry.changes['status'] == ['active', 'banned']


async def test_editing_a_banned_customers_name_keeps_the_ban_and_shows_it(user: User) -> None:
    banned = make_customer('banned.edit@example.com', name='Old Name')
    agent = make_user('agent')
    with session_scope() as session:
        ban_customer(session=session, actor=agent, record_id=banned.id, version=1, reason='Fraud')
    await signed_in(user, agent.email, path='/customers')
    await rows_show(user, 'banned.edit@example.com')
    open_row(user, 'banned.edit@example.com')
    await user.should_see('Save changes')
    status = next(s for s in user.find(kind=ui.select, content='Status').elements if 'filter-status' not in s._markers)
    assert status.value == 'banned' and status.options['banned'] == 'Banned'  # seen, not an empty box
    assert 'readonly' in status.props  # lifting a ban is the Unban action's, with its audit entry
    user.find(kind=ui.input, content='Name').clear().type(HOSTILE)
    user.find('Save changes').click()
    await user.should_see('Changes saved')
    saved = stored('banned.edit@example.com')
    assert (saved.name, saved.status, saved.ban_reason) == (HOSTILE, 'banned', 'Fraud')


async def test_a_deleted_customer_goes_to_the_trash_and_undo_brings_it_back(user: User) -> None:
    make_customer('oops@example.com')
    await open_customers_as(user)
    await rows_show(user, 'oops@example.com')
    open_row(user, 'oops@example.com')
    user.find(kind=ui.button, content='Delete').click()
    await user.should_see('Customer moved to the trash')
    await rows_show(user, absent=('oops@example.com',))
    assert stored('oops@example.com').deleted_at is not None
    user.find('Undo').click()
    await user.should_see('Customer restored')
    await rows_show(user, 'oops@example.com')
    assert stored('oops@example.com').deleted_at is None


async def test_the_trash_lists_deleted_customers_and_restores_them(user: User) -> None:
    gone = make_customer('gone@example.com')
    manager = make_user('manager', email='m2@example.com')
    with session_scope() as session:
        crud.delete_record(session=session, actor=manager, resource=CUSTOMERS, record_id=gone.id)
    await open_customers_as(user)
    user.find(marker='trash').elements.pop().set_value(True)
    await rows_show(user, 'gone@example.com')
    await user.should_see('in the trash')
    open_row(user, 'gone@example.com')
    user.find(kind=ui.button, content='Restore').click()
    await user.should_see('Customer restored')
    assert stored('gone@example.com').deleted_at is None


async def test_a_viewer_reads_customers_but_cannot_change_them(user: User) -> None:
    make_customer('readonly@example.com', name='Read "Only": <script>x</script>')
    await open_customers_as(user, 'viewer')
    await rows_show(user, 'readonly@example.com')
    await user.should_not_see('New customer')
    open_row(user, 'readonly@example.com')
    await user.should_see('Close')
    await user.should_not_see('Save changes')
    # its fields look read-only: no dropdown arrow or clear button on a choice or a company, a switch that does not move
    shown = [
        *user.find(kind=ui.select, content='Company').elements,
        *user.find(kind=ui.select, content='Status').elements,
    ]
    in_form = [f for f in shown if not any(m.startswith('filter-') for m in f._markers)]
    assert len(in_form) == 2
    for field in in_form:
        assert field.props.get('readonly') and field.props.get('hide-dropdown-icon'), field.props
        assert not field.props.get('clearable')
    consent = user.find(kind=ui.switch, content='Agrees to marketing email').elements.pop()
    assert not consent.enabled


async def test_a_customer_created_elsewhere_appears_without_a_reload(user: User) -> None:
    await open_customers_as(user)
    make_customer('arrived@example.com')  # e.g. from the front office, committed in another request
    await rows_show(user, 'arrived@example.com')


async def test_the_company_column_shows_the_company_name(user: User) -> None:
    acme = make_company('Acme GmbH')
    make_customer('buyer@acme.example', company_id=acme.id)
    await open_customers_as(user)
    await rows_show(user, 'buyer@acme.example')
    row = user.find(ui.table).elements.pop().rows[0]
    assert row['company_id'] == 'Acme GmbH'


async def test_export_gives_the_filtered_list_as_csv(user: User) -> None:
    make_customer('kept@example.com', status='unfinished')
    make_customer('left.out@example.com')
    await open_customers_as(user)
    user.find(marker='filter-status').elements.pop().set_value(['unfinished'])
    await rows_show(user, 'kept@example.com', absent=('left.out@example.com',))
    user.find(marker='export').click()  # the export menu, built on its opening
    user.find(marker='export-csv').click()
    response = await user.download.next(timeout=5)
    text = response.content.decode('utf-8-sig')
    assert 'kept@example.com' in text and 'left.out@example.com' not in text
    assert text.splitlines()[0].startswith('ID,Email,Name,Phone,Status')


async def test_an_import_is_previewed_applied_and_reverted(user: User) -> None:
    make_customer('existing@example.com', name='Old')
    await open_customers_as(user)
    user.find('Import').click()
    await user.should_see('Choose a file')
    csv = b'Email,Name\nexisting@example.com,Renamed\nnew.one@example.com,New One\nbroken,Nobody\n'
    upload = user.find(ui.upload).elements.pop()
    await upload.handle_uploads([ui.upload.SmallFileUpload('customers.csv', 'text/csv', csv)])
    await user.should_see('1 new, 1 to update, 0 unchanged, 1 with errors')
    assert stored('new.one@example.com') is None  # a preview saves nothing
    user.find('Apply 2 changes').click()
    await user.should_see('Imported: 1 created, 1 updated')
    assert stored('existing@example.com').name == 'Renamed' and stored('new.one@example.com') is not None
    await rows_show(user, 'new.one@example.com')
    await user.should_see(kind=ui.button, content='Revert')  # the earlier imports list is redrawn after the table
    user.find(kind=ui.button, content='Revert').click()
    await user.should_see('Import reverted')
    assert stored('existing@example.com').name == 'Old'
    assert stored('new.one@example.com').deleted_at is not None


async def test_a_company_shows_its_contacts_and_opens_them(user: User) -> None:
    acme = make_company('Acme GmbH')
    make_customer('buyer@acme.example', name='Bea Buyer', company_id=acme.id)
    make_customer('other@else.example')
    account = make_user('manager')
    await signed_in(user, account.email, path='/companies')
    await rows_show(user, 'Acme GmbH', column='name')
    open_row(user, 'Acme GmbH', column='name')
    await user.should_see('Contacts')
    await user.should_see('1 customer')
    await user.should_see('buyer@acme.example')
    await user.should_not_see('other@else.example')
    user.find(marker=f'related-{stored("buyer@acme.example").id}').click()
    await user.should_see('Agrees to marketing email')  # the contact's own form


async def test_bulk_edit_over_all_matching_reports_what_was_skipped(user: User) -> None:
    agent = make_user('agent', email='ag@example.com')
    for n in range(3):
        make_customer(f'bulk{n}@example.com')
    banned = make_customer('banned@example.com')
    with session_scope() as session:
        ban_customer(session=session, actor=agent, record_id=banned.id, version=1, reason='Fraud')
    await open_customers_as(user)
    await rows_show(user, 'bulk0@example.com', 'banned@example.com')
    table = user.find(ui.table)
    first = next(iter(table.elements)).rows[0]
    table.trigger('selection', {'added': True, 'rows': [first], 'keys': [first['id']]})
    await user.should_see('1 selected')
    user.find('Select all 4 matching').click()
    await user.should_see('4 selected (all matching)')
    user.find('Edit a field').click()
    await user.should_see('Edit a field on every selected record')
    user.find(kind=ui.select, content='Field').elements.pop().set_value('status')
    newest_status = max(user.find(kind=ui.select, content='Status').elements, key=lambda e: e.id)  # the dialog's
    newest_status.set_value('unfinished')
    user.find('Apply').click()
    await user.should_see('3 updated; 1 skipped: Status: This customer is banned: use Unban')
    assert [stored(f'bulk{n}@example.com').status for n in range(3)] == ['unfinished'] * 3


async def test_a_saved_view_brings_back_its_filter(user: User) -> None:
    make_customer('shown@example.com', status='unfinished')
    make_customer('hidden@example.com')
    await open_customers_as(user)
    status = user.find(marker='filter-status').elements.pop()
    status.set_value(['unfinished'])
    await rows_show(user, 'shown@example.com', absent=('hidden@example.com',))
    user.find(marker='save-view').click()
    user.find(kind=ui.input, content='Name').type('Unfinished sign-ups')
    user.find('Share with the team').click()
    user.find(kind=ui.button, content='Save view').click()
    await user.should_see('View “Unfinished sign-ups” saved')

    status.set_value([])
    await rows_show(user, 'shown@example.com', 'hidden@example.com')
    with session_scope() as session:
        view = session.exec(select(SavedView).where(SavedView.name == 'Unfinished sign-ups')).one()
    assert view.shared and view.state['filters'] == {'status': ['unfinished']}
    user.find(marker='views').elements.pop().set_value(view.id)
    await rows_show(user, 'shown@example.com', absent=('hidden@example.com',))
    assert status.value == ['unfinished']  # the filter control shows what the view applied


async def test_the_count_under_a_live_list_follows_new_trashed_and_filtered_customers(user: User) -> None:
    """The footer ('first-last of total') and the caption say the same count as the rows, from the same read, after
    customers are created and trashed by someone else while the list is open, and after a search."""
    await open_customers_as(user)
    await user.should_see(CUSTOMERS.said('none_yet'))
    assert the_list(user).props['pagination']['rowsNumber'] == 0
    made = [
        make_customer('zed@example.com', name=HOSTILE),
        make_customer('quotes@example.com', name=LONG_HOSTILE),
    ]
    await rows_show(user, 'zed@example.com', 'quotes@example.com')
    await eventually(lambda: (footer(user), caption(user)) == ('1–2 of 2', '2 customers'))
    assert sorted(listed(user, 'name')) == sorted([HOSTILE, LONG_HOSTILE])  # as typed

    # the browser reports the pagination it mounted with (rowsNumber 0, before the rows came): the count stays
    user.find(ui.table).trigger('update:pagination', {**the_list(user).props['pagination'], 'rowsNumber': 0})
    assert footer(user) == '1–2 of 2'

    manager = make_user('manager', email='colleague@example.com')
    with session_scope() as session:  # a colleague trashes one while the list is open
        crud.delete_record(session=session, actor=manager, resource=CUSTOMERS, record_id=made[0].id)
    await rows_show(user, 'quotes@example.com', absent=('zed@example.com',))
    await eventually(lambda: (footer(user), caption(user)) == ('1–1 of 1', '1 customer'))

    make_customer('other@example.com', name='Other: <b>bold</b>')
    await rows_show(user, 'quotes@example.com', 'other@example.com')
    await eventually(lambda: (footer(user), caption(user)) == ('1–2 of 2', '2 customers'))
    user.find(marker='search').type('quotes@')
    await rows_show(user, 'quotes@example.com', absent=('other@example.com',))
    await eventually(lambda: (footer(user), caption(user)) == ('1–1 of 1', '1 customer'))


async def test_the_footer_counts_as_the_caption_does_exactly_or_about_on_every_page_and_live(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big table's count: the footer under the rows says it as the caption over them does ('1–10 of 3,000' beside
    '3,000 customers', '1–10 of about 990,000' beside 'about 990,000 customers'), on the page asked for and after a
    customer added while the list is open."""
    for n in range(21):  # page 2 of 10 a page is full: the count stands (a short page would be the end)
        make_customer(f'big{n:02}@example.com', name=f'Big "{n}": <script>window.__x={n}</script>')
    as_if_counted(monkeypatch, 3_000, exact=True)
    await open_customers_as(user)
    await rows_show(user, 'big20@example.com')
    ask_for(user, rows_per_page=10)
    await eventually(lambda: (footer(user), caption(user)) == ('1–10 of 3,000', '3,000 customers'))
    ask_for(user, page=2)
    await eventually(lambda: (footer(user), caption(user)) == ('11–20 of 3,000', '3,000 customers'))
    ask_for(user, page=1)
    await eventually(lambda: footer(user) == '1–10 of 3,000')

    as_if_counted(monkeypatch, 990_000, exact=False)  # counting would take too long now: an estimate
    make_customer('late@example.com', name='Late: "<b>bold</b>"')
    await rows_show(user, 'late@example.com')
    await eventually(lambda: (footer(user), caption(user)) == ('1–10 of about 990,000', 'about 990,000 customers'))
    assert listed(user, 'name')[0] == 'Late: "<b>bold</b>"'  # as typed


async def test_a_banned_customers_page_says_why_under_the_status_until_the_ban_is_lifted(user: User) -> None:
    troll = make_customer('why.banned@example.com', name=HOSTILE)
    agent = make_user('agent')
    reason = 'Abusive "messages": <script>window.__x=1</script>'
    with session_scope() as session:
        ban_customer(session=session, actor=agent, record_id=troll.id, version=troll.version, reason=reason)
    await signed_in(user, agent.email, path=f'/customers/{troll.id}')
    await user.should_see(marker='fact-status-detail')
    [said] = [e.text for e in user.find(marker='fact-status-detail').elements]
    assert said == f'Reason: {reason}'
    user.find(kind=ui.button, content='Unban').click()
    await user.should_see('Lift the ban on this customer?')
    user.find(marker='confirm-action').click()
    await user.should_see('Unban: done')
    await user.should_not_see(marker='fact-status-detail')


async def test_the_ban_dialog_says_before_who_takes_over_a_company_whose_last_admin_is_banned(user: User) -> None:
    boss = make_customer('boss@foresee.example', name=HOSTILE)
    make_customer('early@foresee.example', name='Early "<b>E</b>": bird')
    acme = company_with('Acme "<i>x</i>": Ltd', {'early@foresee.example': 'viewer', 'boss@foresee.example': 'admin'})
    manager = make_user('manager')
    await signed_in(user, manager.email, path=f'/customers/{boss.id}')
    user.find(kind=ui.button, content='Ban').click()
    await user.should_see('Reason *')
    [said] = [e.text for e in user.find(marker='action-foreseen').elements]
    assert said == (
        f'{HOSTILE} is the last company admin of Acme "<i>x</i>": Ltd: Early "<b>E</b>": bird, its longest-standing '
        f'member, becomes company admin in their place, and {HOSTILE} a buyer (unbanned, they come back as one).'
    )
    user.find('Reason *').type('Fraud: "<script>"')
    user.find(marker='confirm-action').click()
    await user.should_see('Customer banned.')
    assert roles_in(acme.id) == {'early@foresee.example': 'admin', 'boss@foresee.example': 'buyer'}
    await user.open(f'/customers/{make_customer("nobody@foresee.example").id}')  # no company: nothing to foresee
    user.find(kind=ui.button, content='Ban').click()
    await user.should_see('Reason *')
    await user.should_not_see(marker='action-foreseen')
