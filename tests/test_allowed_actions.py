"""Pages keep no rule: what an order, a return, a purchase or a request allows is asked of its service, and the
service's own checks agree with the answer for every status."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from nicegui.testing import User as SimulatedUser

from backoffice.models import (
    Order,
    OrderStatus,
    Purchase,
    PurchaseStatus,
    Return,
    ReturnStatus,
    Ticket,
    TicketStatus,
    TicketType,
)
from backoffice.services import orders, purchases, returns, ticket_links, tickets

from .support.factories import advance, make_product, make_user, pay, place
from .support.signin import signed_in

ROOT = Path(__file__).resolve().parent.parent


def order_in(status: OrderStatus, *, paid: str = '0', refunded: str = '0') -> Order:
    return Order(
        number='100001',
        email='a@example.com',
        status=status,
        paid_total=Decimal(paid),
        refunded_total=Decimal(refunded),
    )


@pytest.mark.parametrize('status', list(OrderStatus))
def test_the_status_steps_an_order_allows_are_exactly_those_its_service_accepts(status: OrderStatus) -> None:
    order = order_in(status)
    allowed = orders.allowed_actions(order)
    for target, action in orders.STEP_TO.items():
        try:
            orders.check_transition(order, target)
            accepted = True
        except orders.IllegalTransition:
            accepted = False
        assert (action in allowed) == accepted, (status, action)


def test_the_other_order_actions_follow_the_money_the_goods_and_the_invoice() -> None:
    assert 'edit_draft' in orders.allowed_actions(order_in(OrderStatus.draft))
    assert 'edit_draft' not in orders.allowed_actions(order_in(OrderStatus.pending))
    assert 'refund' in orders.allowed_actions(order_in(OrderStatus.paid, paid='10', refunded='4'))
    assert 'refund' not in orders.allowed_actions(order_in(OrderStatus.paid, paid='10', refunded='10'))
    assert {s for s in OrderStatus if 'start_return' in orders.allowed_actions(order_in(s))} == set(returns.RETURNABLE)
    # everything came back already (returns.anything_returnable): no return to start
    assert 'start_return' not in orders.allowed_actions(order_in(OrderStatus.delivered), returnable=False)
    assert 'issue_invoice' in orders.allowed_actions(order_in(OrderStatus.paid))
    assert 'issue_invoice' not in orders.allowed_actions(order_in(OrderStatus.paid), invoiced=True)
    assert 'issue_invoice' not in orders.allowed_actions(order_in(OrderStatus.cancelled))
    assert 'issue_invoice' not in orders.allowed_actions(order_in(OrderStatus.pending))  # pay first
    assert 'issue_invoice' in orders.allowed_actions(order_in(OrderStatus.pending), on_terms=True)  # net 15/30/60
    for status in OrderStatus:
        assert orders.allowed_actions(order_in(status)) <= orders.ACTIONS


def test_returns_purchases_and_requests_answer_what_they_allow() -> None:
    def rma(status: ReturnStatus) -> Return:
        return Return(number='R-1', order_id=1, customer_id=1, status=status)

    assert returns.allowed_actions(rma(ReturnStatus.requested)) == {'receive', 'cancel'}
    assert returns.allowed_actions(rma(ReturnStatus.received)) == {'refund', 'credit_note', 'exchange'}
    assert returns.allowed_actions(rma(ReturnStatus.closed)) == set()
    assert returns.allowed_actions(rma(ReturnStatus.cancelled)) == set()
    assert purchases.may_receive(Purchase(number='P-1', status=PurchaseStatus.ordered))
    assert not purchases.may_receive(Purchase(number='P-1', status=PurchaseStatus.received))

    def request(**fields) -> Ticket:
        return Ticket(number=1, subject='s', customer_id=1, **fields)

    assert returns.may_start_from_ticket(request(type=TicketType.return_exchange, order_number='100001'))
    assert not returns.may_start_from_ticket(request(type=TicketType.return_exchange, order_number=None))
    assert not returns.may_start_from_ticket(request(type=TicketType.question, order_number='100001'))
    assert tickets.may_mark_duplicate(request(status=TicketStatus.open))
    assert not tickets.may_mark_duplicate(request(status=TicketStatus.closed))
    assert not tickets.may_mark_duplicate(request(status=TicketStatus.open, duplicate_of_id=3))
    assert ticket_links.may_merge(request(status=TicketStatus.solved))
    assert not ticket_links.may_merge(request(status=TicketStatus.closed))
    assert not ticket_links.may_merge(request(status=TicketStatus.open, merged_into_id=3))


async def test_the_order_page_shows_the_buttons_of_the_allowed_actions_only(user: SimulatedUser) -> None:
    manager = make_user('manager')
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(('MUG', 1))
    pay(manager, order)
    advance(manager, order, 'pack', 'ship')
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see('Mark delivered', retries=40)
    await user.should_see(marker='start-return')
    await user.should_see(marker='refund')
    await user.should_not_see(marker='cancel-order')  # shipped: the service would refuse, so no button
    await user.should_not_see(marker='record-payment')
    await user.should_not_see(marker='ship')


def test_pages_and_components_do_not_compare_statuses() -> None:
    """A rule about what a status allows lives in its service: pages and components ask it (allowed_actions,
    may_…), so they never compare a status with a value or list the statuses themselves."""
    found = []
    for path in [*ROOT.glob('pages/*.py'), *ROOT.glob('components/*.py')]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                names = [
                    n
                    for n in (node.left, *node.comparators)
                    if isinstance(n, ast.Attribute)
                    and n.attr == 'status'
                    or isinstance(n, ast.Attribute)
                    and isinstance(n.value, ast.Name)
                    and n.value.id.endswith('Status')
                ]
                if names:
                    found.append(f'{path.relative_to(ROOT)}:{node.lineno}')
    assert found == []
