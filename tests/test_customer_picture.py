"""A customer's whole picture and a company's: what support and operations see on the record page, each row a link,
the most recent first, and only the sections the reader may read."""

from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlmodel import select

from backoffice import db
from backoffice.db import read_session, session_scope
from backoffice.models import Invoice, Order
from backoffice.permissions import PermissionDenied
from backoffice.resources import resource
from backoffice.services import crud, customer_picture

from .support.factories import make_customer, make_user, pay
from .support.lists import open_row, rows_show
from .support.picture import COMPANY, EMAIL, NAME, SEGMENT, SUBJECT, a_customer_with_everything
from .support.plans import plan_of, statements_of
from .support.signin import signed_in

CUSTOMERS, COMPANIES = resource('customers'), resource('companies')


def sections_for(actor, record_id: int, of=CUSTOMERS) -> dict:
    with read_session() as session:
        found = crud.record_sections(session=session, actor=actor, resource=of, record_id=record_id)
    return {section.key: rows for section, rows in found}


# --- the service -----------------------------------------------------------------------------------------------------


def test_the_picture_lists_each_kind_most_recent_first_with_counts_and_links() -> None:
    p = a_customer_with_everything()
    shown = sections_for(p.manager, p.customer.id)
    assert list(shown) == ['orders', 'requests', 'returns', 'documents', 'payments', 'activity', 'legal', 'segments']
    orders_shown = shown['orders']
    assert [r.title for r in orders_shown.rows] == [f'Order {p.pending.number}', f'Order {p.paid.number}']
    assert [r.href for r in orders_shown.rows] == [f'/orders/{p.pending.number}', f'/orders/{p.paid.number}']
    assert (orders_shown.total, orders_shown.see_all) == (2, f'/orders?customer_id={p.customer.id}')
    assert [(r.title, r.href) for r in shown['requests'].rows] == [(SUBJECT, f'/requests/{p.request.number}')]
    assert [r.title for r in shown['returns'].rows] == [f'Return {p.rma.number}']
    assert shown['returns'].rows[0].href == f'/orders/{p.paid.number}'
    assert [r.title.split(' ')[0] for r in shown['documents'].rows] == ['Invoice']
    assert shown['documents'].see_all == f'/invoices?customer_id={p.customer.id}'
    assert [(r.detail, r.href) for r in shown['payments'].rows] == [
        (f'Order {p.paid.number}', f'/orders/{p.paid.number}')
    ]
    assert shown['payments'].see_all == f'/payments?customer_id={p.customer.id}'
    assert [r.title for r in shown['activity'].rows] == ['Added to cart']
    assert [r.title for r in shown['segments'].rows] == [SEGMENT]


def test_an_agent_without_the_invoice_permission_gets_no_invoices_even_from_the_service() -> None:
    p = a_customer_with_everything()
    agent = make_user('agent')
    assert 'documents' not in sections_for(agent, p.customer.id)
    assert 'segments' not in sections_for(agent, p.customer.id)  # nor segments: agents do not read them
    with read_session() as session, pytest.raises(PermissionDenied):
        customer_picture.customer_documents(session=session, actor=agent, record_id=p.customer.id, limit=5)


def test_a_company_lists_its_contacts_and_their_orders_and_requests() -> None:
    p = a_customer_with_everything()
    make_customer('not.a.contact@example.com')
    shown = sections_for(p.manager, p.company_id, COMPANIES)
    assert [r.href for r in shown['contacts'].rows] == [f'/customers/{p.customer.id}']
    assert [r.title for r in shown['orders'].rows] == [f'Order {p.pending.number}', f'Order {p.paid.number}']
    assert [r.title for r in shown['requests'].rows] == [SUBJECT]


# --- what a person sees -----------------------------------------------------------------------------------------------


async def test_support_opens_a_customer_sees_everything_and_follows_a_link(user: User) -> None:
    p = a_customer_with_everything()
    await signed_in(user, p.manager.email, path=f'/customers/{p.customer.id}')
    await user.should_see(EMAIL, retries=40)
    for text in (
        NAME,  # hostile text shows as text
        COMPANY,
        'Orders',
        f'Order {p.pending.number}',
        f'Order {p.paid.number}',
        SUBJECT,
        f'Return {p.rma.number}',
        'Invoices and credit notes',
        'Added to cart',
        SEGMENT,
    ):
        await user.should_see(text)
    await user.should_not_see(f'Order {p.other.number}')
    await user.should_not_see('Banned ones')
    user.find(f'Order {p.paid.number}').click()
    await user.should_see('placed', retries=40)  # the order's own page
    await user.should_see(marker='customer-link')  # …which leads back to the customer
    await user.should_see(COMPANY)


async def test_see_all_opens_the_list_filtered_to_the_customer(user: User) -> None:
    p = a_customer_with_everything()
    await signed_in(user, p.manager.email, path=f'/customers/{p.customer.id}')
    await user.should_see(marker='see-all-orders', retries=40)
    user.find(marker='see-all-orders').click()
    await rows_show(user, p.paid.number, p.pending.number, absent=(p.other.number,), column='number')


async def test_see_all_opens_the_invoices_and_payments_filtered_to_the_customer(user: User) -> None:
    p = a_customer_with_everything()
    pay(p.manager, p.other)  # someone else's invoice and payment: not theirs
    with read_session() as session:
        theirs, others = (
            session.exec(select(Invoice.number).where(Invoice.order_id == order.id)).one()
            for order in (p.paid, p.other)
        )
    await signed_in(user, p.manager.email, path=f'/customers/{p.customer.id}')
    await user.should_see(marker='see-all-documents', retries=40)
    user.find(marker='see-all-documents').click()
    await rows_show(user, theirs, absent=(others,), column='number')
    await user.open(f'/customers/{p.customer.id}')
    await user.should_see(marker='see-all-payments', retries=40)
    user.find(marker='see-all-payments').click()
    await rows_show(user, p.paid.number, absent=(p.other.number,), column='order_id')


async def test_an_agent_sees_the_customer_without_invoices(user: User) -> None:
    p = a_customer_with_everything()
    agent = make_user('agent')
    await signed_in(user, agent.email, path=f'/customers/{p.customer.id}')
    await user.should_see(f'Order {p.paid.number}', retries=40)
    await user.should_see(SUBJECT)
    await user.should_not_see('Invoices and credit notes')
    await user.should_not_see('INV-')
    await user.open(f'/orders/{p.paid.number}')  # nor on the order's page
    await user.should_see(f'Order {p.paid.number}', retries=40)
    await user.should_not_see(marker='document')


async def test_a_company_page_lists_its_contacts_and_their_orders(user: User) -> None:
    p = a_customer_with_everything()
    await signed_in(user, p.manager.email, path=f'/companies/{p.company_id}')
    await user.should_see(COMPANY, retries=40)
    await user.should_see('Contacts')
    await user.should_see(NAME)
    await user.should_see(f'Order {p.pending.number}')
    await user.should_see(SUBJECT)
    user.find(NAME).click()
    await user.should_see('Invoices and credit notes', retries=40)  # the contact's own page


async def test_the_request_page_links_to_the_customer_and_the_company(user: User) -> None:
    p = a_customer_with_everything()
    await signed_in(user, p.manager.email, path=f'/requests/{p.request.number}')
    await user.should_see(marker='customer-link', retries=40)
    user.find(marker='company-link').click()
    await user.should_see('Contacts', retries=40)
    await user.should_see(NAME)


async def test_the_customer_dialog_opens_the_customer_page(user: User) -> None:
    p = a_customer_with_everything()
    await signed_in(user, p.manager.email, path='/customers')
    await rows_show(user, EMAIL)
    open_row(user, EMAIL)
    await user.should_see(marker='record-page', retries=40)
    user.find(marker='record-page').click()
    await user.should_see('Invoices and credit notes', retries=40)


async def test_the_page_follows_a_change_made_elsewhere(user: User) -> None:
    p = a_customer_with_everything()
    await signed_in(user, p.manager.email, path=f'/customers/{p.customer.id}')
    await user.should_see(NAME, retries=40)
    with session_scope() as session:
        crud.update_record(
            session=session,
            actor=p.manager,
            resource=CUSTOMERS,
            record_id=p.customer.id,
            version=p.customer.version,
            changes={'name': 'Pat Renamed: "<b>"'},
        )
    await user.should_see('Pat Renamed: "<b>"', retries=40)


async def test_an_unknown_customer_says_so(user: User) -> None:
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/customers/999999')
    await user.should_see('This record does not exist, or you may not read it.', retries=40)


def test_a_stored_customer_is_found_by_email() -> None:  # the factory links orders to the customer made first
    p = a_customer_with_everything()
    with read_session() as session:
        assert session.exec(select(Order.customer_id).where(Order.id == p.paid.id)).one() == p.customer.id


BIG_TABLES = ('orders', 'tickets', 'returns', 'invoices', 'payments', 'usage_events', 'customers')


def test_every_section_reads_by_an_index() -> None:
    """At a million orders a section may not scan a table: each statement's plan uses an index on the big tables."""
    p = a_customer_with_everything()
    engine = db.get_engine()
    for of, record_id in ((CUSTOMERS, p.customer.id), (COMPANIES, p.company_id)):
        statements = statements_of(engine, lambda of=of, record_id=record_id: sections_for(p.manager, record_id, of))
        assert statements
        for statement, parameters in statements:
            plan = plan_of(engine, statement, parameters)
            scans = [line for line in plan.splitlines() if _scans_a_big_table(line)]
            assert not scans, f'{statement}\n{plan}'


def _scans_a_big_table(line: str) -> bool:
    words = line.replace('"', ' ').split()
    if engine_is_sqlite():
        return len(words) >= 2 and words[0] == 'SCAN' and words[1] in BIG_TABLES and 'INDEX' not in line
    return 'Seq Scan on' in line and any(f'Seq Scan on {t} ' in line + ' ' for t in BIG_TABLES)


def engine_is_sqlite() -> bool:
    return db.get_engine().dialect.name == 'sqlite'


async def test_the_record_page_offers_its_actions_as_buttons_not_only_inside_edit(user: User) -> None:
    """Banning a customer from their page meant opening Edit and finding Ban at the foot of the form."""
    customer = make_customer('ban.me@example.com', name='Zoë "Ban" <b>Me</b>: O\'Hara')
    manager = make_user('manager')
    await signed_in(user, manager.email, path=f'/customers/{customer.id}')
    await user.should_see(marker='action-ban', retries=40)
    await user.should_not_see(marker='action-unban')  # only the actions that apply now
    user.find(marker='action-ban').click()
    await user.should_see(marker='confirm-action')
    user.find('Reason *').type('Chargebacks: "<script>x</script>"')
    user.find(marker='confirm-action').click()
    await user.should_see(marker='action-unban', retries=40)  # the page shows the banned customer's actions
    with read_session() as session:
        banned = session.get(type(customer), customer.id)
    assert (banned.status, banned.ban_reason) == ('banned', 'Chargebacks: "<script>x</script>"')


async def test_a_viewer_sees_no_action_they_may_not_run(user: User) -> None:
    customer = make_customer('look.only@example.com', name='Look Only')
    viewer = make_user('viewer')
    await signed_in(user, viewer.email, path=f'/customers/{customer.id}')
    await user.should_see('Look Only', retries=40)
    await user.should_not_see(marker='action-ban')
