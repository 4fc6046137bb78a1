"""A manager whose language is French, for browser tests that look at a screen as a French reader does (the admin of
the other tests stays English), and the page's text as such a test reads it."""

from __future__ import annotations

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from backoffice.db import session_scope
from backoffice.models import User
from backoffice.services import users


def french_manager(email: str, password: str, name: str = 'Amélie "A" Roux') -> User:
    """Made once on the configured database (`db.configure(server.database_url)` first); the one made before is given
    back as it is when the test runs again on the same server."""
    with session_scope() as session:
        existing = session.exec(select(User).where(User.email == email)).first()
        if existing is not None:
            return existing
        made = users.create_user(
            session=session,
            actor=None,
            system=True,
            data={'email': email, 'name': name, 'role': 'manager', 'password': password},
        )
        users.set_language(session=session, actor=made.user, language='fr')
        return made.user


def page_text(driver: WebDriver) -> str:
    """The page's text with French spaces (narrow and non-breaking) read as plain spaces."""
    return driver.find_element(By.TAG_NAME, 'body').text.replace('\u202f', ' ').replace('\xa0', ' ')
