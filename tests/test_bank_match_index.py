"""Matching reads only the open invoices (and the orders awaiting payment without one) a statement's lines can reach
and indexes names lazily (for speed at 100,000 open invoices): on a seeded shop, with common amounts, shared names,
partial payments and order numbers, every line's suggestions are exactly those of the first version, which ranked each
line against every open item."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import col, select

from backoffice.db import read_session, session_scope
from backoffice.kpi.days import today as shop_today
from backoffice.models import BankLine, Company, Customer, Invoice, Order
from backoffice.seed.orders import seed_orders_for_benchmark
from backoffice.services import app_settings, bank_match, receivables

from .support.bank import Line, camt053, import_file, make_account
from .support.factories import make_user


def test_suggestions_are_those_of_ranking_against_every_open_invoice() -> None:
    manager = make_user('manager')
    with session_scope() as session:
        seed_orders_for_benchmark(session=session, orders=700, seed=7, customers=40, companies=4)
        # two in three invoices unpaid, one in six half paid: many open invoices share an amount and a customer
        session.execute(text('UPDATE orders SET paid_total = 0 WHERE id % 3 <> 0'))
        session.execute(text('UPDATE orders SET paid_total = round(total / 2, 2) WHERE id % 6 = 3'))
        session.commit()
    with read_session() as session:
        invoices = list(
            session.exec(
                select(Invoice.number, Invoice.total, Order.number, Customer.name)
                .join(Order, col(Order.id) == Invoice.order_id)
                .join(Customer, col(Customer.id) == Order.customer_id)
                .order_by(col(Invoice.id))
            )
        )
        awaiting = every_awaiting_order(session)
    assert awaiting  # orders paid by transfer and not yet invoiced: a line names one by its number
    lines_sent = statement_lines(random.Random(11), invoices)
    lines_sent.append(
        Line(f'{awaiting[0].open:.2f}', f'Commande {awaiting[0].order_number}', awaiting[0].customer_name)
    )
    account = make_account(manager)
    import_file(manager, account, camt053(lines_sent, opening='50000.00'))

    with read_session() as session:
        lines = list(session.exec(select(BankLine).order_by(col(BankLine.id))))
        expected = FirstMatcher(
            receivables.open_items(session, today=shop_today(app_settings.time_zone())), every_awaiting_order(session)
        )
    stored = {line.id: bank_match.suggestions_of(line) for line in lines}
    wanted = {
        line.id: json.loads(
            json.dumps([c.as_dict(line.amount) for c in expected.candidates(line) if c.currency == 'EUR'])
        )
        for line in lines
        if line.amount > 0
    }
    assert wanted == {key: value for key, value in stored.items() if key in wanted}
    reasons = {why for found in stored.values() for suggestion in found for why in suggestion['why']}
    assert {'number', 'order', 'amount', 'name', 'partial'} <= reasons
    assert any(len(items) > bank_match.AMOUNT_ALONE for items in expected.by_amount.values())
    assert any('order_id' in suggestion for found in stored.values() for suggestion in found)  # pending, no invoice


def every_awaiting_order(session) -> list[bank_match.AwaitingOrder]:
    """Each order bank_match.awaits_payment says a transfer pays without an invoice, read one by one."""
    found = []
    for order in session.exec(select(Order).order_by(col(Order.id))):
        if bank_match.awaits_payment(session, order):
            customer = session.get(Customer, order.customer_id)
            company = session.get(Company, customer.company_id) if customer.company_id else None
            found.append(
                bank_match.AwaitingOrder(
                    order.id,
                    order.number,
                    order.currency,
                    customer.name or '',
                    customer.email,
                    company.name if company else '',
                    order.total - order.paid_total,
                )  # fmt: skip
            )
    return found


def statement_lines(rng: random.Random, invoices: list) -> list[Line]:
    lines = []
    for number in range(400):
        invoice_number, total, order_number, name = rng.choice(invoices)
        roll = rng.random()
        if roll < 0.25:
            lines.append(Line(f'{total:.2f}', f'VIR SEPA FACTURE {invoice_number}', 'CLIENT SARL'))
        elif roll < 0.35:
            lines.append(Line(f'{total / 2:.2f}', f'acompte {invoice_number.lower()}', name))
        elif roll < 0.45:
            lines.append(Line(f'{total:.2f}', f'Commande {order_number}', name))
        elif roll < 0.65:
            lines.append(Line(f'{total:.2f}', 'VIREMENT RECU', name))
        elif roll < 0.8:
            lines.append(Line(f'{total:.2f}', 'VIREMENT RECU', 'DUPONT'))
        else:
            amount = Decimal(rng.randint(100, 50_000)) / 100
            lines.append(Line(f'{amount:.2f}', f'REMISE {number}', rng.choice(('', name, 'MARTIN'))))
    return lines


class FirstMatcher:
    """The matching of the first version, kept as written: every open item indexed by number, order, amount, and
    amount with each word of its customer's name, before any line is read."""

    def __init__(self, items: list[receivables.OpenItem], orders: list[bank_match.AwaitingOrder]) -> None:
        self.by_number = {item.number.upper(): item for item in items}
        self.by_order: dict[str, list] = defaultdict(list)
        self.by_amount: dict[Decimal, list] = defaultdict(list)
        self.by_amount_and_name: dict[tuple[Decimal, str], list] = defaultdict(list)
        self.names: dict[int, frozenset[str]] = {}
        for item in (*items, *orders):  # an order awaiting payment is found by its number as an invoice's order's
            self.by_order[item.order_number.upper()].append(item)
            self.by_amount[item.open].append(item)
            words = self.names[item.invoice_id] = bank_match.name_words(f'{item.account_name} {item.customer_name}')
            for word in words:
                self.by_amount_and_name[(item.open, word)].append(item)

    def candidates(self, line: BankLine) -> list[bank_match.Candidate]:
        text = f'{line.label} {line.reference} {line.counterpart}'
        tokens = set(bank_match.TOKEN.findall(bank_match.fold(text)))
        words = bank_match.name_words(f'{line.counterpart} {line.label}')
        found: dict[int, bank_match.Candidate] = {}

        def add(item: receivables.OpenItem, points: int, why: str) -> None:
            candidate = found.get(item.invoice_id)
            if candidate is None:
                order_id = item.order_id if isinstance(item, bank_match.AwaitingOrder) else None
                candidate = found[item.invoice_id] = bank_match.Candidate(
                    0 if order_id else item.invoice_id, item.number, item.account_name, item.open, item.currency, 0, []
                )
                candidate.order_id = order_id
            if why not in candidate.why:
                candidate.score += points
                candidate.why.append(why)

        for token in tokens:
            item = self.by_number.get(token)
            if item is not None:
                add(item, 60, 'number')
            for item in self.by_order.get(token, ()):
                add(item, 30, 'order')
        same_amount = self.by_amount.get(line.amount, [])
        if len(same_amount) <= bank_match.AMOUNT_ALONE:
            for item in same_amount:
                add(item, 30, 'amount')
        else:
            for word in words:
                for item in self.by_amount_and_name.get((line.amount, word), ()):
                    add(item, 30, 'amount')
            for candidate in found.values():
                if candidate.open == line.amount and 'amount' not in candidate.why:
                    candidate.score += 30
                    candidate.why.append('amount')
        for key, candidate in found.items():
            shared = len(words & self.names[key])
            if shared:
                candidate.score += 15 + 10 * min(shared, 3)
                candidate.why.append('name')
            if line.amount < candidate.open and 'amount' not in candidate.why:
                candidate.why.append('partial')
        ranked = [c for c in found.values() if c.open >= line.amount or 'number' in c.why or 'order' in c.why]
        ranked.sort(key=lambda c: (-c.score, c.number))
        return ranked[: bank_match.SHOWN]
