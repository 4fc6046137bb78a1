"""Bank accounts and their statements: a file read in any of the four formats becomes statements and lines in one
transaction (a line already imported is never added twice; a file with any unreadable line imports nothing), each new
credit line given its ranked suggestions (services/bank_match.py); the lines listed with filters for reconciliation."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, or_
from sqlmodel import Session, col, select

from backoffice import business_ids, changes, stored_text
from backoffice.bank_files import CsvMapping, ParsedStatement, UnreadableFile, line_identity, read_statement_file
from backoffice.bank_files.csv_lines import guess_mapping, headers_of
from backoffice.errors import NotFound, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import BankAccount, BankLine, BankStatement, LineStatus, User
from backoffice.permissions import require
from backoffice.services import audit, bank_match, bank_rules
from backoffice.stored_text import counted, sentence
from backoffice.validation import typed_line

ACCOUNT_NAME_MAX = 120  # characters of a bank account's name (BankAccount.name)
MAX_LINES = 50_000  # one file; a bank exports a year of a busy account in far fewer
KNOWN_CHUNK = 500  # identities looked up per query (SQLite's variable limit is far above)


@dataclass(frozen=True)
class ImportResult:
    statements: int
    new_lines: int
    known_lines: int
    format: str
    suggested: int  # new credit lines with at least one suggestion
    set_aside: int = 0  # new lines a matching rule set aside (services/bank_rules.py)
    matched_by_rules: int = 0  # new lines a matching rule matched to an invoice or a bill
    missed_by_rules: int = 0  # new lines a rule fitted without finding a single invoice or bill


def accounts(*, session: Session, actor: User) -> list[BankAccount]:
    require(actor, 'finance.read')
    return list(session.exec(select(BankAccount).order_by(col(BankAccount.name))))


def save_account(
    *, session: Session, actor: User, values: dict[str, Any], account_id: int | None = None, version: int | None = None
) -> BankAccount:
    """Create or rename a bank account: a name, its IBAN (checked) and the one currency of its statements."""
    require(actor, 'finance.manage')
    currency = str(values.get('currency') or '').strip().upper()
    errors: dict[str, str] = {}
    try:
        name = typed_line(values.get('name'), maximum=ACCOUNT_NAME_MAX)  # refused beyond, never cut unseen
    except ValueError as error:
        name, errors['name'] = '', str(error)
    if not name and 'name' not in errors:
        errors['name'] = _('Give the account a name')
    iban = str(values.get('iban') or '').strip()
    if iban:
        try:
            iban = business_ids.iban(iban)
        except ValueError as error:
            errors['iban'] = str(error)
    if len(currency) != 3 or not currency.isalpha():
        errors['currency'] = _('Enter a currency code of three letters, e.g. EUR')
    taken = session.exec(select(BankAccount).where(func.lower(BankAccount.name) == name.lower())).first()
    if taken is not None and taken.id != account_id:
        errors['name'] = _('Another account has this name')
    if errors:
        raise ValidationFailed(errors)
    if account_id is None:
        account = BankAccount(name=name, iban=iban, currency=currency)
        before: dict[str, Any] = {}
    else:
        account = changes.get_for_update(session, BankAccount, account_id, version, entity='bank_accounts')
        before = {'name': account.name, 'iban': account.iban, 'currency': account.currency}
        if (
            currency != account.currency
            and session.exec(select(BankLine.id).where(BankLine.account_id == account_id)).first()
        ):
            raise ValidationFailed(
                {
                    'currency': _('Statements were imported in {currency}: the currency stays').format(
                        currency=account.currency
                    )
                }
            )
        account.name, account.iban, account.currency = name, iban, currency
        changes.stamp(account)
    session.add(account)
    session.flush()
    after = {'name': name, 'iban': iban, 'currency': currency}
    audit.record(
        session,
        actor,
        'bank_account.saved' if before else 'bank_account.created',
        'bank_accounts',
        account.id,
        version=account.version,
        changes=audit.diff(before, after) if before else after,
        summary=sentence(N_('Bank account {name}'), name=name),
    )
    changes.commit(session, (Topic.bank, {'action': 'account', 'id': account.id}))
    return account


def csv_columns(*, actor: User, data: bytes, account: BankAccount | None = None) -> tuple[list[str], CsvMapping]:
    """The headers of a CSV file and the mapping to start from: the account's saved one when it fits, else a guess."""
    require(actor, 'finance.manage')
    headers, delimiter = headers_of(data)
    saved = saved_mapping(account)
    if (
        saved is not None
        and saved.delimiter == delimiter
        and all(h in headers for h in (saved.date, saved.label, saved.amount or saved.debit) if h)
    ):
        return headers, saved
    return headers, guess_mapping(headers, delimiter)


def saved_mapping(account: BankAccount | None) -> CsvMapping | None:
    if account is None or not account.csv_mapping:
        return None
    try:
        return CsvMapping(**json.loads(account.csv_mapping))
    except (TypeError, ValueError):
        return None


def import_statement(
    *,
    session: Session,
    actor: User,
    account_id: int,
    data: bytes,
    file_name: str = '',
    mapping: CsvMapping | None = None,
) -> ImportResult:
    """Read a statement file and add its new lines to the account, all or nothing: a line already there (the same
    statement twice, overlapping statements) is counted, not added; a line that cannot be read, a line in another
    currency or lines that do not add up to the statement's balance refuse the whole file, naming the line."""
    require(actor, 'finance.manage')
    account = session.get(BankAccount, account_id, with_for_update=session.get_bind().dialect.name != 'sqlite')
    if account is None:
        raise NotFound(_('This bank account no longer exists.'))
    try:
        kind, statements = read_statement_file(data, mapping=mapping, currency=account.currency)
        check(statements, account)
    except UnreadableFile as error:
        raise ValidationFailed({'file': said(error)}) from None
    file_name = ' '.join(file_name.split())[:200]
    seen: set[str] = set()
    planned: list[tuple[ParsedStatement, list[tuple[str, Any]]]] = []
    for statement in statements:
        ranks: Counter = Counter()
        rows = []
        for line in statement.lines:
            key = (line.booked_on, line.amount, line.label)
            identity = line_identity(account_id, line, ranks[key])
            ranks[key] += 1
            rows.append((identity, line))
        planned.append((statement, rows))
    identities = [identity for _statement, rows in planned for identity, _line in rows]
    known = known_identities(session, account_id, identities)
    new_ids: list[int] = []
    statement_ids: list[int | None] = []
    total_new = total_known = 0
    for statement, rows in planned:
        fresh = []
        for identity, line in rows:
            if identity in known or identity in seen:
                continue
            seen.add(identity)
            fresh.append((identity, line))
        record = BankStatement(
            account_id=account_id,
            format=kind,
            file_name=file_name,
            reference=statement.reference[:60],
            starts_on=statement.starts_on,
            ends_on=statement.ends_on,
            opening_balance=statement.opening,
            closing_balance=statement.closing,
            new_lines=len(fresh),
            known_lines=len(rows) - len(fresh),
            imported_by=actor.id,
        )
        session.add(record)
        session.flush()
        statement_ids.append(record.id)
        total_new += len(fresh)
        total_known += len(rows) - len(fresh)
        if fresh:
            session.execute(
                insert(BankLine),
                [
                    {
                        'account_id': account_id,
                        'statement_id': record.id,
                        'identity': identity,
                        'booked_on': line.booked_on,
                        'value_on': line.value_on,
                        'amount': line.amount,
                        'currency': account.currency,
                        'label': line.label,
                        'counterpart': line.counterpart,
                        'reference': line.reference,
                        'bank_reference': line.bank_reference,
                        'status': LineStatus.unmatched.value,
                        'category': '',
                        'note': '',
                        'suggestions': '',
                        'receipt_created': False,
                        'version': 1,
                    }
                    for identity, line in fresh
                ],
            )
    if total_new:
        new_ids = ids_of_statements(session, statement_ids)
    suggested = bank_match.suggest(session, new_ids) if new_ids else 0
    by_rules = bank_rules.apply(session, actor, new_ids) if new_ids else bank_rules.Applied()
    if kind == 'csv' and mapping is not None:
        account.csv_mapping = json.dumps(mapping.as_dict())
        session.add(account)
    audit.record(
        session,
        actor,
        'bank_statement.imported',
        'bank_statements',
        account_id,
        changes={
            'file': file_name,
            'format': kind,
            'new_lines': total_new,
            'known_lines': total_known,
            'set_aside_by_rules': by_rules.set_aside,
            'matched_by_rules': by_rules.matched,
            'missed_by_rules': by_rules.missed,
        },
        summary=sentence(
            N_('Statement {file} imported into {account}: {new}, {known} already there'),
            file=file_name,
            account=account.name,
            new=counted(N_('{n} new line'), '{n} new lines', total_new),
            known=stored_text.count(total_known),
        ),
    )
    changes.commit(session, (Topic.bank, {'action': 'imported', 'account_id': account_id}))
    return ImportResult(
        len(statements),
        total_new,
        total_known,
        kind,
        suggested,
        by_rules.set_aside,
        by_rules.matched,
        by_rules.missed,
    )


def ids_of_statements(session: Session, statement_ids: list[int | None]) -> list[int]:
    found = session.exec(select(BankLine.id).where(col(BankLine.statement_id).in_(statement_ids)))
    return [line_id for line_id in found if line_id is not None]


def known_identities(session: Session, account_id: int, identities: list[str]) -> set[str]:
    known: set[str] = set()
    for start in range(0, len(identities), KNOWN_CHUNK):
        chunk = identities[start : start + KNOWN_CHUNK]
        known.update(
            session.exec(
                select(BankLine.identity).where(BankLine.account_id == account_id, col(BankLine.identity).in_(chunk))
            )
        )
    return known


def check(statements: list[ParsedStatement], account: BankAccount) -> None:
    """Refuse a statement of another account or currency, or whose lines do not add up to its closing balance."""
    count = sum(len(s.lines) for s in statements)
    if count > MAX_LINES:
        raise UnreadableFile(
            _('This file has {count} lines; import at most {limit} at a time').format(count=count, limit=MAX_LINES)
        )
    for statement in statements:
        compact = statement.account.replace(' ', '').upper()
        if account.iban and compact[:2].isalpha() and compact[2:4].isdigit() and compact != account.iban.upper():
            raise UnreadableFile(
                _('This statement is for account {found}, not {expected} ({name})').format(
                    found=compact, expected=account.iban, name=account.name
                )
            )
        if statement.currency and statement.currency.upper() != account.currency:
            raise UnreadableFile(
                _('This statement is in {found}; the account {name} takes {expected} only').format(
                    found=statement.currency, name=account.name, expected=account.currency
                ),
                statement.lines[0].source_line if statement.lines else None,
            )
        for line in statement.lines:
            if line.currency and line.currency.upper() != account.currency:
                raise UnreadableFile(
                    _('This line is in {found}; the account {name} takes {expected} only').format(
                        found=line.currency, name=account.name, expected=account.currency
                    ),
                    line.source_line,
                )
        if statement.opening is not None and statement.closing is not None:
            moved = sum((line.amount for line in statement.lines), Decimal('0.00'))
            if statement.opening + moved != statement.closing:
                raise UnreadableFile(
                    _(
                        'Statement {reference}: the opening balance {opening} and its lines ({moved}) do not add up '
                        'to the closing balance {closing}'
                    ).format(
                        reference=statement.reference or '—',
                        opening=statement.opening,
                        moved=moved,
                        closing=statement.closing,
                    )
                )


def said(error: UnreadableFile) -> str:
    if error.line:
        return _('Line {line}: {reason}. Nothing was imported.').format(line=error.line, reason=error.reason)
    return _('{reason}. Nothing was imported.').format(reason=error.reason)


@dataclass(frozen=True)
class LinePage:
    rows: list[BankLine]
    total: int


def lines(
    *,
    session: Session,
    actor: User,
    account_id: int | None = None,
    status: str | None = None,
    direction: str | None = None,
    search: str = '',
    since: date | None = None,
    limit: int = 50,
    offset: int = 0,
) -> LinePage:
    """A page of bank lines, newest first, with the filters of the reconciliation screen."""
    require(actor, 'finance.read')
    query = select(BankLine)
    if account_id:
        query = query.where(BankLine.account_id == account_id)
    if status in {s.value for s in LineStatus}:
        query = query.where(BankLine.status == status)
    if direction == 'in':
        query = query.where(BankLine.amount > 0)
    elif direction == 'out':
        query = query.where(BankLine.amount < 0)
    if since:
        query = query.where(BankLine.booked_on >= since)
    words = ' '.join(search.split())[:100]
    if words:
        pattern = f'%{words.lower()}%'
        query = query.where(
            or_(
                func.lower(BankLine.label).like(pattern),
                func.lower(BankLine.counterpart).like(pattern),
                func.lower(BankLine.reference).like(pattern),
            )
        )
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(BankLine.booked_on).desc(), col(BankLine.id).desc()).limit(limit).offset(offset)
    ).all()
    return LinePage(list(rows), int(total))


def statements(*, session: Session, actor: User, account_id: int | None = None, limit: int = 20) -> list[BankStatement]:
    require(actor, 'finance.read')
    query = select(BankStatement)
    if account_id:
        query = query.where(BankStatement.account_id == account_id)
    return list(session.exec(query.order_by(col(BankStatement.id).desc()).limit(limit)))


def counts(*, session: Session, actor: User, account_id: int | None = None) -> dict[str, int]:
    """Lines per status (for the filter chips)."""
    require(actor, 'finance.read')
    query = select(BankLine.status, func.count()).group_by(BankLine.status)
    if account_id:
        query = query.where(BankLine.account_id == account_id)
    found = dict.fromkeys((s.value for s in LineStatus), 0)
    for status, count in session.exec(query):
        found[str(status.value if hasattr(status, 'value') else status)] = count
    return found


def line(*, session: Session, actor: User, line_id: int) -> BankLine:
    require(actor, 'finance.read')
    found = session.get(BankLine, line_id)
    if found is None:
        raise NotFound(_('This bank line no longer exists.'))
    return found
