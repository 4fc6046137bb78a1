"""The admin command line: python -m backoffice migrate | create-user | unlock-sign-in | seed | create-api-key |
kpi-refresh | backup | restore | copy-database.

Each command imports what it uses, when it runs: `--help` or a mistyped argument answers without importing SQLAlchemy
or the models (about 1.3 s of CPU), `migrate` without the services (tests/test_cli.py checks both)."""

from __future__ import annotations

import argparse
import sys
import time


class _RolesInHelp(argparse.HelpFormatter):
    """create-user's help lists the roles when it is printed (the models are imported then, not for every command)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = super()._get_help_string(action)
        if text and action.dest == 'role':
            from backoffice.models import Role

            text = text.replace('{roles}', ', '.join(r.value for r in Role))
        return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m backoffice', description='Backoffice administration')
    commands = parser.add_subparsers(dest='command', required=True)
    commands.add_parser('migrate', help='bring the database schema up to date')
    new_migration = commands.add_parser(
        'new-migration', help='write the next numbered migration from what the models changed (make migration m="...")'
    )
    new_migration.add_argument('message', help='what the migration does, in a few words')
    create = commands.add_parser('create-user', help='add a member of staff', formatter_class=_RolesInHelp)
    create.add_argument('--email', required=True)
    create.add_argument('--name', help='defaults to the part of the email before @')
    create.add_argument('--role', required=True, help="{roles}, or a custom role's key (custom-3) or name")
    create.add_argument(
        '--password-stdin',
        action='store_true',
        help='read the password from standard input (else one is generated and printed once)',
    )
    unlock = commands.add_parser(
        'unlock-sign-in', help='clear the sign-in locks of an email (and of the addresses its failures came from)'
    )
    unlock.add_argument('--email', required=True)
    seed = commands.add_parser(
        'seed',
        help='fill the database with deterministic demo data (staff and a small shop), '
        'or with --customers/--companies/--orders only those, in bulk',
    )
    seed.add_argument('--seed', type=int, default=1, help='the same seed (on the same day) gives the same data')
    seed.add_argument('--customers', type=number_of_rows, help='add this many customers (1000000 for the benchmark)')
    seed.add_argument('--companies', type=number_of_rows, help='add this many companies (default: 1 per 200 customers)')
    seed.add_argument(
        '--orders',
        type=number_of_rows,
        help='add this many orders over the last year, with lines, payments and shipments (1000000 for the benchmark)',
    )
    api_key = commands.add_parser(
        'create-api-key', help='add an API key for a front office; its secret is printed once'
    )
    api_key.add_argument('--name', required=True, help='who uses the key, e.g. "Web shop"')
    api_key.add_argument(
        '--scopes',
        required=True,
        help='comma-separated: requests:write,events:write,orders:write,customers:seen,customers:read,'
        'acceptances:write, and per resource for /api/v1: read:customers, write:orders…',
    )
    api_key.add_argument(
        '--as', dest='acting_as', help="the staff member's email whose permissions its /api/v1 calls use"
    )
    commands.add_parser('backup', help='copy the whole database into <data>/backups (online; keeps the last 14)')
    restore = commands.add_parser(
        'restore', help='replace the database with a backup file, the current one kept first (stop the app first)'
    )
    restore.add_argument('file', help='a backup from <data>/backups (.db for SQLite, .dump for PostgreSQL)')
    restore.add_argument('--yes', action='store_true', help='do not ask for confirmation')
    copy = commands.add_parser(
        'copy-database',
        help='copy the whole database into another one, e.g. from SQLite onto PostgreSQL (stop the app first)',
    )
    copy.add_argument('--to', required=True, metavar='URL', help='the target, e.g. postgresql+psycopg://user@host/db')
    copy.add_argument('--replace', action='store_true', help='delete the rows the target holds first')
    kpis = commands.add_parser(
        'kpi-refresh',
        help="bring today's KPIs up to date (what the app does every minute), or with --full recompute the last days",
    )
    kpis.add_argument('--full', action='store_true', help='recompute every KPI for the last --days days')
    kpis.add_argument('--days', type=number_of_rows, default=35, help='with --full: how many days up to today')
    args = parser.parse_args(argv)

    from backoffice import db
    from backoffice.config import load_settings
    from backoffice.private_files import private_folder

    settings = load_settings()
    private_folder(settings.data_dir)  # 0700: the database, its backups and the secrets are for this app's user only
    if args.command == 'restore':  # before migrating: the file may hold an older schema, migrated right after
        return _restore(args, settings)
    if args.command == 'new-migration':  # compared on a scratch database: the configured one is left alone
        print(f'Wrote {db.new_migration(args.message)}: review it before committing.')
        return 0
    db.configure(settings.database_url)
    db.migrate()
    if args.command == 'migrate':
        print(f'Database schema is up to date ({_safe_url(settings.database_url)}).')
        return 0
    if args.command == 'create-user':
        return _create_user(args)
    if args.command == 'unlock-sign-in':
        from backoffice import auth

        print(f'Cleared {auth.unlock_sign_in(args.email)} sign-in lock(s) for {args.email.strip().lower()}.')
        return 0
    if args.command == 'seed':
        return _seed(args)
    if args.command == 'create-api-key':
        return _create_api_key(args)
    if args.command == 'backup':
        return _backup(settings)
    if args.command == 'kpi-refresh':
        return _kpi_refresh(args)
    if args.command == 'copy-database':
        return _copy_database(args, settings)
    return 2


def _copy_database(args: argparse.Namespace, settings) -> int:
    from backoffice import database_copy, db

    print(f'Copying {_safe_url(settings.database_url)} to {database_copy.safe_url(args.to)}…', flush=True)
    try:
        copied = database_copy.copy_database(
            db.get_engine(), args.to, replace=args.replace, progress=lambda line: print(line, flush=True)
        )
    except database_copy.CopyRefused as error:
        print(error, file=sys.stderr)
        return 1
    print(copied.summary())
    print(database_copy.FILES_NOTE.format(data_dir=settings.data_dir.resolve()))
    print('Set BACKOFFICE_DATABASE_URL to the new database before starting the app.')
    return 0


def _kpi_refresh(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from backoffice.kpi import days, refresh

    started = time.perf_counter()
    if args.full:
        first = days.today('UTC') - timedelta(days=max(args.days, 1))  # a day early: the shop's zone may be ahead
        rows = refresh.run_job('kpi-full', lambda: refresh.recompute(first=first))
    else:
        rows = refresh.run_job('kpi-refresh', refresh.refresh_incremental)
    print(f'Wrote {rows:,} daily KPI values in {time.perf_counter() - started:.2f} s.')
    return 0


def _backup(settings) -> int:
    from backoffice import db
    from backoffice.services import backups

    try:
        with db.session_scope() as session:
            backup = backups.take_backup(session=session, actor=None, settings=settings)
    except backups.BackupFailed as error:
        print(error, file=sys.stderr)
        return 1
    print(f'Backup written: {backup.path} ({backup.size:,} bytes).')
    return 0


def _restore(args: argparse.Namespace, settings) -> int:
    from pathlib import Path

    from backoffice import db
    from backoffice.services import backups

    path = Path(args.file)
    if not path.is_file():
        print(f'No such file: {path}', file=sys.stderr)
        return 1
    if not args.yes:
        try:
            answer = input(
                f'Replace the database ({_safe_url(settings.database_url)}) with {path.name}? '
                'Stop the app first. Type yes: '
            )
        except EOFError:  # no terminal to ask at (a script, cron, ssh without -t): say how, not a traceback
            print('\nNothing changed: nobody answered. To restore without the question, add --yes.', file=sys.stderr)
            return 1
        if answer.strip().lower() != 'yes':
            print('Nothing changed.')
            return 1
    try:
        backups.check_restorable(path, settings)  # a file refused touches nothing, and takes no backup
    except backups.BackupFailed as error:
        print(error, file=sys.stderr)
        return 1
    try:
        kept = backups.keep_current_state(settings, restoring=path)
    except backups.BackupFailed as error:  # a damaged database is what a restore is for: restored all the same
        print(f'The current database could not be kept first ({error}); restoring all the same.', file=sys.stderr)
    else:
        if kept is not None:
            print(f'Kept the current state first, the way back: {kept.path}')
    try:
        backups.restore(path, settings)
    except backups.BackupFailed as error:
        print(error, file=sys.stderr)
        return 1
    db.configure(settings.database_url)
    db.migrate()
    with db.session_scope() as session:
        backups.record_restored_by_command(session, path.name)
    print(f'Restored {path.name}; the schema is up to date. Start the app again.')
    return 0


def _seed(args: argparse.Namespace) -> int:
    import backoffice.resources  # noqa: F401  the demo's pages are made through the resource engine
    from backoffice import db
    from backoffice.seed.demo import seed_demo
    from backoffice.seed.people import seed_customers

    if args.orders is not None:
        return _seed_orders(args)
    with db.session_scope() as session:
        if args.customers is None and args.companies is None:
            lines = seed_demo(session=session, seed=args.seed)
        else:
            customers = args.customers or 0
            companies = args.companies if args.companies is not None else customers // 200
            started = time.perf_counter()
            seeded = seed_customers(session=session, customers=customers, companies=companies, seed=args.seed)
            lines = [
                f'Added {seeded.customers:,} customers and {seeded.companies:,} companies '
                f'in {time.perf_counter() - started:.1f} s (seed {args.seed}).'
            ]
    for line in lines:
        print(line)
    return 0


def _seed_orders(args: argparse.Namespace) -> int:
    from backoffice import db
    from backoffice.seed.orders import seed_orders_for_benchmark

    with db.session_scope() as session:
        lines = seed_orders_for_benchmark(
            session=session, orders=args.orders, seed=args.seed, customers=args.customers, companies=args.companies
        )
    for line in lines:
        print(line)
    return 0


def number_of_rows(value: str) -> int:
    number = int(value.replace('_', '').replace(',', ''))
    if number < 0:
        raise argparse.ArgumentTypeError('must be 0 or more')
    return number


def _create_user(args: argparse.Namespace) -> int:
    from backoffice import db
    from backoffice.errors import ValidationFailed
    from backoffice.services import users

    password = sys.stdin.readline().rstrip('\n') if args.password_stdin else None
    data = {'email': args.email, 'name': args.name or args.email.split('@')[0], 'role': args.role, 'password': password}
    try:
        with db.session_scope() as session:
            created = users.create_user(session=session, actor=None, system=True, data=data)
    except ValidationFailed as error:
        for field, message in error.errors.items():
            print(f'{field or "error"}: {message}', file=sys.stderr)
        return 1
    print(f'Created {created.user.email} ({created.user.role}).')
    if created.generated_password:
        print(f'Password (shown once): {created.generated_password}')
    return 0


def _create_api_key(args: argparse.Namespace) -> int:
    from sqlmodel import func, select

    import backoffice.resources  # noqa: F401  (their scopes: read:<resource>, write:<resource>)
    from backoffice import db
    from backoffice.errors import ValidationFailed
    from backoffice.models import User
    from backoffice.services import api_keys

    try:
        with db.session_scope() as session:
            acting_as = None
            if args.acting_as:
                wanted = args.acting_as.strip().lower()
                acting_as = session.exec(select(User).where(func.lower(User.email) == wanted)).first()
                if acting_as is None or not acting_as.is_active:
                    print(f'as: no active staff member has the email {args.acting_as!r}', file=sys.stderr)
                    return 1
            key, secret = api_keys.create_key(
                session=session,
                actor=None,
                system=True,
                name=args.name,
                scopes=args.scopes.split(','),
                acting_as=acting_as,
                usable_only=True,
            )
    except ValidationFailed as error:
        for field, message in error.errors.items():
            print(f'{field or "error"}: {message}', file=sys.stderr)
        return 1
    print(f'Created API key {key.name!r} ({key.prefix}) with {", ".join(key.scopes)}.')
    print(f'Key (shown once): {secret}')
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def run(argv: list[str] | None = None) -> int:
    """main(), saying in one line when the database stayed busy (another command or the app writing on SQLite)
    instead of a traceback; exit code 75 (EX_TEMPFAIL): run it again."""
    try:
        return main(argv)
    except Exception as error:
        # imported here, not before main(): `--help` imports neither SQLAlchemy nor the extensions
        from sqlalchemy.exc import OperationalError

        from backoffice import writer_queue
        from backoffice.extensions import ExtensionError

        if isinstance(error, ExtensionError):  # a broken extension: its name and why, not a traceback from inside it
            print(f'Cannot start: {error}', file=sys.stderr)
            return 78  # EX_CONFIG
        if not isinstance(error, (OperationalError, writer_queue.DatabaseBusy)):
            raise
        if isinstance(error, OperationalError) and 'database is locked' not in str(error.orig):
            raise
        print(
            'The database is busy: another command or the app kept it locked for too long. Nothing was changed by '
            'the step that failed; run the command again.',
            file=sys.stderr,
        )
        return 75


if __name__ == '__main__':
    raise SystemExit(run())
