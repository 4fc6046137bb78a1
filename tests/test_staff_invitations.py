"""A member of staff added from /users is emailed an invitation to choose their own password: its content (hostile
names escaped), a link that works once and expires, a resend that retires the old link, and without outbound mail the
password shown once, as before. The command line and the API keep giving the generated password."""

import html
from datetime import timedelta

import pytest
from sqlmodel import select

from backoffice import auth
from backoffice.db import session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import PasswordReset, User, utcnow
from backoffice.services import password_reset
from backoffice.services import users as service

from .support.factories import make_user
from .support.invitations import HOSTILE_SHOP, mail_set_up, mails_to, token_in

NEW_PASSWORD = 'Quartz-Lantern-Meadow-71'
HOSTILE_ADMIN = 'Zoë "Zed" <b>Ü</b>: O\'Brien'


def invite(admin: User, email: str = 'newcomer@example.com', **data: object) -> service.CreatedUser:
    with session_scope() as session:
        created = service.create_user(
            session=session,
            actor=session.get(User, admin.id),
            data={'email': email, 'name': 'Nia <i>Newton</i>', 'role': 'agent', 'invite': True, **data},
            base_url='https://bo.example',
        )
        session.expunge(created.user)
        return created


def resend(admin: User, email: str) -> None:
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == email)).one()
        service.resend_invitation(
            session=session,
            actor=session.get(User, admin.id),
            user_id=user.id,
            version=user.version,
            base_url='https://bo.example',
        )


def test_the_invitation_names_the_admin_the_shop_and_the_role_escaped_in_html(monkeypatch) -> None:
    admin = make_user('admin', name=HOSTILE_ADMIN)
    mail_set_up(monkeypatch, admin)
    created = invite(admin)
    assert created.invited and created.generated_password is None
    [mail] = mails_to('newcomer@example.com')
    assert mail.subject == f"{HOSTILE_ADMIN} invited you to {HOSTILE_SHOP}'s back office"
    assert f"{HOSTILE_ADMIN} invited you to {HOSTILE_SHOP}'s back office as Agent." in mail.body
    assert 'the link works once, for 72 hours' in mail.body
    assert '<script>' not in mail.html and '<b>' not in mail.html
    assert html.escape(f"{HOSTILE_ADMIN} invited you to {HOSTILE_SHOP}'s back office as Agent.") in mail.html
    assert f'href="https://bo.example/reset-password?token={token_in(mail)}"' in mail.html
    assert service.invitation_state(created.user) == 'invited'


def test_a_name_with_line_breaks_stays_on_the_subject_line(monkeypatch) -> None:
    admin = make_user('admin', name='Ada Admin')
    mail_set_up(monkeypatch, admin, shop='Evil\r\nBcc: victim@example.com')
    invite(admin)
    [mail] = mails_to('newcomer@example.com')
    assert mail.subject == "Ada Admin invited you to Evil Bcc: victim@example.com's back office"


def test_nobody_knows_the_password_until_the_link_sets_it_and_the_link_works_once(monkeypatch) -> None:
    admin = make_user('admin', name='Ada Admin')
    mail_set_up(monkeypatch, admin)
    invite(admin)
    token = token_in(mails_to('newcomer@example.com')[0])
    link = password_reset.read_link(token)
    assert link.invitation and link.user.email == 'newcomer@example.com'
    user = password_reset.reset_with_link(token=token, new=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert service.invitation_state(user) is None  # no longer pending on /users
    assert auth.sign_in(email='newcomer@example.com', password=NEW_PASSWORD, address=None).ok
    with pytest.raises(ValidationFailed, match='This invitation has expired or was already used. Ask your admin'):
        password_reset.reset_with_link(token=token, new=NEW_PASSWORD + 'x', confirm=NEW_PASSWORD + 'x')
    assert password_reset.read_link(token) == password_reset.Link(None, True)


def test_an_expired_invitation_says_so_and_shows_as_expired(monkeypatch) -> None:
    admin = make_user('admin', name='Ada Admin')
    mail_set_up(monkeypatch, admin)
    created = invite(admin)
    token = token_in(mails_to('newcomer@example.com')[0])
    with session_scope() as session:
        for row in session.exec(select(PasswordReset).where(PasswordReset.user_id == created.user.id)):
            row.expires_at = utcnow() - timedelta(minutes=1)
            session.add(row)
        user = session.get(User, created.user.id)
        user.invited_until = utcnow() - timedelta(minutes=1)
        session.add(user)
        session.commit()
        session.refresh(user)
        assert service.invitation_state(user) == 'expired'
    assert password_reset.read_link(token) == password_reset.Link(None, True)
    with pytest.raises(ValidationFailed, match='Ask your admin to send it again'):
        password_reset.reset_with_link(token=token, new=NEW_PASSWORD, confirm=NEW_PASSWORD)


def test_sending_again_gives_a_new_link_and_the_old_one_no_longer_works(monkeypatch) -> None:
    admin = make_user('admin', name='Ada Admin')
    mail_set_up(monkeypatch, admin)
    invite(admin)
    resend(admin, 'newcomer@example.com')
    first, second = mails_to('newcomer@example.com')
    assert token_in(first) != token_in(second)
    assert password_reset.read_link(token_in(first)).user is None
    assert password_reset.read_link(token_in(second)).user.email == 'newcomer@example.com'
    password_reset.reset_with_link(token=token_in(second), new=NEW_PASSWORD, confirm=NEW_PASSWORD)
    with pytest.raises(ValidationFailed, match='already chose a password'):
        resend(admin, 'newcomer@example.com')  # nothing pending any more


def test_an_admins_reset_retires_the_links_sent_before_the_invitation_included(monkeypatch) -> None:
    """A reset left a pending invitation's link working beside the reset's own (two ways in until one was used)."""
    admin = make_user('admin', name='Ada Admin')
    mail_set_up(monkeypatch, admin)
    invite(admin)
    with session_scope() as session:
        newcomer = session.exec(select(User).where(User.email == 'newcomer@example.com')).one()
        service.send_password_reset(
            session=session,
            actor=session.get(User, admin.id),
            user_id=newcomer.id,
            version=newcomer.version,
            base_url='https://bo.example',
        )
    invitation, reset = mails_to('newcomer@example.com')
    assert password_reset.read_link(token_in(invitation)).user is None
    assert password_reset.read_link(token_in(reset)).user.email == 'newcomer@example.com'


def test_without_outbound_mail_the_password_is_generated_and_shown_once() -> None:
    admin = make_user('admin', name='Ada Admin')  # no mail server in the test settings
    created = invite(admin)
    assert not created.invited and created.no_mail and created.generated_password
    assert mails_to('newcomer@example.com') == []
    assert service.invitation_state(created.user) is None
    assert auth.sign_in(email='newcomer@example.com', password=created.generated_password, address=None).ok


def test_a_password_typed_with_the_invitation_on_is_refused_at_the_field(monkeypatch) -> None:
    admin = make_user('admin', name='Ada Admin')
    mail_set_up(monkeypatch, admin)
    with pytest.raises(ValidationFailed) as refused:
        invite(admin, password=NEW_PASSWORD)
    assert refused.value.errors == {'password': 'Leave it empty to email the invitation, or turn the invitation off'}
    assert mails_to('newcomer@example.com') == []


def test_without_invite_a_create_still_answers_the_generated_password(monkeypatch) -> None:
    """The command line and the API (`secret`) create without `invite`: the generated password, no mail."""
    admin = make_user('admin', name='Ada Admin')
    mail_set_up(monkeypatch, admin)
    created = invite(admin, invite=False)
    assert created.generated_password and not created.invited
    assert mails_to('newcomer@example.com') == []


def test_a_pending_invitation_shows_on_the_users_card_on_a_phone() -> None:
    """The Invitation column is hidden under 600 px, so a phone's card said nothing of a pending invitation."""
    from backoffice.resources import resource
    from components.resource_cards import card_of

    row = {'email': 'newcomer@example.com', 'role': 'Agent', 'name': 'Nia', 'is_active': 'Yes'}
    pending = card_of(resource('users'), {**row, 'invited_until': 'Invited, not signed in yet'})
    assert {'label': 'Invitation', 'value': 'Invited, not signed in yet', 'late': False} in pending['lines']
    chose = card_of(resource('users'), {**row, 'invited_until': ''})  # they chose a password: no empty line
    assert 'Invitation' not in [line['label'] for line in chose['lines']]


@pytest.mark.parametrize('mail', ['set up', 'not set up'])
def test_after_an_admins_reset_the_invitation_no_longer_shows_as_pending(monkeypatch, mail: str) -> None:
    """The reset retires the invitation's link, yet /users and their page still said "Invited, not signed in yet", its
    link "working until" a time, and offered to send it again: the reset (by mail, or a password shown to pass on) is
    the way in now."""
    admin = make_user('admin', name=HOSTILE_ADMIN)
    mail_set_up(monkeypatch, admin)
    created = invite(admin)
    if mail == 'not set up':
        app_settings_without_mail(monkeypatch)
    with session_scope() as session:
        newcomer = session.get(User, created.user.id)
        service.send_password_reset(
            session=session,
            actor=session.get(User, admin.id),
            user_id=newcomer.id,
            version=newcomer.version,
            base_url='https://bo.example',
        )
    with session_scope() as session:
        newcomer = session.get(User, created.user.id)
        assert service.invitation_state(newcomer) is None
        assert not service.invitation_can_be_sent(session, newcomer)


def app_settings_without_mail(monkeypatch) -> None:
    monkeypatch.setattr(password_reset, 'mail_configured', lambda _session: False)
