"""Staff users page: an admin adds, edits, deactivates and resets staff; bad input is shown at the field."""

import re
from datetime import timedelta

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice import auth, i18n
from backoffice.db import session_scope
from backoffice.errors import ValidationFailed
from backoffice.models import AuditEntry, StaffMail
from backoffice.models import User as StaffUser
from backoffice.resources import resource
from backoffice.services import password_reset
from backoffice.services import users as service

from .support.factories import PASSWORD, make_role, make_user
from .support.invitations import mail_set_up, mails_to, token_in
from .support.lists import caption, open_row, rows_show, the_list
from .support.signin import open_users_as_admin, sign_in, signed_in, staff_named
from .support.two_factor import enrol
from .support.waiting import eventually

NEW_PASSWORD = 'Quartz-Lantern-Meadow-71'


async def test_admin_adds_a_user_with_a_generated_password_shown_once(user: User) -> None:
    await open_users_as_admin(user)
    user.find('New user').click()
    user.find('Email *').type('new.agent@example.com')
    user.find('Name *').type('Nia Newton')
    user.find('Create user').click()
    await user.should_see('new.agent@example.com was added')
    await user.should_see('Password for new.agent@example.com')
    # no mail server in the test settings: the invitation could not be emailed, and the dialog says why
    await user.should_see('Outbound mail is not set up')
    await user.should_see('Pass this password on to them safely instead.')
    password = user.find(marker='generated-password').elements.pop().value
    assert auth.sign_in(email='new.agent@example.com', password=password, address=None).ok
    await rows_show(user, 'new.agent@example.com')


async def test_admin_adds_a_user_who_is_emailed_an_invitation_and_chooses_their_password(
    user: User, create_user, monkeypatch
) -> None:
    """The admin was shown a password to pass on by hand (chat, paper): now the newcomer is emailed a link to choose
    their own, /users shows the invitation pending until they do, and the admin can send it again."""
    admin = await open_users_as_admin(user)
    mail_set_up(monkeypatch, admin)
    user.find('New user').click()
    user.find('Email *').type('invited@example.com')
    user.find('Name *').type('Ivy "Invited" <b>Ü</b>')
    user.find('Create user').click()
    await user.should_see('An invitation was sent to invited@example.com')
    await user.should_not_see(marker='generated-password')
    await rows_show(user, 'invited@example.com')
    [row] = [row for row in the_list(user).rows if row['email'] == 'invited@example.com']
    assert row['invited_until'] == 'Invited, not signed in yet', row
    open_row(user, 'invited@example.com')
    user.find(kind=ui.button, content='Send the invitation again').click()
    await user.should_see('The invitation was sent again to invited@example.com')
    first, second = mails_to('invited@example.com')

    newcomer = create_user()
    await newcomer.open(f'/reset-password?token={token_in(first)}')  # the first mail's link: replaced
    await newcomer.should_see('This invitation has expired or was already used. Ask your admin to send it again.')
    await newcomer.open(f'/reset-password?token={token_in(second)}')
    await newcomer.should_see('Choose your password')
    newcomer.find('New password').type(NEW_PASSWORD)
    newcomer.find('Repeat new password').type(NEW_PASSWORD)
    newcomer.find('Set my password').click()
    await newcomer.should_see('Your password is set. Sign in with it.')
    # the password they chose signs them in, and the "every session ends" of setting it, heard late, does not send
    # them back to the sign-in page (it did once, under a CI run's load on PostgreSQL)
    await sign_in(newcomer, 'invited@example.com', NEW_PASSWORD)
    await newcomer.should_see('Welcome')
    assert staff_named('invited@example.com').invited_until is None  # no longer pending on /users


async def test_bad_input_is_shown_at_the_field_and_nothing_is_saved(user: User) -> None:
    await open_users_as_admin(user)
    user.find('New user').click()
    user.find('Email *').type('not-an-email')
    user.find('Name *').type('Someone')
    user.find('Initial password').type('short')
    user.find('Create user').click()
    await user.should_see('Enter a valid email address')
    user.find('Email *').clear().type('someone@example.com')
    user.find('Create user').click()
    await user.should_see('Use at least 10 characters')
    assert staff_named('someone@example.com') is None


async def test_a_duplicate_email_is_refused_at_the_field(user: User) -> None:
    make_user('agent', email='taken@example.com')
    await open_users_as_admin(user)
    user.find('New user').click()
    user.find('Email *').type('Taken@Example.com')
    user.find('Name *').type('Someone Else')
    user.find('Create user').click()
    await user.should_see('A user with this email already exists')


async def test_admin_changes_a_role_and_the_change_is_audited(user: User) -> None:
    agent = make_user('agent', email='promote.me@example.com')
    admin = await open_users_as_admin(user)
    await rows_show(user, agent.email)
    open_row(user, agent.email)
    await user.should_see('Save changes')
    await user.should_not_see('Initial password')  # an empty read-only box saying "leave empty to generate one"
    user.find(kind=ui.select, content='Role *').elements.pop().set_value('manager')
    user.find('Save changes').click()
    await user.should_see('Changes saved')
    assert staff_named(agent.email).role == 'manager'
    with session_scope() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == 'user.updated')).one()
    assert entry.actor_email == admin.email and entry.changes == {'role': ['agent', 'manager']}


async def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(user: User, create_user) -> None:
    agent = make_user('agent', email='leaving@example.com')
    agents_browser = create_user()
    await signed_in(agents_browser, agent.email)
    await agents_browser.should_see('Welcome')

    await open_users_as_admin(user)
    await rows_show(user, agent.email)
    open_row(user, agent.email)
    user.find(kind=ui.button, content='Deactivate').click()
    await user.should_see(marker='confirm-action')
    user.find(marker='confirm-action').click()
    await user.should_see('leaving@example.com was deactivated')
    await agents_browser.open('/')
    await agents_browser.should_see('Sign in to continue')
    assert auth.sign_in(email=agent.email, password=PASSWORD, address=None).message.startswith('This account is deact')


async def test_two_admins_editing_one_user_do_not_lose_a_change(user: User) -> None:
    agent = make_user('agent', email='contested@example.com', name='Casey Contested')
    await open_users_as_admin(user)
    await rows_show(user, agent.email)
    open_row(user, agent.email)
    await user.should_see('Save changes')
    user.find(kind=ui.input, content='Name *').clear().type('Casey C. Renamed')

    other_admin = make_user('admin', email='other.admin@example.com')
    with session_scope() as session:  # the other admin saves first
        service.update_user(session=session, actor=other_admin, user_id=agent.id, version=agent.version, role='viewer')

    user.find('Save changes').click()
    await user.should_see(f'changed by {other_admin.name}')
    assert staff_named(agent.email).name == 'Casey Contested'  # nothing overwritten
    user.find(kind=ui.button, content='Reload').click()
    user.find('Save changes').click()
    await user.should_see('Changes saved')
    saved = staff_named(agent.email)
    assert (saved.name, saved.role) == ('Casey C. Renamed', 'viewer')  # both changes kept


async def test_reset_password_emails_a_link_that_works_once_and_the_old_password_stops_working(
    user: User, monkeypatch
) -> None:
    """The reset showed the admin a new password to pass on by hand, and told the person nothing: now the person is
    emailed a one-time link to choose their own, and the admin's screen says so."""
    agent = make_user('agent', email='forgetful@example.com', name='Zoë "Zed" <b>Ü</b>: O\'Brien')
    admin = await open_users_as_admin(user)
    mail_set_up(monkeypatch, admin)
    await rows_show(user, agent.email)
    open_row(user, agent.email)
    user.find(kind=ui.button, content='Reset password').click()
    await user.should_see(marker='confirm-action')
    user.find(marker='confirm-action').click()
    await user.should_see('An email was sent to forgetful@example.com with a link to choose a new password')
    await user.should_not_see(marker='generated-password')  # no password shown to the admin
    assert not auth.sign_in(email=agent.email, password=PASSWORD, address=None).ok
    with session_scope() as session:
        [mail] = session.exec(select(StaffMail).where(StaffMail.to_address == agent.email)).all()
    assert mail.subject == 'Your Backoffice password was reset'
    assert 'the link works once, for 24 hours' in mail.body and "O'Brien" not in mail.subject
    token = re.search(r'/reset-password\?token=([\w%-]+)', mail.body).group(1)
    assert password_reset.user_of_link(token).id == agent.id
    password_reset.reset_with_link(token=token, new=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert auth.sign_in(email=agent.email, password=NEW_PASSWORD, address=None).ok
    with pytest.raises(ValidationFailed, match='expired or was already used'):
        password_reset.reset_with_link(token=token, new=NEW_PASSWORD + 'x', confirm=NEW_PASSWORD + 'x')


async def test_reset_password_without_outbound_mail_shows_the_admin_a_password_once_and_says_why(user: User) -> None:
    """Without a mail server the link would wait in the outbox while the admin read "An email was sent": the reset
    then shows a new password once, as adding a member of staff does, saying why."""
    agent = make_user('agent', email='no.mail@example.com', name='Zoë "Zed" <b>Ü</b>: O\'Brien')
    await open_users_as_admin(user)
    await rows_show(user, agent.email)
    open_row(user, agent.email)
    user.find(kind=ui.button, content='Reset password').click()
    await user.should_see(marker='confirm-action')
    user.find(marker='confirm-action').click()
    await user.should_see('Outbound mail is not set up')
    await user.should_see('Pass this password on to them safely instead.')
    await user.should_not_see('An email was sent')
    shown = user.find(marker='generated-password').elements.pop()
    password = getattr(shown, 'value', None) or getattr(shown, 'text', '')
    assert auth.sign_in(email=agent.email, password=password, address=None).ok
    assert not auth.sign_in(email=agent.email, password=PASSWORD, address=None).ok
    assert mails_to(agent.email) == []


async def test_search_narrows_the_list(user: User) -> None:
    make_user('agent', email='zoe.zimmer@example.com', name='Zoe Zimmer')
    make_user('agent', email='yann.young@example.com', name='Yann Young')
    await open_users_as_admin(user)
    await rows_show(user, 'yann.young@example.com')
    user.find(marker='search').type('zimm')
    await rows_show(user, 'zoe.zimmer@example.com', absent=('yann.young@example.com',))
    await eventually(lambda: caption(user) == '1 staff user')  # as '8 staff users' says it, not '1 user'


def test_the_users_count_names_them_alike_in_one_and_many_in_english_and_french() -> None:
    count = resource('users').wording.count
    with i18n.use('en'):
        assert [count(1).format(n=1), count(8).format(n=8)] == ['1 staff user', '8 staff users']
    with i18n.use('fr'):
        assert [count(1).format(n=1), count(8).format(n=8)] == ['1 utilisateur', '8 utilisateurs']


async def test_the_list_says_since_when_each_user_signs_in_with_two_factor(user: User) -> None:
    """An admin checking who still signs in with a password alone opened each user's page, one by one."""
    careful, careless = (
        make_user('agent', email='careful@example.com'),
        make_user('agent', email='careless@example.com'),
    )
    enrol(careful)
    await open_users_as_admin(user)
    await rows_show(user, 'careful@example.com', 'careless@example.com')
    rows = {row['email']: row for row in the_list(user).rows}
    assert rows['careful@example.com']['totp_enabled_at'] and not rows['careless@example.com']['totp_enabled_at']
    assert careless.totp_enabled_at is None


async def test_an_admin_is_not_offered_to_deactivate_or_reset_their_own_account_and_is_refused_anyway(
    user: User,
) -> None:
    """Reset password and Deactivate were offered on one's own row and page, and refused once pressed ("To change your
    own password, use…"): they are no longer offered there; called anyway, the server still refuses them and the
    admin's password and session are kept."""
    admin = await open_users_as_admin(user)
    colleague = make_user('agent', email='colleague@example.com', name='Col "Lea" <b>g</b>: ü')
    open_row(user, admin.email)
    await user.should_see('Save changes')
    await user.should_not_see('Reset password')
    await user.should_not_see('Deactivate')
    await user.open(f'/users/{admin.id}')
    await user.should_see(admin.email, retries=40)
    await user.should_not_see(marker='action-reset-password')
    await user.should_not_see(marker='action-deactivate')
    await user.open(f'/users/{colleague.id}')  # someone else's page still offers both
    await user.should_see(marker='action-reset-password', retries=40)
    await user.should_see(marker='action-deactivate')
    me = staff_named(admin.email)
    with session_scope() as session, pytest.raises(ValidationFailed, match='use "Change password" in your user menu'):
        service.send_password_reset(session=session, actor=me, user_id=me.id, version=me.version, base_url='http://x')
    with session_scope() as session, pytest.raises(ValidationFailed, match='cannot deactivate your own account'):
        service.set_active(session=session, actor=me, user_id=me.id, version=me.version, active=False)
    assert auth.sign_in(email=admin.email, password=PASSWORD, address=None).ok  # the password they know still works
    assert staff_named(admin.email).is_active
    await user.open('/users')
    await user.should_see('Staff users')  # still signed in


async def test_a_staff_members_page_offers_deactivate_and_reset_password_as_buttons(user: User) -> None:
    """On /users/{id} the declared actions were reachable only inside the list's edit dialog."""
    agent = make_user('agent', email='on.leave@example.com', name='Ann "Leave" <i>é</i>: x')
    await open_users_as_admin(user)
    await user.open(f'/users/{agent.id}')
    await user.should_see(marker='action-reset-password', retries=40)
    await user.should_not_see(marker='action-reactivate')
    user.find(marker='action-deactivate').click()
    await user.should_see(marker='confirm-action')
    user.find(marker='confirm-action').click()
    await user.should_see('on.leave@example.com was deactivated', retries=40)
    await user.should_see(marker='action-reactivate', retries=40)
    assert not staff_named(agent.email).is_active


async def test_a_staff_manager_opens_an_admins_record_read_only_without_actions_they_would_be_refused(
    user: User,
) -> None:
    """A custom role with users.manage may not change, deactivate or reset an admin (whose role holds rights theirs
    does not): the admin's record offered Save changes, Deactivate and Reset password, each refused once pressed. It
    opens read-only now, with Close only, and their page offers no Reset two-factor sign-in; a colleague within their
    reach still offers them."""
    lead = make_user(make_role('users.manage').key, email='lead@example.com', name='Lead "Desk": <script>x</script>')
    admin = make_user('admin', email='boss@example.com', name='Boss "Admin": <b>b</b>')
    peer = make_user(make_role('users.manage').key, email='peer@example.com', name="Peer 'Two': <i>p</i>")
    await signed_in(user, lead.email, path='/users')
    await rows_show(user, admin.email, peer.email)
    open_row(user, admin.email)
    await user.should_see('Close')
    for refused in ('Save changes', 'Deactivate', 'Reset password'):
        await user.should_not_see(refused)
    enrol(staff_named(admin.email))
    await user.open(f'/users/{admin.id}')  # their page: no Deactivate, no Reset password, no Reset two-factor sign-in
    await user.should_see(marker='two-factor-on', retries=40)
    for refused in ('action-deactivate', 'action-reset-password', 'reset-two-factor'):
        await user.should_not_see(marker=refused)
    await user.open('/users')
    await rows_show(user, peer.email)
    open_row(user, peer.email)
    await user.should_see('Save changes')
    await user.should_see('Deactivate')
    with session_scope() as session, pytest.raises(ValidationFailed, match='ask an admin'):
        service.set_active(
            session=session,
            actor=staff_named(lead.email),
            user_id=admin.id,
            version=staff_named(admin.email).version,
            active=False,
        )


async def test_a_deactivated_staff_members_page_says_so_until_reactivated(user: User) -> None:
    agent = make_user('agent', email='gone.quiet@example.com', name='Gus "Gone" <script>x</script>: ü')
    await open_users_as_admin(user)
    await user.open(f'/users/{agent.id}')
    await user.should_see(marker='action-deactivate', retries=40)
    await user.should_not_see(marker='user-deactivated')
    user.find(marker='action-deactivate').click()
    await user.should_see(marker='confirm-action')
    user.find(marker='confirm-action').click()
    await user.should_see('Deactivated: cannot sign in', retries=40)
    await user.open(f'/users/{agent.id}')  # and so it stays
    await user.should_see('Deactivated: cannot sign in', retries=40)
    user.find(marker='action-reactivate').click()
    await user.should_see(marker='action-deactivate', retries=40)
    await user.should_not_see('Deactivated: cannot sign in')


async def test_a_staff_members_page_says_their_invitation_is_pending_until_when_and_offers_to_send_it_again(
    user: User, monkeypatch
) -> None:
    """/users/{id} said nothing of an invitation not accepted yet (only the list's column did): it says when it was
    sent and until when its link works, that it expired unanswered, and follows a colleague's resend live."""
    admin = make_user('admin', email='inviting.admin@example.com', name='Ada "Admin": <b>a</b>')
    colleague = make_user('admin', email='other.admin@example.com', name="Oli 'Other': <i>o</i>")
    mail_set_up(monkeypatch, admin)
    with session_scope() as session:
        invited = service.create_user(
            session=session,
            actor=admin,
            data={
                'email': 'pending@example.com',
                'name': 'Pat "Pending" <script>x</script>: ü',
                'role': 'agent',
                'invite': True,
            },
            base_url='http://testserver',
        ).user
    await signed_in(user, admin.email, path=f'/users/{invited.id}')
    await user.should_see(marker='user-invitation', retries=40)
    said = user.find(marker='user-invitation').elements.pop().text
    assert 'not accepted yet' in said and 'its link works until' in said, said
    await user.should_see(marker='action-resend-invitation')

    with session_scope() as session:  # the link runs out unanswered
        expired = session.get(StaffUser, invited.id)
        expired.invited_until = expired.invited_until - timedelta(hours=80)
        session.add(expired)
        session.commit()
    await user.open(f'/users/{invited.id}')
    await user.should_see('without being accepted: send it again for a new link', retries=40)

    with session_scope() as session:  # a colleague sends it again while the page is open
        service.resend_invitation(
            session=session,
            actor=colleague,
            user_id=invited.id,
            version=session.get(StaffUser, invited.id).version,
            base_url='http://testserver',
        )
    await user.should_see('not accepted yet', retries=40)
    await user.should_not_see('without being accepted')

    token = token_in(mails_to('pending@example.com')[-1])  # they chose a password: nothing pending any more
    password_reset.reset_with_link(token=token, new=NEW_PASSWORD, confirm=NEW_PASSWORD)
    await user.open(f'/users/{invited.id}')
    await user.should_see(marker='action-reset-password', retries=40)
    await user.should_not_see(marker='user-invitation')
