"""Bulk actions over many records: each record is its own transaction, so one refusal skips that record only,
and the caller gets a summary — done, and skipped with the reason."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from backoffice.db import session_scope
from backoffice.engine.declaration import Action, Resource
from backoffice.errors import ServiceError, ValidationFailed
from backoffice.i18n import N_, _, ngettext
from backoffice.models import User
from backoffice.permissions import require
from backoffice.services import crud

ONLY_THEY_AGREE = N_('Only the person can agree to this: a bulk edit may turn it off, never on.')


@dataclass
class Summary:
    done: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)

    def merge(self, other: Summary) -> None:
        self.done += other.done
        self.skipped.extend(other.skipped)

    def text(self, verb: str) -> str:
        reasons = {}
        for _id, reason in self.skipped:
            reasons[reason] = reasons.get(reason, 0) + 1
        skipped = '; '.join(
            ngettext('{n} skipped: {reason}', '{n} skipped: {reason}', count).format(n=count, reason=reason)
            for reason, count in reasons.items()
        )
        done = _('{n} {verb}').format(n=self.done, verb=verb)  # verb: the caller's, translated ('updated')
        return _('{done}; {skipped}').format(done=done, skipped=skipped) if skipped else done


def bulk_update(*, actor: User, resource: Resource, ids: Iterable[int], changes: dict[str, Any]) -> Summary:
    """Set the same fields on each record (at its current version: a bulk edit is a deliberate overwrite). A consent
    only the person gives (Resource.own_consent) may be turned off for many, never on: refused as a whole."""
    require(actor, resource.write_permission)
    if given := [name for name in resource.own_consent if changes.get(name)]:
        raise ValidationFailed({name: _(ONLY_THEY_AGREE) for name in given})
    return _each(
        ids,
        lambda session, record: crud.update_record(
            session=session,
            actor=actor,
            resource=resource,
            record_id=record.id,
            version=record.version,
            changes=changes,
            action='bulk_updated',
        ),
        resource,
        actor,
    )


def bulk_action(*, actor: User, resource: Resource, ids: Iterable[int], action: Action) -> Summary:
    """One of the resource's declared actions that asks nothing (a request's Assign to me) on each record, at its
    current version. A record it does not apply to now (a closed request) is skipped, saying so; one where it is done
    already (a request that is the person's already) counts as done."""
    require(actor, action.permission)
    if action.inputs:
        raise ValueError(f'{action.key} asks for inputs: it cannot run in bulk')

    def run(session, record) -> None:
        if not action.visible(record):
            raise ValidationFailed({'': _('{action} does not apply to it now').format(action=_(action.label))})
        if action.for_actor(record, actor):
            action.run(session=session, actor=actor, record_id=record.id, version=record.version)

    return _each(ids, run, resource, actor)


def bulk_delete(*, actor: User, resource: Resource, ids: Iterable[int]) -> Summary:
    require(actor, resource.write_permission)
    return _each(
        ids,
        lambda session, record: crud.delete_record(
            session=session, actor=actor, resource=resource, record_id=record.id
        ),
        resource,
        actor,
    )


def bulk_restore(*, actor: User, resource: Resource, ids: Iterable[int]) -> Summary:
    require(actor, resource.write_permission)
    return _each(
        ids,
        lambda session, record: crud.restore_record(
            session=session, actor=actor, resource=resource, record_id=record.id
        ),
        resource,
        actor,
    )


def _each(ids: Iterable[int], work, resource: Resource, actor: User) -> Summary:
    summary = Summary()
    for record_id in ids:
        try:
            with session_scope() as session:
                record = crud.get_record(session=session, actor=actor, resource=resource, record_id=record_id)
                work(session, record)
            summary.done += 1
        except ServiceError as error:
            summary.skipped.append((record_id, _reason(error, resource)))
    return summary


def _reason(error: ServiceError, resource: Resource) -> str:
    """Why a record was skipped, each field named as the form names it ('Status: …', not the column's 'status')."""
    errors = getattr(error, 'errors', None)
    if not errors:
        return str(error)
    labels = {field.name: field.label for field in resource.fields}
    return '; '.join(
        _('{field}: {message}').format(field=_(labels[name]) if name in labels else name, message=message)
        if name
        else message
        for name, message in errors.items()
    )
