"""/segments as a manager uses it: built-in segments with their count, a segment's members, a live count while
building a custom segment, saving it, and the consenting-only CSV export."""

from __future__ import annotations

import io
from datetime import timedelta

from nicegui import ui
from nicegui.element_filter import ElementFilter
from nicegui.testing import User
from openpyxl import load_workbook
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.models import AuditEntry, BuiltInSegmentPush, Customer, Segment, utcnow
from backoffice.services import app_settings, customers, segments, users

from .support.factories import make_customer, make_user
from .support.signin import signed_in
from .support.waiting import eventually


def quiet_for(email: str, days: int) -> None:
    with session_scope() as session:
        customer = session.exec(select(Customer).where(Customer.email == email)).one()
        customer.last_seen_at = utcnow() - timedelta(days=days)
        session.add(customer)
        session.commit()


async def test_a_manager_finds_inactive_customers_and_exports_the_consenting_ones(user: User) -> None:
    make_customer('gone@example.com', name='Gone', consent=True)
    make_customer('private@example.com', name='Private')
    make_customer('here@example.com', name='Here', consent=True)
    quiet_for('gone@example.com', 40)
    quiet_for('private@example.com', 50)
    quiet_for('here@example.com', 1)
    manager = make_user('manager', name='Mo "Q": <script>alert(1)</script>')
    await signed_in(user, manager.email, path='/segments')
    await user.should_see('Inactive for 30 days')
    inactive = user.find(marker='segment-total-inactive').elements.pop()
    await eventually(lambda: inactive.text != '…', message='the built-in segment count')
    assert inactive.text == '2'  # the built-in count, filled in from a worker thread
    # and how many of them a campaign reaches, before opening it
    assert user.find(marker='segment-reach-inactive').elements.pop().text == '1 in an export'
    await user.should_see('3 customers match', retries=40)  # no filter yet: everyone (counted in a worker)

    user.find(marker='segment-inactive').click()
    await user.should_see('Inactive for 30 days: 2 customers')
    rows = user.find(ui.table).elements.pop().rows
    assert sorted((row['email'], row['export']) for row in rows) == [
        ('gone@example.com', 'In the export'),
        ('private@example.com', 'Not exported: no marketing consent'),
    ]
    user.find('Export CSV').click()
    response = await user.download.next(timeout=5)
    assert response.content.decode('utf-8-sig').splitlines() == ['email,name,language', 'gone@example.com,Gone,en']
    await user.should_see('Exported 1 consenting customer')  # one: singular (was "1 consenting customers")
    with read_session() as session:  # the log names who exported (the signed-in person, read afresh at the press)
        logged = session.exec(select(AuditEntry).where(AuditEntry.action == 'segments.exported')).one()
    assert (logged.actor_id, logged.actor_email) == (manager.id, manager.email)


async def test_a_banned_customer_who_agreed_is_said_to_be_out_of_the_export_and_the_count_is_the_files(
    user: User,
) -> None:
    """The dialog said 'Marketing: Yes' of a banned customer who had agreed, and the CSV left them out."""
    make_customer('kept@example.com', name='Kept: "<script>x</script>" 🎉', consent=True)
    banned = make_customer('banned@example.com', name='Banned', consent=True)
    quiet_for('kept@example.com', 40)
    quiet_for('banned@example.com', 40)
    manager = make_user('manager')
    with session_scope() as session:
        customers.ban_customer(
            session=session, actor=make_user('admin'), record_id=banned.id, version=banned.version, reason='Fraud: "x"'
        )
    await signed_in(user, manager.email, path='/segments')
    await user.should_see(marker='segment-inactive', retries=40)
    user.find(marker='segment-inactive').click()
    await user.should_see('Inactive for 30 days: 2 customers')
    rows = user.find(ui.table).elements.pop().rows
    assert sorted((row['email'], row['export']) for row in rows) == [
        ('banned@example.com', 'Not exported: banned'),
        ('kept@example.com', 'In the export'),
    ]
    await user.should_see('1 of them is in an export (agreed to marketing, not banned).')
    user.find('Export CSV').click()
    response = await user.download.next(timeout=5)
    lines = response.content.decode('utf-8-sig').splitlines()[1:]
    assert [line.split(',')[0] for line in lines] == ['kept@example.com']  # as many as the dialog said: one


async def test_a_french_reader_exports_for_excel_with_semicolons_or_chooses_commas(user: User) -> None:
    make_customer('dupont@example.com', name='Dupont; Marie: "<script>alert(1)</script>"', consent=True)
    make_customer('formule@example.com', name='=1+2', consent=True)
    quiet_for('dupont@example.com', 40)
    quiet_for('formule@example.com', 45)
    manager = make_user('manager')
    with session_scope() as session:
        users.set_language(session=session, actor=manager, language='fr')
    await signed_in(user, manager.email, path='/segments')
    user.find(marker='segment-inactive').click()
    await user.should_see('Exporter en CSV')

    user.find(marker='export-csv').click()  # the button itself: the separator the reader's Excel expects
    semicolons = (await user.download.next(timeout=5)).content
    assert semicolons.startswith(b'\xef\xbb\xbf')  # the BOM kept: Excel reads the accents
    quoted = '"Dupont; Marie: ""<script>alert(1)</script>"""'
    assert semicolons.decode('utf-8-sig').splitlines() == [
        'email;name;language',
        f'dupont@example.com;{quoted};en',
        "formule@example.com;'=1+2;en",  # a formula stays text
    ]
    user.find(marker='export-csv-comma').click()  # the arrow's other choice: commas, for the email tools
    commas = (await user.download.next(timeout=5)).content
    assert commas.decode('utf-8-sig').splitlines() == [
        'email,name,language',
        f'dupont@example.com,{quoted},en',
        "formule@example.com,'=1+2,en",
    ]
    user.find(marker='export-csv-semicolon').click()
    assert (await user.download.next(timeout=5)).content == semicolons
    # a workbook too (there was only CSV): the same consenting customers, every value text, said in French
    await user.should_see('Classeur Excel (.xlsx)')
    user.find(marker='export-xlsx').click()
    workbook = load_workbook(io.BytesIO((await user.download.next(timeout=5)).content), read_only=True)
    assert [list(row) for row in workbook.active.iter_rows(values_only=True)] == [
        ['email', 'name', 'language'],
        ['dupont@example.com', 'Dupont; Marie: "<script>alert(1)</script>"', 'en'],
        ['formule@example.com', "'=1+2", 'en'],
    ]
    await user.should_see('2 clients consentants exportés')


async def test_a_custom_segment_counts_live_and_is_saved(user: User) -> None:
    make_customer('a@example.com')
    make_customer('b@example.com')
    quiet_for('a@example.com', 10)
    quiet_for('b@example.com', 100)
    await signed_in(user, make_user('manager').email, path='/segments')
    await user.should_see('2 customers match', retries=40)
    next(iter(user.find('Not seen for (days)').elements)).value = 30
    await user.should_see('1 customer matches', retries=40)  # counted once the typing pauses
    user.find('Save segment').click()
    user.find('Name').type('Lapsed')
    user.find(marker='confirm-save').click()
    await user.should_see('Lapsed')
    await user.should_see('Not seen for 30 days')  # what it selects, in words


async def test_a_viewer_sees_segments_but_cannot_export(user: User) -> None:
    await signed_in(user, make_user('viewer').email, path='/segments')
    await user.should_see('Unfinished sign-up')
    await user.should_not_see('Save segment')


async def test_a_manager_deletes_a_saved_segment_after_confirming(user: User) -> None:
    manager = make_user('manager')
    with session_scope() as session:
        lapsed = segments.save_segment(session=session, actor=manager, name='Lapsed', filters={'not_seen_for_days': 30})
    await signed_in(user, manager.email, path='/segments')
    await user.should_see('Lapsed')

    user.find(marker=f'delete-segment-{lapsed.id}').click()
    await user.should_see('Delete the segment “Lapsed”?')  # asked first: nothing is deleted yet
    with read_session() as session:
        assert [s.name for s in segments.saved_segments(session=session)] == ['Lapsed']
    user.find(marker='confirm-delete').click()

    await user.should_see('Segment “Lapsed” deleted')
    with read_session() as session:
        assert segments.saved_segments(session=session) == []


async def test_a_push_shows_the_address_an_admin_stored(user: User) -> None:
    manager = make_user('manager')
    with session_scope() as session:
        app_settings.save(
            session=session,
            actor=make_user('admin'),
            changes={'segments_webhook_url': 'https://mail-tool.example.com/in'},
            loaded={},
        )
    await signed_in(user, manager.email, path='/segments')
    await user.should_see(marker='segment-inactive', retries=40)  # sign-in ends with a redirect: wait for the page
    user.find(marker='segment-inactive').click()
    await user.should_see('Push to webhook')
    user.find('Push to webhook').click()
    await user.should_see('https://mail-tool.example.com/…')  # its host and a hint: the path may hold its secret


async def test_a_viewer_cannot_delete_a_saved_segment(user: User) -> None:
    with session_scope() as session:
        lapsed = segments.save_segment(session=session, actor=make_user('manager'), name='Lapsed', filters={})
    await signed_in(user, make_user('viewer').email, path='/segments')
    await user.should_see('Lapsed')
    await user.should_not_see(marker=f'delete-segment-{lapsed.id}')


async def test_a_hostile_segment_name_is_saved_as_text_and_a_bad_one_is_refused_at_the_field(user: User) -> None:
    from .support.markup import PROP_BREAKOUT

    await signed_in(user, make_user('manager').email, path='/segments')
    await user.should_see('Save segment')
    user.find('Save segment').click()
    name = user.find('Name')
    name.type('x' * 81)
    user.find(marker='confirm-save').click()
    await user.should_see('Use at most 80 characters (this has 81)')  # at the field; nothing saved
    next(iter(name.elements)).value = PROP_BREAKOUT
    user.find(marker='confirm-save').click()
    await user.should_see('Segment saved')
    await user.should_see('Every customer')  # no filter: said so
    delete = next(b for b in user.find(kind=ui.button).elements if b.props.get('aria-label', '').startswith('Delete'))
    assert delete.props['aria-label'] == f'Delete segment {PROP_BREAKOUT}'
    assert not [key for key in delete.props if key.startswith(':')]  # the name made no JavaScript prop


async def test_the_live_count_runs_off_the_event_loop_once_the_typing_pauses(user: User, monkeypatch) -> None:
    import threading

    make_customer('a@example.com')
    quiet_for('a@example.com', 10)
    counted: list[str] = []
    every: list[str] = []
    real_count = segments.count

    def count(**kwargs):
        every.append(threading.current_thread().name)
        if not isinstance(kwargs.get('which'), str):  # the custom segment's live count, not a built-in card
            counted.append(threading.current_thread().name)
        return real_count(**kwargs)

    monkeypatch.setattr(segments, 'count', count)
    await signed_in(user, make_user('manager').email, path='/segments')
    await user.should_see('1 customer matches', retries=40)
    counted.clear()
    field = next(iter(user.find('Not seen for (days)').elements))
    for typed in (1, 12, 123):  # three keystrokes in a row
        field.value = typed
    await user.should_see('0 customers match', retries=40)
    # one count for the pause (how many match, and how many of them agreed to marketing), not one per keystroke
    assert len(counted) == 2, counted
    assert threading.main_thread().name not in counted
    assert len(every) >= 5 and threading.main_thread().name not in every  # the built-in cards' counts too


async def test_saving_a_segment_shows_the_service_error_at_the_name_field(user: User) -> None:
    manager = make_user('manager')
    name = 'Lapsed "VIPs": <script>alert(1)</script>'
    with session_scope() as session:
        segments.save_segment(session=session, actor=manager, name=name, filters={'not_seen_for_days': 30})
    await signed_in(user, manager.email, path='/segments')
    await user.should_see('Save segment', retries=40)
    user.find('Save segment').click()
    user.find('Name').type(name.upper())
    user.find(marker='confirm-save').click()
    name_field = next(iter(user.find('Name').elements))
    await eventually(lambda: name_field.error, message='an error at the name field')
    assert name_field.error == 'A segment with this name exists'  # at the field, not a toast


async def test_the_builder_says_how_many_an_export_reaches_and_which_filter_is_wrong(user: User) -> None:
    """'Check the filters' named no field, and 'within 7 days' without an event filtered nothing, silently; the count
    did not say how many of the customers a campaign could reach."""
    make_customer('yes@example.com', consent=True)
    make_customer('no@example.com')
    quiet_for('yes@example.com', 40)
    quiet_for('no@example.com', 40)
    await signed_in(user, make_user('manager').email, path='/segments')
    await user.should_see('2 customers match', retries=40)
    await user.should_see('1 in an export (agreed to marketing, not banned)', retries=40)

    not_seen = next(iter(user.find(marker='segment-not_seen_for_days').elements))
    within = next(iter(user.find(marker='segment-event_within_days').elements))
    did_this = next(iter(user.find(kind=ui.select, content='Did this').elements))
    assert within.parent_slot.parent is did_this.parent_slot.parent  # beside what it counts from, not 3 fields away
    assert user.find(marker='segment-min_turnover').elements.pop().props['suffix'] == '€'  # the shop's currency
    not_seen.value = '<script>: "x"'
    within.value = '7'
    await user.should_see('Check the filters', retries=40)
    await eventually(lambda: not_seen.error and within.error, message='errors at both fields')
    assert within.error == 'Choose what they did first'
    not_seen.value = '30'
    within.value = ''
    await user.should_see('2 customers match', retries=40)
    assert (not_seen.error, within.error) == (None, None)  # cleared once the filters read right


async def test_a_saved_segment_shows_its_count_and_filters_and_its_members_say_who_an_export_reaches(
    user: User,
) -> None:
    manager = make_user('manager')
    make_customer('lapsed@example.com', name='Zoé "Lapsed": <b>', consent=True)
    make_customer('quiet@example.com', name='Quiet')
    quiet_for('lapsed@example.com', 90)
    quiet_for('quiet@example.com', 90)
    with session_scope() as session:
        saved = segments.save_segment(
            session=session, actor=manager, name='Lapsed: "VIP" <script>', filters={'not_seen_for_days': 60}
        )
    await signed_in(user, manager.email, path='/segments')
    total = user.find(marker=f'segment-total-saved-{saved.id}').elements.pop()
    await eventually(lambda: total.text != '…', message='the saved segment count')
    assert total.text == '2'
    assert user.find(marker=f'segment-reach-saved-{saved.id}').elements.pop().text == '1 in an export'
    # a long name is cut on its card: the whole of it shows on hover
    assert user.find(marker=f'segment-name-{saved.id}').elements.pop().props['title'] == 'Lapsed: "VIP" <script>'
    await user.should_see('Not seen for 60 days')

    user.find(marker=f'segment-saved-{saved.id}').click()
    await user.should_see('Lapsed: "VIP" <script>: 2 customers')
    await user.should_see('1 of them is in an export (agreed to marketing, not banned).')
    # on a phone, a list instead of the four columns: the name, the email whole, then consent and last visit
    with user:
        phone = ElementFilter(kind=ui.item_label).within(marker='segment-members-phone')
        texts = [label.text for label in phone]
    assert texts[:3] == ['Zoé "Lapsed": <b>', 'lapsed@example.com', 'In the export · last seen: 90 days ago']


async def test_without_a_webhook_address_no_push_button_is_offered(user: User) -> None:
    """Settings say an empty address turns the push off, yet every segment offered 'Push to webhook', whose dialog
    only said there was no address."""
    await signed_in(user, make_user('manager').email, path='/segments')
    await user.should_see(marker='segment-inactive', retries=40)
    user.find(marker='segment-inactive').click()
    await user.should_see('Export CSV')
    await user.should_see('No webhook address yet: an admin sets it in Settings → Segments.')
    await user.should_not_see('Push to webhook')


def unfinished_customers(count: int) -> None:
    """`count` people who never finished signing up (the built-in segment), numbered in the order they came."""
    for n in range(count):
        make_customer(f'signup{n:03}@example.com', name=f'Signup {n:03}', status='unfinished')


async def test_a_large_segment_is_searched_and_read_fifty_at_a_time_with_how_many_are_shown(
    user: User, monkeypatch
) -> None:
    """A segment's dialog listed its first 50 customers and nothing else: one of 3,000 could not be checked."""
    import threading

    unfinished_customers(62)
    make_customer('zoe@example.com', name='Zoé "Quote": <script>alert(1)</script>', status='unfinished')
    read_in: list[str] = []
    real_count, real_members = segments.count, segments.members

    def count(**kwargs):
        read_in.append(threading.current_thread().name)
        return real_count(**kwargs)

    def members(**kwargs):
        read_in.append(threading.current_thread().name)
        return real_members(**kwargs)

    monkeypatch.setattr(segments, 'count', count)
    monkeypatch.setattr(segments, 'members', members)
    await signed_in(user, make_user('manager').email, path='/segments')
    await user.should_see(marker='segment-unfinished_signup', retries=40)
    user.find(marker='segment-unfinished_signup').click()
    await user.should_see('Unfinished sign-up: 63 customers')
    await user.should_see('50 of 63')
    await user.should_see('Signup 049')
    await user.should_not_see('Signup 050')

    user.find(marker='segment-members-more').click()
    await user.should_see('63 of 63')
    await user.should_see('Signup 061')
    assert len(user.find(ui.table).elements.pop().rows) == 63  # the desktop's table has them all too
    await user.should_not_see(marker='segment-members-more')  # nothing more to show

    search = next(iter(user.find(marker='segment-members-search').elements))
    search.value = 'QUOTE'  # by name, in any case
    await user.should_see('1 of 1')
    await user.should_see('zoe@example.com')
    await user.should_not_see('Signup 000')
    search.value = 'signup01'  # by email: signup010 to signup019
    await user.should_see('10 of 10')
    search.value = '<script>%'  # text, not a wildcard
    await user.should_see('0 of 0')
    await user.should_see('No customer of this segment matches “<script>%”.')
    search.value = ''
    await user.should_see('50 of 63')
    assert read_in and threading.main_thread().name not in read_in  # every page and count in a worker thread


async def test_a_french_reader_searches_a_segment_and_reads_more_in_french(user: User) -> None:
    unfinished_customers(51)
    manager = make_user('manager')
    with session_scope() as session:
        users.set_language(session=session, actor=manager, language='fr')
    await signed_in(user, manager.email, path='/segments')
    await user.should_see(marker='segment-unfinished_signup', retries=40)
    user.find(marker='segment-unfinished_signup').click()
    await user.should_see('50 sur 51')
    await user.should_see('Afficher plus')
    search = next(iter(user.find(marker='segment-members-search').elements))
    assert search.props['placeholder'] == 'Rechercher par nom ou e-mail'
    search.value = 'personne'
    await user.should_see('Aucun client de ce segment ne correspond à «\u00a0personne\u00a0».')


async def test_a_manager_edits_a_saved_segment_in_the_builder_and_a_stale_edit_is_refused(user: User) -> None:
    manager, other = make_user('manager'), make_user('manager')
    name = 'Lapsed "VIPs": <script>alert(1)</script>'
    with session_scope() as session:
        lapsed = segments.save_segment(session=session, actor=manager, name=name, filters={'not_seen_for_days': 30})
    await signed_in(user, manager.email, path='/segments')
    await user.should_see(name, retries=40)

    edit = next(iter(user.find(marker=f'edit-segment-{lapsed.id}').elements))
    assert edit.props['aria-label'] == f'Edit segment {name}'  # a value: the name made no prop
    user.find(marker=f'edit-segment-{lapsed.id}').click()
    await user.should_see(f'Edit segment “{name}”')  # its filters in the builder, to change
    days = next(iter(user.find(marker='segment-not_seen_for_days').elements))
    assert days.value == '30'
    days.value = '60'
    user.find(marker='save-segment').click()
    field = next(iter(user.find('Name').elements))
    assert field.value == name  # its name, to keep or change
    field.value = 'Quiet: "60"'
    user.find(marker='confirm-save').click()
    await user.should_see('Changes saved')
    await user.should_see('Build a segment')  # the builder is free again
    with read_session() as session:
        saved = session.get(Segment, lapsed.id)
        assert (saved.name, saved.filters, saved.version) == ('Quiet: "60"', {'not_seen_for_days': 60}, 2)

    # opened again, then changed by someone else before this save: refused, said in the dialog, nothing lost
    await eventually(
        lambda: [e.text for e in user.find(marker=f'segment-name-{lapsed.id}').elements] == ['Quiet: "60"'],
        message='the card renamed',
    )
    user.find(marker=f'edit-segment-{lapsed.id}').click()
    await user.should_see('Edit segment “Quiet: "60"”')
    with session_scope() as session:
        segments.update_segment(
            session=session, actor=other, segment_id=lapsed.id, version=2, name='Theirs', filters={'min_orders': 3}
        )
    user.find(marker='save-segment').click()
    user.find(marker='confirm-save').click()
    await user.should_see(f'This segment was changed by {other.name}', retries=40)
    with read_session() as session:
        assert session.get(Segment, lapsed.id).name == 'Theirs'


async def test_a_manager_schedules_a_saved_segment_every_monday_and_sees_it_on_its_card(user: User) -> None:
    """A marketer wants the segment in the campaign tool every Monday without coming back to press Push."""
    manager = make_user('manager')
    with session_scope() as session:
        app_settings.save(
            session=session,
            actor=make_user('admin'),
            changes={'segments_webhook_url': 'https://mail-tool.example.com/import?list=7'},
            loaded={},
        )
        saved = segments.save_segment(
            session=session, actor=manager, name='Lapsed: "VIP" <script>l\'été', filters={'min_orders': 1}
        )
    await signed_in(user, manager.email, path='/segments')
    await user.should_see(marker=f'schedule-segment-{saved.id}', retries=40)
    user.find(marker=f'schedule-segment-{saved.id}').click()
    await user.should_see('Push “Lapsed: "VIP" <script>l\'été” on a schedule')
    user.find(marker='push-frequency').elements.pop().value = 'weekly'
    user.find(marker='confirm-schedule').click()
    await user.should_see('Schedule saved')
    await user.should_see(marker=f'segment-schedule-{saved.id}')
    shown = user.find(marker=f'segment-schedule-{saved.id}').elements.pop().text
    assert shown.startswith('Pushed to the webhook every Monday · next on '), shown
    with session_scope() as session:
        stored = session.get(Segment, saved.id)
        assert (stored.push_frequency, stored.push_by, stored.next_push_on.weekday()) == ('weekly', manager.id, 0)
        stored.push_error = 'The webhook did not accept it: HTTP 503 <b>"busy"</b>'
        session.add(stored)
        session.commit()
    await user.open('/segments')
    await user.should_see('Last scheduled push failed: The webhook did not accept it: HTTP 503 <b>"busy"</b>')

    user.find(marker=f'schedule-segment-{saved.id}').click()
    await user.should_see('How often')
    user.find(marker='push-frequency').elements.pop().value = ''
    user.find(marker='confirm-schedule').click()
    await user.should_see('No longer pushed on a schedule')
    await user.should_not_see(marker=f'segment-schedule-{saved.id}')


async def test_a_marketer_schedules_inactive_for_30_days_every_thursday_straight_from_its_card(user: User) -> None:
    """The built-in segment itself, no copy to save first; the weekday chosen in the same dialog."""
    manager = make_user('manager')
    with session_scope() as session:
        app_settings.save(
            session=session,
            actor=make_user('admin'),
            changes={'segments_webhook_url': 'https://mail-tool.example.com/import?list=7'},
            loaded={},
        )
    await signed_in(user, manager.email, path='/segments')
    await user.should_see(marker='schedule-segment-inactive', retries=40)
    user.find(marker='schedule-segment-inactive').click()
    await user.should_see('Push “Inactive for 30 days” on a schedule')
    user.find(marker='push-frequency').elements.pop().value = 'weekly'
    user.find(marker='push-weekday').elements.pop().value = 3
    user.find(marker='confirm-schedule').click()
    await user.should_see('Schedule saved')
    await user.should_see(marker='segment-schedule-inactive')
    shown = user.find(marker='segment-schedule-inactive').elements.pop().text
    assert shown.startswith('Pushed to the webhook every Thursday · next on '), shown
    with read_session() as session:
        stored = session.get(BuiltInSegmentPush, 'inactive')
        assert (stored.push_frequency, stored.push_weekday, stored.push_by) == ('weekly', 3, manager.id)
        assert stored.next_push_on.weekday() == 3
        assert not segments.saved_segments(session=session)  # no copy among the saved segments
    await user.open('/segments')  # (the first dialog, closed, is still in the page: one dialog to find)
    await user.should_see(marker='schedule-segment-inactive', retries=40)
    user.find(marker='schedule-segment-inactive').click()
    await user.should_see('How often')
    user.find(marker='push-frequency').elements.pop().value = ''
    user.find(marker='confirm-schedule').click()
    await user.should_see('No longer pushed on a schedule')
    await user.should_not_see(marker='segment-schedule-inactive')
