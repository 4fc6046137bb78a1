"""Bank matching rules: on import a rule sets aside the new lines it fits (first in order wins) and counts its firings,
other lines untouched; undo works as for a set-aside by hand; hostile text kept as text; agents and viewers refused
on the server; a manager adds a rule on the bank screen; the same set-aside twice offers a rule."""

from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import AuditEntry, BankLine, BankRule, LineStatus
from backoffice.permissions import PermissionDenied
from backoffice.services import bank_match, bank_rules

from .support.bank import Line, camt053, import_file, make_account
from .support.factories import make_user
from .support.signin import signed_in
from .support.too_long import one_past, refused_at
from .support.waiting import eventually

HOSTILE = 'Zoé "L\'Atelier": <script>alert(1)</script>'


@pytest.fixture
def shop():
    manager = make_user('manager')
    return manager, make_account(manager)


def lines() -> list[BankLine]:
    with read_session() as session:
        return list(session.exec(select(BankLine).order_by(BankLine.id)))


def rule_rows() -> list[BankRule]:
    with read_session() as session:
        return list(session.exec(select(BankRule).order_by(BankRule.position)))


def add_rule(actor, **values) -> BankRule:
    with session_scope() as session:
        return bank_rules.save_rule(session=session, actor=actor, values=values)


def test_a_rule_sets_aside_the_lines_it_fits_on_import_and_counts_them(shop) -> None:
    manager, account = shop
    rule = add_rule(manager, name='Frais', reference_contains='frais', direction='debit', category='bank_fees')
    result = import_file(
        manager,
        account,
        camt053(
            [
                Line('-4.50', 'FRAIS TENUE COMPTE'),
                Line('-2.00', 'Frais carte', reference='CB'),
                Line('30.00', 'Frais remboursés'),  # money in: the rule is for money out
                Line('-120.00', 'LOYER', 'SCI DU PORT'),
            ]
        ),
    )
    assert result.set_aside == 2
    fee1, fee2, credit, rent = lines()
    assert (fee1.status, fee1.category, fee1.rule_id) == (LineStatus.ignored, 'bank_fees', rule.id)
    assert fee2.status == LineStatus.ignored
    assert credit.status == LineStatus.unmatched and credit.rule_id is None
    assert rent.status == LineStatus.unmatched and rent.category == ''
    (stored,) = rule_rows()
    assert stored.fired_count == 2 and stored.last_fired_at is not None
    with read_session() as session:
        assert session.exec(select(AuditEntry).where(AuditEntry.action == 'bank_rule.fired')).first() is not None


def test_the_first_rule_in_order_wins_and_order_can_change(shop) -> None:
    manager, account = shop
    supplier = add_rule(manager, name='Port', counterparty='sci du port', category='supplier')
    tax = add_rule(manager, name='Loyer', reference_contains='LOYER', category='tax')
    import_file(manager, account, camt053([Line('-120.00', 'LOYER NOV', 'SCI DU PORT')]))
    assert lines()[0].category == 'supplier'
    with session_scope() as session:
        bank_rules.move_rule(session=session, actor=manager, rule_id=tax.id, step=-1)
    assert [r.id for r in rule_rows()] == [tax.id, supplier.id]
    import_file(
        manager,
        account,
        camt053([Line('-130.00', 'LOYER DEC', 'SCI DU PORT', day='2026-12-01', bank_reference='DEC-1')]),
    )
    assert lines()[1].category == 'tax'


def test_exact_counterparty_ignores_case_and_accents_but_not_more(shop) -> None:
    manager, account = shop
    add_rule(manager, name='URSSAF', counterparty='Urssaf Île-de-France', counterparty_exact=True, category='tax')
    import_file(
        manager,
        account,
        camt053([Line('-50.00', 'PRLV', 'URSSAF ILE-DE-FRANCE'), Line('-60.00', 'PRLV', 'URSSAF ILE-DE-FRANCE EST')]),
    )
    exact, longer = lines()
    assert exact.status == LineStatus.ignored and longer.status == LineStatus.unmatched


def test_undo_of_a_rules_set_aside_brings_the_line_back(shop) -> None:
    manager, account = shop
    add_rule(manager, name='Frais', reference_contains='FRAIS', category='bank_fees')
    import_file(manager, account, camt053([Line('-4.50', 'FRAIS')]))
    (line,) = lines()
    with session_scope() as session:
        bank_match.undo(session=session, actor=manager, line_id=line.id, version=line.version)
    (line,) = lines()
    assert (line.status, line.category, line.rule_id) == (LineStatus.unmatched, '', None)


def test_a_rule_keeps_hostile_text_and_refuses_an_empty_condition(shop) -> None:
    manager, account = shop
    with pytest.raises(ValidationFailed) as refused:
        add_rule(manager, name='x', category='other')
    assert 'reference_contains' in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        add_rule(manager, name='', reference_contains='x', category='nope')
    assert {'name', 'category'} <= set(refused.value.errors)
    assert rule_rows() == []
    rule = add_rule(manager, name=HOSTILE, reference_contains='<script>', counterparty=HOSTILE, category='other')
    assert rule.name == HOSTILE
    import_file(manager, account, camt053([Line('-1.00', 'a <script> b', HOSTILE + ' SA')]))
    assert lines()[0].rule_id == rule.id


def test_a_rule_with_text_past_its_limits_is_refused_at_each_field_never_cut(shop) -> None:
    manager, _account = shop
    limits = {
        'name': bank_rules.NAME_MAX,
        'reference_contains': bank_rules.REFERENCE_MAX,
        'counterparty': bank_rules.COUNTERPARTY_MAX,
        'note': bank_rules.NOTE_MAX,
    }
    with pytest.raises(ValidationFailed) as refused:
        add_rule(manager, category='other', **{field: one_past(most) for field, most in limits.items()})
    assert refused.value.errors == {field: refused_at(most) for field, most in limits.items()}
    assert rule_rows() == []
    # spaces and line breaks are still folded before counting: at the limit once folded, it is taken whole
    name = one_past(bank_rules.NAME_MAX)[:-1]
    rule = add_rule(manager, name=name.replace(' ', '  \n', 1), reference_contains='FRAIS', category='other')
    assert rule.name == name


def test_a_stale_edit_is_refused_and_delete_keeps_lines_set_aside(shop) -> None:
    manager, account = shop
    rule = add_rule(manager, name='Frais', reference_contains='FRAIS', category='bank_fees')
    with session_scope() as session:
        bank_rules.save_rule(
            session=session, actor=manager, values={**_values(rule), 'name': 'A'}, rule_id=rule.id, version=1
        )
    with pytest.raises(Exception, match='changed|modifi'), session_scope() as session:
        bank_rules.save_rule(
            session=session, actor=manager, values={**_values(rule), 'name': 'B'}, rule_id=rule.id, version=1
        )
    import_file(manager, account, camt053([Line('-4.50', 'FRAIS')]))
    with session_scope() as session:
        bank_rules.delete_rule(session=session, actor=manager, rule_id=rule.id, version=2)
    assert rule_rows() == []
    (line,) = lines()
    assert line.status == LineStatus.ignored and line.rule_id is None


def _values(rule: BankRule) -> dict:
    return {'name': rule.name, 'reference_contains': rule.reference_contains, 'category': rule.category}


@pytest.mark.parametrize('role', ['agent', 'viewer'])
def test_agents_and_viewers_are_refused_on_the_server(shop, role) -> None:
    manager, _account = shop
    rule = add_rule(manager, name='Frais', reference_contains='FRAIS', category='bank_fees')
    someone = make_user(role)
    with pytest.raises(PermissionDenied):
        add_rule(someone, name='x', reference_contains='x', category='other')
    with pytest.raises(PermissionDenied), session_scope() as session:
        bank_rules.delete_rule(session=session, actor=someone, rule_id=rule.id)
    with pytest.raises(PermissionDenied), session_scope() as session:
        bank_rules.move_rule(session=session, actor=someone, rule_id=rule.id, step=1)
    if role == 'agent':
        with pytest.raises(PermissionDenied), read_session() as session:
            bank_rules.rules(session=session, actor=someone)


def test_the_same_set_aside_twice_offers_a_rule(shop) -> None:
    manager, account = shop
    import_file(manager, account, camt053([Line('-9.00', 'ABO', 'OVH'), Line('-9.00', 'ABO 2', 'OVH')]))
    first, second = lines()
    with session_scope() as session:
        done = bank_match.set_aside(
            session=session, actor=manager, line_id=first.id, version=first.version, category='supplier'
        )
        assert not bank_rules.repeated_set_aside(session, done)
    with session_scope() as session:
        done = bank_match.set_aside(
            session=session, actor=manager, line_id=second.id, version=second.version, category='supplier'
        )
        assert bank_rules.repeated_set_aside(session, done)


async def test_a_manager_adds_a_rule_on_the_bank_screen(user: User) -> None:
    manager = make_user('manager')
    make_account(manager)
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker='rules', retries=40)
    user.find(marker='rules').click()
    await user.should_see(marker='rules-dialog')
    await user.should_see(marker='no-rules', retries=40)
    user.find(marker='rule-new').click()
    await user.should_see(marker='rule-dialog')
    user.find(marker='rule-name').type(HOSTILE)
    user.find(marker='rule-save').click()
    await user.should_see('Give a text the reference contains, a counterparty, or both', retries=40)
    user.find(marker='rule-reference').type('FRAIS: "x"')
    user.find(marker='rule-category').elements.pop().set_value('bank_fees')
    user.find(marker='rule-save').click()
    await eventually(lambda: len(rule_rows()) == 1)
    rule = rule_rows()[0]
    assert rule.name == HOSTILE and rule.reference_contains == 'FRAIS: "x"'
    await user.should_see(marker=f'rule-{rule.id}', retries=40)
    await user.should_see(HOSTILE)
    await user.should_see('Fired 0 times')


async def test_a_rule_name_pasted_past_its_limit_is_refused_at_the_field_in_the_dialog(user: User) -> None:
    manager = make_user('manager')
    make_account(manager)
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker='rules', retries=40)
    user.find(marker='rules').click()
    await user.should_see(marker='no-rules', retries=40)
    user.find(marker='rule-new').click()
    await user.should_see(marker='rule-dialog')
    name = user.find(marker='rule-name').elements.pop()
    assert (name.props['maxlength'], name.props['counter']) == (bank_rules.NAME_MAX, True)
    user.find(marker='rule-name').type(one_past(bank_rules.NAME_MAX))  # a paste or a script past maxlength
    user.find(marker='rule-reference').type('FRAIS')
    user.find(marker='rule-category').elements.pop().set_value('bank_fees')
    user.find(marker='rule-save').click()
    await eventually(lambda: name.error == refused_at(bank_rules.NAME_MAX))
    await user.should_see(marker='rule-dialog')  # still open, with what was typed
    assert name.value == one_past(bank_rules.NAME_MAX)
    assert rule_rows() == []


async def test_setting_aside_the_same_counterparty_twice_offers_a_prefilled_rule(user: User) -> None:
    manager = make_user('manager')
    account = make_account(manager)
    import_file(manager, account, camt053([Line('-9.00', 'ABO', HOSTILE), Line('-9.00', 'ABO 2', HOSTILE)]))
    first, second = lines()
    with session_scope() as session:
        bank_match.set_aside(
            session=session, actor=manager, line_id=first.id, version=first.version, category='supplier'
        )
    await signed_in(user, manager.email, path='/finance/bank')
    await user.should_see(marker=f'aside-{second.id}', retries=40)
    user.find(marker=f'aside-{second.id}').click()
    await user.should_see(marker='aside-dialog')
    user.find(marker='aside-category').elements.pop().set_value('supplier')
    user.find(marker='aside-save').click()
    await user.should_see(marker='rule-offer', retries=40)
    user.find(marker='rule-offer-make').click()
    await user.should_see(marker='rule-dialog')
    user.find(marker='rule-save').click()
    await eventually(lambda: len(rule_rows()) == 1)
    rule = rule_rows()[0]
    assert (rule.counterparty, rule.counterparty_exact, rule.category) == (HOSTILE, True, 'supplier')
    assert rule.direction.value == 'debit'
