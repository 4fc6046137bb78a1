"""Benchmark of what custom roles add to every request: the roles table's stamp read by `roles.sync` when nothing
changed, the re-read after a change, and a permission check of a custom role's holder (python bench/role_sync.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from backoffice import db  # noqa: E402
from backoffice.db import read_session  # noqa: E402
from backoffice.models import Role, StaffRole, User  # noqa: E402
from backoffice.permissions import PERMISSIONS, can  # noqa: E402
from backoffice.services import roles  # noqa: E402
from bench._harness import add_database_options, open_database, timed  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--roles', type=int, default=50, help='custom roles in the table')
    add_database_options(parser, 'roles')
    args = parser.parse_args()
    open_database(args, 'roles')
    names = sorted(PERMISSIONS)
    with db.session_scope() as session:
        for number in range(args.roles):
            granted = names[number % len(names) :] or names
            session.add(StaffRole(key=f'custom-{number + 1}', name=f'Role {number + 1}', permissions=granted))
        session.commit()
    holder = User(email='bench@example.com', name='Bench', role='custom-1', password_hash='-', is_active=True)
    admin = User(email='admin@example.com', name='Admin', role=Role.admin, password_hash='-', is_active=True)

    def unchanged() -> None:
        with read_session() as session:
            roles.sync(session)

    def after_a_change() -> None:
        roles.forget()
        unchanged()

    unchanged()
    for label, call in (
        ('sync, nothing changed (every request)', unchanged),
        (f'sync after a change ({args.roles} roles re-read)', after_a_change),
        ('can(): a custom role, 26 permissions', lambda: [can(holder, p) for p in names]),
        ('can(): a built-in role, 26 permissions', lambda: [can(admin, p) for p in names]),
    ):
        median, p90, _ = timed(call, args.runs)
        print(f'{label:<48} median {median:7.3f} ms   p90 {p90:7.3f} ms')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
