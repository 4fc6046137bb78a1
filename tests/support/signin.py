"""Signing in through the login page in NiceGUI's simulated browser, as a person would."""

from __future__ import annotations

from nicegui.testing import User as SimulatedUser

from .factories import PASSWORD
from .waiting import eventually


async def sign_in(user: SimulatedUser, email: str, password: str = PASSWORD, *, path: str = '/') -> None:
    """Open the login page (asking to come back to `path`), type the credentials, press "Log in" and wait until the
    attempt has ended (the button stops spinning): on success the browser is then on `path`, else on the form."""
    await user.open(f'/login?redirect_to={path}' if path != '/' else '/login')
    user.find('Email').type(email)
    user.find('Password').type(password)
    button = user.find('Log in')
    element = next(iter(button.elements))
    button.click()
    try:  # the attempt may start and end between two looks: not seeing it start is fine
        await eventually(lambda: element.props.get('loading'), timeout=0.5)
    except AssertionError:
        pass
    await eventually(lambda: not element.props.get('loading'), message='the sign-in attempt ends')
