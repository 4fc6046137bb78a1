"""The frame around every page: dark mode remembered per user, the user menu's password change."""

from nicegui import ui
from nicegui.testing import User

from backoffice import auth
from backoffice.db import session_scope
from backoffice.models import User as Staff

from .support.factories import PASSWORD, make_user
from .support.signin import signed_in


async def test_dark_mode_is_remembered_for_the_user(user: User, create_user) -> None:
    staff = make_user('agent')
    await signed_in(user, staff.email)
    await user.should_see('Welcome')
    user.find(marker='dark-mode').click()
    with session_scope() as session:
        assert session.get(Staff, staff.id).dark_mode is True
    elsewhere = create_user()  # another device of the same person
    await signed_in(elsewhere, staff.email)
    await elsewhere.should_see('Welcome')
    assert elsewhere.find(kind=ui.dark_mode).elements.pop().value is True


async def test_changing_the_password_keeps_this_session_and_checks_every_field(user: User) -> None:
    staff = make_user('viewer', email='vic@example.com')
    await signed_in(user, staff.email)
    await user.should_see('Welcome')
    user.find(marker='account').click()  # the user menu, built on its opening
    user.find(marker='change-password').click()
    user.find('Current password').type('wrong-password')
    user.find('New password').type('short')
    user.find('Repeat new password').type('different')
    user.find(kind=ui.button, content='Change password').click()
    await user.should_see('This is not your current password')
    await user.should_see('Use at least 10 characters')
    await user.should_see('The two passwords differ')

    user.find('Current password').clear().type(PASSWORD)
    user.find('New password').clear().type('A-much-better-passphrase')
    user.find('Repeat new password').clear().type('A-much-better-passphrase')
    user.find(kind=ui.button, content='Change password').click()
    await user.should_see('Password changed')
    assert auth.sign_in(email=staff.email, password='A-much-better-passphrase', address=None).ok
    await user.open('/')
    await user.should_see('Welcome')  # this browser stayed signed in


async def test_the_change_password_dialog_cannot_be_used_to_guess_the_current_password(user: User) -> None:
    staff = make_user('viewer', email='vic@example.com')
    await signed_in(user, staff.email)
    await user.should_see('Welcome')
    user.find(marker='account').click()  # the user menu, built on its opening
    user.find(marker='change-password').click()
    user.find('New password').type('A-much-better-passphrase')
    user.find('Repeat new password').type('A-much-better-passphrase')
    for guess in range(4):
        user.find('Current password').clear().type(f'Guess-"{guess}": <script>')
        user.find(kind=ui.button, content='Change password').click()
        await user.should_see('This is not your current password')
    user.find('Current password').clear().type('Guess-"5": <script>')
    user.find(kind=ui.button, content='Change password').click()
    await user.should_see('Too many wrong passwords. Try again in 30 seconds.')

    user.find('Current password').clear().type(PASSWORD)  # even the right one waits now
    user.find(kind=ui.button, content='Change password').click()
    await user.should_see('Too many wrong passwords. Try again in')
    await user.should_not_see('Password changed')
    assert auth.sign_in(email=staff.email, password=PASSWORD, address=None).ok
    assert not auth.sign_in(email=staff.email, password='A-much-better-passphrase', address=None).ok
