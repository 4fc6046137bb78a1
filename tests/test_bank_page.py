"""The bank screen as a finance manager uses it: an account added, a CAMT.053 file dropped (its hostile labels shown as
text), a line matched in one click to the invoice its label names, a fee set aside, an undo; a CSV mapped column by
column; a bad file said with its line; a viewer reads but changes nothing, an agent reads no line."""

from __future__ import annotations

import gc
import threading

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.models import BankAccount, BankLine, LineStatus
from backoffice.permissions import PermissionDenied
from backoffice.services import bank, bank_match, receivables
from pages import bank as bank_screen

from .support.bank import Line, camt053, fixture, import_file, make_account
from .support.factories import make_user
from .support.finance import invoiced_on_terms, mugs, round_prices
from .support.signin import signed_in
from .support.stale_page import click_as_shown
from .support.waiting import eventually

HOSTILE = 'Zoé "L\'Atelier": <script>alert(1)</script>'


def stored(line_id: int) -> BankLine:
    with read_session() as session:
        found = session.get(BankLine, line_id)
        assert found is not None
        return found


def saved_account() -> int | None:
    with read_session() as session:
        found = session.exec(select(BankAccount)).first()
        return found.id if found else None


async def drop(user: User, data: bytes, name: str) -> None:
    await user.should_see(marker='import-dialog')
    element = user.find(ui.upload).elements.pop()
    await element.handle_uploads([ui.upload.SmallFileUpload(name, 'application/octet-stream', data)])


async def test_a_manager_adds_an_account_imports_a_statement_and_reconciles_it(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    _order, invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)  # 30.00

    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see('No bank account yet', retries=40)
    user.find(marker='new-account').click()
    await user.should_see(marker='account-dialog')
    user.find(marker='account-name').type('Compte "courant": <b>')
    user.find(marker='account-iban').type('FR76 3000 6000 0112 3456 7890 189')
    user.find(marker='account-save').click()
    await eventually(lambda: saved_account() is not None)
    await user.should_see('Bank account Compte "courant": <b> added')  # said, as the dialog closes
    await user.should_see(marker=f'account-{saved_account()}', retries=40)

    user.find(marker='import').click()
    data = camt053([Line('30.00', f'Facture {invoice.number}', HOSTILE), Line('-4.50', 'FRAIS <i>x</i>')])
    await drop(user, data, 'nov.xml')
    await user.should_see('nov.xml: 2 new lines, 0 already imported, 1 with suggestions.', retries=40)
    await user.should_see(HOSTILE)
    await user.should_see('FRAIS <i>x</i>')
    with read_session() as session:
        credit, fee = session.exec(select(BankLine).order_by(BankLine.id)).all()

    user.find(marker=f'note-{credit.id}').click()
    await user.should_see(marker='note-dialog')
    user.find(marker='line-note').type(HOSTILE)
    user.find(marker='note-save').click()
    await user.should_see(f'Note: {HOSTILE}', retries=40)

    user.find(marker=f'match-{credit.id}-{invoice.number}').click()
    await user.should_see(f'Matched to invoice {invoice.number}: payment recorded.', retries=40)
    await eventually(lambda: stored(credit.id).status == LineStatus.matched)

    # money out is set aside, never "not a customer payment" (which a credit's button still says)
    assert next(iter(user.find(marker=f'aside-{fee.id}').elements)).text == 'Set aside…'
    user.find(marker=f'aside-{fee.id}').click()
    await user.should_see(marker='aside-dialog')
    await user.should_see('Set aside: money out without a bill')
    user.find(marker='aside-save').click()
    await user.should_see('Choose a category', retries=40)
    user.find(marker='aside-category').elements.pop().set_value('bank_fees')
    user.find(marker='aside-note').type(HOSTILE)
    user.find(marker='aside-save').click()
    await eventually(lambda: stored(fee.id).status == LineStatus.ignored)
    assert stored(fee.id).note == HOSTILE

    user.find(marker='filter-status').elements.pop().set_value('all')
    await user.should_see(marker=f'undo-{credit.id}', retries=40)
    await user.should_see(f'Paid: invoice {invoice.number} (€30.00)')  # what Undo takes back, said before it
    user.find(marker=f'undo-{credit.id}').click()
    await user.should_see('Undone: the line is to reconcile again.', retries=40)
    assert stored(credit.id).status == LineStatus.unmatched


async def test_a_csv_is_mapped_and_a_bad_file_names_its_line(user: User) -> None:
    manager = make_user('manager')
    make_account(manager)
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see('Crédit Agricole courant', retries=40)
    user.find(marker='import').click()
    await drop(user, fixture('statement.camt053.xml').replace(b'140.00</Amt>', b'14O.00</Amt>'), 'bad.xml')
    await user.should_see('Line 80: "14O.00" is not an amount. Nothing was imported.', retries=40)
    await drop(user, fixture('releve-banque-populaire.csv'), 'releve.csv')
    await user.should_see('Which column holds what in releve.csv?', retries=40)
    user.find(marker='import-mapped').click()
    await user.should_see('releve.csv: 4 new lines, 0 already imported', retries=40)
    await user.should_see('CB "Café; du coin" <script>alert(1)</script>')


async def test_a_viewer_reads_without_actions_and_an_agent_reads_nothing(user: User) -> None:
    manager, viewer, agent = make_user('manager'), make_user('viewer'), make_user('agent')
    import_file(manager, make_account(manager), fixture('statement.camt053.xml'))
    await signed_in(user, viewer.email, path='/finance/bank')
    await user.should_see('ACME LABS SARL', retries=40)
    await user.should_not_see(marker='import')
    await user.should_not_see('Not a customer payment…')
    with read_session() as session, pytest.raises(PermissionDenied):
        bank.lines(session=session, actor=agent)


async def test_a_line_is_split_over_two_invoices_found_by_number(user: User) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    _o1, first = invoiced_on_terms(manager, 'ann@acme.example', 2)  # 20.00
    _o2, second = invoiced_on_terms(manager, 'ann@acme.example', 5)  # 50.00
    import_file(manager, make_account(manager), camt053([Line('45.00', f'Factures {first.number}')]))
    with read_session() as session:
        line = session.exec(select(BankLine)).one()

    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker=f'split-{line.id}', retries=40)
    user.find(marker=f'split-{line.id}').click()
    await user.should_see(marker='split-dialog')
    user.find(marker='add-number').type('INV "x": <script>alert(1)</script>')
    user.find(marker='add-invoice').click()
    await user.should_see('No invoice has the number INV "X": <SCRIPT>ALERT(1)</SCRIPT>', retries=40)
    user.find(marker='add-number').clear().type(second.number.lower())
    user.find(marker='split-save').click()  # Match, not Add: the number typed is added first, nothing is matched yet
    await user.should_see(marker=f'part-{second.number}', retries=40)
    assert stored(line.id).status == LineStatus.unmatched
    user.find(marker=f'part-{first.number}').clear().type('20.00')
    user.find(marker=f'part-{second.number}').clear().type('20,00')
    user.find(marker='split-save').click()
    await user.should_see('The parts add up to €40.00; the line is €45.00', retries=40)
    user.find(marker=f'part-{second.number}').clear().type('25.00')
    user.find(marker='split-save').click()
    await user.should_see('Matched: payment recorded.', retries=40)
    await eventually(lambda: stored(line.id).status == LineStatus.matched)


async def test_an_invoice_added_by_its_number_takes_the_line_and_matches_it(user: User) -> None:
    """A line no invoice is suggested for: the invoice added by its number comes with the line's amount as its part
    (capped at what is open), so Match pays it; an empty part was refused as "choose an invoice"."""
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    _o1, invoice = invoiced_on_terms(manager, 'ann@acme.example', 2)  # 20.00
    import_file(manager, make_account(manager), camt053([Line('15.00', HOSTILE)]))
    with read_session() as session:
        line = session.exec(select(BankLine)).one()

    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker=f'split-{line.id}', retries=40)
    user.find(marker=f'split-{line.id}').click()
    await user.should_see(marker='split-dialog')
    user.find(marker='add-number').type(invoice.number)
    user.find(marker='add-invoice').click()
    await user.should_see(marker=f'part-{invoice.number}', retries=40)
    assert user.find(marker=f'part-{invoice.number}').elements.pop().value == '15.00'
    user.find(marker='split-save').click()
    await user.should_see('Matched: payment recorded.', retries=40)
    await eventually(lambda: stored(line.id).status == LineStatus.matched)


async def test_a_line_recorded_by_hand_is_linked_not_matched_again_and_one_partly_recorded_splits_the_rest(
    user: User,
) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    _o1, whole = invoiced_on_terms(manager, 'ann@acme.example', 3)  # 30.00, all of the first line, by hand
    _o2, part = invoiced_on_terms(manager, 'bo@example.com', 2)  # 20.00 of the second line's 50.00, by hand
    _o3, rest = invoiced_on_terms(manager, 'bo@example.com', 3)  # 30.00: the rest of the second line
    with session_scope() as session:
        receivables.settle(session=session, actor=manager, amounts={whole.id: '30.00'}, reference=HOSTILE)
    with session_scope() as session:
        receivables.settle(session=session, actor=manager, amounts={part.id: '20.00'}, reference='RF18 0412')
    import_file(
        manager,
        make_account(manager),
        camt053([Line('30.00', 'VIR ANN', reference=HOSTILE), Line('50.00', 'VIR BO', reference='RF18 0412')]),
    )
    with read_session() as session:
        first, second = session.exec(select(BankLine).order_by(BankLine.id)).all()

    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker=f'line-by-hand-{first.id}', retries=40)
    said = user.find(marker=f'line-by-hand-{first.id}').elements.pop().text
    assert said.startswith('Recorded by hand: payment received of €30.00 on ') and said.endswith(f'({HOSTILE})')
    await user.should_not_see(marker=f'split-{first.id}')  # all of it recorded: nothing left to match
    user.find(marker=f'link-{first.id}').click()
    await user.should_see('Linked to the payment recorded by hand: nothing was recorded again.', retries=40)
    await eventually(lambda: stored(first.id).status == LineStatus.matched)
    user.find(marker=f'split-{second.id}').click()
    await user.should_see('Match the €30.00 left to invoices', retries=40)
    user.find(marker='add-number').type(rest.number)
    user.find(marker='add-invoice').click()
    await user.should_see(marker=f'part-{rest.number}', retries=40)
    assert user.find(marker=f'part-{rest.number}').elements.pop().value == '30.00'
    user.find(marker='split-save').click()
    await user.should_see('Matched: payment recorded.', retries=40)
    await eventually(lambda: stored(second.id).status == LineStatus.matched)


def a_line_naming_an_invoice():
    """A manager, an invoice of 30.00 on terms, and an imported bank line of 30.00 that names it."""
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    _order, invoice = invoiced_on_terms(manager, 'ann@acme.example', 3)  # 30.00
    import_file(manager, make_account(manager), camt053([Line('30.00', f'Facture {invoice.number}')]))
    with read_session() as session:
        line = session.exec(select(BankLine)).one()
    return manager, invoice, line


async def test_a_match_whose_card_a_live_refresh_rebuilds_before_its_handler_runs_still_lands(user: User) -> None:
    """A colleague's change rebuilds the list of lines between the click and its handler (what a busy server does):
    the match is still made and said, with no server error."""
    manager, invoice, line = a_line_naming_an_invoice()

    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker=f'match-{line.id}-{invoice.number}', retries=40)
    user.find(marker=f'match-{line.id}-{invoice.number}').click()  # the handler is due to run…
    user.find(marker='bank-lines').elements.pop().clear()  # …but the lines are rebuilt first
    gc.collect()  # and the old card is gone for good: the handler's slot has no parent any more
    await user.should_see(f'Matched to invoice {invoice.number}: payment recorded.', retries=40)
    await eventually(lambda: stored(line.id).status == LineStatus.matched)


async def test_a_match_whose_card_is_rebuilt_while_it_is_recorded_still_says_so(user: User, monkeypatch) -> None:
    """The lines are rebuilt while the match is being recorded (the handler awaits the database): it still ends with
    its message and no server error."""
    manager, invoice, line = a_line_naming_an_invoice()
    started, go_on = threading.Event(), threading.Event()
    record = bank_match.confirm

    def held(**kwargs):
        started.set()
        go_on.wait(10)
        return record(**kwargs)

    monkeypatch.setattr(bank_match, 'confirm', held)
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker=f'match-{line.id}-{invoice.number}', retries=40)
    user.find(marker=f'match-{line.id}-{invoice.number}').click()
    await eventually(started.is_set)
    user.find(marker='bank-lines').elements.pop().clear()
    gc.collect()
    go_on.set()
    await user.should_see(f'Matched to invoice {invoice.number}: payment recorded.', retries=40)
    await eventually(lambda: stored(line.id).status == LineStatus.matched)


async def test_a_click_on_a_line_sent_as_a_colleagues_change_refreshes_the_list_still_opens_its_dialog(
    user: User,
) -> None:
    """The browser sends "Split or choose…" from the list it shows while the server redraws that list for a colleague's
    import: the line's card is the same as before, so the click still reaches it and its dialog opens."""
    manager, invoice, line = a_line_naming_an_invoice()
    colleague = make_user('manager')
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker=f'split-{line.id}', retries=40)
    # the button as the browser shows it, clicked later
    split = click_as_shown(user, user.find(marker=f'split-{line.id}').elements.pop())
    with read_session() as session:
        account = session.exec(select(BankAccount)).one()
    import_file(colleague, account, camt053([Line('12.00', HOSTILE, bank_reference='B-2')], statement_id='STMT-2'))
    await user.should_see(HOSTILE, retries=40)  # the list was drawn again, with the colleague's line
    split()
    await user.should_see(marker='split-dialog', retries=40)
    await user.should_see(f'{invoice.number} (open €30.00)')


async def test_a_search_shows_its_lines_even_when_a_refresh_started_before_it_answers_last(
    user: User, monkeypatch
) -> None:
    """A colleague's import starts a read of every line; the search typed meanwhile reads and shows its one line; the
    older read answering last does not bring back the line the search leaves out."""
    manager, invoice, line = a_line_naming_an_invoice()
    colleague = make_user('manager')
    started, go_on = threading.Event(), threading.Event()
    hold = [False]
    read = bank_screen.BankScreen._read  # noqa: SLF001

    def held(screen: bank_screen.BankScreen, filters: dict, limit: int) -> tuple:
        if hold[0] and not filters['search']:  # the colleague's refresh (no search yet): it will answer last
            hold[0] = False
            started.set()
            go_on.wait(10)  # before its database session: the search's read goes on meanwhile
        return read(screen, filters, limit)

    shows = {'started': 0, 'done': 0}
    show = bank_screen.BankScreen.show

    async def counted(screen: bank_screen.BankScreen) -> None:
        shows['started'] += 1
        try:
            await show(screen)
        finally:
            shows['done'] += 1

    monkeypatch.setattr(bank_screen.BankScreen, '_read', held)
    monkeypatch.setattr(bank_screen.BankScreen, 'show', counted)
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker=f'split-{line.id}', retries=40)
    with read_session() as session:
        account = session.exec(select(BankAccount)).one()
    hold[0] = True
    import_file(colleague, account, camt053([Line('12.00', HOSTILE, bank_reference='B-2')], statement_id='STMT-2'))
    await eventually(started.is_set)
    user.find(marker='filter-search').type(invoice.number)
    await user.should_see('1 of 1 lines · to reconcile 2', retries=40)  # the search's answer
    go_on.set()
    await eventually(lambda: shows['done'] == shows['started'])  # the older read answered
    await user.should_see('1 of 1 lines · to reconcile 2')
    await user.should_not_see(HOSTILE)
    await user.should_see(marker=f'split-{line.id}')


async def test_a_line_naming_only_a_supplier_is_matched_to_the_bill_a_person_chooses(user: User) -> None:
    """ACME has two open bills; a payment to ACME that names neither is not one click away from the wrong one: each
    is offered to choose, with the question of what would be paid, and only the one chosen is paid."""
    from backoffice.models import BillStatus, SupplierBill

    from .support.payables import approved_bill, due_in, make_supplier

    admin, manager = make_user('admin'), make_user('manager')
    acme = make_supplier(HOSTILE)
    first = approved_bill(manager, admin, acme.id, 'A-1', **due_in(0))  # 120.00
    second = approved_bill(manager, admin, acme.id, 'A-2', **due_in(0))  # 120.00 too
    import_file(manager, make_account(manager), camt053([Line('-120.00', 'VIR =SUM(A1)', counterpart=HOSTILE)]))
    with read_session() as session:
        line = session.exec(select(BankLine)).one()
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(f'Bill A-2 · {HOSTILE} · open €120.00', retries=40)
    await user.should_not_see(marker=f'match-{line.id}-A-1')
    await user.should_not_see(marker=f'match-{line.id}-A-2')
    user.find(marker=f'choose-{line.id}-A-2').click()
    await user.should_see(marker='confirm-dialog')
    await user.should_see(f'Pay €120.00 of bill A-2 · {HOSTILE} · open €120.00 with this line?', retries=40)
    user.find(marker='confirm-yes').click()
    await user.should_see('Matched to bill A-2: its payment is recorded.', retries=40)
    with read_session() as session:
        assert session.get(SupplierBill, second.id).status == BillStatus.paid
        assert session.get(SupplierBill, first.id).status == BillStatus.approved
    await eventually(lambda: stored(line.id).status == LineStatus.matched)
