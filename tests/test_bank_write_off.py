"""The write-off tolerance: a bank line that differs from the invoices it pays by at most the "Write off differences
up to" setting settles them in full, the difference written off on the line (audited, in the FEC against 658 or 758,
undone with the match); beyond it, or with the setting at 0, the parts must add up to the line, as before."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.kpi.days import today as shop_today
from backoffice.models import AuditEntry, BankLine, Invoice, LineStatus
from backoffice.services import app_settings, bank_match, fec, receivables

from .support.bank import Line, camt053, import_file, make_account
from .support.factories import make_user
from .support.finance import invoiced_on_terms, mugs, round_prices
from .support.signin import signed_in

D = Decimal


def save(admin, **changes) -> None:
    with session_scope() as session:
        app_settings.save(
            session=session, actor=admin, loaded=app_settings.current_values(session=session), changes=changes
        )


@pytest.fixture
def shop():
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    _o1, short = invoiced_on_terms(manager, 'short@example.com', 10, 30)  # 100.00
    _o2, over = invoiced_on_terms(manager, 'over@example.com', 5, 30)  # 50.00
    day = shop_today(app_settings.time_zone()).isoformat()
    account = make_account(manager)
    import_file(
        manager,
        account,
        camt053(
            [
                Line('99.50', f'VIR {short.number} frais deduits', day=day),
                Line('50.40', f'VIR {over.number}', day=day),
            ]
        ),
    )
    return admin, manager, short, over


def line_for(invoice: Invoice) -> BankLine:
    with read_session() as session:
        return next(x for x in session.exec(select(BankLine)) if invoice.number in x.label)


def confirm(actor, line: BankLine, amounts):
    with session_scope() as session:
        return bank_match.confirm(session=session, actor=actor, line_id=line.id, version=line.version, amounts=amounts)


def open_on(invoice: Invoice) -> Decimal:
    with read_session() as session:
        return receivables.amount_open(session, session.get(Invoice, invoice.id))


def test_without_a_tolerance_the_parts_must_add_up(shop) -> None:
    _admin, manager, short, _over = shop
    with pytest.raises(ValidationFailed) as refused:
        confirm(manager, line_for(short), {short.id: '100.00'})
    assert refused.value.errors['invoices'] == 'The parts add up to €100.00; the line is €99.50'
    assert line_for(short).status == LineStatus.unmatched and open_on(short) == D('100.00')


def test_a_difference_within_the_tolerance_is_written_off_audited_and_undone(shop) -> None:
    admin, manager, short, over = shop
    save(admin, write_off_tolerance='1.00')
    matched = confirm(manager, line_for(short), {short.id: '100.00'})
    assert matched.status == LineStatus.matched and matched.write_off == D('0.50')
    assert open_on(short) == D('0.00')
    kept = confirm(manager, line_for(over), {over.id: '50.00'})  # 0.40 more than the invoice: kept
    assert kept.write_off == D('-0.40') and open_on(over) == D('0.00')
    with read_session() as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == 'bank_line.matched', AuditEntry.entity_id == str(matched.id))
        ).one()
    assert entry.changes['write_off'] == '0.50'

    today = shop_today(app_settings.time_zone())
    with read_session() as session:
        content, _name, _media = fec.fec_file(session=session, actor=manager, first=today, last=today)
    rows = list(csv.DictReader(io.StringIO(content.decode(fec.ENCODING)), delimiter='|', quoting=csv.QUOTE_NONE))
    bank = [r for r in rows if r['JournalCode'] == 'BQ']
    by_entry: dict[str, list] = {}
    for row in bank:
        by_entry.setdefault(row['EcritureNum'], []).append((row['CompteNum'], row['Debit'], row['Credit']))
    assert sorted(sorted(lines) for lines in by_entry.values()) == [
        [('411000', '0,00', '100,00'), ('512000', '99,50', '0,00'), ('658000', '0,50', '0,00')],
        [('411000', '0,00', '50,00'), ('512000', '50,40', '0,00'), ('758000', '0,00', '0,40')],
    ]

    with session_scope() as session:
        undone = bank_match.undo(session=session, actor=manager, line_id=matched.id, version=matched.version)
    assert undone.status == LineStatus.unmatched and undone.write_off == D('0.00')
    assert open_on(short) == D('100.00')


def test_a_difference_beyond_the_tolerance_is_refused(shop) -> None:
    admin, manager, short, _over = shop
    save(admin, write_off_tolerance='0.20')
    with pytest.raises(ValidationFailed):
        confirm(manager, line_for(short), {short.id: '100.00'})
    assert open_on(short) == D('100.00')
    with pytest.raises(ValidationFailed) as refused:
        save(admin, write_off_tolerance='-1')
    assert 'write_off_tolerance' in refused.value.errors


async def test_a_manager_matches_a_line_short_of_the_invoice_within_the_tolerance(user) -> None:
    admin, manager = make_user('admin'), make_user('manager')
    round_prices(admin)
    mugs(manager)
    save(admin, write_off_tolerance='1.00')
    _o, invoice = invoiced_on_terms(manager, 'ann@acme.example', 10, 30)  # 100.00
    import_file(manager, make_account(manager), camt053([Line('99.50', f'VIR {invoice.number} "frais": <b>')]))
    line = line_for(invoice)

    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker=f'split-{line.id}', retries=40)
    user.find(marker=f'split-{line.id}').click()
    await user.should_see(marker='split-dialog')
    await user.should_see(marker=f'part-{invoice.number}', retries=40)
    user.find(marker=f'part-{invoice.number}').clear().type('100.00')
    user.find(marker='split-save').click()
    await user.should_see('Matched: payment recorded, €0.50 written off.', retries=40)
    assert line_for(invoice).write_off == D('0.50') and open_on(invoice) == D('0.00')
