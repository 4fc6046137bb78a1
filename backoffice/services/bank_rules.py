"""Bank matching rules: "when the reference contains X and/or the counterparty is Y, set the line aside as Z, or match
it to the open invoice of customer C (the bill of supplier S) it pays", kept in position order, applied to each new line
still unmatched in the import's transaction (the first rule that fits wins, its firing — or its miss, when no single
invoice or bill is found — counted), and listed, saved, switched on or off and deleted by a person with finance.manage,
each change audited. A rule's match goes through bank_match.confirm / confirm_bill like a person's, each line in its own
savepoint: one refused match leaves that line to reconcile, with the reason, and the import goes on."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from backoffice import changes, db
from backoffice.errors import NotFound, ServiceError, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.kpi.days import today as shop_today
from backoffice.models import (
    BankLine,
    BankRule,
    BillPayment,
    Customer,
    LineStatus,
    Order,
    Payment,
    Receipt,
    RuleDirection,
    RuleOutcome,
    Supplier,
    SupplierBill,
    User,
    utcnow,
)
from backoffice.permissions import PermissionDenied, require
from backoffice.services import app_settings, audit, bank_match, payables, receivables
from backoffice.services.bank_match import CATEGORIES, fold
from backoffice.stored_text import sentence
from backoffice.validation import typed_line

log = logging.getLogger(__name__)
# what the audit log says of a rule that fired (set lines aside, or matched them) or found nothing to match, on an
# import or applied again to the waiting lines: in each reader's language
FIRED = {
    ('import', True): N_('Bank rule {name} set lines aside on import'),
    ('import', False): N_('Bank rule {name} matched lines on import'),
    ('again', True): N_('Bank rule {name} set lines aside when applied to the waiting lines'),
    ('again', False): N_('Bank rule {name} matched lines when applied to the waiting lines'),
}
MISSED = {
    'import': N_('Bank rule {name} found no single invoice or bill on import'),
    'again': N_('Bank rule {name} found no single invoice or bill when applied to the waiting lines'),
}
FIELDS = (
    'name',
    'reference_contains',
    'counterparty',
    'counterparty_exact',
    'direction',
    'outcome',
    'category',
    'customer_id',
    'supplier_id',
    'note',
)
# why a rule that fitted a line did not match it (bank_lines.rule_miss), shown on the line
MISSES: dict[str, str] = {
    'no_invoice': N_(
        'no open invoice or order awaiting payment of the customer has this amount or its number in the reference'
    ),
    'several_invoices': N_('several open invoices or orders awaiting payment of the customer fit: choose one'),
    'no_bill': N_('no open bill of the supplier has this amount or its number in the reference'),
    'several_bills': N_('several open bills of the supplier fit: choose one'),
    'no_party': N_('the rule names no customer or supplier'),
    'refused': N_('the match was refused (amount more than open, or not allowed)'),
    'recorded_by_hand': N_("a payment was recorded by hand with this line's reference: see it below"),
}


@dataclass
class Applied:
    """What the rules did to the new lines of an import."""

    set_aside: int = 0
    matched: int = 0
    missed: int = 0  # a rule fitted but found no single invoice or bill: the line waits, with the reason


def rules(*, session: Session, actor: User) -> list[BankRule]:
    require(actor, 'finance.read')
    return list(session.exec(select(BankRule).order_by(col(BankRule.position), col(BankRule.id))))


NAME_MAX = 120  # characters of a rule's name
REFERENCE_MAX = 120  # of the text a line's reference or label contains
COUNTERPARTY_MAX = 200
NOTE_MAX = 500  # of the note it puts on the lines


def typed(values: dict[str, Any], field: str, limit: int, errors: dict[str, str]) -> str:
    """What a person (or an API caller) typed for `field`, on one line (spaces and line breaks folded): longer than
    `limit` it is refused at that field with its length, never cut (the part cut off would be lost unseen)."""
    text = ' '.join(str(values.get(field) or '').split())
    try:
        return typed_line(text, maximum=limit)
    except ValueError as error:
        errors[field] = str(error)
        return text


def save_rule(
    *, session: Session, actor: User, values: dict[str, Any], rule_id: int | None = None, version: int | None = None
) -> BankRule:
    """Create or change a rule: a name, at least one condition (reference or counterparty), and what it does: a
    category to set aside with, or the customer (money in) or supplier (money out) whose open invoice or bill it
    matches."""
    require(actor, 'finance.manage')
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {
        'name': typed(values, 'name', NAME_MAX, errors),
        'reference_contains': typed(values, 'reference_contains', REFERENCE_MAX, errors),
        'counterparty': typed(values, 'counterparty', COUNTERPARTY_MAX, errors),
        'counterparty_exact': bool(values.get('counterparty_exact')),
        'direction': str(values.get('direction') or RuleDirection.any.value),
        'outcome': str(values.get('outcome') or RuleOutcome.set_aside.value),
        'category': str(values.get('category') or ''),
        'customer_id': record_id(values.get('customer_id')),
        'supplier_id': record_id(values.get('supplier_id')),
        'note': typed(values, 'note', NOTE_MAX, errors),
    }
    if not clean['name']:
        errors['name'] = _('Give the rule a name')
    if not clean['reference_contains'] and not clean['counterparty']:
        errors['reference_contains'] = _('Give a text the reference contains, a counterparty, or both')
    if clean['direction'] not in {d.value for d in RuleDirection}:
        errors['direction'] = _('Choose money in, money out or both')
    outcome = clean['outcome']
    if outcome == RuleOutcome.set_aside.value:
        clean['customer_id'] = clean['supplier_id'] = None
        if clean['category'] not in CATEGORIES:
            errors['category'] = _('Choose a category')
    elif outcome == RuleOutcome.invoice.value:
        clean['category'], clean['supplier_id'], clean['direction'] = '', None, RuleDirection.credit.value
        customer = session.get(Customer, clean['customer_id']) if clean['customer_id'] else None
        if customer is None or customer.deleted_at is not None:
            errors['customer_id'] = _('Choose the customer whose invoices the rule matches')
    elif outcome == RuleOutcome.bill.value:
        clean['category'], clean['customer_id'], clean['direction'] = '', None, RuleDirection.debit.value
        supplier = session.get(Supplier, clean['supplier_id']) if clean['supplier_id'] else None
        if supplier is None or supplier.deleted_at is not None:
            errors['supplier_id'] = _('Choose the supplier whose bills the rule matches')
    else:
        errors['outcome'] = _('Choose what the rule does')
    if errors:
        raise ValidationFailed(errors)
    clean['direction'] = RuleDirection(clean['direction'])
    clean['outcome'] = RuleOutcome(outcome)
    if rule_id is None:
        last = session.exec(select(func.max(BankRule.position))).one()
        rule = BankRule(position=(last or 0) + 1, **clean)
        before: dict[str, Any] = {}
    else:
        rule = changes.get_for_update(
            session, BankRule, rule_id, version, entity='bank_rules', label=N_('matching rule')
        )
        before = {name: plain(getattr(rule, name)) for name in FIELDS}
        for name, value in clean.items():
            setattr(rule, name, value)
        changes.stamp(rule)
    if 'position' in values and values['position'] is not None:
        rule.position = int(values['position'])
    session.add(rule)
    session.flush()
    after = {name: plain(clean[name]) for name in FIELDS}
    audit.record(
        session,
        actor,
        'bank_rule.saved' if before else 'bank_rule.created',
        'bank_rules',
        rule.id,
        version=rule.version,
        changes=audit.diff(before, after) if before else after,
        summary=sentence(N_('Bank rule {name}'), name=rule.name),
    )
    changes.commit(session, (Topic.bank, {'action': 'rule', 'id': rule.id}))
    return rule


def record_id(value: Any) -> int | None:
    """A picked record's id, or None when nothing (or nothing readable) was picked."""
    try:
        number = int(value) if value not in (None, '') else None
    except (TypeError, ValueError):
        return None
    return number if number and number > 0 else None


def plain(value: Any) -> Any:
    return value.value if isinstance(value, (RuleDirection, RuleOutcome)) else value


def switch_rule(*, session: Session, actor: User, rule_id: int, active: bool, version: int | None = None) -> BankRule:
    """Switch a rule on or off: a rule off is kept, listed, and tried on no import until switched on again."""
    require(actor, 'finance.manage')
    rule = changes.get_for_update(session, BankRule, rule_id, version, entity='bank_rules', label=N_('matching rule'))
    if rule.active != bool(active):
        rule.active = bool(active)
        changes.stamp(rule)
        session.add(rule)
        audit.record(
            session,
            actor,
            'bank_rule.switched',
            'bank_rules',
            rule_id,
            version=rule.version,
            changes={'active': rule.active},
            summary=sentence(
                N_('Bank rule {name} switched on') if rule.active else N_('Bank rule {name} switched off'),
                name=rule.name,
            ),
        )
    changes.commit(session, (Topic.bank, {'action': 'rule', 'id': rule_id}))
    return rule


def move_rule(*, session: Session, actor: User, rule_id: int, step: int) -> None:
    """Move a rule up (step -1) or down (step 1) in the order the rules are tried."""
    require(actor, 'finance.manage')
    ordered = list(session.exec(select(BankRule).order_by(col(BankRule.position), col(BankRule.id))))
    index = next((i for i, r in enumerate(ordered) if r.id == rule_id), None)
    if index is None:
        raise NotFound(_('This rule no longer exists.'))
    other = index + step
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, rule in enumerate(ordered, start=1):
        if rule.position != position:
            rule.position = position
            session.add(rule)
    audit.record(
        session,
        actor,
        'bank_rule.moved',
        'bank_rules',
        rule_id,
        changes={'step': step},
        summary=sentence(N_('Bank rule moved')),
    )
    changes.commit(session, (Topic.bank, {'action': 'rule', 'id': rule_id}))


def delete_rule(*, session: Session, actor: User, rule_id: int, version: int | None = None) -> None:
    """Delete a rule; the lines it set aside stay set aside (undo them one by one)."""
    require(actor, 'finance.manage')
    rule = changes.get_for_update(session, BankRule, rule_id, version, entity='bank_rules', label=N_('matching rule'))
    name = rule.name
    session.delete(rule)
    audit.record(
        session,
        actor,
        'bank_rule.deleted',
        'bank_rules',
        rule_id,
        changes={'name': name},
        summary=sentence(N_('Bank rule {name}'), name=name),
    )
    changes.commit(session, (Topic.bank, {'action': 'rule', 'id': rule_id}))


def fits(rule: BankRule, line: BankLine) -> bool:
    """Whether the line meets every condition the rule gives (case and accents ignored)."""
    if rule.direction == RuleDirection.credit and line.amount <= 0:
        return False
    if rule.direction == RuleDirection.debit and line.amount >= 0:
        return False
    if rule.reference_contains:
        wanted = fold(rule.reference_contains)
        if wanted not in fold(line.reference) and wanted not in fold(line.label):
            return False
    if rule.counterparty:
        wanted, found = fold(' '.join(rule.counterparty.split())), fold(' '.join(line.counterpart.split()))
        if (found != wanted) if rule.counterparty_exact else (wanted not in found):
            return False
    return True


def apply_to_waiting(*, session: Session, actor: User) -> Applied:
    """Try the rules on every line still waiting to be reconciled (a rule made after the import, or one changed since):
    the same as on import — set aside, or matched to the one open invoice or bill — and committed."""
    require(actor, 'finance.manage')
    waiting = list(session.exec(select(BankLine.id).where(col(BankLine.status) == LineStatus.unmatched)))
    done = apply(session, actor, waiting, again=True)  # type: ignore[arg-type]
    changes.commit(session, (Topic.bank, {'action': 'rules_applied'}))
    return done


def apply(session: Session, actor: User, line_ids: Iterable[int], *, again: bool = False) -> Applied:
    """Try the active rules, in order, on each of these lines still unmatched, in the caller's transaction: the first
    that fits sets the line aside, or matches it to its customer's (supplier's) one open invoice (bill) through
    bank_match — each such match in its own savepoint, so a refused one leaves only that line to reconcile, with the
    reason. The line records the rule; the rule counts its firings and misses (one audit entry per rule)."""
    active = [r for r in session.exec(select(BankRule).order_by(col(BankRule.position), col(BankRule.id))) if r.active]
    ids = list(line_ids)
    done = Applied()
    if not active or not ids:
        return done
    now = utcnow()
    to_match: list[tuple[int, BankRule]] = []
    for start in range(0, len(ids), 500):
        found = session.exec(
            select(BankLine).where(
                col(BankLine.id).in_(ids[start : start + 500]), col(BankLine.status) == LineStatus.unmatched
            )
        )
        for line in found:
            rule = next((r for r in active if fits(r, line)), None)
            if rule is None:
                continue
            if rule.outcome != RuleOutcome.set_aside:
                to_match.append((line.id, rule))  # type: ignore[arg-type]
                continue
            line.status, line.category, line.rule_id = LineStatus.ignored, rule.category, rule.id
            line.note = line.note or rule.note
            line.decided_by, line.decided_at = actor.id, now
            line.version += 1
            session.add(line)
            rule.fired_count += 1
            rule.last_fired_at = now
            done.set_aside += 1
    missed: dict[int | None, int] = {}
    when = 'again' if again else 'import'
    if to_match:
        today = shop_today(app_settings.time_zone())
        for line_id, rule in to_match:
            miss = match_by_rule(session, actor, rule, line_id, today)
            if miss:
                missed[rule.id] = missed.get(rule.id, 0) + 1
                done.missed += 1
            else:
                rule.fired_count += 1
                rule.last_fired_at = now
                done.matched += 1
    for rule in active:
        if rule.last_fired_at == now or rule.id in missed:
            rule.missed_count += missed.get(rule.id, 0)
            session.add(rule)
            fired = rule.last_fired_at == now
            audit.record(
                session,
                actor,
                'bank_rule.fired' if fired else 'bank_rule.missed',
                'bank_rules',
                rule.id,
                changes={'fired_count': rule.fired_count, 'missed_count': rule.missed_count},
                summary=sentence(
                    FIRED[when, rule.outcome == RuleOutcome.set_aside] if fired else MISSED[when], name=rule.name
                ),
            )
    return done


def match_by_rule(session: Session, actor: User, rule: BankRule, line_id: int, today: date) -> str:
    """Match one line as the rule says, in a savepoint; '' when matched, else why not (recorded on the line)."""
    line = session.get(BankLine, line_id)
    if line is None:
        return 'refused'
    found, miss = target_of(session, rule, line, today)
    if bank_match.recorded_by_hand(session, [line]):  # its money is counted already, in all or in part: a person looks
        found, miss = None, 'recorded_by_hand'
    if found is not None:
        kind, target = found
        try:
            with session.begin_nested(), db.held_commits(session):
                if kind == 'bill':
                    bank_match.confirm_bill(
                        session=session, actor=actor, line_id=line_id, version=None, bill_id=target, rule_id=rule.id
                    )
                else:  # an invoice, or an order awaiting payment with no invoice yet (the whole line on it)
                    bank_match.confirm(
                        session=session,
                        actor=actor,
                        line_id=line_id,
                        version=None,
                        amounts={target: line.amount} if kind == 'invoice' else {},
                        order_amounts={target: line.amount} if kind == 'order' else None,
                        rule_id=rule.id,
                    )
            return ''
        except (ServiceError, PermissionDenied):
            miss = 'refused'
        except Exception:  # noqa: BLE001 — one line's failure must not undo the import; the savepoint is rolled back
            log.warning('bank rule %s could not match line %s', rule.id, line_id, exc_info=True)
            miss = 'refused'
        line = session.get(BankLine, line_id)
        if line is None:
            return miss
        session.refresh(line)
    line.missed_rule_id, line.rule_miss = rule.id, miss
    line.version += 1
    session.add(line)
    return miss


def target_of(session: Session, rule: BankRule, line: BankLine, today: date) -> tuple[tuple[str, int] | None, str]:
    """The one open invoice (bill) of the rule's customer (supplier) whose number is in the line's reference or label,
    else whose amount open is the line's, as ('invoice' | 'bill', id); for a customer, their orders awaiting payment
    with no invoice yet count beside their invoices, as the matcher suggests them (the order's number, else what is
    due on it): ('order', id). (None, why) when there is none or more than one."""
    squeezed = re.sub(r'\s+', '', fold(f'{line.reference} {line.label}'))
    if rule.outcome == RuleOutcome.invoice:
        if rule.customer_id is None:
            return None, 'no_party'
        tokens = set(bank_match.TOKEN.findall(fold(f'{line.reference} {line.label}')))
        items = [
            i
            for i in receivables.open_items(session, today=today, customer_id=rule.customer_id)
            if i.currency == line.currency
        ]
        waiting = [o for o in bank_match.awaiting_orders_of(session, rule.customer_id) if o.currency == line.currency]
        chosen = [('invoice', i.invoice_id) for i in items if i.number.upper() in tokens] + [
            ('order', o.order_id) for o in waiting if o.order_number.upper() in tokens
        ]
        chosen = chosen or [('invoice', i.invoice_id) for i in items if i.open == line.amount] + [
            ('order', o.order_id) for o in waiting if o.open == line.amount
        ]
        return (chosen[0], '') if len(chosen) == 1 else (None, 'several_invoices' if chosen else 'no_invoice')
    if rule.supplier_id is None:
        return None, 'no_party'
    bills = [
        b
        for b in payables.open_bills(session, today=today, supplier_id=rule.supplier_id)
        if b.currency == line.currency
    ]
    numbered: list[int] = []
    for bill in bills:
        number = re.sub(r'\s+', '', fold(bill.number))
        if len(number) >= 3 and number in squeezed:
            numbered.append(bill.bill_id)
    paid = numbered or [b.bill_id for b in bills if b.open == -line.amount]
    return (('bill', paid[0]), '') if len(paid) == 1 else (None, 'several_bills' if paid else 'no_bill')


def repeated_set_aside(session: Session, line: BankLine) -> bool:
    """Whether a person set aside lines of this counterparty with this category at least twice (this one included)
    and no rule already covers it: the notice then offers to make it a rule."""
    if not line.counterpart or line.status != LineStatus.ignored or line.rule_id is not None:
        return False
    same = session.exec(
        select(func.count()).where(
            col(BankLine.counterpart) == line.counterpart,
            col(BankLine.category) == line.category,
            col(BankLine.status) == LineStatus.ignored,
            col(BankLine.rule_id).is_(None),
        )
    ).one()
    if same < 2:
        return False
    return not any(r.category == line.category and fits(r, line) for r in session.exec(select(BankRule)))


def repeated_match(session: Session, line: BankLine) -> dict[str, Any] | None:
    """After a person matched this line: when they matched another line of the same counterparty to the same customer
    (supplier) by hand before, and no rule already does it, the values of a rule that would (the form's prefill)."""
    if not line.counterpart or line.status != LineStatus.matched or line.rule_id is not None:
        return None
    party = party_of(session, line)
    if party is None:
        return None
    others = session.exec(
        select(BankLine)
        .where(
            col(BankLine.counterpart) == line.counterpart,
            col(BankLine.status) == LineStatus.matched,
            col(BankLine.rule_id).is_(None),
            col(BankLine.id) != line.id,
        )
        .order_by(col(BankLine.id).desc())
        .limit(50)
    )
    if not any(party_of(session, other) == party for other in others):
        return None
    outcome, party_id = party
    for rule in session.exec(select(BankRule).where(col(BankRule.outcome) == outcome)):
        if (rule.customer_id if outcome == RuleOutcome.invoice else rule.supplier_id) == party_id and fits(rule, line):
            return None
    invoice = outcome == RuleOutcome.invoice
    return {
        'name': line.counterpart[:NAME_MAX],  # the app's suggestion, shown in the dialog before it is saved
        'counterparty': line.counterpart,
        'counterparty_exact': True,
        'outcome': outcome.value,
        'direction': RuleDirection.credit.value if invoice else RuleDirection.debit.value,
        'customer_id': party_id if invoice else None,
        'supplier_id': None if invoice else party_id,
    }


def party_of(session: Session, line: BankLine) -> tuple[RuleOutcome, int] | None:
    """Whom a matched line paid: the customer of its receipt, or of the order it paid part of (a pending order with no
    invoice yet: a payment kept with the line, no receipt), or the supplier of the bill it paid."""
    if line.receipt_id is not None:
        receipt = session.get(Receipt, line.receipt_id)
        return (RuleOutcome.invoice, receipt.customer_id) if receipt is not None else None
    customer_id = session.exec(
        select(Order.customer_id)
        .join(Payment, col(Payment.order_id) == col(Order.id))
        .where(col(Payment.bank_line_id) == line.id)
        .order_by(col(Payment.id))
    ).first()
    if customer_id is not None:
        return RuleOutcome.invoice, customer_id
    supplier_id = session.exec(
        select(SupplierBill.supplier_id)
        .join(BillPayment, col(BillPayment.bill_id) == col(SupplierBill.id))
        .where(col(BillPayment.bank_line_id) == line.id)
    ).first()
    return (RuleOutcome.bill, supplier_id) if supplier_id is not None else None


def parties(*, session: Session, actor: User, found: Iterable[BankRule]) -> dict[int, str]:
    """The name of the customer or supplier each matching rule matches to (rule id → name), for the rules list."""
    require(actor, 'finance.read')
    rules_of = list(found)
    customer_ids = {r.customer_id for r in rules_of if r.outcome == RuleOutcome.invoice and r.customer_id}
    supplier_ids = {r.supplier_id for r in rules_of if r.outcome == RuleOutcome.bill and r.supplier_id}
    customers = (
        {c.id: c.name or c.email for c in session.exec(select(Customer).where(col(Customer.id).in_(customer_ids)))}
        if customer_ids
        else {}
    )
    suppliers = (
        {s.id: s.name for s in session.exec(select(Supplier).where(col(Supplier.id).in_(supplier_ids)))}
        if supplier_ids
        else {}
    )
    named: dict[int, str] = {}
    for rule in rules_of:
        if rule.outcome == RuleOutcome.invoice and rule.customer_id in customers:
            named[rule.id] = customers[rule.customer_id]  # type: ignore[index]
        elif rule.outcome == RuleOutcome.bill and rule.supplier_id in suppliers:
            named[rule.id] = suppliers[rule.supplier_id]  # type: ignore[index]
    return named
