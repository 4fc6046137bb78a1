"""Segments for re-engagement, checked against known customers: the built-in ones, a custom one from filters, and the
exports that reach only customers who agreed to marketing, each audited."""

from __future__ import annotations

import csv
import io
import json
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlmodel import col, select

from backoffice import i18n, outbound
from backoffice.config import reload_settings
from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import RESOURCES
from backoffice.errors import NotFound, PermissionDenied, ValidationFailed
from backoffice.kpi import capture
from backoffice.models import AuditEntry, Customer, KpiDefinition, Order, utcnow
from backoffice.services import app_settings, crud, personal_data, segments
from backoffice.services.segments import Filters

from .support.factories import make_customer, make_user


def emails(which, actor) -> list[str]:
    with read_session() as session:
        return sorted(row['email'] for row in segments.members(session=session, actor=actor, which=which))


def seen(customer, days_ago: int | None, signed_up_days_ago: int = 400, status: str | None = None) -> None:
    with session_scope() as session:
        row = session.get(Customer, customer.id)
        row.last_seen_at = None if days_ago is None else utcnow() - timedelta(days=days_ago)
        row.signed_up_at = utcnow() - timedelta(days=signed_up_days_ago)
        if status:
            row.status = status
        session.add(row)
        session.commit()


@pytest.fixture
def people() -> dict:
    found = {
        name: make_customer(f'{name}@example.com', name=name.title(), consent=name in {'ann', 'bo', 'cy'})
        for name in ('ann', 'bo', 'cy', 'dee', 'eve', 'fay', 'gus', 'hal', 'ivy', 'jon', 'kim')
    }
    seen(found['ann'], 2)  # active
    seen(found['bo'], 45)  # inactive, at risk (45 < 14 + 60)
    seen(found['cy'], 20)  # at risk only
    seen(found['dee'], None, 90)  # never seen, signed up long ago: inactive
    seen(found['eve'], None, 3)  # new: not inactive yet
    seen(found['fay'], 200, status='unfinished')
    for name in ('gus', 'hal', 'ivy', 'jon', 'kim'):
        seen(found[name], 1)
    with session_scope() as session:
        for number, (name, total) in enumerate(
            {
                'ann': '900.00',
                'bo': '50.00',
                'gus': '40.00',
                'hal': '30.00',
                'ivy': '20.00',
                'jon': '10.00',
                'kim': '5.00',
                'cy': '1.00',
                'eve': '2.00',
                'dee': '3.00',
                'fay': '4.00',
            }.items()
        ):
            session.add(
                Order(
                    number=f'9{number:03}',
                    customer_id=found[name].id,
                    email=found[name].email,
                    status='paid',
                    total=Decimal(total),
                )
            )
        session.add(
            Order(
                number='9999',
                customer_id=found['bo'].id,
                email='bo@example.com',
                status='cancelled',
                total=Decimal('5000.00'),
            )
        )
        session.commit()
    return found


def test_built_in_segments_select_the_right_customers(people: dict) -> None:
    manager = make_user('manager')
    assert emails('inactive', manager) == ['bo@example.com', 'dee@example.com', 'fay@example.com']
    assert emails('unfinished_signup', manager) == ['fay@example.com']
    assert emails('at_risk', manager) == ['bo@example.com', 'cy@example.com']  # quiet 14+ days, seen within 74
    assert emails('high_value', manager) == ['ann@example.com', 'bo@example.com']  # top 10 % of 11 buyers: 2
    with session_scope() as session:
        session.add(KpiDefinition(values={'at_risk_days': 30}))
        session.commit()
    assert emails('at_risk', manager) == ['bo@example.com']  # the owner's definition


def test_not_seen_for_60_days_leaves_out_who_signed_up_since_as_the_inactive_segment_does(people: dict) -> None:
    """A re-engagement campaign to those 'not seen for 60 days' took in Eve, who signed up three days ago and has not
    been back yet: she was sent 'we miss you' on her third day. Never seen counts from the sign-up, as 'Inactive for 30
    days' counts it."""
    manager = make_user('manager')
    quiet = Filters(not_seen_for_days=60)
    assert emails(quiet, manager) == ['dee@example.com', 'fay@example.com']  # fay seen 200 days ago, dee never in 90
    assert 'eve@example.com' in emails(Filters(not_seen_for_days=2), manager)  # signed up 3 days ago: quiet since
    assert emails(Filters(not_seen_for_days=4), manager) == [  # not Eve
        'bo@example.com',
        'cy@example.com',
        'dee@example.com',
        'fay@example.com',
    ]


def test_an_exchanges_replacement_order_is_not_a_purchase(people: dict) -> None:
    """A return ended in an exchange sends the goods again in an order of its own, paid at 0: it does not make its
    customer a two-time buyer, nor a buyer at all (as the KPIs count orders)."""
    manager = make_user('manager')
    with session_scope() as session:
        for number in ('9901', '9902'):
            session.add(
                Order(
                    number=number,
                    customer_id=people['eve'].id,
                    email='eve@example.com',
                    status='paid',
                    total=Decimal('0.00'),
                    source='exchange',
                )
            )
        session.commit()
    assert 'eve@example.com' not in emails(Filters(min_orders=2), manager)
    assert emails('high_value', manager) == ['ann@example.com', 'bo@example.com']  # still 11 buyers: 2


def test_a_custom_segment_from_filters_counts_live(people: dict) -> None:
    manager = make_user('manager')
    with session_scope() as session:
        capture.record_events(
            session=session,
            batch=[{'id': 'c1', 'type': 'cart_add', 'ts': utcnow().isoformat(), 'customer_email': 'gus@example.com'}],
        )
    filters = Filters(min_turnover=Decimal('20'), seen_within_days=7)
    assert emails(filters, manager) == ['ann@example.com', 'gus@example.com', 'hal@example.com', 'ivy@example.com']
    assert emails(Filters(event_type='cart_add', event_within_days=7), manager) == ['gus@example.com']
    with session_scope() as session:
        assert segments.count(session=session, actor=manager, which=filters) == 4
        saved = segments.save_segment(session=session, actor=manager, name='Loyal', filters={'min_orders': 1})
        with pytest.raises(ValidationFailed) as refused:
            segments.save_segment(session=session, actor=manager, name='loyal', filters={'event_type': 'dance'})
    assert refused.value.errors == {
        'event_type': 'Choose one of the listed event types',
        'name': 'A segment with this name exists',
    }
    assert saved.filters == {'min_orders': 1}


def test_exports_reach_only_consenting_customers_and_are_audited(people: dict, monkeypatch) -> None:
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS', '1')  # the receiver below listens on 127.0.0.1
    reload_settings()
    manager, viewer = make_user('manager'), make_user('viewer')
    with session_scope() as session:  # a campaign writes to each in their language: Cy reads French
        session.get(Customer, people['cy'].id).language = 'fr'
        session.commit()
    with session_scope() as session:
        name, data, sent = segments.export_csv(session=session, actor=manager, which='inactive', name='Inactive')
        with pytest.raises(PermissionDenied):
            segments.export_csv(session=session, actor=viewer, which='inactive', name='Inactive')
    assert (name, sent) == ('segment-inactive.csv', 1)
    rows = list(csv.reader(io.StringIO(data.decode('utf-8-sig'))))
    assert rows == [['email', 'name', 'language'], ['bo@example.com', 'Bo', 'en']]  # Bo's: the shop's default

    received: list[dict] = []
    server = HTTPServer(('127.0.0.1', 0), _handler(received))
    threading.Thread(target=server.handle_request, daemon=True).start()
    try:
        set_webhook(f'http://127.0.0.1:{server.server_port}/hook')
        with session_scope() as session:
            pushed = segments.push_to_webhook(session=session, actor=manager, which='at_risk', name='At risk')
    finally:
        server.server_close()
    assert pushed == 2
    assert received == [
        {
            'segment': 'At risk',
            'customers': [
                {'email': 'bo@example.com', 'name': 'Bo', 'language': 'en'},
                {'email': 'cy@example.com', 'name': 'Cy', 'language': 'fr'},
            ],
        }
    ]
    with read_session() as session:
        entries = select(AuditEntry).where(AuditEntry.entity == 'segments').order_by(col(AuditEntry.id))
        actions = [(e.action, e.actor_id, e.actor_email) for e in session.exec(entries)]  # in the order written
    assert actions == [  # each names who did it
        ('segments.exported', manager.id, manager.email),
        ('segments.pushed', manager.id, manager.email),
    ]


def set_webhook(url: str) -> None:
    with session_scope() as session:
        app_settings.save(session=session, actor=make_user('admin'), changes={'segments_webhook_url': url}, loaded={})


def test_pushes_go_only_to_the_address_an_admin_stored_in_the_settings(people: dict) -> None:
    manager = make_user('manager')
    with session_scope() as session, pytest.raises(ValidationFailed) as unset:
        segments.push_to_webhook(session=session, actor=manager, which='at_risk', name='At risk')
    assert 'an admin sets it in Settings' in unset.value.errors['url']
    for wrong, reason in (
        ('ftp://tool.example.com/in', 'starting with https://'),
        ('not a url', 'https://'),
        ('http://tool.example.com/in', 'plain http only in development'),
    ):
        with pytest.raises(ValidationFailed) as refused:
            set_webhook(wrong)
        assert reason in refused.value.errors['segments_webhook_url']
    for wrong, reason in (  # said in French to a French admin (it stayed English)
        ('ftp://tool.example.com/<script>: "x"', 'Saisissez une adresse web commençant par https://'),
        ('https://tool.example.com/' + 'x' * 500, '500 caractères au maximum'),
    ):
        with i18n.use('fr'), pytest.raises(ValidationFailed) as refused:
            set_webhook(wrong)
        assert refused.value.errors['segments_webhook_url'] == reason
    with session_scope() as session, pytest.raises(PermissionDenied):
        app_settings.save(
            session=session, actor=manager, changes={'segments_webhook_url': 'https://x.example'}, loaded={}
        )

    set_webhook('https://mail-tool.example.com/import?list=7')

    with read_session() as session:
        assert segments.webhook_address(session=session) == 'https://mail-tool.example.com/import?list=7'
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'settings.changed')).one()
    assert entry.changes == {'segments_webhook_url': ['', 'https://mail-tool.example.com/…?…']}  # a hint only


def test_a_push_that_does_not_arrive_says_why_in_the_readers_language(people: dict, monkeypatch) -> None:
    manager = make_user('manager')
    set_webhook('https://mail-tool.example.com/import?list=7')
    for error, english, french in (
        (outbound.COULD_NOT_CONNECT, 'could not connect', 'connexion impossible'),
        ('HTTP 400 Bad "list": <script>', 'HTTP 400 Bad "list": <script>', 'HTTP 400 Bad "list": <script>'),
    ):
        monkeypatch.setattr(outbound, 'post', lambda *args, error=error, **kwargs: outbound.Answer(None, error))
        for language, said in (
            ('en', f'The webhook did not accept it: {english}'),
            ('fr', f'Le webhook ne l’a pas accepté\u00a0: {french}'),
        ):
            with i18n.use(language), session_scope() as session, pytest.raises(ValidationFailed) as refused:
                segments.push_to_webhook(session=session, actor=manager, which='at_risk', name='At risk')
            assert refused.value.errors['url'] == said


def test_a_saved_segment_is_deleted_by_someone_allowed_to_and_audited(people: dict) -> None:
    manager, viewer = make_user('manager'), make_user('viewer')
    with session_scope() as session:
        saved = segments.save_segment(session=session, actor=manager, name='Loyal', filters={'min_orders': 1})
    with session_scope() as session, pytest.raises(PermissionDenied):
        segments.delete_segment(session=session, actor=viewer, segment_id=saved.id)

    with session_scope() as session:
        segments.delete_segment(session=session, actor=manager, segment_id=saved.id)

    with read_session() as session:
        assert segments.saved_segments(session=session) == []
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'segments.deleted')).one()
    assert entry.changes == {'name': ['Loyal', None], 'filters': [{'min_orders': 1}, None]}
    with session_scope() as session, pytest.raises(NotFound):
        segments.delete_segment(session=session, actor=manager, segment_id=saved.id)


def _handler(received: list):
    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers['Content-Length']))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    return Hook


HOSTILE_NAMES = [
    'Dupont; Marie',
    'Le "Grand" Café: Paris',
    '<script>alert(1)</script>',
    '=HYPERLINK("http://x.example","y")',
    '+33 1 23',
    "@SUM(A1:A2) 'quoted'",
]


@pytest.mark.parametrize('separator', [',', ';'])
def test_an_export_with_either_separator_reads_back_whole_with_formulas_neutralised(separator: str) -> None:
    manager = make_user('manager')
    for n, name in enumerate(HOSTILE_NAMES):
        make_customer(f'h{n}@example.com', name=name, consent=True)
    with session_scope() as session:
        file_name, data, sent = segments.export_csv(
            session=session, actor=manager, which=Filters(), name='Tous: "clients"', separator=separator
        )
    assert data.startswith(b'\xef\xbb\xbf')  # the BOM Excel needs for accents
    text = data.decode('utf-8-sig')
    assert text.splitlines()[0] == f'email{separator}name{separator}language'  # the header says which separator
    rows = list(csv.reader(io.StringIO(text, newline=''), delimiter=separator))
    assert rows[1:] == [
        ['h0@example.com', 'Dupont; Marie', 'en'],
        ['h1@example.com', 'Le "Grand" Café: Paris', 'en'],
        ['h2@example.com', '<script>alert(1)</script>', 'en'],
        [
            'h3@example.com',
            '\'=HYPERLINK("http://x.example","y")',
            'en',
        ],  # a leading apostrophe: never run as a formula
        ['h4@example.com', "'+33 1 23", 'en'],
        ['h5@example.com', "'@SUM(A1:A2) 'quoted'", 'en'],
    ]
    assert (file_name, sent) == ('segment-tous-clients.csv', 6)  # one dash between words, not one a sign


def test_an_export_refuses_a_separator_it_does_not_offer() -> None:
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        segments.export_csv(session=session, actor=make_user('manager'), which='inactive', name='x', separator='\t')
    assert refused.value.errors == {'separator': 'Choose a comma or a semicolon'}


def test_the_file_name_of_an_export_keeps_the_words_and_accents_of_a_hostile_name() -> None:
    """'Ré-engagement: "VIP" <script>…' gave 'segment-ré-engagement---vip---script-alert-1---script---l-été.csv'."""
    with session_scope() as session:
        file_name, _data, _sent = segments.export_csv(
            session=session,
            actor=make_user('manager'),
            which='inactive',
            name='Ré-engagement: "VIP" <script>alert(1)</script>, l\'été',
        )
    assert file_name == 'segment-ré-engagement-vip-script-alert-1-script-l-été.csv'


def test_a_segment_says_how_many_of_its_customers_an_export_reaches(people: dict) -> None:
    """The dialog said 'Inactive for 30 days: 150 customers' and the file held 44: how many agreed to marketing is
    told before the export, and a banned customer who once agreed is not counted."""
    manager = make_user('manager')
    seen(people['cy'], 20, status='banned')
    with read_session() as session:
        everyone = segments.count(session=session, actor=manager, which=Filters())
        reachable = segments.count(session=session, actor=manager, which=Filters(), consenting_only=True)
        inactive = segments.count(session=session, actor=manager, which='inactive', consenting_only=True)
    assert (everyone, reachable, inactive) == (11, 2, 1)  # ann and bo agreed; cy agreed but is banned
    assert segments.reach(11, 2) == '2 of them are in an export (agreed to marketing, not banned).'
    assert segments.reach(2, 2) == 'All of them are in an export (agreed to marketing, not banned).'
    assert segments.reach(1, 0) == '0 of them are in an export (agreed to marketing, not banned).'


def test_each_member_says_whether_the_export_holds_them_and_why_not(people: dict) -> None:
    """A banned customer who agreed to marketing said 'Marketing: Yes' in the segment's dialog, and the CSV left them
    out: each member now says whether the export holds them (or why not), and those said to be in it are the file's
    rows, as many as the count the dialog shows."""
    manager = make_user('manager')
    seen(people['cy'], 20, status='banned')
    with session_scope() as session:
        rows = segments.members(session=session, actor=manager, which=Filters())
        counted = segments.count(session=session, actor=manager, which=Filters(), consenting_only=True)
        _name, data, sent = segments.export_csv(session=session, actor=manager, which=Filters(), name='All: "x" <b>')
    standing = {row['email']: segments.export_standing(row) for row in rows}
    assert standing['cy@example.com'] == 'Not exported: banned'
    assert standing['dee@example.com'] == 'Not exported: no marketing consent'
    assert standing['ann@example.com'] == 'In the export'
    said_in = sorted(email for email, words in standing.items() if words == 'In the export')
    assert said_in == sorted(row['email'] for row in rows if segments.exported(row))
    in_file = sorted(line['email'] for line in csv.DictReader(io.StringIO(data.decode('utf-8-sig'))))
    assert said_in == in_file == ['ann@example.com', 'bo@example.com']
    assert counted == sent == len(in_file)


def test_within_days_without_an_event_is_refused_at_its_field_instead_of_filtering_nothing() -> None:
    with pytest.raises(ValidationFailed) as refused:
        segments.read_filters({'event_within_days': '7'})
    assert refused.value.errors == {'event_within_days': 'Choose what they did first'}
    with pytest.raises(ValidationFailed) as both:  # an unknown event: its own message, not a second one
        segments.read_filters({'event_type': '<script>', 'event_within_days': '7'})
    assert set(both.value.errors) == {'event_type'}
    assert segments.read_filters({'event_type': 'login', 'event_within_days': '7'}).event_within_days == 7
    with session_scope() as session, pytest.raises(ValidationFailed) as unsaved:
        segments.save_segment(
            session=session, actor=make_user('manager'), name='Recent: "x"', filters={'event_within_days': 7}
        )
    assert unsaved.value.errors == {'event_within_days': 'Choose what they did first'}


def test_a_saved_segment_says_what_it_selects_in_words() -> None:
    assert segments.describe({}) == ''
    assert segments.describe({'not_seen_for_days': 60, 'min_turnover': '100.5', 'status': 'active'}) == (
        'Status: Active · Not seen for 60 days · Turnover at least €100.50'
    )
    assert segments.describe({'event_type': 'login', 'min_orders': 2}) == (
        'At least 2 paid orders · Sign-in within 30 days'
    )
    assert segments.describe({'min_orders': 1}) == 'At least 1 paid order'  # was 'At least 1 paid orders'
    with i18n.use('fr'):
        assert segments.describe({'min_orders': 1}) == 'Au moins 1 commande payée'


def test_an_erased_customer_is_in_no_segment_even_when_their_consent_box_is_ticked_again() -> None:
    """The erasure withdraws the consent; ticking the box again on the erased customer's form put them back in every
    export and push (an `erased-…@erased.invalid` row in the campaign's file, counted among those it reaches). The form
    refuses it now; and an erased customer is nobody to re-engage: counted, listed, exported nowhere."""
    admin = make_user('admin')
    kept = make_customer('kept@example.com', name='Kept <script>: "x"', consent=True)
    gone = make_customer('gone@example.com', name='Gone', consent=True)
    with session_scope() as session:
        personal_data.erase_customer(
            session=session,
            actor=admin,
            record_id=gone.id,
            version=session.get(Customer, gone.id).version,
            confirmation='gone@example.com',
        )
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:  # the form refuses it now
        crud.update_record(
            session=session,
            actor=admin,
            resource=RESOURCES['customers'],
            record_id=gone.id,
            version=session.get(Customer, gone.id).version,
            changes={'marketing_consent': True},
        )
    assert 'erased' in refused.value.errors['marketing_consent']
    with session_scope() as session:  # as an older database may hold it (the box ticked before the form refused it)
        session.get(Customer, gone.id).marketing_consent = True
        session.commit()
    with session_scope() as session:
        assert segments.count(session=session, actor=admin, which=Filters(), consenting_only=True) == 1
        assert segments.count(session=session, actor=admin, which=Filters()) == 1  # nor counted, nor listed
        _name, data, sent = segments.export_csv(session=session, actor=admin, which=Filters(), name='Everyone')
    assert sent == 1
    rows = list(csv.reader(io.StringIO(data.decode('utf-8-sig'))))
    assert rows == [['email', 'name', 'language'], ['kept@example.com', 'Kept <script>: "x"', 'en']]
    assert kept.id != gone.id


def test_customers_who_ordered_before_but_not_for_90_days_are_a_segment() -> None:
    """The re-engagement campaign "ordered before, not in 90 days, agreed to marketing" could not be built: 'Not seen
    for' counts front-office visits, and no filter read when the last paid order was placed."""
    manager = make_user('manager')
    lapsed = make_customer('lapsed@example.com', name='Lapsed "L": <b>', consent=True)
    recent = make_customer('recent@example.com', consent=True)  # a recent order as well as an old one
    never = make_customer('never@example.com', consent=True)  # never bought
    refused = make_customer('refused@example.com', consent=False)  # lapsed, but never agreed to marketing
    old, new = utcnow() - timedelta(days=200), utcnow() - timedelta(days=10)
    with session_scope() as session:
        for number, (customer, placed, status) in enumerate(
            [
                (lapsed, old, 'paid'),
                (lapsed, new, 'cancelled'),  # a cancelled order is no purchase
                (recent, old, 'paid'),
                (recent, new, 'delivered'),
                (refused, old, 'paid'),
            ]
        ):
            session.add(
                Order(
                    number=f'L{number}',
                    customer_id=customer.id,
                    email=customer.email,
                    status=status,
                    total=Decimal('10.00'),
                    placed_at=placed,
                )
            )
        session.commit()
    filters = segments.read_filters({'no_order_for_days': '90'})
    assert emails(filters, manager) == ['lapsed@example.com', 'refused@example.com']
    assert never.email not in emails(filters, manager)
    with session_scope() as session:
        assert segments.count(session=session, actor=manager, which=filters, consenting_only=True) == 1
        _name, data, sent = segments.export_csv(session=session, actor=manager, which=filters, name='Lapsed: "90"')
    assert sent == 1 and b'lapsed@example.com' in data and b'refused@' not in data
    assert segments.describe(filters) == 'Ordered before, none for 90 days'
    with pytest.raises(ValidationFailed) as wrong:
        segments.read_filters({'no_order_for_days': '<script>: "x"'})
    assert set(wrong.value.errors) == {'no_order_for_days'}
