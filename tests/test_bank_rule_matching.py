"""Bank rules that match: on import a rule matches a line to its customer's one open invoice (by number in the
reference, else by amount) or its supplier's one open bill, through the same path as a person's match (receipt,
payment, audit); no single target leaves the line to reconcile with the reason and counts a miss; one refused match
does not undo the import nor the other lines (savepoints); a rule switched off is not tried; the same manual match
twice offers a rule; agents and viewers are refused on the server."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nicegui.testing import User
from sqlmodel import col, select

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import AuditEntry, BankLine, BankRule, BillPayment, LineStatus, Receipt, RuleOutcome
from backoffice.permissions import PermissionDenied
from backoffice.services import audit_story, bank_match, bank_rules, bills, receivables

from .support.bank import Line, camt053, import_file, make_account
from .support.factories import make_user
from .support.finance import invoiced_on_terms, mugs, round_prices
from .support.payables import approved_bill, due_in, make_supplier, shop_bank
from .support.signin import signed_in
from .support.waiting import eventually

D = Decimal
HOSTILE = 'Zoé "L\'Atelier": <script>alert(1)</script>'
ONE = [{'description': 'Mugs', 'quantity': '1', 'unit_price': '150.00', 'vat_rate': '20'}]  # 180.00


@pytest.fixture
def shop():
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    return admin, manager, make_account(manager)


def lines() -> list[BankLine]:
    with read_session() as session:
        return list(session.exec(select(BankLine).order_by(BankLine.id)))


def stored_rule(rule_id: int) -> BankRule:
    with read_session() as session:
        return session.get(BankRule, rule_id)


def add_rule(actor, **values) -> BankRule:
    with session_scope() as session:
        return bank_rules.save_rule(session=session, actor=actor, values=values)


def open_on(invoice) -> Decimal:
    with read_session() as session:
        return receivables.amount_open(session, session.get(type(invoice), invoice.id))


def test_an_invoice_rule_matches_the_one_open_invoice_of_the_amount_or_number(shop) -> None:
    _admin, manager, account = shop
    order, small = invoiced_on_terms(manager, 'ann@acme.example', 3, name='Acme Labs')  # 30.00
    _order, big = invoiced_on_terms(manager, 'ann@acme.example', 9)  # 90.00, same customer
    rule = add_rule(manager, name='Acme', counterparty='acme labs', outcome='invoice', customer_id=order.customer_id)
    assert (rule.outcome, rule.direction.value, rule.category) == (RuleOutcome.invoice, 'credit', '')
    result = import_file(
        manager,
        account,
        camt053(
            [
                Line('30.00', 'Virement', 'ACME LABS SARL'),
                Line('40.00', f'Acompte {big.number}', 'ACME LABS SARL'),  # the number wins: part of the 90.00
                Line('-30.00', 'Remboursement', 'ACME LABS SARL'),  # money out: an invoice rule is for money in
            ]
        ),
    )
    assert (result.matched_by_rules, result.missed_by_rules, result.set_aside) == (2, 0, 0)
    by_amount, by_number, debit = lines()
    assert (by_amount.status, by_amount.rule_id) == (LineStatus.matched, rule.id)
    assert by_number.status == LineStatus.matched and by_number.receipt_id is not None
    assert debit.status == LineStatus.unmatched and debit.missed_rule_id is None
    assert open_on(small) == D('0.00') and open_on(big) == D('50.00')
    assert (stored_rule(rule.id).fired_count, stored_rule(rule.id).missed_count) == (2, 0)
    with read_session() as session:
        assert len(session.exec(select(Receipt)).all()) == 2
        matched = session.exec(select(AuditEntry).where(AuditEntry.action == 'bank_line.matched')).all()
    assert len(matched) == 2 and all(str(rule.id) in str(entry.changes) for entry in matched)
    with session_scope() as session:  # undone like a person's match: the receipt reversed, the rule forgotten
        bank_match.undo(session=session, actor=manager, line_id=by_amount.id, version=None)
    assert open_on(small) == D('30.00')
    assert (lines()[0].status, lines()[0].rule_id) == (LineStatus.unmatched, None)


def test_no_single_invoice_leaves_the_line_with_the_reason_and_counts_a_miss(shop) -> None:
    _admin, manager, account = shop
    order, _first = invoiced_on_terms(manager, 'bo@example.com', 3, name='Bo Martin')  # 30.00
    invoiced_on_terms(manager, 'bo@example.com', 3)  # another 30.00 of the same customer
    rule = add_rule(manager, name='Bo', counterparty='MARTIN', outcome='invoice', customer_id=order.customer_id)
    result = import_file(
        manager, account, camt053([Line('30.00', 'Virement', 'MARTIN BO'), Line('55.00', 'Virement', 'MARTIN BO')])
    )
    assert (result.matched_by_rules, result.missed_by_rules) == (0, 2)
    several, none = lines()
    assert (several.status, several.missed_rule_id, several.rule_miss) == (
        LineStatus.unmatched,
        rule.id,
        'several_invoices',
    )
    assert (none.status, none.rule_miss) == (LineStatus.unmatched, 'no_invoice')
    assert (stored_rule(rule.id).fired_count, stored_rule(rule.id).missed_count) == (0, 2)
    with read_session() as session:
        assert session.exec(select(Receipt)).all() == []
        assert session.exec(select(AuditEntry).where(AuditEntry.action == 'bank_rule.missed')).first() is not None
    assert bank_match.suggestions_of(several)  # still suggested, for a person to choose


def test_a_rule_made_after_the_import_is_applied_to_the_waiting_lines_on_request(shop) -> None:
    admin, manager, account = shop
    order, invoice = invoiced_on_terms(manager, 'ann@acme.example', 3, name='Acme Labs')  # 30.00
    import_file(
        manager,
        account,
        camt053([Line('30.00', 'Virement', 'ACME LABS'), Line('-4.20', 'Frais', 'BANQUE'), Line('7.00', 'X', 'Y')]),
    )
    assert [line.status for line in lines()] == [LineStatus.unmatched] * 3
    acme = add_rule(manager, name='Acme', counterparty='acme labs', outcome='invoice', customer_id=order.customer_id)
    fees = add_rule(manager, name=HOSTILE, counterparty='BANQUE', category='bank_fees')
    agent = make_user('agent')
    with pytest.raises(PermissionDenied), session_scope() as session:
        bank_rules.apply_to_waiting(session=session, actor=agent)
    with session_scope() as session:
        done = bank_rules.apply_to_waiting(session=session, actor=manager)
    assert (done.matched, done.set_aside, done.missed) == (1, 1, 0)
    matched, fee, other = lines()
    assert (matched.status, matched.rule_id) == (LineStatus.matched, acme.id) and open_on(invoice) == D('0.00')
    assert (fee.status, fee.category, fee.rule_id) == (LineStatus.ignored, 'bank_fees', fees.id)
    assert other.status == LineStatus.unmatched
    with session_scope() as session:  # again: nothing left that fits, nothing counted twice
        again = bank_rules.apply_to_waiting(session=session, actor=admin)
    assert (again.matched, again.set_aside, again.missed) == (0, 0, 0)
    assert stored_rule(acme.id).fired_count == 1
    with read_session() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'bank_rule.fired')).first()
    assert entry is not None and entry.summary.endswith('when applied to the waiting lines')


def test_a_bill_rule_pays_the_suppliers_one_open_bill(shop) -> None:
    admin, manager, account = shop
    shop_bank(admin)
    supplier = make_supplier('Faïencerie Martin')
    bill = approved_bill(manager, admin, supplier.id, 'FM-2026-11', lines=ONE, **due_in(0))
    rule = add_rule(manager, name='Faïencerie', counterparty='faiencerie', outcome='bill', supplier_id=supplier.id)
    assert rule.direction.value == 'debit'
    result = import_file(
        manager, account, camt053([Line('-180.00', 'VIR SEPA', 'FAIENCERIE MARTIN'), Line('-7.00', 'x', 'FAIENCERIE')])
    )
    assert (result.matched_by_rules, result.missed_by_rules) == (1, 1)
    paid, other = lines()
    assert (paid.status, paid.rule_id) == (LineStatus.matched, rule.id)
    assert (other.status, other.rule_miss) == (LineStatus.unmatched, 'no_bill')
    with read_session() as session:
        payment = session.exec(select(BillPayment)).one()
    assert (payment.bill_id, payment.bank_line_id, payment.amount) == (bill.id, paid.id, D('180.00'))


def test_one_refused_match_undoes_only_its_own_line_not_the_import(shop, monkeypatch) -> None:
    _admin, manager, account = shop
    ann, first = invoiced_on_terms(manager, 'ann@acme.example', 3, name='Acme Labs')  # 30.00
    bo, second = invoiced_on_terms(manager, 'bo@example.com', 4, name='Bo Martin')  # 40.00
    add_rule(manager, name='Acme', counterparty='ACME', outcome='invoice', customer_id=ann.customer_id)
    add_rule(manager, name='Bo', counterparty='MARTIN', outcome='invoice', customer_id=bo.customer_id)
    add_rule(manager, name='Frais', reference_contains='FRAIS', category='bank_fees')
    real = bank_match.confirm

    def fails_after_writing(**kwargs):
        line = real(**kwargs)  # the receipt and payment are written, then something breaks
        if line.amount == D('40.00'):
            raise RuntimeError('the disk hiccupped')
        return line

    monkeypatch.setattr(bank_match, 'confirm', fails_after_writing)
    result = import_file(
        manager,
        account,
        camt053([Line('30.00', 'VIR', 'ACME'), Line('40.00', 'VIR', 'MARTIN'), Line('-3.00', 'FRAIS')]),
    )
    assert (result.new_lines, result.matched_by_rules, result.missed_by_rules, result.set_aside) == (3, 1, 1, 1)
    acme, martin, fee = lines()
    assert acme.status == LineStatus.matched and open_on(first) == D('0.00')
    assert (martin.status, martin.receipt_id, martin.rule_miss) == (LineStatus.unmatched, None, 'refused')
    assert open_on(second) == D('40.00')  # its receipt rolled back with its savepoint
    assert fee.status == LineStatus.ignored
    with read_session() as session:
        assert len(session.exec(select(Receipt)).all()) == 1


def test_a_rule_switched_off_is_not_tried_and_is_kept(shop) -> None:
    _admin, manager, account = shop
    rule = add_rule(manager, name='Frais', reference_contains='FRAIS', category='bank_fees')
    with session_scope() as session:
        bank_rules.switch_rule(session=session, actor=manager, rule_id=rule.id, active=False)
    import_file(manager, account, camt053([Line('-3.00', 'FRAIS')]))
    assert lines()[0].status == LineStatus.unmatched
    assert stored_rule(rule.id).active is False and stored_rule(rule.id).fired_count == 0
    with session_scope() as session:
        bank_rules.switch_rule(session=session, actor=manager, rule_id=rule.id, active=True)
    import_file(manager, account, camt053([Line('-4.00', 'FRAIS', bank_reference='B-2')], statement_id='STMT-2'))
    assert lines()[1].status == LineStatus.ignored
    with read_session() as session:
        assert len(session.exec(select(AuditEntry).where(AuditEntry.action == 'bank_rule.switched')).all()) == 2


def test_a_matching_rule_needs_its_customer_or_supplier_and_keeps_hostile_text(shop) -> None:
    _admin, manager, _account = shop
    with pytest.raises(ValidationFailed) as refused:
        add_rule(manager, name='x', counterparty='x', outcome='invoice')
    assert 'customer_id' in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        add_rule(manager, name='x', counterparty='x', outcome='bill', supplier_id='99999')
    assert 'supplier_id' in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        add_rule(manager, name='x', counterparty='x', outcome='<script>')
    assert 'outcome' in refused.value.errors
    order, _invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)
    rule = add_rule(manager, name=HOSTILE, counterparty=HOSTILE, outcome='invoice', customer_id=order.customer_id)
    assert (stored_rule(rule.id).name, stored_rule(rule.id).counterparty) == (HOSTILE, HOSTILE)


@pytest.mark.parametrize('role', ['agent', 'viewer'])
def test_agents_and_viewers_may_not_make_or_switch_matching_rules(shop, role) -> None:
    _admin, manager, _account = shop
    order, _invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)
    rule = add_rule(manager, name='Acme', counterparty='ACME', outcome='invoice', customer_id=order.customer_id)
    someone = make_user(role)
    with pytest.raises(PermissionDenied):
        add_rule(someone, name='x', counterparty='x', outcome='invoice', customer_id=order.customer_id)
    with pytest.raises(PermissionDenied), session_scope() as session:
        bank_rules.switch_rule(session=session, actor=someone, rule_id=rule.id, active=False)
    assert stored_rule(rule.id).active is True


def test_the_same_manual_match_twice_offers_a_rule_for_that_customer(shop) -> None:
    _admin, manager, account = shop
    order, first = invoiced_on_terms(manager, 'ann@acme.example', 3, name='Acme Labs')
    _order, second = invoiced_on_terms(manager, 'ann@acme.example', 4)
    import_file(manager, account, camt53_pair(first.number, second.number))
    one, two = lines()
    with session_scope() as session:
        done = bank_match.confirm(session=session, actor=manager, line_id=one.id, version=None, amounts={first.id: 30})
        assert bank_rules.repeated_match(session, done) is None
    with session_scope() as session:
        done = bank_match.confirm(session=session, actor=manager, line_id=two.id, version=None, amounts={second.id: 40})
        offer = bank_rules.repeated_match(session, done)
    assert offer is not None
    assert (offer['outcome'], offer['customer_id'], offer['counterparty'], offer['direction']) == (
        'invoice',
        order.customer_id,
        HOSTILE,
        'credit',
    )
    add_rule(manager, **offer)
    with read_session() as session:
        assert bank_rules.repeated_match(session, session.get(BankLine, two.id)) is None  # a rule does it now


def test_the_same_bill_payment_match_twice_offers_a_rule_for_that_supplier(shop) -> None:
    admin, manager, account = shop
    shop_bank(admin)
    supplier = make_supplier('Faïencerie Martin')
    first = approved_bill(manager, admin, supplier.id, 'FM-1', lines=ONE, **due_in(0))
    second = approved_bill(manager, admin, supplier.id, 'FM-2', lines=ONE, **due_in(0))
    import_file(
        manager,
        account,
        camt053([Line('-180.00', 'VIR FM-1', 'FAIENCERIE MARTIN'), Line('-180.00', 'VIR FM-2', 'FAIENCERIE MARTIN')]),
    )
    one, two = lines()
    with session_scope() as session:
        done = bank_match.confirm_bill(session=session, actor=manager, line_id=one.id, version=None, bill_id=first.id)
        assert bank_rules.repeated_match(session, done) is None
    with session_scope() as session:
        done = bank_match.confirm_bill(session=session, actor=manager, line_id=two.id, version=None, bill_id=second.id)
        offer = bank_rules.repeated_match(session, done)
    assert offer is not None
    assert (offer['outcome'], offer['supplier_id'], offer['customer_id'], offer['direction']) == (
        'bill',
        supplier.id,
        None,
        'debit',
    )


def camt53_pair(first: str, second: str) -> bytes:
    return camt053([Line('30.00', f'Facture {first}', HOSTILE), Line('40.00', f'Facture {second}', HOSTILE)])


async def test_a_manager_makes_a_matching_rule_on_the_bank_screen_and_sees_what_it_did(user: User, shop) -> None:
    _admin, manager, account = shop
    order, invoice = invoiced_on_terms(manager, 'ann@acme.example', 3, name='Acme Labs')  # 30.00
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker='rules', retries=40)
    user.find(marker='rules').click()
    await user.should_see(marker='no-rules', retries=40)
    user.find(marker='rule-new').click()
    await user.should_see(marker='rule-dialog')
    user.find(marker='rule-name').type(HOSTILE)
    user.find(marker='rule-counterparty').type('ACME: "labs"')
    user.find(marker='rule-outcome').elements.pop().set_value('invoice')
    user.find(marker='rule-save').click()
    await user.should_see('Choose the customer whose invoices the rule matches', retries=40)
    user.find(marker='rule-customer').elements.pop().set_value(order.customer_id)
    user.find(marker='rule-save').click()
    await eventually(lambda: len(rule_rows()) == 1)
    rule = rule_rows()[0]
    assert (rule.name, rule.outcome, rule.customer_id) == (HOSTILE, RuleOutcome.invoice, order.customer_id)
    await user.should_see(marker=f'rule-{rule.id}', retries=40)
    await user.should_see('Matches the open invoice of Acme Labs')
    await user.should_see('Fired 0 times · missed 0 times')
    import_file(
        manager,
        account,
        camt053([Line('30.00', 'VIR', 'ACME: "LABS" SARL'), Line('99.00', 'VIR', 'ACME: "labs"')]),
    )
    matched, missed = lines()
    assert matched.status == LineStatus.matched and open_on(invoice) == D('0.00')
    user.find(marker='filter-status').elements.pop().set_value('all')
    await user.should_see(f'Matched by rule “{HOSTILE}”', retries=40)
    await user.should_see(marker=f'rule-miss-{missed.id}')
    await user.should_see(
        f'Rule “{HOSTILE}” did not apply: '
        'no open invoice or order awaiting payment of the customer has this amount or its number in the reference'
    )
    user.find(marker='rules').click()
    await user.should_see('Fired 1 time · missed 1 time', retries=40)
    user.find(marker=f'rule-active-{rule.id}').elements.pop().set_value(False)
    await eventually(lambda: rule_rows()[0].active is False)
    await user.should_see(marker=f'rule-off-{rule.id}', retries=40)


async def test_a_manager_applies_the_rules_to_the_lines_already_imported(user: User, shop) -> None:
    _admin, manager, account = shop
    import_file(manager, account, camt053([Line('-4.20', 'Frais', 'BANQUE <b>'), Line('7.00', 'X', 'Y')]))
    add_rule(manager, name='Fees', counterparty='BANQUE <b>', category='bank_fees')
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker='rules', retries=40)
    user.find(marker='rules').click()
    await user.should_see('Fired 0 times', retries=40)
    user.find(marker='rules-apply').click()
    await user.should_see('1 set aside, 0 matched, 0 still waiting (see each line for why)', retries=40)
    await user.should_see('Fired 1 time', retries=40)
    assert [line.status for line in lines()] == [LineStatus.ignored, LineStatus.unmatched]
    user.find(marker='rules-apply').click()
    await user.should_see('No waiting line fits a rule.', retries=40)


async def test_matching_the_same_counterparty_to_the_same_customer_twice_offers_a_rule(user: User, shop) -> None:
    _admin, manager, account = shop
    order, first = invoiced_on_terms(manager, 'ann@acme.example', 3, name='Acme Labs')
    _order, second = invoiced_on_terms(manager, 'ann@acme.example', 4)
    import_file(manager, account, camt53_pair(first.number, second.number))
    one, two = lines()
    with session_scope() as session:
        bank_match.confirm(session=session, actor=manager, line_id=one.id, version=None, amounts={first.id: 30})
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker=f'match-{two.id}-{second.number}', retries=40)
    user.find(marker=f'match-{two.id}-{second.number}').click()
    await user.should_see(marker='rule-offer', retries=40)
    await user.should_see(f'You matched lines of {HOSTILE} to the same customer more than once.')
    user.find(marker='rule-offer-make').click()
    await user.should_see(marker='rule-dialog')
    user.find(marker='rule-save').click()
    await eventually(lambda: len(rule_rows()) == 1)
    rule = rule_rows()[0]
    assert (rule.outcome, rule.customer_id, rule.counterparty, rule.counterparty_exact) == (
        RuleOutcome.invoice,
        order.customer_id,
        HOSTILE,
        True,
    )
    with read_session() as session:
        created = session.exec(select(AuditEntry).where(AuditEntry.action == 'bank_rule.created')).one()
    assert created.entity_id == str(rule.id)


def rule_rows() -> list[BankRule]:
    with read_session() as session:
        return list(session.exec(select(BankRule).order_by(BankRule.position)))


def summaries_in(locale: str, *entities: str) -> list[str]:
    with i18n.use(locale), read_session() as session:
        entries = session.exec(
            select(AuditEntry).where(col(AuditEntry.entity).in_(entities)).order_by(col(AuditEntry.id))
        )
        return [audit_story.summary_text(entry) for entry in entries]


def test_the_audit_log_says_what_rules_and_imports_did_in_each_readers_language(shop) -> None:
    _admin, manager, account = shop
    fees = add_rule(manager, name=HOSTILE, counterparty='BANQUE', category='bank_fees')
    import_file(manager, account, camt053([Line('-4.20', 'Frais', 'BANQUE'), Line('7.00', 'X', 'Y')]), name=HOSTILE)
    with session_scope() as session:
        bank_rules.switch_rule(session=session, actor=manager, rule_id=fees.id, active=False)

    assert summaries_in('en', 'bank_accounts', 'bank_rules', 'bank_statements') == [
        'Bank account Crédit Agricole courant',
        f'Bank rule {HOSTILE}',
        f'Bank rule {HOSTILE} set lines aside on import',
        f'Statement {HOSTILE} imported into Crédit Agricole courant: 2 new lines, 0 already there',
        f'Bank rule {HOSTILE} switched off',
    ]
    assert summaries_in('fr', 'bank_accounts', 'bank_rules', 'bank_statements') == [
        'Compte bancaire Crédit Agricole courant',
        f'Règle bancaire {HOSTILE}',
        f'La règle bancaire {HOSTILE} a mis des lignes de côté à l’import',
        f'Relevé {HOSTILE} importé dans Crédit Agricole courant\u00a0: 2 nouvelles lignes, 0 déjà présentes',
        f'Règle bancaire {HOSTILE} désactivée',
    ]


def test_a_rule_does_not_match_again_a_transfer_recorded_by_hand(shop) -> None:
    _admin, manager, account = shop
    order, paid = invoiced_on_terms(manager, 'ann@acme.example', 3, name='Acme Labs')  # 30.00, recorded by hand
    _order, still_open = invoiced_on_terms(manager, 'ann@acme.example', 3)  # 30.00 the rule would take
    with session_scope() as session:
        receivables.settle(session=session, actor=manager, amounts={paid.id: '30.00'}, reference='VIR ACME 0412')
    rule = add_rule(manager, name='Acme', counterparty='acme labs', outcome='invoice', customer_id=order.customer_id)
    result = import_file(manager, account, camt053([Line('30.00', 'VIR ACME 0412', 'ACME LABS SARL')]))
    assert (result.matched_by_rules, result.missed_by_rules) == (0, 1)
    line = lines()[0]
    assert (line.status, line.missed_rule_id, line.rule_miss) == (LineStatus.unmatched, rule.id, 'recorded_by_hand')
    assert open_on(still_open) == D('30.00')


def test_a_bill_paid_by_hand_from_a_bank_line_is_not_paid_again_by_it(shop) -> None:
    admin, manager, account = shop
    shop_bank(admin)
    supplier = make_supplier(HOSTILE)
    first = approved_bill(manager, admin, supplier.id, 'FM-1', lines=ONE, **due_in(0))
    second = approved_bill(manager, admin, supplier.id, 'FM-2', lines=ONE, **due_in(0))
    with session_scope() as session:
        bills.pay(session=session, actor=manager, bill_id=first.id, amount='180.00', reference='E2E "FM": 9')
    import_file(manager, account, camt053([Line('-180.00', 'VIR FM', 'FAIENCERIE', reference='E2E "FM": 9')]))
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        bank_match.confirm_bill(session=session, actor=manager, line_id=lines()[0].id, version=None, bill_id=second.id)
    assert 'already recorded by hand (€180.00 on ' in refused.value.errors['line']
    with session_scope() as session:
        bank_match.link_recorded(session=session, actor=manager, line_id=lines()[0].id, version=None)
        assert session.get(type(second), second.id).paid == 0
        assert len(session.exec(select(BillPayment)).all()) == 1
    assert lines()[0].status == LineStatus.matched
