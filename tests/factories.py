"""Test data made through the real services, so it is exactly what the app would have written."""

from __future__ import annotations

import itertools

from backoffice.db import session_scope
from backoffice.models import Role, User
from backoffice.services import users

PASSWORD = 'Correct-horse-9'
_numbers = itertools.count(1)

NAMES = {Role.admin: 'Ada Admin', Role.manager: 'Max Manager', Role.agent: 'Alex Agent', Role.viewer: 'Vic Viewer'}


def make_user(role: Role | str = Role.agent, *, email: str | None = None, name: str | None = None,
              password: str = PASSWORD, active: bool = True) -> User:
    role = Role(role)
    number = next(_numbers)
    with session_scope() as session:
        created = users.create_user(session=session, actor=None, system=True, data={
            'email': email or f'{role.value}{number}@example.com', 'name': name or NAMES[role], 'role': role,
            'password': password})
        user = created.user
        if not active:
            user.is_active = False
            session.add(user)
            session.commit()
        return user


def make_customer(email: str, *, name: str = '', status: str = 'active', company_id: int | None = None,
                  consent: bool = False):
    from backoffice.resources import resource
    from backoffice.services import crud
    with session_scope() as session:
        return crud.create_record(session=session, actor=None, system=True, resource=resource('customers'), data={
            'email': email, 'name': name, 'status': status, 'company_id': company_id, 'marketing_consent': consent})


def make_company(name: str):
    from backoffice.resources import resource
    from backoffice.services import crud
    with session_scope() as session:
        return crud.create_record(session=session, actor=None, system=True, resource=resource('companies'),
                                  data={'name': name})
