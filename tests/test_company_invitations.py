"""A company admin's invitation waits for the person: until they accept it (signed in, seeing who invites them to
which company) they are nothing of the company and the company sees nothing of theirs; once they accept, it sees what
they order and ask from then on, never before, and nothing after they are removed. They may decline; another
customer can neither see nor answer it. Staff's invitations still count at once."""

from __future__ import annotations

import pytest
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound, ValidationFailed
from backoffice.models import AuditEntry, CompanyRole, Customer, StaffMail
from backoffice.resources import resource
from backoffice.services import company_members, crud, customers, personal_data, portal
from backoffice.services.portal_scope import PortalActor

from .support.companies import BASE_URL, actor, company_with, member_id
from .support.factories import make_customer, make_user, submit_request
from .support.portal import delivered_order, enter_portal, last_link

HOSTILE = 'Zoë "O\'Brien" <script>alert(1)</script>: ünïcode'


def invite(by: PortalActor, email: str, role: str = 'buyer', name: str = '') -> None:
    with session_scope() as session:
        company_members.invite(
            session=session, by=by, company_id=by.company_id, email=email, name=name, role=role, base_url=BASE_URL
        )


def waiting(email: str) -> list[company_members.Invitation]:
    with read_session() as session:
        return company_members.invitations(session=session, actor=actor(email))


def answer(email: str, *, accepted: bool) -> None:
    (invitation,) = waiting(email)
    with session_scope() as session:
        done = company_members.accept if accepted else company_members.decline
        done(session=session, actor=actor(email), member_id=invitation.member_id, version=invitation.version)


def seen_by(email: str) -> set[str]:
    """The order numbers this customer sees in the portal."""
    with read_session() as session:
        return {order.number for order in portal.my_orders(session=session, actor=actor(email))}


def requests_seen_by(email: str) -> set[int]:
    with read_session() as session:
        return {ticket.number for ticket in portal.my_requests(session=session, actor=actor(email))}


@pytest.fixture
def acme() -> PortalActor:
    company_with('Acme "Corp": <b>', {'ada@acme.com': 'admin'})
    with session_scope() as session:  # Ada's name as her colleagues read it
        ada = session.exec(select(Customer).where(Customer.email == 'ada@acme.com')).one()
        ada.name = HOSTILE
        session.add(ada)
        session.commit()
    return actor('ada@acme.com')


def test_an_invited_customer_shares_nothing_until_they_accept_then_only_what_comes_after(acme: PortalActor) -> None:
    before = delivered_order('carl@example.com', sku='INV-BEFORE')  # Carl, a customer already, bought on his own
    old_request = submit_request('Carl asked alone', email='carl@example.com', order_number=None)
    invite(acme, 'carl@example.com', 'buyer')
    carl = actor('carl@example.com')
    assert (carl.company_id, carl.company_role) == (None, None)
    assert before.number not in seen_by('ada@acme.com')
    pending = delivered_order('carl@example.com', sku='INV-PENDING')  # while the invitation waits: still his
    assert pending.number not in seen_by('ada@acme.com')
    (invitation,) = waiting('carl@example.com')
    assert (invitation.company, invitation.role) == ('Acme "Corp": <b>', CompanyRole.buyer)
    assert invitation.invited_by == f'{HOSTILE} (ada@acme.com)'
    with read_session() as session:
        listed = company_members.members(session=session, by=acme, company_id=acme.company_id)
    assert [(m.email, m.pending) for m in listed] == [('ada@acme.com', False), ('carl@example.com', True)]

    answer('carl@example.com', accepted=True)
    assert actor('carl@example.com').company_role == CompanyRole.buyer
    after = delivered_order('carl@example.com', sku='INV-AFTER')
    new_request = submit_request('Carl asks for Acme', email='carl@example.com', order_number=None)
    assert after.number in seen_by('ada@acme.com')
    assert not {before.number, pending.number} & seen_by('ada@acme.com')  # what he bought before stays his
    assert new_request.number in requests_seen_by('ada@acme.com')
    assert old_request.number not in requests_seen_by('ada@acme.com')
    assert {before.number, pending.number, after.number} <= seen_by('carl@example.com')  # his own, all of them
    with read_session() as session:
        said = session.exec(select(AuditEntry.summary).where(AuditEntry.action == 'company.member_joined')).all()
    assert said == ['carl@example.com accepted the invitation to Acme "Corp": <b> as buyer']
    assert waiting('carl@example.com') == []


def test_a_removed_member_s_later_orders_are_not_the_company_s(acme: PortalActor) -> None:
    invite(acme, 'dan@example.com')
    answer('dan@example.com', accepted=True)
    during = delivered_order('dan@example.com', sku='INV-DURING')
    with session_scope() as session:
        company_members.remove(session=session, by=acme, member_id=member_id('dan@example.com'), version=None)
    later = delivered_order('dan@example.com', sku='INV-LATER')
    assert actor('dan@example.com').company_id is None
    assert during.number in seen_by('ada@acme.com') and later.number not in seen_by('ada@acme.com')


def test_declining_leaves_nothing_and_nobody_else_answers_an_invitation(acme: PortalActor) -> None:
    invite(acme, 'erin@example.com', 'admin')
    (invitation,) = waiting('erin@example.com')
    make_customer('mallory@example.com')
    for done in (company_members.accept, company_members.decline):  # someone else's invitation: "not found"
        with session_scope() as session, pytest.raises(NotFound):
            done(
                session=session,
                actor=actor('mallory@example.com'),
                member_id=invitation.member_id,
                version=invitation.version,
            )
    with session_scope() as session, pytest.raises(ValidationFailed, match='last company admin'):
        # a pending admin is no admin yet: Ada is still the last one
        company_members.change_role(
            session=session, by=acme, member_id=member_id('ada@acme.com'), version=None, role='buyer'
        )
    answer('erin@example.com', accepted=False)
    assert waiting('erin@example.com') == [] and actor('erin@example.com').company_id is None
    with session_scope() as session, pytest.raises(NotFound, match='no longer open'):
        company_members.accept(
            session=session, actor=actor('erin@example.com'), member_id=invitation.member_id, version=None
        )
    with read_session() as session:
        listed = company_members.members(session=session, by=acme, company_id=acme.company_id)
        said = session.exec(select(AuditEntry.summary).where(AuditEntry.action == 'company.invitation_declined')).all()
    assert [m.email for m in listed] == ['ada@acme.com']
    assert said == ['erin@example.com declined the invitation to Acme "Corp": <b>']


def test_a_company_admin_cannot_tell_who_is_a_customer_and_withdraws_an_invitation(acme: PortalActor) -> None:
    make_customer('pat@private.com')
    invite(acme, 'pat@private.com')  # a customer already: the same answer as a new email
    invite(acme, 'new@example.com', name=HOSTILE)
    company_with('Globex', {'gil@globex.com': 'buyer'})
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        company_members.invite(
            session=session, by=acme, company_id=acme.company_id, email='gil@globex.com', base_url='x'
        )
    assert refused.value.errors == {
        'email': 'This email cannot be invited from here: ask us to add it to your company.'
    }
    assert last_link('new@example.com').startswith('/portal/link?token=')
    with session_scope() as session:
        company_members.remove(
            session=session, by=acme, member_id=waiting('new@example.com')[0].member_id, version=None
        )
    assert waiting('new@example.com') == []


def test_another_company_s_pending_invitation_is_never_replaced(acme: PortalActor) -> None:
    """Globex's invitation waits for Erin: Acme's admin gets the one sentence any other company's person gets (it
    tells no more), staff are told whose it is; Globex's stands until Erin answers it or Globex withdraws it."""
    company_with('Globex "<img src=x onerror=alert(1)>": Ltd', {'gil@globex.com': 'admin'})
    globex = actor('gil@globex.com')
    invite(globex, 'erin@example.com', name=HOSTILE)
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        company_members.invite(
            session=session, by=acme, company_id=acme.company_id, email='Erin@Example.com', base_url='x'
        )
    assert refused.value.errors == {
        'email': 'This email cannot be invited from here: ask us to add it to your company.'
    }
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        company_members.invite(
            session=session, by=make_user('manager'), company_id=acme.company_id, email='erin@example.com', base_url='x'
        )
    assert refused.value.errors == {
        'email': 'This email has a pending invitation from Globex "<img src=x onerror=alert(1)>": Ltd: it cannot be'
        ' invited here until that one is withdrawn or answered.'
    }
    (globex_s,) = waiting('erin@example.com')
    assert globex_s.company == 'Globex "<img src=x onerror=alert(1)>": Ltd'
    with session_scope() as session:  # withdrawn: Acme may ask now
        company_members.remove(session=session, by=globex, member_id=globex_s.member_id, version=None)
    invite(acme, 'erin@example.com')
    assert [i.company for i in waiting('erin@example.com')] == ['Acme "Corp": <b>']


def test_a_banned_or_trashed_customer_s_email_answers_as_a_new_one_and_lets_nobody_in(acme: PortalActor) -> None:
    """Refusing a banned customer's (or a trashed one's) email would tell the company admin that the shop knows it."""
    banned = make_customer('ban@example.com', name=HOSTILE)
    trashed = make_customer('gone@example.com', name=HOSTILE)
    manager, admin = make_user('manager'), make_user('admin')
    with session_scope() as session:
        customers.ban_customer(
            session=session, actor=manager, record_id=banned.id, version=banned.version, reason='Fraud <b>'
        )
    with session_scope() as session:
        crud.delete_record(
            session=session, actor=admin, resource=resource('customers'), record_id=trashed.id, version=None
        )
    answers = {}
    for email in ('new@example.com', 'ban@example.com', 'gone@example.com'):
        with session_scope() as session:
            added = company_members.invite(
                session=session, by=acme, company_id=acme.company_id, email=email, name=HOSTILE, base_url=BASE_URL
            )
        answers[email] = (added.email, added.pending, added.banned, added.role)
    assert answers == {e: (e, True, False, CompanyRole.buyer) for e in answers}
    with read_session() as session:
        listed = company_members.members(session=session, by=acme, company_id=acme.company_id)
    shown = {m.email: (m.pending, m.banned) for m in listed}
    assert shown == {
        'ada@acme.com': (False, False),
        'new@example.com': (True, False),
        'ban@example.com': (True, False),
        'gone@example.com': (True, False),
    }
    for email in ('ban@example.com', 'gone@example.com'):  # the resend answers the same too
        mid = next(m.id for m in listed if m.email == email)
        with session_scope() as session:
            company_members.resend(session=session, by=acme, member_id=mid, base_url=BASE_URL)
    with read_session() as session:  # but neither gets a link, and neither is let in
        mailed = set(session.exec(select(StaffMail.to_address)).all())
    assert 'new@example.com' in mailed and not {'ban@example.com', 'gone@example.com'} & mailed
    assert actor('ban@example.com').company_id is None
    with read_session() as session:
        staff_view = company_members.members(session=session, by=manager, company_id=acme.company_id)
    assert {m.email: m.banned for m in staff_view}['ban@example.com'] is True  # staff are told


def test_re_inviting_a_removed_member_shares_nothing_more_until_they_accept_then_from_then_on(
    acme: PortalActor,
) -> None:
    invite(acme, 'dan@example.com', name=HOSTILE)
    before = delivered_order('dan@example.com', sku='RE-BEFORE')
    answer('dan@example.com', accepted=True)
    during = delivered_order('dan@example.com', sku='RE-DURING')
    with session_scope() as session:
        company_members.remove(session=session, by=acme, member_id=member_id('dan@example.com'), version=None)
    gap = delivered_order('dan@example.com', sku='RE-GAP')
    invite(acme, 'dan@example.com', 'viewer', name=HOSTILE)  # asked again: nothing widens while it waits
    assert seen_by('ada@acme.com') & {before.number, during.number, gap.number} == {during.number}
    waiting_gap = delivered_order('dan@example.com', sku='RE-WAITING')
    with session_scope() as session, pytest.raises(ValidationFailed, match='already a member'):
        company_members.invite(
            session=session, by=acme, company_id=acme.company_id, email='dan@example.com', base_url=BASE_URL
        )
    answer('dan@example.com', accepted=True)
    after = delivered_order('dan@example.com', sku='RE-AFTER')
    seen = seen_by('ada@acme.com')
    assert after.number in seen
    assert not {before.number, gap.number, waiting_gap.number} & seen  # never what he did outside a membership
    assert actor('dan@example.com').company_role == CompanyRole.viewer


@pytest.mark.parametrize('by', ['company admin', 'invited person'])
def test_withdrawing_or_declining_a_re_invitation_leaves_the_ended_membership_as_it_was(
    acme: PortalActor, by: str
) -> None:
    invite(acme, 'dan@example.com')
    answer('dan@example.com', accepted=True)
    during = delivered_order('dan@example.com', sku='WD-DURING')
    with session_scope() as session:
        company_members.remove(session=session, by=acme, member_id=member_id('dan@example.com'), version=None)
    gap = delivered_order('dan@example.com', sku='WD-GAP')
    invite(acme, 'dan@example.com')
    if by == 'company admin':
        (invitation,) = waiting('dan@example.com')
        with session_scope() as session:
            company_members.remove(session=session, by=acme, member_id=invitation.member_id, version=None)
    else:
        answer('dan@example.com', accepted=False)
    assert waiting('dan@example.com') == []
    assert seen_by('ada@acme.com') & {during.number, gap.number} == {during.number}
    with read_session() as session:
        listed = company_members.members(session=session, by=acme, company_id=acme.company_id)
    assert [m.email for m in listed] == ['ada@acme.com']


def test_staff_re_adding_a_removed_member_shares_from_then_on(acme: PortalActor) -> None:
    invite(acme, 'dan@example.com')
    answer('dan@example.com', accepted=True)
    with session_scope() as session:
        company_members.remove(session=session, by=acme, member_id=member_id('dan@example.com'), version=None)
    gap = delivered_order('dan@example.com', sku='ST-GAP')
    with session_scope() as session:
        company_members.invite(
            session=session, by=make_user('manager'), company_id=acme.company_id, email='dan@example.com', base_url='x'
        )
    after = delivered_order('dan@example.com', sku='ST-AFTER')
    assert seen_by('ada@acme.com') & {gap.number, after.number} == {after.number}


def test_staff_invitations_count_at_once(acme: PortalActor) -> None:
    with session_scope() as session:
        company_members.invite(
            session=session, by=make_user('manager'), company_id=acme.company_id, email='sam@acme.com', base_url='x'
        )
    assert actor('sam@acme.com').company_role == CompanyRole.buyer and waiting('sam@acme.com') == []


async def test_the_invited_person_signs_in_sees_who_invited_them_and_accepts(user: User, acme: PortalActor) -> None:
    invite(acme, 'carl@example.com', 'viewer')
    await enter_portal(user, 'carl@example.com')
    await user.should_see(marker='company-invitation')
    await user.should_see(f'{HOSTILE} (ada@acme.com) invited you to join Acme "Corp": <b> as viewer.')
    await user.should_see('those you made before stay yours')
    await user.should_not_see('Company')  # no tab: not a member yet
    user.find(marker='invitation-accept').click()
    await user.should_see(marker='portal-company', retries=200)
    await user.should_see('Your role: Viewer.')
    assert actor('carl@example.com').company_role == CompanyRole.viewer


async def test_the_invited_person_declines(user: User, acme: PortalActor) -> None:
    invite(acme, 'erin@example.com')
    await enter_portal(user, 'erin@example.com')
    await user.should_see(marker='company-invitation')
    user.find(marker='invitation-decline').click()
    await user.should_see('Invitation declined: nothing is shared.', retries=200)
    await user.should_not_see(marker='company-invitation')
    assert waiting('erin@example.com') == [] and actor('erin@example.com').company_id is None


def test_erasing_the_inviter_takes_their_name_off_the_invitations_they_sent(acme: PortalActor) -> None:
    invite(acme, 'carl@example.com')
    admin = make_user('admin')
    with read_session() as session:
        ada = session.exec(select(Customer).where(Customer.email == 'ada@acme.com')).one()
    with session_scope() as session:
        personal_data.erase_customer(
            session=session, actor=admin, record_id=ada.id, version=ada.version, confirmation='ada@acme.com'
        )
    (invitation,) = waiting('carl@example.com')
    assert 'ada@acme.com' not in invitation.invited_by and HOSTILE not in invitation.invited_by
