"""Content's own rules: publishing and unpublishing (named, audited changes), the immutable versions of legal documents,
and what the front office may read."""

from __future__ import annotations

import difflib
from datetime import datetime
from typing import Any

from sqlalchemy import case, event, func, inspect, type_coerce
from sqlalchemy.orm import object_session
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, or_, select

from backoffice import events, formatting
from backoffice.changes import get_for_update, save_change
from backoffice.engine import declaration
from backoffice.engine.declaration import Changes, Foreseen, LineChange, Outcome
from backoffice.errors import NotFound, ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _, ngettext
from backoffice.models import ContentEntry, ContentKind, ContentStatus, LegalVersion, User, utcnow
from backoffice.permissions import require

LEGAL_STAYS_LEGAL = N_('This legal document has published versions: it stays a legal document')


def publish_content(
    *,
    session: Session,
    actor: User | None,
    record_id: int,
    version: int | None,
    system: bool = False,
    now: datetime | None = None,
) -> Outcome:
    """Put an entry on the front office. A legal document's text becomes a new version, in force from its 'Live from'
    time (or now) until a later version takes over; the earlier versions stay readable."""
    if not system:
        require(actor, 'content.write')
    now = now or utcnow()
    entry = get_for_update(session, ContentEntry, record_id, version, entity='content', label=N_('content'))
    if entry.deleted_at is not None:
        raise ValidationFailed({'': _('This page is in the trash: restore it before publishing')})
    if entry.kind == ContentKind.legal:
        return _publish_legal(session, actor, entry, now)
    if entry.status == ContentStatus.published:
        raise ValidationFailed({'': _('This page is already published')})
    saved = save_change(
        session, actor, _content(), entry, {'status': ContentStatus.published, 'published_at': now}, 'published'
    )
    live_from = entry.publish_at if entry.publish_at and entry.publish_at > now else None
    return _outcome(
        saved,
        message=_('Published; live from {when}').format(when=formatting.when(live_from))
        if live_from
        else _('Published; live on the front office now'),
    )


def unpublish_content(
    *, session: Session, actor: User, record_id: int, version: int | None, now: datetime | None = None
) -> ContentEntry:
    """Take an entry off the front office; it stays here as a draft. A legal document's versions stay on record, each
    in force until now at the latest: its version in force ends now (its 'In force until' stayed empty, as if still in
    force, and a later publication dated its end to then), one scheduled for later never takes effect."""
    require(actor, 'content.write')
    entry = get_for_update(session, ContentEntry, record_id, version, entity='content', label=N_('content'))
    if entry.status != ContentStatus.published:
        raise ValidationFailed({'': _('This page is not published')})
    if entry.kind == ContentKind.legal:
        _withdraw_versions(session, entry, now or utcnow())
    return save_change(session, actor, _content(), entry, {'status': ContentStatus.draft}, 'unpublished')


def unpublish_foreseen(*, session: Session, actor: User, record_id: int) -> str | tuple[Foreseen, ...]:
    """What Unpublish will do, said in its dialog before the person confirms, from what the service does: who stops
    seeing it, for a legal document what becomes of its versions (none comes back into force) and of the acceptances,
    each under its heading, a short line each (one paragraph of it was not read)."""
    require(actor, 'content.read')
    entry = session.get(ContentEntry, record_id)
    if entry is None or entry.status != ContentStatus.published:
        return ''
    if entry.kind != ContentKind.legal and entry.publish_at is not None and entry.publish_at > utcnow():
        return _(
            'Customers do not see it yet: it was to go live on {when} and will not. It stays here as a draft; Publish '
            'puts it back on schedule.'
        ).format(when=formatting.when(entry.publish_at))
    if entry.kind != ContentKind.legal:
        return _(
            'Customers stop seeing it at once: the front office gets "not found" for /api/content/{slug}. It stays '
            'here as a draft; Publish puts it back.'
        ).format(slug=entry.slug)
    now = utcnow()
    seen = []
    current = _in_force(session, entry.id or 0, now)
    if current is not None:
        seen.append(_('Version {number} stops being in force now.').format(number=current.number))
        seen.append(
            _('The portal no longer shows it; /api/content/{slug} answers "not found".').format(slug=entry.slug)
        )
    else:
        seen.append(_('Customers see no version of it yet; nothing changes for them now.'))
    for version in _scheduled(session, entry.id or 0, now):
        seen.append(
            _('Version {number}, scheduled for {when}, will never take effect.').format(
                number=version.number, when=formatting.when(version.effective_from)
            )
        )
    return (
        Foreseen(_('What customers see'), tuple(seen)),
        Foreseen(
            _('Acceptances'),
            (
                _('Those already recorded are kept, shown as no longer published.'),
                _('None can be recorded until a version is published again.'),
            ),
        ),
        Foreseen(
            _('Publishing again'),
            (
                _('No earlier version comes back into force.'),
                _('Publish version puts it back as a new version, in force from then.'),
            ),
        ),
    )


def until_shown(version: LegalVersion) -> datetime | str | None:
    """A version's 'In force until' as a person reads it: one withdrawn before it took effect ended where it would have
    started ('from 12 Dec until 12 Dec' said nothing), so it says so instead of a date."""
    if version.effective_until is not None and version.effective_until <= version.effective_from:
        return _(NEVER_IN_FORCE)
    return version.effective_until


def until_note(version: LegalVersion) -> str:
    """Under a version's 'In force until' on its own form: why it ends where it starts."""
    if until_shown(version) == version.effective_until:
        return ''
    return _('Withdrawn before it took effect: it was never in force, and never on the front office.')


NEVER_IN_FORCE = N_('Withdrawn before it took effect')


def live_from_shown(entry: ContentEntry) -> datetime | str | None:
    """The content list's 'Live from': a page's or a text's scheduled time; a legal document's is when its version in
    force took effect, and a next version scheduled is said beside it. Its 'Live from' field is the next version's date:
    shown alone, terms in force since March read as not live until December."""
    session = object_session(entry)
    if entry.kind != ContentKind.legal or session is None or entry.id is None:
        return entry.publish_at
    now = utcnow()
    current_or_later = select(LegalVersion).where(
        LegalVersion.document_id == entry.id,
        or_(col(LegalVersion.effective_until).is_(None), col(LegalVersion.effective_until) > now),
        # one scheduled, then withdrawn before it took effect, ends where it starts: never in force
        or_(col(LegalVersion.effective_until).is_(None), LegalVersion.effective_until > LegalVersion.effective_from),
    )
    versions = sorted(session.exec(current_or_later), key=lambda version: version.number)
    in_force = next((v for v in reversed(versions) if v.effective_from <= now), None)
    scheduled = next((v for v in versions if v.effective_from > now), None)
    if in_force is None:  # none has taken effect yet: the first one's date, or (never published) the field's
        return scheduled.effective_from if scheduled is not None else entry.publish_at
    if scheduled is None:
        return in_force.effective_from
    return _('{since} · next version from {when}').format(
        since=formatting.when(in_force.effective_from), when=formatting.when(scheduled.effective_from)
    )


def live_from_order() -> ColumnElement[Any]:
    """The content list's 'Live from' in SQL, for its sort: what `live_from_shown` shows (a legal document's version in
    force, else its first scheduled one, else its field; a page's or a text's field), the next version said beside it
    aside. Sorted by the field, terms in force since March sat among December's pages."""
    now = utcnow()
    versions = LegalVersion.document_id == ContentEntry.id
    never_in_force = or_(
        col(LegalVersion.effective_until).is_(None), LegalVersion.effective_until > LegalVersion.effective_from
    )
    in_force = (
        select(LegalVersion.effective_from)
        .where(
            versions,
            never_in_force,
            LegalVersion.effective_from <= now,
            or_(col(LegalVersion.effective_until).is_(None), col(LegalVersion.effective_until) > now),
        )
        .order_by(col(LegalVersion.number).desc())
        .limit(1)
        .correlate(ContentEntry)
        .scalar_subquery()
    )
    scheduled = (
        select(LegalVersion.effective_from)
        .where(versions, never_in_force, LegalVersion.effective_from > now)
        .order_by(col(LegalVersion.number))
        .limit(1)
        .correlate(ContentEntry)
        .scalar_subquery()
    )
    field = col(ContentEntry.publish_at)
    shown = case((ContentEntry.kind == ContentKind.legal, func.coalesce(in_force, scheduled, field)), else_=field)
    return type_coerce(shown, field.type)


def check_content_change(entry: ContentEntry, values: dict[str, Any]) -> dict[str, str]:
    """Rules on an edit (the generic update calls this). Editing a published entry keeps it published."""
    if 'kind' not in values or values['kind'] == entry.kind:
        return {}
    if entry.legal_version:
        return {'kind': _(LEGAL_STAYS_LEGAL)}
    if entry.status == ContentStatus.published:
        return {'kind': _('Unpublish it first: the kind decides how it is published')}
    return {}


def saved_note(entry: ContentEntry) -> str:
    """What saving an edit of a legal document means: customers still read its published version until a new one is
    published ("Changes saved" let an operator believe the new text was live); '' for anything else."""
    if entry.kind != ContentKind.legal or not entry.legal_version:
        return ''
    if entry.status != ContentStatus.published:  # taken off: the front office shows no version of it at all
        return _('Saved here. It is off the front office: publish a version to put this text live.')
    return _(
        'Saved here. The front office still shows version {number}: publish a version to put this text live.'
    ).format(number=entry.legal_version)


def versions_are_final(**_ignored: Any) -> None:
    """The write service of the legal versions resource: there is nothing to write."""
    raise ValidationFailed({'': _('A published version is final: edit the document and publish a new version')})


def changes_from_previous(*, session: Session, actor: User, record_id: int) -> Changes:
    """What a legal document's version changed from the version before it, line by line (the title too, as its first
    line), long unchanged stretches folded; the first version replaced nothing and shows its whole text as added."""
    require(actor, 'content.read')
    version = session.get(LegalVersion, record_id)
    if version is None:
        raise NotFound(_('This version no longer exists.'))
    previous = session.exec(
        select(LegalVersion)
        .where(LegalVersion.document_id == version.document_id, LegalVersion.number < version.number)
        .order_by(col(LegalVersion.number).desc())
    ).first()
    before = [previous.title, *previous.body.splitlines()] if previous else []
    after = [version.title, *version.body.splitlines()]
    against = _('Changes from version {number}').format(number=previous.number) if previous else ''
    return Changes(against=against, lines=_folded(_compared(before, after)))


def changes_since_published(*, session: Session, actor: User, record_id: int) -> Changes:
    """What the saved text of a legal document changes from its latest published version: what publishing a new
    version would change, read before publishing it."""
    require(actor, 'content.read')
    entry = session.get(ContentEntry, record_id)
    if entry is None:  # only a legal document is compared with its versions
        raise NotFound(_('This legal document no longer exists.'))
    latest = session.exec(
        select(LegalVersion).where(LegalVersion.document_id == entry.id).order_by(col(LegalVersion.number).desc())
    ).first()
    if latest is None:
        return Changes(
            against='', lines=[LineChange('added', line) for line in [entry.title, *entry.body.splitlines()]]
        )
    before = [latest.title, *latest.body.splitlines()]
    after = [entry.title, *entry.body.splitlines()]
    if before == after:
        return Changes(
            against=_('The saved text is version {number} as published.').format(number=latest.number), lines=[]
        )
    against = _('The saved text against version {number}: what publishing a version would change').format(
        number=latest.number
    )
    return Changes(against=against, lines=_folded(_compared(before, after)))


# --- what the front office reads (public, no actor) ------------------------------------------------------------------


def live_entry(*, session: Session, slug: str, now: datetime | None = None) -> tuple[ContentEntry, LegalVersion | None]:
    """The published entry with this slug and, for a legal document, its version in force; NotFound otherwise
    (a draft, a trashed or a not-yet-live entry is not told apart from a missing one)."""
    now = now or utcnow()
    entry = _published(session, slug)
    if entry is not None and entry.kind == ContentKind.legal:
        version = _in_force(session, entry.id, now)
        if version is not None:
            return entry, version
    elif entry is not None and _live_now(entry, now):
        return entry, None
    raise NotFound(_no_content(slug))


def live_versions(*, session: Session, slug: str, now: datetime | None = None) -> list[LegalVersion]:
    """Every version of a published legal document that has taken effect, oldest first. Whatever is not on the front
    office yet (a draft, a page or text scheduled for later, a legal document none of whose versions is in effect) is
    not told apart from a missing slug."""
    now = now or utcnow()
    entry = _published(session, slug)
    if entry is None or (entry.kind != ContentKind.legal and not _live_now(entry, now)):
        raise NotFound(_no_content(slug))
    if entry.kind != ContentKind.legal:
        raise NotFound(_("'{slug}' is not a legal document, so it has no versions.").format(slug=slug))
    statement = (
        select(LegalVersion)
        .where(
            LegalVersion.document_id == entry.id,
            LegalVersion.effective_from <= now,
            # a version scheduled, then withdrawn before it took effect, was never on the front office
            or_(
                col(LegalVersion.effective_until).is_(None), LegalVersion.effective_until > LegalVersion.effective_from
            ),
        )
        .order_by(col(LegalVersion.number))
    )
    versions = list(session.exec(statement))
    if not versions:
        raise NotFound(_no_content(slug))
    return versions


def live_version(*, session: Session, slug: str, number: int, now: datetime | None = None) -> LegalVersion:
    version = next((v for v in live_versions(session=session, slug=slug, now=now) if v.number == number), None)
    if version is None:
        raise NotFound(_("The legal document '{slug}' has no version {number}.").format(slug=slug, number=number))
    return version


def version_in_force(*, session: Session, document_id: int, now: datetime | None = None) -> LegalVersion | None:
    """The version of a legal document in force now (None: none has taken effect yet)."""
    return _in_force(session, document_id, now or utcnow())


# --- helpers ---------------------------------------------------------------------------------------------------------


def _publish_legal(session: Session, actor: User | None, entry: ContentEntry, now: datetime) -> Outcome:
    latest = session.exec(
        select(LegalVersion).where(LegalVersion.document_id == entry.id).order_by(col(LegalVersion.number).desc())
    ).first()
    content = _content()
    same_text = latest is not None and (latest.title, latest.body) == (entry.title, entry.body)
    if same_text and entry.status == ContentStatus.published:
        raise ValidationFailed(
            {'': _('Version {number} already has this text: edit it first').format(number=latest.number)}
        )
    # back on the front office after an unpublish, even with the same text, is a new version from now: the one before
    # ended when it was taken off, and both stay on record with their own dates (republished under the same number, its
    # 'in force since' told customers of a time the terms were not on the front office at all)
    effective_from = entry.publish_at if entry.publish_at and entry.publish_at > now else now
    if latest is not None and latest.effective_until is None:  # in force, or scheduled: the new one takes over
        if effective_from <= latest.effective_from:
            raise ValidationFailed(
                {
                    'publish_at': _('Version {number} takes effect on {when}: set a later time').format(
                        number=latest.number, when=formatting.when(latest.effective_from)
                    )
                }
            )
        latest.effective_until = effective_from
        session.add(latest)
    created = LegalVersion(
        document_id=entry.id,
        number=latest.number + 1 if latest else 1,
        title=entry.title,
        body=entry.body,
        published_at=now,
        published_by=actor.email if actor else 'system',
        effective_from=effective_from,
    )
    session.add(created)
    session.flush()
    events.after_commit(session, Topic.legal_versions, {'id': created.id, 'action': 'created'})
    saved = save_change(
        session,
        actor,
        content,
        entry,
        {'status': ContentStatus.published, 'published_at': now, 'legal_version': created.number},
        'published',
    )
    return _outcome(
        saved,
        message=_('Published version {number}, in force from {when}').format(
            number=created.number, when=formatting.when(effective_from)
        ),
    )


def _withdraw_versions(session: Session, entry: ContentEntry, now: datetime) -> None:
    """A legal document taken off the front office: no version of it is in force after now (a superseded one ended
    at the next one's start, which may be later; one scheduled for later ends where it starts: never in force)."""
    open_or_later = select(LegalVersion).where(
        LegalVersion.document_id == entry.id,
        or_(col(LegalVersion.effective_until).is_(None), col(LegalVersion.effective_until) > now),
    )
    for version in session.exec(open_or_later):
        version.effective_until = max(now, version.effective_from)
        session.add(version)
        events.after_commit(session, Topic.legal_versions, {'id': version.id, 'action': 'updated'})


def _compared(before: list[str], after: list[str]) -> list[LineChange]:
    lines: list[LineChange] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, a_from, a_to, b_from, b_to in matcher.get_opcodes():
        if tag == 'equal':
            lines += [LineChange('same', line) for line in before[a_from:a_to]]
            continue
        lines += [LineChange('removed', line) for line in before[a_from:a_to]]
        lines += [LineChange('added', line) for line in after[b_from:b_to]]
    return lines


CONTEXT = 2  # unchanged lines kept around a change; a longer unchanged stretch is folded into one line saying how many


def _folded(lines: list[LineChange]) -> list[LineChange]:
    changed = [i for i, line in enumerate(lines) if line.kind != 'same']
    near = {j for i in changed for j in range(i - CONTEXT, i + CONTEXT + 1)}
    folded: list[LineChange] = []
    hidden = 0
    for i, line in enumerate(lines):
        if line.kind != 'same' or i in near:
            if hidden:
                folded.append(LineChange('skipped', _skipped(hidden)))
                hidden = 0
            folded.append(line)
        else:
            hidden += 1
    if hidden:
        folded.append(LineChange('skipped', _skipped(hidden)))
    return folded


def _skipped(count: int) -> str:
    return ngettext('… {n} unchanged line', '… {n} unchanged lines', count).format(n=count)


def _published(session: Session, slug: str) -> ContentEntry | None:
    statement = select(ContentEntry).where(
        ContentEntry.slug == slug.strip().lower(),
        ContentEntry.status == ContentStatus.published,
        col(ContentEntry.deleted_at).is_(None),
    )
    return session.exec(statement).first()


def _live_now(entry: ContentEntry, now: datetime) -> bool:
    """A published page or text is live once its scheduled time (if any) has come."""
    return entry.publish_at is None or entry.publish_at <= now


def _in_force(session: Session, document_id: int, now: datetime) -> LegalVersion | None:
    statement = (
        select(LegalVersion)
        .where(
            LegalVersion.document_id == document_id,
            LegalVersion.effective_from <= now,
            or_(col(LegalVersion.effective_until).is_(None), LegalVersion.effective_until > now),
        )
        .order_by(col(LegalVersion.number).desc())
    )
    return session.exec(statement).first()


def _scheduled(session: Session, document_id: int, now: datetime) -> list[LegalVersion]:
    """The versions of a legal document published to take effect later (that Unpublish would cancel)."""
    statement = (
        select(LegalVersion)
        .where(LegalVersion.document_id == document_id, LegalVersion.effective_from > now)
        .where(
            or_(col(LegalVersion.effective_until).is_(None), LegalVersion.effective_until > LegalVersion.effective_from)
        )
        .order_by(col(LegalVersion.number))
    )
    return list(session.exec(statement))


def _no_content(slug: str) -> str:
    return _("No published content with the slug '{slug}'.").format(slug=slug)


def _content():
    return declaration.resource('content')


@event.listens_for(ContentEntry, 'before_update')
def _legal_records_stay(_mapper, _connection, entry: ContentEntry) -> None:
    """A legal document with published versions is what customers agreed to: it stays a legal document and is never
    moved to the trash (so never purged), whichever path tries — edit, delete, bulk delete, revert. Unpublishing takes
    it off the front office."""
    if not entry.legal_version:
        return
    state = inspect(entry).attrs
    trashed = state.deleted_at.history.added
    if trashed and trashed[0] is not None:
        raise ValidationFailed(
            {'': _('A legal document with published versions stays on record: unpublish it instead of deleting it')}
        )
    if state.kind.history.has_changes() and entry.kind != ContentKind.legal:
        raise ValidationFailed({'kind': _(LEGAL_STAYS_LEGAL)})


def _outcome(record, *, message: str):
    from backoffice.engine.declaration import Outcome

    return Outcome(record, message=message)
