"""What the app writes now and shows later, in the reader's language (issue #14): an order's timeline, the bell's
notifications, the app's own notes on a request, audit summaries, the trash purge's reasons and what an alert said
when it fired are stored in English with their msgid and values, so a French reader reads them in French with French
numbers and amounts, an English reader reads exactly what was always stored, and a row written before (plain English)
still shows. Also: quantities in the lists are grouped the French way (but not the numbers that name things), and the
API's 422 answers speak the caller's language while their machine fields stay as they are."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date, timedelta

import httpx
import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import col, select

from backoffice import auth, formatting, i18n, stored_text
from backoffice.api.requests import router
from backoffice.config import get_settings
from backoffice.db import read_session, session_scope
from backoffice.engine.declaration import shown
from backoffice.i18n import N_
from backoffice.models import (
    AlertEvent,
    AuditEntry,
    Customer,
    EventType,
    Mailbox,
    Notification,
    OrderEvent,
    Ticket,
    TicketMessage,
    utcnow,
)
from backoffice.resources import resource
from backoffice.runtime import ratelimit
from backoffice.runtime.scheduler import purge_trash
from backoffice.services import (
    alert_checks,
    alerts,
    app_settings,
    audit_story,
    customer_picture,
    goals,
    mailboxes,
    notifications,
    orders,
    stock,
    ticket_sla,
    tickets,
)

from .support.api import api_client, bearer, make_key
from .support.factories import (
    advance,
    fresh,
    make_product,
    make_user,
    pay,
    place,
    stored_request,
    submit_request,
)
from .support.goals import make_rule, put_daily
from .support.lists import rows_show
from .support.signin import signed_in
from .support.waiting import eventually

NBSP, NNBSP = '\u00a0', '\u202f'  # before a colon and €, between thousands (CLDR's French)
HOSTILE = 'Zoë "Z" O\'Hara: <script>alert(1)</script>'


@pytest.fixture
def in_french(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """Call it to read every page in French from then on (as in test_pages_in_french.py)."""
    yield lambda: monkeypatch.setattr(i18n, '_resolver', lambda: 'fr')


def timeline(order_id: int) -> list[OrderEvent]:
    with read_session() as session:
        return list(session.exec(select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)))


async def test_a_french_manager_reads_the_order_timeline_in_french_and_an_old_entry_as_stored(
    user: User, in_french: Callable[[], None]
) -> None:
    manager = make_user('manager')
    make_product('MUG', '1234.50', stock_on_hand=20, actor=manager)
    order = place(('MUG', 2), shipping_name=HOSTILE)
    pay(manager, order)
    advance(manager, order, 'pack')
    with session_scope() as session:  # written before entries kept their msgid: one known text, one free text
        session.add(OrderEvent(order_id=order.id, kind='packed', text='Packed', created_at=utcnow()))
        session.add(OrderEvent(order_id=order.id, kind='note', text=f'Imported: {HOSTILE}', created_at=utcnow()))
        session.commit()
    invoice = next(e for e in timeline(order.id) if e.kind == 'paid').text_params['invoice']
    stored = [event.text for event in timeline(order.id)]
    assert stored[:3] == [  # English, exact, as the timeline always stored it
        'Placed (from the shop): waiting for payment',
        f'Payment of 2962.80 EUR (Bank transfer, BANK-1); paid in full, invoice {invoice} issued',
        'Packed',
    ]

    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    # on the screen, money as every screen writes it (the stored English text above keeps 2962.80 EUR)
    await user.should_see(f'Payment of €2,962.80 (Bank transfer, BANK-1); paid in full, invoice {invoice} issued')
    in_french()
    await user.open(f'/orders/{order.number}')
    entries = [label.text for label in user.find(marker='timeline-entry').elements for label in label.descendants()]
    assert f'Passée (depuis la boutique){NBSP}: en attente de paiement' in entries
    assert (
        f'Paiement de 2{NNBSP}962,80{NBSP}€ (Virement bancaire, BANK-1){NBSP}; payée en totalité, facture {invoice} '
        'émise'
    ) in entries
    assert entries.count('Préparée') == 2  # the new entry, and the old one whose English is a known text
    assert f'Imported: {HOSTILE}' in entries  # an old free text: as stored, as text
    await user.should_not_see('waiting for payment')


def test_cancelled_and_shipped_entries_and_the_orders_audit_summary_in_french() -> None:
    manager = make_user('manager')
    make_product('MUG', '12.50', stock_on_hand=20, actor=manager)
    order = place(('MUG', 1))
    pay(manager, order)
    order = fresh(order.id)
    with session_scope() as session:
        orders.cancel(session=session, actor=manager, order_id=order.id, version=order.version, reason=HOSTILE)
    [cancelled] = [e for e in timeline(order.id) if e.kind == 'cancelled']
    assert cancelled.text == f'Cancelled: {HOSTILE} — 20.88 EUR paid, to refund'
    with i18n.use('fr'):
        assert orders.timeline_text(cancelled) == f'Annulée{NBSP}: {HOSTILE} — 20,88{NBSP}€ payés, à rembourser'
    other = place(('MUG', 1))
    pay(manager, other)
    advance(manager, other, 'pack', 'ship')
    [shipped] = [e for e in timeline(other.id) if e.kind == 'shipped']
    with i18n.use('fr'):
        assert orders.timeline_text(shipped) == 'Expédiée'
    with read_session() as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == 'order.cancelled', AuditEntry.entity_id == str(order.id))
        ).one()
        assert entry.summary == f'Order {order.number}: Cancelled: {HOSTILE} — 20.88 EUR paid, to refund'
        with i18n.use('fr'):
            story = audit_story.tell(session=session, actor=make_user('admin'), entry_id=entry.id)
    assert story.summary == (
        f'Commande {order.number}{NBSP}: Annulée{NBSP}: {HOSTILE} — 20,88{NBSP}€ payés, à rembourser'
    )


async def test_the_bell_tells_a_french_agent_of_a_missed_target_in_french_and_an_old_notice_as_stored(
    user: User, in_french: Callable[[], None]
) -> None:
    agent = make_user('agent')
    ticket = submit_request(HOSTILE)
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=agent, ticket_id=ticket.id, version=ticket.version)
        notifications.notify(session, user_id=agent.id, text='Low stock: MUG has 2 available (minimum 5)')  # older
        session.commit()
    await signed_in(user, agent.email, path='/requests')
    in_french()
    await user.open('/requests')
    with session_scope() as session:
        row = session.get(Ticket, ticket.id)
        row.sla_due_at = utcnow() - timedelta(minutes=5)
        session.add(row)
        session.commit()
        ticket_sla.flag_sla_breaches(session=session)
    with read_session() as session:
        stored = session.exec(select(Notification).order_by(col(Notification.id).desc())).first()
    assert stored.text == f'Request #{ticket.number} missed its first-response target: {HOSTILE}'
    await eventually(lambda: user.find(marker='bell-count').elements.pop().text == '2')
    user.find(marker='bell').click()
    await user.should_see(f'La demande #{ticket.number} a dépassé son délai de première réponse{NBSP}: {HOSTILE}')
    await user.should_see('Low stock: MUG has 2 available (minimum 5)')


def test_a_low_stock_notice_groups_its_numbers_in_french() -> None:
    manager = make_user('manager')
    product = make_product('BOLT', stock_on_hand=1200, actor=manager)
    with session_scope() as session:
        stock.set_limits(session=session, actor=manager, product_id=product.id, min_qty=1500, max_qty=0)
    with session_scope() as session:
        stock.alert_low_stock(session=session)
    with read_session() as session:
        [notice] = session.exec(select(Notification).where(Notification.user_id == manager.id)).all()
    assert notice.text == 'Low stock: BOLT Product BOLT has 1,200 available (minimum 1,500)'
    with i18n.use('fr'):
        assert notifications.shown(notice) == (
            f'Stock bas{NBSP}: BOLT Product BOLT, disponible{NBSP}: 1{NNBSP}200 (minimum 1{NNBSP}500)'
        )


def test_the_apps_own_note_on_a_request_reads_in_french_what_people_wrote_as_written() -> None:
    agent = make_user('agent')
    original = stored_request(submit_request('First').number)
    copy = stored_request(submit_request('Second').number)
    with session_scope() as session:
        tickets.add_note(session=session, actor=agent, ticket_id=copy.id, body=f'Closed as a duplicate of {HOSTILE}')
    with session_scope() as session:
        tickets.mark_duplicate(
            session=session,
            actor=agent,
            ticket_id=copy.id,
            version=fresh_ticket(copy.id).version,
            of_number=original.number,
        )
    with read_session() as session:
        notes = list(
            session.exec(
                select(TicketMessage).where(TicketMessage.ticket_id == copy.id, TicketMessage.kind == 'note')
            ).all()
        )
    written, system = notes
    assert system.body == f'Closed as a duplicate of #{original.number}.'
    with i18n.use('fr'):
        assert tickets.note_text(system) == f'Fermée comme doublon de #{original.number}.'
        assert tickets.note_text(written) == f'Closed as a duplicate of {HOSTILE}'  # a person's words: as written


def test_the_trash_purges_reason_reads_in_french_and_stays_english_where_stored() -> None:
    make_product('MUG-1', stock_on_hand=5, actor=make_user('manager'))
    order = place(('MUG-1', 1), email='buyer@example.com')
    submit_request(HOSTILE, email='buyer@example.com', order_number=None)
    with session_scope() as session:
        row = session.get(Customer, order.customer_id)
        row.deleted_at = utcnow() - timedelta(days=400)
        session.add(row)
        session.commit()
    done = purge_trash(get_settings())
    english = f'Customer #{order.customer_id} kept, its personal data erased: 1 order and 1 request refer to it.'
    assert done['kept'] == [english]
    with read_session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'customer.purge_kept')).one()
        assert entry.summary == english
        with i18n.use('fr'):
            assert audit_story.summary_text(entry) == (
                f'Fiche conservée (Client #{order.customer_id}), ses données personnelles effacées{NBSP}: '
                '1 commande et 1 demande y font référence.'
            )


def test_a_stored_sentence_falls_back_to_what_was_stored_when_its_row_is_broken() -> None:
    said = stored_text.sentence(N_('Invoice {number} issued'), number='INV-1')
    with i18n.use('fr'):
        assert stored_text.show(said.english, said.key, said.params) == 'Facture INV-1 émise'
        assert stored_text.show('Invoice INV-1 issued', said.key, {}) == 'Invoice INV-1 issued'  # a value missing
        assert stored_text.show('Delivered') == 'Livrée'  # an old row whose English is a known text
        assert stored_text.show('Something only the old code said') == 'Something only the old code said'


async def test_quantities_in_a_french_list_are_grouped_but_numbers_that_name_things_are_not(
    user: User, in_french: Callable[[], None]
) -> None:
    manager = make_user('manager')
    make_product('BOLT', stock_on_hand=12345, actor=manager)
    place(('BOLT', 200))
    await signed_in(user, manager.email, path='/inventory')
    in_french()
    await user.open('/inventory')
    [row] = await eventually(
        lambda: [r for r in rows(user) if r.get('sku') == 'BOLT' and 'on_hand' in r],
        message="the stock list shows BOLT's row",
    )
    assert (row['on_hand'], row['available']) == (f'12{NNBSP}345', f'12{NNBSP}145')
    with i18n.use('fr'):
        assert formatting.display_value(12345, 'text') == '12345'  # a request's No. is a text column


def rows(user: User) -> list[dict]:
    tables = user.find(ui.table).elements
    return [row for table in tables for row in table.rows]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    ratelimit.reset_all()
    async with api_client(router) as client:
        yield client


async def test_the_apis_422_speaks_the_callers_language_and_keeps_its_machine_fields(client) -> None:
    secret = make_key(scopes=('requests:write',))[1]
    body = {'name': 'Jo', 'subject': 'x' * 300, 'body': 'Hello'}  # no email, a subject too long
    english = await client.post('/api/requests', json=body, headers=bearer(secret))
    french = await client.post('/api/requests', json=body, headers=bearer(secret, **{'Accept-Language': 'fr-FR'}))
    assert english.status_code == french.status_code == 422
    by_field = {tuple(e['loc']): e for e in english.json()['detail']}
    en_by_field = {tuple(e['loc']): e for e in french.json()['detail']}
    assert by_field[('body', 'email')]['msg'] == 'Field required'  # pydantic's own English, as it always was
    assert en_by_field[('body', 'email')]['msg'] == 'Ce champ est obligatoire'
    assert en_by_field[('body', 'email')]['type'] == by_field[('body', 'email')]['type'] == 'missing'
    assert set(en_by_field) == set(by_field)


def fresh_ticket(ticket_id: int) -> Ticket:
    with read_session() as session:
        return session.get(Ticket, ticket_id)


def test_the_signed_up_date_and_the_signed_up_activity_read_apart_in_french() -> None:
    """On a customer's page the date column and the activity both said "Inscrit le": the activity says what was done."""
    column = next(c for c in resource('customers').columns if c.name == 'signed_up_at')
    with i18n.use('fr'):
        assert shown(column.label) == 'Inscrit le'
        assert customer_picture._event_label(EventType.signup_completed) == 'S’est inscrit'
        assert customer_picture._event_label(EventType.login) == 'S’est connecté'
    with i18n.use('en'):
        assert customer_picture._event_label(EventType.signup_completed) == 'Signed up'


async def test_the_audit_log_lists_summaries_in_french_and_older_ones_as_stored(
    user: User, in_french: Callable[[], None]
) -> None:
    manager = make_user('manager')
    make_product('MUG', stock_on_hand=5, actor=manager)
    order = place(('MUG', 1))
    pay(manager, order)
    advance(manager, order, 'pack')
    with session_scope() as session:  # an entry written before summaries kept their msgid
        session.add(AuditEntry(action='customer.updated', entity='customers', entity_id='1', summary=f'Old: {HOSTILE}'))
        session.commit()
    await signed_in(user, make_user('admin').email, path='/audit')
    in_french()
    await user.open('/audit')
    await rows_show(user, f'Commande {order.number}{NBSP}: Préparée', f'Old: {HOSTILE}', column='summary')
    await rows_show(user, 'Ajout de Product MUG', column='summary')


def test_a_settings_change_and_a_sign_out_read_in_french_in_the_audit_log() -> None:
    admin = make_user('admin')
    with session_scope() as session:
        app_settings.save(session=session, actor=admin, changes={'company_name': HOSTILE}, loaded={})
    with session_scope() as session:
        auth.log_out(session=session, user_id=admin.id)
    with read_session() as session:
        changed = session.exec(select(AuditEntry).where(AuditEntry.action == 'settings.changed')).one()
        signed_out = session.exec(select(AuditEntry).where(AuditEntry.action == 'auth.signed_out')).one()
    assert changed.summary == 'Changed company name' and signed_out.summary == f'{admin.email}: logged out'
    with i18n.use('fr'):
        assert audit_story.summary_text(changed) == f'Paramètres modifiés{NBSP}: nom de l’entreprise'
        assert audit_story.summary_text(signed_out) == f'{admin.email}{NBSP}: déconnecté'


def alert_events() -> list[AlertEvent]:
    with read_session() as session:
        return list(session.exec(select(AlertEvent).order_by(col(AlertEvent.id))))


def test_an_alert_fired_in_english_reads_in_french_with_french_amounts_and_percentages() -> None:
    """What fired is stored in English with its msgid and values: a French reader reads it with 1 234,50 € and 12,5 %;
    an old firing (no msgid) reads as it was stored; a rule's name reads as its author wrote it."""
    manager = make_user('manager')
    make_rule(manager, name=HOSTILE, kpi='turnover', kind='below', threshold=2000)
    make_rule(manager, name=f'{HOSTILE} (change)', kpi='orders', kind='change', threshold=10)
    put_daily('turnover', {1: 1234.5})
    put_daily('orders', {1: 112.5, 2: 100.0})  # yesterday against the day before: +12.5%
    assert alert_checks.evaluate()['fired'] == 2
    below, change = alert_events()
    assert below.message == f'Alert "{HOSTILE}": Turnover is 1,234.50 EUR, below 2,000.00 EUR.'
    assert change.message == (
        f'Alert "{HOSTILE} (change)": Orders changed by 12.5% against the previous period (limit 10.0%).'
    )
    with session_scope() as session:
        session.add(AlertEvent(rule_id=below.rule_id, value=1.0, message='Alert "old": Turnover is 1.00 EUR.'))
        session.commit()
    with read_session() as session, i18n.use('fr'):
        old, shown_change, shown_below = (f.message for f in alerts.history(session=session, actor=manager))
    assert shown_below == (
        f'Alerte «{NBSP}{HOSTILE}{NBSP}»{NBSP}: Chiffre d’affaires est à 1{NNBSP}234,50{NBSP}€, '
        f'en dessous de 2{NNBSP}000,00{NBSP}€.'
    )
    assert f'12,5{NBSP}%' in shown_change and f'10,0{NBSP}%' in shown_change and HOSTILE in shown_change
    assert old == 'Alert "old": Turnover is 1.00 EUR.'
    with read_session() as session:  # in English: what was stored, money as every screen writes it
        assert [f.message for f in alerts.history(session=session, actor=manager)][1:] == [
            change.message,
            f'Alert "{HOSTILE}": Turnover is €1,234.50, below €2,000.00.',
        ]


async def test_a_french_manager_reads_what_fired_on_the_alerts_page_in_french(
    user: User, in_french: Callable[[], None]
) -> None:
    manager = make_user('manager')
    make_rule(manager, name=HOSTILE, kpi='turnover', kind='below', threshold=2000)
    put_daily('turnover', {1: 1234.5})
    alert_checks.evaluate()
    await signed_in(user, manager.email, path='/alerts')
    in_french()
    await user.open('/alerts')
    await user.should_see(f'Alerte «{NBSP}{HOSTILE}{NBSP}»{NBSP}: ')
    await user.should_see(f'1{NNBSP}234,50{NBSP}€, en dessous de 2{NNBSP}000,00{NBSP}€.')


def test_alert_rules_objectives_and_mailbox_changes_read_in_french_in_the_audit_log() -> None:
    """Summaries once written as English text only: stored with their msgid now, names and titles as typed."""
    manager, admin = make_user('manager'), make_user('admin')
    rule = make_rule(manager, name=HOSTILE, kpi='turnover', kind='above', threshold=1500)
    with session_scope() as session:
        alerts.snooze(session=session, actor=manager, rule_id=rule.id, hours=24)
    with session_scope() as session:
        alerts.delete_rule(session=session, actor=manager, rule_id=rule.id)
    first, last = date(2026, 10, 1), date(2026, 12, 31)
    with session_scope() as session:
        objective = goals.create_objective(
            session=session,
            actor=manager,
            data={'title': HOSTILE, 'owner_id': manager.id, 'first_day': first, 'last_day': last},
        )
    with session_scope() as session:
        result = goals.add_key_result(
            session=session,
            actor=manager,
            objective_id=objective.id,
            data={'title': 'Partners', 'kpi': None, 'baseline': 0, 'target': 1200, 'direction': 'increase'},
        )
    with session_scope() as session:
        goals.check_in(
            session=session, actor=manager, key_result_id=result.id, comment=HOSTILE, confidence=7, value=300
        )
    with session_scope() as session:
        box = Mailbox(name='Support', host='imap.example.com', username='support', secret='not used here')
        session.add(box)
        session.commit()
        box_id, version = box.id, box.version
    with session_scope() as session:
        mailboxes.update_mailbox(
            session=session, actor=admin, mailbox_id=box_id, version=version, changes={'name': HOSTILE, 'folder': 'SAV'}
        )

    with i18n.use('fr'), read_session() as session:
        entries = session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.entity).in_(('alert_rule', 'objective', 'key_result', 'check_in', 'mailbox')))
            .order_by(col(AuditEntry.id))
        )
        shown = [audit_story.summary_text(entry) for entry in entries]
    assert shown == [
        f'Règle d’alerte «{NBSP}{HOSTILE}{NBSP}» sur Chiffre d’affaires{NBSP}: au-dessus d’une valeur, 1{NNBSP}500',
        f'En pause pour 24{NBSP}h',
        f'Règle d’alerte «{NBSP}{HOSTILE}{NBSP}»',
        f'Objectif «{NBSP}{HOSTILE}{NBSP}», du 01/10/2026 au 31/12/2026',
        f'Résultat clé «{NBSP}Partners{NBSP}»{NBSP}: un nombre saisi à la main de 0 à 1{NNBSP}200',
        f'Point sur «{NBSP}Partners{NBSP}»{NBSP}: confiance 7/10',
        f'Boîte mail {HOSTILE} modifiée{NBSP}: dossier, nom',
    ]
