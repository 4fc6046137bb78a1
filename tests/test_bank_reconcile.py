"""Reconciliation: each money-in line gets ranked suggestions (the invoice number in the label first, then the amount
and the customer's name); one click records the receipt through the receivables rules; a line may pay several
invoices or part of one; a line set aside gets a category; every match can be undone (the receipt it made is reversed,
audited); a line matched twice, even at the same moment, is refused in words."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlmodel import select

from backoffice import i18n
from backoffice.db import read_session, session_scope
from backoffice.errors import ServiceError, ValidationFailed
from backoffice.models import AuditEntry, BankLine, LineStatus, OrderStatus, Receipt, ReceiptAllocation
from backoffice.permissions import PermissionDenied
from backoffice.services import audit_story, bank, bank_match, receivables

from .support.bank import Line, camt053, import_file, make_account
from .support.factories import fresh, make_user
from .support.finance import invoiced_on_terms, mugs, round_prices

D = Decimal


@pytest.fixture
def shop():
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    return manager, make_account(manager)


def lines() -> list[BankLine]:
    with read_session() as session:
        return list(session.exec(select(BankLine).order_by(BankLine.id)))


def open_on(invoice) -> Decimal:
    with read_session() as session:
        return receivables.amount_open(session, session.get(type(invoice), invoice.id))


def act(fn, actor, line: BankLine, **kwargs):
    with session_scope() as session:
        return fn(session=session, actor=actor, line_id=line.id, version=line.version, **kwargs)


def test_suggestions_rank_the_invoice_named_in_the_label_first_then_amount_and_name(shop) -> None:
    manager, account = shop
    _o1, acme = invoiced_on_terms(manager, 'ann@acme.example', 3, name='Acme Labs')  # 30.00
    _o2, other = invoiced_on_terms(manager, 'bo@example.com', 3, name='Bo Martin')  # 30.00, same amount
    _o3, big = invoiced_on_terms(manager, 'cy@example.com', 9, name='Cy Durand')  # 90.00
    import_file(
        manager,
        account,
        camt053(
            [
                Line('30.00', f'Facture {acme.number}', 'ACME LABS SARL'),
                Line('30.00', 'Virement', 'MARTIN BO'),
                Line('40.00', f'acompte {big.number}', 'CY DURAND'),
                Line('-12.00', 'FRAIS'),
            ]
        ),
    )
    by_number, by_name, partial, fee = lines()
    first = bank_match.suggestions_of(by_number)
    assert first[0]['number'] == acme.number
    assert first[0]['why'] == ['number', 'amount', 'name']
    assert [s['number'] for s in bank_match.suggestions_of(by_name)][0] == other.number
    assert bank_match.suggestions_of(by_name)[0]['why'] == ['amount', 'name']
    assert bank_match.suggestions_of(partial)[0]['number'] == big.number
    assert 'partial' in bank_match.suggestions_of(partial)[0]['why']
    assert bank_match.suggestions_of(partial)[0]['amount'] == '40.00'
    assert bank_match.suggestions_of(fee) == []


def test_one_click_records_the_receipt_and_pays_the_invoice(shop) -> None:
    manager, account = shop
    order, invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)
    import_file(manager, account, camt053([Line('30.00', f'INV {invoice.number}', reference='E2E-1')]))
    line = lines()[0]
    best = bank_match.suggestions_of(line)[0]
    act(bank_match.confirm, manager, line, amounts={best['invoice_id']: best['amount']})

    line = lines()[0]
    assert line.status == LineStatus.matched and line.receipt_created
    assert open_on(invoice) == 0
    assert fresh(order.id).status == OrderStatus.paid
    with read_session() as session:
        receipt = session.get(Receipt, line.receipt_id)
        assert (receipt.amount, receipt.reference, receipt.method) == (D('30.00'), 'E2E-1', 'bank_transfer')
        assert session.exec(select(AuditEntry).where(AuditEntry.action == 'bank_line.matched')).one()


def test_a_line_split_over_two_invoices_one_in_part(shop) -> None:
    manager, account = shop
    _o1, first = invoiced_on_terms(manager, 'ann@acme.example', 2)  # 20.00
    _o2, second = invoiced_on_terms(manager, 'ann@acme.example', 5)  # 50.00
    import_file(manager, account, camt053([Line('45.00', f'{first.number} {second.number}')]))
    line = lines()[0]
    with pytest.raises(ValidationFailed) as refused:
        act(bank_match.confirm, manager, line, amounts={first.id: '20.00', second.id: '20.00'})
    assert refused.value.errors == {'invoices': 'The parts add up to €40.00; the line is €45.00'}
    with pytest.raises(ValidationFailed) as refused:
        act(bank_match.confirm, manager, line, amounts={first.id: '25.00', second.id: '20.00'})
    assert refused.value.errors == {f'invoice_{first.id}': f'Only €20.00 is open on invoice {first.number}'}
    act(bank_match.confirm, manager, line, amounts={first.id: '20.00', second.id: '25.00'})
    assert (open_on(first), open_on(second)) == (D('0.00'), D('25.00'))
    with read_session() as session:
        assert len(session.exec(select(ReceiptAllocation)).all()) == 2
        # what the matched line paid, as its card says it
        assert bank_match.paid_by(session=session, actor=manager, lines=lines()) == {
            line.id: [
                bank_match.PaidPart('invoice', first.number, D('20.00')),
                bank_match.PaidPart('invoice', second.number, D('25.00')),
            ]
        }


def test_invoices_chosen_with_no_part_typed_are_told_at_their_fields(shop) -> None:
    """Pressing Match with the invoices listed and their parts left empty says so at each part, not "choose an
    invoice" (the person did)."""
    manager, account = shop
    _o1, first = invoiced_on_terms(manager, 'ann@acme.example', 2)  # 20.00
    _o2, second = invoiced_on_terms(manager, 'ann@acme.example', 5)  # 50.00
    import_file(manager, account, camt053([Line('45.00', 'Virement "Ann": <script>')]))
    line = lines()[0]
    with pytest.raises(ValidationFailed) as refused:
        act(bank_match.confirm, manager, line, amounts={first.id: '', second.id: ' '})
    said = 'Type the part of the line this one takes'
    assert refused.value.errors == {f'invoice_{first.id}': said, f'invoice_{second.id}': said}
    with pytest.raises(ValidationFailed) as refused:
        act(bank_match.confirm, manager, line, amounts={})
    assert refused.value.errors == {'invoices': 'Choose at least one invoice this line pays'}
    assert lines()[0].status == LineStatus.unmatched


def test_undo_reverses_the_receipt_the_match_made(shop) -> None:
    manager, account = shop
    order, invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)
    import_file(manager, account, camt053([Line('30.00', invoice.number)]))
    act(bank_match.confirm, manager, lines()[0], amounts={invoice.id: '30.00'})
    receipt_id = lines()[0].receipt_id

    act(bank_match.undo, manager, lines()[0])

    line = lines()[0]
    assert (line.status, line.receipt_id) == (LineStatus.unmatched, None)
    assert open_on(invoice) == D('30.00')
    again = fresh(order.id)
    assert (again.status, again.paid_total) == (OrderStatus.pending, D('0.00'))
    with read_session() as session:
        assert session.get(Receipt, receipt_id) is None
        undone = session.exec(select(AuditEntry).where(AuditEntry.action == 'receipt.undone')).one()
    assert undone.changes['invoices'] == {invoice.number: '30.00'}
    act(bank_match.confirm, manager, lines()[0], amounts={invoice.id: '30.00'})  # and it can be matched again
    assert open_on(invoice) == 0


def test_the_audit_log_tells_a_match_and_its_undo_with_grouped_amounts_in_the_readers_language(shop) -> None:
    """The match's and the receipt's audit summaries are stored as a msgid and values: English as always written but
    with a grouped amount (they said '1234.50 EUR'), French with French words and amounts."""
    manager, account = shop
    order, invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)
    import_file(manager, account, camt053([Line('30.00', invoice.number)]))
    act(bank_match.confirm, manager, lines()[0], amounts={invoice.id: '30.00'})
    act(bank_match.undo, manager, lines()[0])
    admin = make_user('admin')
    with read_session() as session:
        told = {}
        for action in ('bank_line.matched', 'receipt.recorded', 'bank_line.undone', 'receipt.undone'):
            entry = session.exec(select(AuditEntry).where(AuditEntry.action == action)).one()
            told[action] = entry.summary
            with i18n.use('fr'):
                told[f'fr {action}'] = audit_story.tell(session=session, actor=admin, entry_id=entry.id).summary
    day = lines()[0].booked_on
    assert told['bank_line.matched'].startswith(f'Bank line of {day} (30.00 EUR, ')
    assert told['bank_line.matched'].endswith(') matched')
    assert told['receipt.recorded'].startswith('Payment of 30.00 EUR (Bank transfer, ')
    assert told['receipt.recorded'].endswith(f'settles {invoice.number} (30.00 EUR)')
    assert told['fr bank_line.matched'].endswith(') rapprochée') and '30,00\u00a0€' in told['fr bank_line.matched']
    assert told['fr receipt.recorded'].startswith('Paiement de 30,00\u00a0€ (Virement bancaire, ')
    assert told['fr bank_line.undone'].endswith(') annulée')
    assert told['fr receipt.undone'].startswith('Paiement de 30,00\u00a0€ (')


def test_a_receipt_recorded_by_hand_is_linked_and_an_undo_keeps_it(shop) -> None:
    manager, account = shop
    _order, invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)
    with session_scope() as session:
        receipt = receivables.settle(session=session, actor=manager, amounts={invoice.id: '30.00'})
    import_file(manager, account, camt053([Line('30.00', 'VIR ANN')]))
    act(bank_match.link_receipt, manager, lines()[0], receipt_id=receipt.id)
    assert lines()[0].status == LineStatus.matched
    act(bank_match.undo, manager, lines()[0])
    with read_session() as session:
        assert session.get(Receipt, receipt.id) is not None
    assert open_on(invoice) == 0


def test_money_out_is_set_aside_with_a_category_and_cannot_pay_an_invoice(shop) -> None:
    manager, account = shop
    _order, invoice = invoiced_on_terms(manager, 'ann@acme.example', 1)
    import_file(manager, account, camt053([Line('-10.00', 'FRAIS <script>x</script>')]))
    with pytest.raises(ValidationFailed):
        act(bank_match.confirm, manager, lines()[0], amounts={invoice.id: '10.00'})
    with pytest.raises(ValidationFailed) as refused:
        act(bank_match.set_aside, manager, lines()[0], category='nope')
    assert refused.value.errors == {'category': 'Choose a category'}
    act(bank_match.set_aside, manager, lines()[0], category='bank_fees', note='Frais "novembre": <b>')
    line = lines()[0]
    assert (line.status, line.category, line.note) == (LineStatus.ignored, 'bank_fees', 'Frais "novembre": <b>')
    act(bank_match.undo, manager, line)
    assert lines()[0].status == LineStatus.unmatched


def test_a_line_matched_twice_is_refused_in_words(shop) -> None:
    manager, account = shop
    _o1, first = invoiced_on_terms(manager, 'ann@acme.example', 3)
    _o2, second = invoiced_on_terms(manager, 'bo@example.com', 3)
    import_file(manager, account, camt053([Line('30.00', 'VIR')]))
    line = lines()[0]
    act(bank_match.confirm, manager, line, amounts={first.id: '30.00'})
    with pytest.raises(ValidationFailed) as refused:
        act(bank_match.confirm, manager, line, amounts={second.id: '30.00'})
    assert refused.value.errors == {'line': 'This line is already matched: undo that first'}
    assert open_on(second) == D('30.00')


def test_a_concurrent_double_match_records_one_receipt(shop) -> None:
    manager, account = shop
    _o1, first = invoiced_on_terms(manager, 'ann@acme.example', 3)
    _o2, second = invoiced_on_terms(manager, 'bo@example.com', 3)
    import_file(manager, account, camt053([Line('30.00', 'VIR')]))
    line = lines()[0]
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def match(invoice) -> None:
        start.wait()
        try:
            act(bank_match.confirm, manager, line, amounts={invoice.id: '30.00'})
            outcomes.append('matched')
        except ServiceError as error:
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=match, args=(invoice,)) for invoice in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ['ValidationFailed', 'matched']
    with read_session() as session:
        assert len(session.exec(select(Receipt)).all()) == 1
    assert sorted([open_on(first), open_on(second)]) == [D('0.00'), D('30.00')]


def test_reconciling_needs_finance_manage(shop) -> None:
    manager, account = shop
    viewer = make_user('viewer')
    _order, invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)
    import_file(manager, account, camt053([Line('30.00', 'VIR')]))
    for fn, kwargs in (
        (bank_match.confirm, {'amounts': {invoice.id: '30.00'}}),
        (bank_match.set_aside, {'category': 'other'}),
        (bank_match.undo, {}),
    ):
        with pytest.raises(PermissionDenied):
            act(fn, viewer, lines()[0], **kwargs)


def test_new_invoices_are_suggested_when_matching_runs_again(shop) -> None:
    manager, account = shop
    import_file(manager, account, camt053([Line('30.00', 'VIR CLIENT')]))
    assert bank_match.suggestions_of(lines()[0]) == []
    _order, invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)
    with session_scope() as session:
        assert bank_match.rematch(session=session, actor=manager) == 1
    assert bank_match.suggestions_of(lines()[0])[0]['number'] == invoice.number


def test_an_invoice_to_split_is_found_by_its_order_number_as_customers_write_it(shop) -> None:
    """Customers write the order's number on a transfer ("VIR COMMANDE 102989"): typed in the split dialog it found
    nothing ("No invoice has the number 102989"), so the bookkeeper had to look the invoice up elsewhere."""
    manager, _account = shop
    order, invoice = invoiced_on_terms(manager, 'wang@example.com', 2)
    with read_session() as session:
        found = bank_match.open_invoice(session=session, actor=manager, number=f' {order.number} ')
    assert (found['invoice_id'], found['number']) == (invoice.id, invoice.number)
    with read_session() as session, pytest.raises(ValidationFailed) as refused:
        bank_match.open_invoice(session=session, actor=manager, number='"999": <script>alert(1)</script>')
    assert refused.value.errors == {'number': 'No invoice has the number "999": <SCRIPT>ALERT(1)</SCRIPT>'}


def test_a_note_or_an_account_name_too_long_is_refused_at_its_field_never_cut(shop) -> None:
    """A note pasted from an email (who paid this?) longer than a line keeps, or an account's name longer than an
    account keeps: told at the field with the count, nothing changed; they were cut unseen."""
    manager, account = shop
    import_file(manager, account, camt053([Line('30.00', 'Virement'), Line('-12.00', 'FRAIS')]))
    paid_in, fee = lines()
    note = 'Qui a payé ? "Zoé": <script>alert(1)</script> ' + 'x' * 455  # 501 characters
    assert len(note) == 501
    too_long = {'note': 'Use at most 500 characters (this has 501)'}
    with pytest.raises(ValidationFailed) as refused:
        act(bank_match.annotate, manager, paid_in, note=note)
    assert refused.value.errors == too_long
    with pytest.raises(ValidationFailed) as refused:
        act(bank_match.set_aside, manager, fee, category='bank_fees', note=note)
    assert refused.value.errors == too_long
    assert [(line.status, line.note, line.version) for line in lines()] == [
        (LineStatus.unmatched, '', paid_in.version),
        (LineStatus.unmatched, '', fee.version),
    ]
    act(bank_match.annotate, manager, paid_in, note=note[:-1])
    assert lines()[0].note == note[:-1]
    with pytest.raises(ValidationFailed) as refused, session_scope() as session:
        bank.save_account(
            session=session,
            actor=manager,
            account_id=account.id,
            version=account.version,
            values={'name': 'Compte "pro": <b>' + 'x' * 104, 'iban': account.iban, 'currency': 'EUR'},
        )
    assert refused.value.errors == {'name': 'Use at most 120 characters (this has 121)'}


def test_a_transfer_recorded_by_hand_is_not_matched_again_but_linked(shop) -> None:
    manager, account = shop
    _o1, paid = invoiced_on_terms(manager, 'ann@acme.example', 3)  # 30.00, recorded by hand from the bank line
    _o2, other = invoiced_on_terms(manager, 'ann@acme.example', 3)  # 30.00, still open
    reference = 'VIR "ACME": <script>x</script> 7741'
    with session_scope() as session:
        by_hand = receivables.settle(
            session=session, actor=manager, amounts={paid.id: '30.00'}, reference=reference.lower()
        )
    import_file(manager, account, camt53_of('30.00', reference))
    with pytest.raises(ValidationFailed) as refused:  # "Split or choose…" on the same money: counted twice before
        act(bank_match.confirm, manager, lines()[0], amounts={other.id: '30.00'})
    said = refused.value.errors['line']
    assert said.startswith('This line is already recorded by hand (€30.00 on ')
    assert reference.lower() in said and said.endswith('link it to that payment, or undo that first')
    assert open_on(other) == D('30.00') and lines()[0].status == LineStatus.unmatched
    act(bank_match.link_recorded, manager, lines()[0])
    line = lines()[0]
    assert (line.status, line.receipt_id, line.receipt_created) == (LineStatus.matched, by_hand.id, False)
    act(bank_match.undo, manager, lines()[0])  # the payment recorded by hand stays: the line is to link again
    assert open_on(paid) == 0
    with pytest.raises(ValidationFailed):
        act(bank_match.confirm, manager, lines()[0], amounts={other.id: '30.00'})


def test_a_line_partly_recorded_by_hand_matches_only_what_is_left(shop) -> None:
    manager, account = shop
    _o1, first = invoiced_on_terms(manager, 'ann@acme.example', 3)  # 30.00, recorded by hand from the line
    _o2, second = invoiced_on_terms(manager, 'ann@acme.example', 2)  # 20.00
    _o3, big = invoiced_on_terms(manager, 'ann@acme.example', 5)  # 50.00
    with session_scope() as session:
        receivables.settle(session=session, actor=manager, amounts={first.id: '30.00'}, reference='RF18 5390 0754')
    import_file(manager, account, camt53_of('50.00', 'RF18 5390 0754'))
    with pytest.raises(ValidationFailed) as refused:
        act(bank_match.link_recorded, manager, lines()[0])
    assert refused.value.errors['line'].startswith('The payments recorded by hand from this line add up to €30.00')
    with pytest.raises(ValidationFailed) as refused:  # the whole line again: 30.00 of it counted twice
        act(bank_match.confirm, manager, lines()[0], amounts={big.id: '50.00'})
    assert refused.value.errors == {'invoices': 'The parts add up to €50.00; €20.00 of the line is left to match'}
    act(bank_match.confirm, manager, lines()[0], amounts={second.id: '20.00'})
    assert (open_on(second), open_on(big), lines()[0].status) == (0, D('50.00'), LineStatus.matched)


def camt53_of(amount: str, reference: str) -> bytes:
    return camt053([Line(amount, 'VIR ACME', reference=reference)])


def test_a_line_does_not_pay_an_invoice_in_another_currency(shop) -> None:
    """ "Split or choose…" adds any invoice by its number: one in euros was paid by a line in dollars, the receipt
    booking the dollars as euros."""
    manager, _account = shop
    _order, invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)  # 30.00 EUR
    dollars = make_account(manager, name='US account', iban='DE89370400440532013000', currency='USD')
    import_file(
        manager,
        dollars,
        camt053(
            [Line('30.00', f'Invoice {invoice.number}', currency='USD')], currency='USD', iban='DE89370400440532013000'
        ),
    )
    with pytest.raises(ValidationFailed) as refused:
        act(bank_match.confirm, manager, lines()[0], amounts={invoice.id: '30.00'})
    assert refused.value.errors == {f'invoice_{invoice.id}': f'{invoice.number} is in EUR; the line is in USD'}
    assert open_on(invoice) == D('30.00') and lines()[0].status == LineStatus.unmatched


ACME = '=ACME "Outils": <script>x</script>'  # hostile: a formula's sign, quotes, a colon, a tag
TEN_MUGS = [{'description': 'Mugs', 'quantity': '10', 'unit_price': '10.00', 'vat_rate': '20'}]  # 120.00
ONE_MUG = [{'description': 'Mug', 'quantity': '1', 'unit_price': '150.00', 'vat_rate': '20'}]  # 180.00


def test_a_bill_is_offered_in_one_click_only_when_the_line_names_it_or_is_its_suppliers_only_open_bill(shop) -> None:
    """A line from ACME of another amount, or of one of ACME's two bills' amounts without its number, is matched by a
    person choosing among the candidates: one click would pay the wrong bill. Its number with the amount equal, or the
    supplier's one open bill at the amount, is matched in one click."""
    from .support.payables import approved_bill, due_in, make_supplier

    manager, account = shop
    admin = make_user('admin')
    acme, solo = make_supplier(ACME), make_supplier('Solo: "Papeterie" <b>')
    approved_bill(manager, admin, acme.id, 'A-180', lines=ONE_MUG, **due_in(0))
    approved_bill(manager, admin, acme.id, 'A-120', lines=TEN_MUGS, **due_in(0))
    approved_bill(manager, admin, solo.id, 'S-120', lines=TEN_MUGS, **due_in(0))
    import_file(
        manager,
        account,
        camt053(
            [
                Line('-50.00', 'VIR ACME', counterpart=ACME),  # the supplier's name alone
                Line('-120.00', 'VIR ACME', counterpart=ACME),  # one of ACME's two bills' amounts
                Line('-120.00', 'VIR A-120', counterpart=ACME),
                Line('-50.00', 'VIR A-120', counterpart=ACME),
                Line('-120.00', 'Papeterie', counterpart='SOLO: "PAPETERIE" <B>'),
            ]
        ),
    )
    by_name, amount_of_one, numbered, numbered_other_amount, only_bill = (
        bank_match.suggestions_of(line) for line in lines()
    )

    def one_click(found: list[dict], amount: str) -> list[str]:
        return [s['number'] for s in found if bank_match.one_click(s, D(amount))]

    assert {s['number'] for s in by_name} == {'A-180', 'A-120'}
    assert one_click(by_name, '50.00') == []
    assert 'A-120' in {s['number'] for s in amount_of_one}
    assert one_click(amount_of_one, '120.00') == []
    assert one_click(numbered, '120.00') == ['A-120']
    assert one_click(numbered_other_amount, '50.00') == []
    assert one_click(only_bill, '120.00') == ['S-120']
    assert one_click(only_bill, '100.00') == []  # what is left of the line (part recorded by hand) is the amount


def test_an_invoice_is_offered_in_one_click_only_when_the_line_names_it_with_its_whole_amount(shop) -> None:
    manager, account = shop
    _order, invoice = invoiced_on_terms(manager, 'ann@acme.example', 3, name='Ann "=Acme": <b>')  # 30.00
    import_file(
        manager,
        account,
        camt053([Line('30.00', f'Facture {invoice.number}'), Line('30.00', 'VIR ANN'), Line('10.00', invoice.number)]),
    )
    named, amount_alone, part = (bank_match.suggestions_of(line) for line in lines())
    assert [bank_match.one_click(s, D('30.00')) for s in named] == [True]
    assert [s['number'] for s in amount_alone] == [invoice.number]
    assert [bank_match.one_click(s, D('30.00')) for s in amount_alone] == [False]  # "Split or choose…" picks it
    assert [bank_match.one_click(s, D('10.00')) for s in part] == [False]
