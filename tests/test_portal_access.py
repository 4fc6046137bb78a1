"""Signing in to the customer portal, as a service: invitations (staff with the permission, never to a banned
customer), one-time links (once, expiring, the same answer for unknown emails), passwords (argon2id, throttled)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from backoffice import auth
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import AuditEntry, Customer, PortalAccount, PortalLink, PortalSession, StaffMail, utcnow
from backoffice.permissions import PermissionDenied
from backoffice.services import portal_access

from .support.at_once import first_saves_at_once
from .support.factories import PASSWORD, banned_customer, make_customer, make_user, tiny_png
from .support.portal import last_link


def invite(customer_id: int, role: str = 'agent') -> PortalAccount:
    with session_scope() as session:
        return portal_access.invite(
            session=session, actor=make_user(role), customer_id=customer_id, base_url='http://shop.test'
        )


def token_of(path: str) -> str:
    return path.split('token=', 1)[1]


def test_an_invitation_is_emailed_in_the_customers_language_with_a_link_for_seven_days() -> None:
    customer = make_customer('lea@example.com', name='Léa')
    with session_scope() as session:
        stored = session.get(Customer, customer.id)
        stored.language = 'fr'
        session.add(stored)
        session.commit()
    account = invite(customer.id)
    assert account.invited_at is not None
    with read_session() as session:
        mail = session.exec(select(StaffMail).where(StaffMail.to_address == 'lea@example.com')).one()
        link = session.exec(select(PortalLink)).one()
    assert mail.user_id is None and 'http://shop.test/portal/link?token=' in mail.body
    assert mail.subject == 'Votre espace client My Shop'
    assert timedelta(days=6) < link.expires_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None) <= timedelta(days=7)


def test_two_colleagues_inviting_a_customer_at_once_both_send_an_invitation(monkeypatch) -> None:
    """The customer's portal account is made on first need, one per customer: two colleagues invite them at the same
    moment (the first held before looking for it until the second has looked too, or for 3 s). Both invitations go
    out and one account is made (one used to fail on the duplicate customer_id)."""
    customer = make_customer('lou@example.com', name='Lou "Q": <script>x</script>')
    ana, ben = make_user('agent', email='ana.portal@example.com'), make_user('agent', email='ben.portal@example.com')

    def inviting(actor):
        def invite_now():
            with session_scope() as session:
                return portal_access.invite(
                    session=session, actor=actor, customer_id=customer.id, base_url='http://shop.test'
                ).customer_id

        return invite_now

    first, second = first_saves_at_once(monkeypatch, portal_access, inviting(ana), inviting(ben), held_at='_account')
    assert first == second == customer.id, (first, second)
    with read_session() as session:
        assert len(session.exec(select(PortalAccount)).all()) == 1
        assert len(session.exec(select(StaffMail).where(StaffMail.to_address == 'lou@example.com')).all()) == 2


def test_a_viewer_may_not_invite_and_a_banned_customer_is_never_invited() -> None:
    customer = make_customer('kim@example.com')
    with pytest.raises(PermissionDenied):
        invite(customer.id, role='viewer')
    banned_customer('banned@example.com')
    with read_session() as session:
        banned = session.exec(select(Customer).where(Customer.email == 'banned@example.com')).one()
    with pytest.raises(ValidationFailed):
        invite(banned.id)


def test_a_link_opens_once_and_not_after_it_expired() -> None:
    customer = make_customer('max@example.com')
    invite(customer.id)
    token = token_of(last_link('max@example.com'))
    first = portal_access.open_link(token=token)
    assert first.ok and first.entry.customer_id == customer.id
    assert not portal_access.open_link(token=token).ok
    invite(customer.id)
    late = token_of(last_link('max@example.com'))
    with session_scope() as session:
        for link in session.exec(select(PortalLink).where(PortalLink.used_at.is_(None))):
            link.expires_at = utcnow() - timedelta(seconds=1)
            session.add(link)
        session.commit()
    assert not portal_access.open_link(token=late).ok
    assert not portal_access.open_link(token='made-up').ok


def test_of_two_uses_of_a_link_at_once_exactly_one_signs_in(monkeypatch: pytest.MonkeyPatch) -> None:
    customer = make_customer('twice@example.com', name='Twice "<script>" : O\'Neil')
    invite(customer.id)
    token = token_of(last_link('twice@example.com'))

    def use() -> bool:
        return portal_access.open_link(token=token).ok

    first, second = first_saves_at_once(monkeypatch, portal_access, use, use)

    assert sorted([first, second]) == [False, True], (first, second)
    with read_session() as session:
        entries = session.exec(
            select(AuditEntry).where(AuditEntry.action == 'portal.signed_in', AuditEntry.entity_id == str(customer.id))
        ).all()
    assert len(entries) == 1


def test_asking_for_a_link_answers_alike_for_anyone_and_emails_only_customers_in_good_standing() -> None:
    make_customer('nia@example.com')
    banned_customer('ban@example.com')
    answers = {
        email: portal_access.request_link(email=email, address=f'10.0.0.{n}', base_url='http://shop.test').message
        for n, email in enumerate(('nia@example.com', 'nobody@example.com', 'ban@example.com'))
    }
    assert len(set(answers.values())) == 1
    with read_session() as session:
        sent_to = [m.to_address for m in session.exec(select(StaffMail))]
    assert sent_to == ['nia@example.com']


def test_asking_for_links_is_throttled_per_email() -> None:
    make_customer('ola@example.com')
    for n in range(6):
        portal_access.request_link(email='ola@example.com', address=f'10.0.1.{n}', base_url='http://shop.test')
    with read_session() as session:
        assert len(session.exec(select(StaffMail)).all()) == auth.RESET_EMAIL_LIMIT


def test_a_password_signs_in_wrong_ones_are_throttled_and_a_ban_shuts_the_door() -> None:
    customer = make_customer('pia@example.com', name='Pia')
    with session_scope() as session:
        portal_access.set_password(session=session, customer_id=customer.id, password=PASSWORD, keep_session_id=None)
    ok = portal_access.sign_in(email='PIA@example.com', password=PASSWORD, address='10.0.2.1')
    assert ok.ok and ok.entry.customer_id == customer.id
    for _attempt in range(auth.PAIR_LIMIT):
        refused = portal_access.sign_in(email='pia@example.com', password='nope nope', address='10.0.2.2')
    assert 'Too many failed sign-ins' in refused.message
    locked = portal_access.sign_in(email='pia@example.com', password=PASSWORD, address='10.0.2.2')
    assert not locked.ok and 'Try again in' in locked.message
    unknown = portal_access.sign_in(email='nobody@example.com', password=PASSWORD, address='10.0.2.3')
    assert unknown.message == 'Email or password is incorrect.'
    manager = make_user('manager')
    from backoffice.services import customers

    with session_scope() as session:
        stored = session.get(Customer, customer.id)
        customers.ban_customer(session=session, actor=manager, record_id=stored.id, version=stored.version, reason='x')
    banned = portal_access.sign_in(email='pia@example.com', password=PASSWORD, address='10.0.2.4')
    assert not banned.ok and 'closed' in banned.message


def test_a_weak_password_is_refused_at_its_field() -> None:
    customer = make_customer('quinn@example.com')
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        portal_access.set_password(session=session, customer_id=customer.id, password='123', keep_session_id=None)
    assert 'password' in refused.value.errors


def test_attachments_are_images_or_pdfs_by_their_bytes_within_the_size_and_count() -> None:
    from backoffice.services import ticket_attachments as files

    ok = files.check([('a.png', tiny_png()), ('../../etc/passwd\x00.pdf', b'%PDF-1.7 x')])
    assert [(c.file_name, c.content_type, c.suffix) for c in ok] == [
        ('a.png', 'image/png', '.png'),
        ('passwd.pdf', 'application/pdf', '.pdf'),
    ]
    refusals = {
        'a script named as an image': [('photo.png', b'<script>alert(1)</script>')],
        'an empty file': [('empty.pdf', b'')],
        'too big': [('big.pdf', b'%PDF-' + b'0' * files.MAX_BYTES)],
        'too many': [('a.png', tiny_png())] * (files.MAX_FILES + 1),
    }
    for what, sent in refusals.items():
        with pytest.raises(ValidationFailed) as refused:
            files.check(sent)
        assert 'attachments' in refused.value.errors, what


def test_erasing_a_customer_closes_their_portal_and_deletes_their_files_and_links() -> None:
    from backoffice.models import TicketAttachment
    from backoffice.services import personal_data, portal, ticket_attachments
    from backoffice.services.portal_scope import PortalActor

    customer = make_customer('rae@example.com', name='Rae')
    invite(customer.id)
    entered = portal_access.open_link(token=token_of(last_link('rae@example.com')))
    with session_scope() as session:
        started = portal_access.start_session(session, customer_id=customer.id, user_agent='', address='')
    with session_scope() as session:
        ticket = portal.open_request(
            session=session,
            actor=PortalActor.of(customer),
            subject='Photo',
            body='Here',
            files=[('me.png', tiny_png())],
        )
    with read_session() as session:
        stored = session.exec(select(TicketAttachment)).one()
    assert (ticket_attachments.root() / stored.stored).exists()
    admin = make_user('admin')
    with session_scope() as session:
        fresh = session.get(Customer, customer.id)
        personal_data.erase_customer(
            session=session, actor=admin, record_id=customer.id, version=fresh.version, confirmation='rae@example.com'
        )
    assert portal_access.signed_in_customer(customer.id, entered.entry.epoch, started.key) is None
    with read_session() as session:
        assert session.exec(select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id)).first() is None
        assert session.exec(select(PortalLink)).first() is None
        assert all('rae@example.com' not in m.to_address + m.body for m in session.exec(select(StaffMail)))
    assert not (ticket_attachments.root() / stored.stored).exists()


def test_signing_in_to_the_portal_and_visiting_it_count_as_the_customer_seen() -> None:
    """The segments' "Not seen for" ignored portal visits: signing in (a link or a password) and using the portal (at
    most once per TOUCH_EVERY, with the session's own "last seen") set the customer's."""
    customer = make_customer('seen@example.com', name='Seen: "<script>x</script>"')
    long_ago = utcnow() - timedelta(days=90)

    def last_seen():
        with read_session() as session:
            return session.get(Customer, customer.id).last_seen_at

    def quiet() -> None:
        with session_scope() as session:
            row = session.get(Customer, customer.id)
            row.last_seen_at = long_ago
            session.add(row)
            session.commit()

    quiet()
    invite(customer.id)
    before = utcnow()
    assert portal_access.open_link(token=token_of(last_link('seen@example.com'))).ok
    assert last_seen() >= before
    with session_scope() as session:
        portal_access.set_password(session=session, customer_id=customer.id, password=PASSWORD, keep_session_id=None)
    quiet()
    assert portal_access.sign_in(email='seen@example.com', password=PASSWORD, address='10.0.3.1').ok
    assert last_seen() >= before

    quiet()
    with session_scope() as session:
        started = portal_access.start_session(session, customer_id=customer.id, user_agent='test', address='10.0.3.1')
    portal_access.touch(started.session_id)
    assert last_seen() == long_ago  # a session seen a moment ago is not written again
    with session_scope() as session:
        row = session.get(PortalSession, started.session_id)
        row.last_seen_at = utcnow() - portal_access.TOUCH_EVERY
        session.add(row)
        session.commit()
    portal_access.touch(started.session_id)
    assert last_seen() >= before
