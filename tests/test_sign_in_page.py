"""Signing in and out through the pages, as a member of staff would."""

from datetime import timedelta

from nicegui.testing import User

from backoffice import auth
from backoffice.models import utcnow
from components.session import client_storage

from .support.factories import make_user, submit_request
from .support.signin import sign_in


async def test_anonymous_visitor_signs_in_and_returns_to_the_page_asked_for(user: User) -> None:
    admin = make_user('admin')
    await user.open('/users')
    await user.should_see('Log in')
    user.find('Email').type(admin.email)
    user.find('Password').type('Correct-horse-9')
    user.find('Log in').click()
    await user.should_see('Staff users', retries=50)  # via /login/continue: one more HTTP request
    user.find(marker='account').click()  # the user menu says who is signed in
    await user.should_see(admin.email)


async def test_wrong_password_is_refused_with_a_message_that_does_not_reveal_the_account(user: User) -> None:
    staff = make_user('agent')
    await sign_in(user, staff.email, 'not-the-password')
    await user.should_see('Email or password is incorrect.')
    await sign_in(user, 'nobody@example.com', 'not-the-password')
    await user.should_see('Email or password is incorrect.')
    await user.should_not_see('Welcome')


async def test_after_five_failures_the_screen_says_to_wait(user: User) -> None:
    staff = make_user('agent')
    for _ in range(5):
        await sign_in(user, staff.email, 'wrong-password-x')
    await user.should_see('Too many failed sign-ins')
    await sign_in(user, staff.email)  # even the right password waits for the lock to end
    await user.should_see('Too many failed sign-ins. Try again in')
    await user.should_not_see('Welcome')


async def test_a_redirect_to_another_site_is_ignored(user: User) -> None:
    staff = make_user('agent')
    await sign_in(user, staff.email, path='//evil.example/steal')
    await user.should_see('Welcome')
    assert user.client.page.path == '/'  # the dashboard (reached through /login/continue, which redirects)


async def test_an_idle_session_expires(user: User, monkeypatch) -> None:
    staff = make_user('agent')
    await sign_in(user, staff.email)
    await user.should_see('Welcome')
    later = utcnow() + timedelta(hours=3)
    monkeypatch.setattr(auth, 'utcnow', lambda: later)
    await user.open('/')
    await user.should_see('Log in')


async def test_logging_out_ends_the_session_in_every_browser(user: User, create_user) -> None:
    staff = make_user('manager')
    other_browser = create_user()
    await sign_in(user, staff.email)
    await user.should_see('Welcome')
    await sign_in(other_browser, staff.email)
    await other_browser.should_see('Welcome')

    user.find(marker='account').click()  # the user menu, built on its opening
    user.find(marker='log-out').click()
    await user.should_see('Log in')
    # (that the other browser's open page is sent to /login at once is shown in Chromium: the simulation has one
    # global ui.navigate for all simulated users)
    await other_browser.open('/')
    await other_browser.should_see('Log in')


async def test_a_deactivated_user_cannot_sign_in(user: User) -> None:
    staff = make_user('agent', active=False)
    await sign_in(user, staff.email)
    await user.should_see('This account is deactivated')


async def test_a_request_left_open_until_the_session_went_idle_is_back_after_signing_in_again(user: User) -> None:
    """The agent's click on a request they left open too long asks them to sign in again, and then shows that very
    request: its address, '/requests/1001', not its page's pattern ('There is no request #{number}.' before)."""
    agent = make_user('agent')
    ticket = submit_request('Parcel "late": <script>x</script> {number}')
    await sign_in(user, agent.email, path=f'/requests/{ticket.number}')
    await user.should_see('Parcel "late": <script>x</script> {number}')
    with user.client:  # last seen three hours ago: the session has gone idle meanwhile
        client_storage()['last_seen'] = (utcnow() - timedelta(hours=3)).isoformat()
    user.find(marker='dark-mode').click()  # the agent acts again
    await user.should_see('Log in', retries=50)
    user.find('Email').type(agent.email)
    user.find('Password').type('Correct-horse-9')
    user.find('Log in').click()
    await user.should_see('Parcel "late": <script>x</script> {number}', retries=50)
    assert user.client.request.url.path == f'/requests/{ticket.number}'
