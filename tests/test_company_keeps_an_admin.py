"""A company keeps a company admin whatever staff do to its last one: moving them to another company (or making
them private) from their form, the API, a bulk edit, an import or a revert is refused at the company field, as
removing them is; banning them, moving them to the trash or merging them into another customer makes the company's
longest-standing member company admin, audited on the company. A banned admin counts as no admin."""

from __future__ import annotations

import pytest
from sqlmodel import select

from backoffice import changes
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.listing.query import ListRequest, list_page
from backoffice.models import AuditEntry, Customer
from backoffice.resources import resource
from backoffice.services import company_members, crud
from backoffice.services.customers import ban_customer, unban_customer

from .support.companies import (
    actor,
    add_member,
    admin_changes,
    ban_replaced_as_before_the_fix,
    company_with,
    member_id,
    roles_in,
)
from .support.factories import make_company, make_user, merge_customers

NAME = 'Acmé "<script>x</script>": O\'Brien'


def _customer(email: str) -> Customer:
    with read_session() as session:
        return session.exec(select(Customer).where(Customer.email == email)).one()


def _edit(email: str, **changes) -> None:
    customer = _customer(email)
    with session_scope() as session:
        crud.update_record(
            session=session,
            actor=make_user('manager'),
            resource=resource('customers'),
            record_id=customer.id,
            version=customer.version,
            changes=changes,
        )


def test_moving_the_last_admin_out_of_the_company_is_refused_at_the_company_field() -> None:
    acme = company_with(NAME, {'boss@keep.example': 'admin', 'early@keep.example': 'buyer'})
    other = make_company('Globex: "<b>"')
    for moved in ({'company_id': other.id}, {'company_id': None}):
        with pytest.raises(ValidationFailed) as refused:
            _edit('boss@keep.example', **moved)
        assert set(refused.value.errors) == {'company_id'}
        assert 'boss@keep.example' in refused.value.errors['company_id'] and NAME in refused.value.errors['company_id']
    assert _customer('boss@keep.example').company_id == acme.id
    assert roles_in(acme.id)['boss@keep.example'] == 'admin'
    _edit('early@keep.example', company_id=other.id)  # a buyer moves freely
    assert _customer('early@keep.example').company_id == other.id


def test_a_banned_admin_is_no_admin_the_other_cannot_step_down_nor_be_moved() -> None:
    acme = company_with('Duo: "<i>"', {'one@duo.example': 'admin', 'two@duo.example': 'admin'})
    manager = make_user('manager')
    with session_scope() as session:
        two = session.exec(select(Customer).where(Customer.email == 'two@duo.example')).one()
        ban_customer(session=session, actor=manager, record_id=two.id, version=two.version, reason='"<script>": x')
    with session_scope() as session, pytest.raises(ValidationFailed):
        company_members.change_role(
            session=session,
            by=actor('one@duo.example'),
            member_id=member_id('one@duo.example'),
            version=None,
            role='buyer',
        )
    with pytest.raises(ValidationFailed):
        _edit('one@duo.example', company_id=None)
    assert roles_in(acme.id)['one@duo.example'] == 'admin'


@pytest.mark.parametrize('how', ['ban', 'trash'])
def test_banning_or_trashing_the_last_admin_makes_the_longest_standing_member_admin(how: str) -> None:
    acme = company_with(NAME, {'early@acme.example': 'viewer', 'boss@acme.example': 'admin'})
    add_member(acme.id, 'later@acme.example', 'buyer')
    manager = make_user('manager')
    boss = _customer('boss@acme.example')
    with session_scope() as session:
        if how == 'ban':
            ban_customer(session=session, actor=manager, record_id=boss.id, version=boss.version, reason="'<b>': x")
        else:
            crud.delete_record(
                session=session, actor=manager, resource=resource('customers'), record_id=boss.id, version=boss.version
            )
    roles = roles_in(acme.id)
    assert (roles['early@acme.example'], roles['later@acme.example']) == ('admin', 'buyer')
    [(action, said)] = admin_changes(acme.id)
    assert action == 'company.admin_promoted'
    assert 'early@acme.example' in said and 'boss@acme.example' in said and NAME in said
    assert ('banned' if how == 'ban' else 'trash') in said
    assert actor('early@acme.example').company_admin


def test_a_company_whose_only_member_is_its_banned_admin_is_flagged_in_its_log() -> None:
    solo = company_with('Solo: "<i>"', {'solo@solo.example': 'admin'})
    solo_customer = _customer('solo@solo.example')
    with read_session() as session:  # what the ban will say it did (the Ban button's message)
        said = company_members.after_ban(session=session, actor=make_user('manager'), customer_id=solo_customer.id)
    assert said == 'Solo: "<i>" has no company admin left: make one of its contacts company admin.'
    with session_scope() as session:
        ban_customer(
            session=session,
            actor=make_user('manager'),
            record_id=solo_customer.id,
            version=solo_customer.version,
            reason='x',
        )
    [(action, said)] = admin_changes(solo.id)
    assert action == 'company.left_without_admin' and 'banned' in said


def test_merging_the_last_admin_into_a_customer_of_another_company_makes_a_member_admin() -> None:
    acme = company_with(NAME, {'twin@acme.example': 'admin', 'early@acme.example': 'buyer'})
    globex = company_with('Globex', {'kept@globex.example': 'buyer'})
    keep, twin = _customer('kept@globex.example'), _customer('twin@acme.example')
    merge_customers(keep, twin, make_user('manager'))
    assert roles_in(acme.id)['early@acme.example'] == 'admin'
    [(action, said)] = admin_changes(acme.id)
    assert action == 'company.admin_promoted' and 'merged' in said and 'twin@acme.example' in said
    assert admin_changes(globex.id) == []


def test_a_move_by_a_path_without_the_forms_check_still_leaves_the_company_an_admin() -> None:
    """Any other way a change reaches the customer (`apply_change` without the edit's rules: a service of later)
    still leaves the company an admin: its longest-standing member, the log saying its last admin left."""
    acme = company_with(NAME, {'boss@path.example': 'admin', 'early@path.example': 'viewer'})
    manager = make_user('manager')
    with session_scope() as session:
        boss = session.exec(select(Customer).where(Customer.email == 'boss@path.example')).one()
        changes.apply_change(session, manager, resource('customers'), boss, {'company_id': None}, 'updated')
        session.commit()
    assert roles_in(acme.id)['early@path.example'] == 'admin'
    [(action, said)] = admin_changes(acme.id)
    assert action == 'company.admin_promoted' and 'left the company' in said and 'boss@path.example' in said


@pytest.mark.parametrize('how', ['ban', 'trash'])
def test_a_replaced_admin_unbanned_or_restored_comes_back_as_a_buyer_not_a_second_admin(how: str) -> None:
    acme = company_with(NAME, {'early@back.example': 'viewer', 'boss@back.example': 'admin'})
    manager = make_user('manager')
    boss = _customer('boss@back.example')
    with session_scope() as session:
        if how == 'ban':
            ban_customer(session=session, actor=manager, record_id=boss.id, version=boss.version, reason="'<b>': x")
        else:
            crud.delete_record(
                session=session, actor=manager, resource=resource('customers'), record_id=boss.id, version=boss.version
            )
    boss = _customer('boss@back.example')
    with session_scope() as session:
        if how == 'ban':
            unban_customer(session=session, actor=manager, record_id=boss.id, version=boss.version)
        else:
            crud.restore_record(session=session, actor=manager, resource=resource('customers'), record_id=boss.id)
    roles = roles_in(acme.id)
    assert (roles['early@back.example'], roles['boss@back.example']) == ('admin', 'buyer')
    assert not actor('boss@back.example').company_admin
    with read_session() as session:
        said = session.exec(
            select(AuditEntry.summary)
            .where(AuditEntry.entity == 'companies', AuditEntry.entity_id == str(acme.id))
            .where(AuditEntry.action == 'company.member_role_changed')
        ).all()
    assert len(said) == 1 and 'boss@back.example' in said[0] and 'early@back.example' in said[0] and NAME in said[0]


def test_an_admin_banned_beside_another_admin_comes_back_as_admin() -> None:
    """Nobody took their place: unbanned, they are company admin again, as before the ban."""
    acme = company_with('Pair: "<i>"', {'one@pair.example': 'admin', 'two@pair.example': 'admin'})
    manager = make_user('manager')
    two = _customer('two@pair.example')
    with session_scope() as session:
        ban_customer(session=session, actor=manager, record_id=two.id, version=two.version, reason='x')
    two = _customer('two@pair.example')
    with session_scope() as session:
        unban_customer(session=session, actor=manager, record_id=two.id, version=two.version)
    assert roles_in(acme.id) == {'one@pair.example': 'admin', 'two@pair.example': 'admin'}


@pytest.mark.parametrize('how', ['promoted', 'invited'])
def test_an_admin_banned_with_nobody_to_take_over_comes_back_as_a_buyer_once_staff_chose_another(how: str) -> None:
    acme = company_with('Lone: "<i>"', {'lone@lone.example': 'admin'})
    manager = make_user('manager')
    lone = _customer('lone@lone.example')
    with session_scope() as session:
        ban_customer(session=session, actor=manager, record_id=lone.id, version=lone.version, reason='x')
    if how == 'promoted':
        add_member(acme.id, 'new@lone.example', 'viewer')
        with session_scope() as session:
            company_members.change_role(
                session=session, by=manager, member_id=member_id('new@lone.example'), version=None, role='admin'
            )
    else:
        add_member(acme.id, 'new@lone.example', 'admin')
    lone = _customer('lone@lone.example')
    with session_scope() as session:
        unban_customer(session=session, actor=manager, record_id=lone.id, version=lone.version)
    assert roles_in(acme.id) == {'new@lone.example': 'admin', 'lone@lone.example': 'buyer'}


def test_moving_the_last_admin_to_the_trash_says_first_who_takes_over() -> None:
    """The trash's question (the customers list's and page's) names who becomes company admin, and that the person
    comes back as a buyer; nothing is said of a buyer."""
    company_with(NAME, {'boss@said.example': 'admin', 'early@said.example': 'viewer'})
    boss, early = _customer('boss@said.example'), _customer('early@said.example')
    with read_session() as session:
        said = crud.trash_consequences(
            session=session, actor=make_user('manager'), resource=resource('customers'), ids=[boss.id, early.id]
        )
    assert said == [
        f'boss@said.example is the last company admin of {NAME}: early@said.example, its longest-standing member, '
        'becomes company admin in their place, and boss@said.example a buyer (restored from the trash, they come '
        'back as one).'
    ]


def _notes(company_id: int, by=None) -> dict[str, tuple[str, str]]:
    """What the company page says of each member's admin role: {email: (took over, replaced)}."""
    with read_session() as session:
        found = company_members.members(session=session, by=by or make_user('manager'), company_id=company_id)
    return {m.email: (m.took_over, m.replaced) for m in found}


def test_the_company_page_says_who_took_over_automatically_and_when() -> None:
    acme = company_with(NAME, {'early@said.example': 'viewer', 'boss@said.example': 'admin'})
    boss = _customer('boss@said.example')
    with session_scope() as session:
        ban_customer(session=session, actor=make_user('manager'), record_id=boss.id, version=boss.version, reason='x')
    notes = _notes(acme.id)
    took_over, replaced = notes['early@said.example']
    assert took_over.startswith('Company admin automatically since 20')
    assert took_over.endswith(': its last admin, boss@said.example, was banned') and not replaced
    assert notes['boss@said.example'] == ('', '')  # a buyer now: nothing to decide
    assert _notes(acme.id, by=actor('early@said.example'))['early@said.example'] == ('', '')  # staff's only
    with session_scope() as session:  # a resend names them, and sets no role
        company_members.resend(
            session=session, by=make_user('manager'), member_id=member_id('early@said.example'), base_url='http://x'
        )
    assert _notes(acme.id)['early@said.example'][0] == took_over
    boss = _customer('boss@said.example')
    with session_scope() as session:
        unban_customer(session=session, actor=make_user('manager'), record_id=boss.id, version=boss.version)
    for email, role in (
        ('boss@said.example', 'admin'),
        ('early@said.example', 'buyer'),
        ('early@said.example', 'admin'),
    ):
        with session_scope() as session:  # staff chose: the role is theirs from then on, no longer automatic
            company_members.change_role(
                session=session, by=make_user('manager'), member_id=member_id(email), version=None, role=role
            )
    assert _notes(acme.id) == {'early@said.example': ('', ''), 'boss@said.example': ('', '')}


def test_an_admin_replaced_before_the_fix_and_back_is_pointed_out_until_staff_choose() -> None:
    """Replaced before replaced admins became buyers, the former admin came back as a second admin: the log proves
    the automatic replacement, not what the company wants now, so the company page says it and staff choose."""
    acme = company_with(NAME, {'early@old.example': 'viewer', 'boss@old.example': 'admin'})
    ban_replaced_as_before_the_fix('boss@old.example')
    boss = _customer('boss@old.example')
    with session_scope() as session:
        unban_customer(session=session, actor=make_user('manager'), record_id=boss.id, version=boss.version)
    assert roles_in(acme.id) == {'early@old.example': 'admin', 'boss@old.example': 'admin'}  # nothing undone
    notes = _notes(acme.id)
    assert notes['early@old.example'][0].endswith(': its last admin, boss@old.example, was banned')
    took_over, replaced = notes['boss@old.example']
    assert not took_over
    assert replaced.startswith('early@old.example took over as company admin automatically on 20')
    assert replaced.endswith(
        '(its last admin, boss@old.example, was banned), yet boss@old.example kept the role: replaced before replaced '
        'admins became buyers. Make one of them a buyer unless the company keeps both.'
    )
    assert _notes(acme.id, by=actor('early@old.example'))['boss@old.example'] == ('', '')  # staff's, not the portal's
    with session_scope() as session:
        company_members.change_role(
            session=session,
            by=make_user('manager'),
            member_id=member_id('boss@old.example'),
            version=None,
            role='buyer',
        )
    assert _notes(acme.id)['boss@old.example'] == ('', '')
    assert roles_in(acme.id) == {'early@old.example': 'admin', 'boss@old.example': 'buyer'}


def test_a_replaced_admin_kept_while_still_banned_is_pointed_out_until_the_one_who_took_over_steps_down() -> None:
    """Still banned, they would come back as a second admin when unbanned: said already; once staff made the one who
    took over a buyer (the returned admin leads again), nothing is left to decide."""
    acme = company_with(NAME, {'early@down.example': 'viewer', 'boss@down.example': 'admin'})
    ban_replaced_as_before_the_fix('boss@down.example')
    assert _notes(acme.id)['boss@down.example'][1].startswith('early@down.example took over as company admin')
    boss = _customer('boss@down.example')
    with session_scope() as session:
        unban_customer(session=session, actor=make_user('manager'), record_id=boss.id, version=boss.version)
    with session_scope() as session:
        company_members.change_role(
            session=session,
            by=make_user('manager'),
            member_id=member_id('early@down.example'),
            version=None,
            role='buyer',
        )
    assert _notes(acme.id) == {'early@down.example': ('', ''), 'boss@down.example': ('', '')}


def _companies_with_a_replaced_admin_kept(wanted: bool = True) -> set[str]:
    with read_session() as session:
        page = list_page(
            session=session,
            actor=make_user('manager'),
            resource=resource('companies'),
            request=ListRequest(filters={'replaced_admin_kept': wanted}, page_size=500),
        )
    return {row.name for row in page.rows}


def test_the_companies_list_finds_the_companies_whose_replaced_admin_kept_the_role_until_staff_choose() -> None:
    """The company page pointed out an admin replaced before replaced admins became buyers who kept the role, but
    nothing listed which companies: staff could not find the ones to review. The companies list's filter finds exactly
    those, banned or back, and lets a company go once staff chose (either one made a buyer)."""
    back = company_with(NAME, {'early@back.example': 'viewer', 'boss@back.example': 'admin'})
    still = company_with('Still "banned": <b>x</b>', {'early@still.example': 'buyer', 'boss@still.example': 'admin'})
    fixed = company_with("Fixed: l'été", {'early@fixed.example': 'viewer', 'boss@fixed.example': 'admin'})
    plain = company_with('Two admins by choice', {'one@plain.example': 'admin', 'two@plain.example': 'admin'})
    since = company_with('Replaced since the fix', {'early@since.example': 'viewer', 'boss@since.example': 'admin'})
    for email in ('boss@back.example', 'boss@still.example', 'boss@fixed.example'):
        ban_replaced_as_before_the_fix(email)
    for email in ('boss@back.example', 'boss@since.example'):
        boss = _customer(email)
        with session_scope() as session:
            if email.endswith('since.example'):  # banned now: a buyer from then on, nothing to review
                ban_customer(
                    session=session, actor=make_user('manager'), record_id=boss.id, version=boss.version, reason='x'
                )
            else:
                unban_customer(session=session, actor=make_user('manager'), record_id=boss.id, version=boss.version)
    with session_scope() as session:  # staff chose for this one
        company_members.change_role(
            session=session,
            by=make_user('manager'),
            member_id=member_id('boss@fixed.example'),
            version=None,
            role='buyer',
        )
    pointed_out = {c.name for c in (back, still, fixed, plain, since) if any(n[1] for n in _notes(c.id).values())}
    assert _companies_with_a_replaced_admin_kept() == pointed_out == {back.name, still.name}
    assert _companies_with_a_replaced_admin_kept(False) >= {fixed.name, plain.name, since.name}
    assert not _companies_with_a_replaced_admin_kept(False) & {back.name, still.name}
