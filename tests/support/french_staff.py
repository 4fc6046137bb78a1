"""A manager whose language is French, for browser tests that look at a screen as a French reader does (the admin of
the other tests stays English)."""

from __future__ import annotations

from sqlmodel import select

from backoffice.db import session_scope
from backoffice.models import User
from backoffice.services import users


def french_manager(email: str, password: str, name: str = 'Amélie "A" Roux') -> None:
    """Made once on the configured database (`db.configure(server.database_url)` first)."""
    with session_scope() as session:
        if session.exec(select(User).where(User.email == email)).first() is None:
            made = users.create_user(
                session=session,
                actor=None,
                system=True,
                data={'email': email, 'name': name, 'role': 'manager', 'password': password},
            )
            users.set_language(session=session, actor=made.user, language='fr')
