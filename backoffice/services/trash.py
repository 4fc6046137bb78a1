"""Purging the trash for good: each record in its own savepoint, so one that other records still need is kept (with
the reason, in words, in the job's result and the audit log) while the rest go."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Table, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from backoffice import stored_text
from backoffice.changes import commit, title_of
from backoffice.engine import declaration
from backoffice.engine.declaration import Resource
from backoffice.events import Topic
from backoffice.i18n import N_
from backoffice.models import AuditEntry, utcnow
from backoffice.services import audit
from backoffice.stored_text import Sentence, counted, joined, sentence, word

log = logging.getLogger(__name__)

KEPT = N_('{record} kept: {references} refer to it.')
KEPT_AND_ERASED = N_('{record} kept, its personal data erased: {references} refer to it.')
KEPT_UNKNOWN = N_('{record} kept: other records refer to it.')


@dataclass
class Purge:
    purged: int = 0
    kept: list[str] = field(default_factory=list)  # one sentence per record kept, saying why


def purge_deleted(*, session: Session, resource: Resource, older_than: timedelta) -> Purge:
    """Delete for good what has been in the trash longer than the retention period; a record that orders, requests…
    still refer to stays (erased of personal data when its resource says how), and the others are purged anyway."""
    cutoff = utcnow() - older_than
    result = Purge()
    model: Any = resource.model  # a declared resource with a trash: it has id, version and deleted_at
    doomed: list[Any] = list(session.exec(select(model).where(col(model.deleted_at) < cutoff)))
    purged_ids = []
    for record in doomed:
        references = referring_counts(session, resource.model, record.id)
        if not references and _deleted(session, resource, record):
            purged_ids.append(record.id)
            continue
        result.kept.append(_keep(session, resource, record, references))
    result.purged = len(purged_ids)
    commit(session, *((Topic(resource.key), {'id': record_id, 'action': 'purged'}) for record_id in purged_ids))
    return result


def purge_all_expired(*, session: Session, older_than: timedelta) -> dict[str, Purge]:
    return {
        key: purge_deleted(session=session, resource=r, older_than=older_than)
        for key, r in declaration.RESOURCES.items()
        if r.soft_delete
    }


def referring_counts(session: Session, model: Any, record_id: Any) -> dict[str, int]:
    """How many rows of each other table would block deleting this record (their foreign key neither cascades nor
    becomes empty), by the table's name in words: {'orders': 3}."""
    target: Table = model.__table__
    counts: dict[str, int] = {}
    for table in SQLModel.metadata.sorted_tables:
        for key in table.foreign_keys:
            if key.column.table is not target or (key.ondelete or '').upper() in {'CASCADE', 'SET NULL'}:
                continue
            found = session.exec(select(func.count()).select_from(table).where(key.parent == record_id)).one()
            if found:
                counts[table.name] = counts.get(table.name, 0) + found
    return counts


def in_words(counts: dict[str, int]) -> str:
    """'3 orders and 1 request'."""
    return stored_text.english(references_said(counts))


def references_said(counts: dict[str, int]) -> Sentence | dict[str, Any]:
    """'3 orders and 1 request', to be stored and read in each reader's language ('3 commandes et 1 demande')."""
    parts = [counted(*_nouns(table), count) for table, count in counts.items()]
    if len(parts) == 1:
        return parts[0]
    return sentence(N_('{several} and {last}'), several=joined(parts[:-1]), last=parts[-1])


# --- helpers ----------------------------------------------------------------------------------------------------------


def _deleted(session: Session, resource: Resource, record: Any) -> bool:
    title = title_of(resource, record)
    snapshot = audit.snapshot(record)
    try:
        with session.begin_nested():  # a savepoint: a refusal undoes this record only
            audit.record(
                session,
                None,
                f'{resource.singular}.purged',
                resource.entity,
                record.id,
                version=record.version,
                changes=audit.diff(snapshot, {}),
                summary=sentence(N_('Purged {record}'), record=title),
            )
            session.delete(record)
            session.flush()
    except IntegrityError as error:  # a reference this check did not foresee (a table outside the models)
        log.warning('purge of %s %s refused by the database: %s', resource.singular, record.id, error.orig)
        return False
    return True


def _keep(session: Session, resource: Resource, record: Any, references: dict[str, int]) -> str:
    erase = resource.erase_when_kept
    # an erased record is named by its number only: the reason must not keep what the erasure removes
    name = sentence(
        N_('{type} {name}'),
        type=word(resource.singular, capital=True),
        name=f'#{record.id}' if erase else title_of(resource, record),
    )
    erased = bool(erase and erase(session, record))
    if not references:
        said = sentence(KEPT_UNKNOWN, record=name)
    else:
        said = sentence(KEPT_AND_ERASED if erase else KEPT, record=name, references=references_said(references))
    reason = said.english
    already_said = session.exec(
        select(AuditEntry.id).where(
            AuditEntry.entity == resource.entity,
            AuditEntry.entity_id == str(record.id),
            AuditEntry.action == f'{resource.singular}.purge_kept',
            AuditEntry.at >= record.deleted_at,
        )
    ).first()
    if erased or already_said is None:  # said once per stay in the trash, not every night
        if erased:
            record.version += 1
            record.updated_at = utcnow()
            session.add(record)
        audit.record(
            session,
            None,
            f'{resource.singular}.purge_kept',
            resource.entity,
            record.id,
            version=record.version,
            summary=said,
        )
    log.info('%s', reason)
    return reason


_NOUNS = {
    'tickets': (N_('{n} request'), '{n} requests'),  # the plural is the catalog's plural of the singular
    'order_lines': (N_('{n} order line'), '{n} order lines'),
    'legal_acceptances': (N_('{n} legal acceptance'), '{n} legal acceptances'),
}


def _nouns(table: str) -> tuple[str, str]:
    """The count of a table's rows in words, singular and plural msgids: ('{n} order', '{n} orders')."""
    known = {(r.model.__tablename__): r for r in declaration.RESOURCES.values()}
    if table in _NOUNS:
        return _NOUNS[table]
    if table in known:
        return '{n} ' + known[table].count_noun(1), '{n} ' + known[table].count_noun(2)
    words = table.replace('_', ' ')
    return '{n} ' + (words[:-1] if words.endswith('s') else words), '{n} ' + words
