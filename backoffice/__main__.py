"""The admin command line: python -m backoffice migrate | create-user | seed."""

from __future__ import annotations

import argparse
import sys

from . import db
from .config import load_settings
from .errors import ValidationFailed
from .models import Role


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m backoffice', description='Backoffice administration')
    commands = parser.add_subparsers(dest='command', required=True)
    commands.add_parser('migrate', help='bring the database schema up to date')
    create = commands.add_parser('create-user', help='add a member of staff')
    create.add_argument('--email', required=True)
    create.add_argument('--name', help='defaults to the part of the email before @')
    create.add_argument('--role', required=True, choices=[r.value for r in Role])
    create.add_argument('--password-stdin', action='store_true',
                        help='read the password from standard input (else one is generated and printed once)')
    seed = commands.add_parser('seed', help='fill the database with deterministic demo data')
    seed.add_argument('--seed', type=int, default=1)
    args = parser.parse_args(argv)

    settings = load_settings()
    db.configure(settings.database_url)
    db.migrate()
    if args.command == 'migrate':
        print(f'Database schema is up to date ({_safe_url(settings.database_url)}).')
        return 0
    if args.command == 'create-user':
        return _create_user(args)
    if args.command == 'seed':
        from .seed import seed_demo
        with db.session_scope() as session:
            for line in seed_demo(session=session, seed=args.seed):
                print(line)
        return 0
    return 2


def _create_user(args: argparse.Namespace) -> int:
    from .services import users
    password = sys.stdin.readline().rstrip('\n') if args.password_stdin else None
    data = {'email': args.email, 'name': args.name or args.email.split('@')[0], 'role': args.role,
            'password': password}
    try:
        with db.session_scope() as session:
            created = users.create_user(session=session, actor=None, system=True, data=data)
    except ValidationFailed as error:
        for field, message in error.errors.items():
            print(f'{field or "error"}: {message}', file=sys.stderr)
        return 1
    print(f'Created {created.user.email} ({created.user.role.value}).')
    if created.generated_password:
        print(f'Password (shown once): {created.generated_password}')
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


if __name__ == '__main__':
    raise SystemExit(main())
