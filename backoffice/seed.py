"""Deterministic demo and benchmark data: the same seed gives the same shop."""

from __future__ import annotations

from sqlmodel import Session, select

from . import auth
from .models import Role, User
from .services import users

DEMO_STAFF = [
    ('Maria Lopez', 'maria.lopez@example.com', Role.manager),
    ('Sam Okafor', 'sam.okafor@example.com', Role.agent),
    ('Lea Schmidt', 'lea.schmidt@example.com', Role.agent),
    ('Tom Becker', 'tom.becker@example.com', Role.agent),
    ('Yuki Tanaka', 'yuki.tanaka@example.com', Role.viewer),
]


def demo_is_seeded(*, session: Session) -> bool:
    return session.exec(select(User.id).where(User.email == DEMO_STAFF[0][1])).first() is not None


def seed_demo(*, session: Session, seed: int = 1) -> list[str]:
    """A realistic small team; later domains (customers, orders, requests) add their rows here, drawn from `seed`."""
    password = auth.generate_password()
    for name, email, role in DEMO_STAFF:
        if session.exec(select(User.id).where(User.email == email)).first() is None:
            users.create_user(session=session, actor=None, system=True,
                              data={'email': email, 'name': name, 'role': role, 'password': password})
    return [f'Demo staff ({", ".join(f"{e} ({r.value})" for _, e, r in DEMO_STAFF)}) share the password {password}']
