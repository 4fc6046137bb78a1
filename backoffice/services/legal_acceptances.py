"""Which published version of a legal document each customer accepted, and when: recorded once per customer and
version (the front office over the API, or the customer in the portal), read on the customer's page and in the
portal, exported and erased with their personal data."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from backoffice import formatting
from backoffice.engine.declaration import SectionRow, SectionRows
from backoffice.errors import NotFound, ValidationFailed
from backoffice.i18n import N_, _
from backoffice.models import (
    AcceptanceSource,
    ContentEntry,
    ContentKind,
    ContentStatus,
    Customer,
    LegalAcceptance,
    LegalVersion,
    User,
    utcnow,
)
from backoffice.permissions import can, require
from backoffice.services import content
from backoffice.services.erased import is_erased
from backoffice.services.portal_scope import PortalActor

CLOCK_SKEW = timedelta(minutes=5)  # the front office's clock may run a little ahead of ours

# the badge of a row on the customer's page
STANDING: dict[str, str] = {
    'current': N_('Current version'),
    'superseded': N_('Superseded'),
    'withdrawn': N_('No longer published'),
}
# where a version of a legal document is read: the content screen's legal versions, that version open
VERSION_PAGE = '/content?version={id}'
SOURCES: dict[str, str] = {'api': N_('via the shop'), 'portal': N_('in the portal')}


class VersionWithdrawn(ValidationFailed):
    """The version asked for was withdrawn (its document unpublished) before the time of the acceptance: refused at
    the version, as any version that cannot be accepted (the portal says it in the customer's words)."""


@dataclass(frozen=True)
class Recorded:
    acceptance: LegalAcceptance
    created: bool  # False: this customer had already accepted this version (the first record stands)


def record_acceptance(
    *,
    session: Session,
    document: str,
    version: int,
    email: str | None = None,
    customer_id: int | None = None,
    accepted_at: datetime | None = None,
    source: AcceptanceSource = AcceptanceSource.api,
    ip: str | None = None,
    now: datetime | None = None,
) -> Recorded:
    """Record that the customer (by email or id) accepted version `version` of the published legal document `document`
    (its slug) at `accepted_at` (default: now). A version not on the front office yet, or one accepted before it took
    effect, is refused at its field; the same acceptance twice is one record (the first one's time stands)."""
    given = {'email': email, 'customer_id': customer_id, 'document': document, 'version': version}
    checked = _checked(session, {**given, 'accepted_at': accepted_at, 'ip': ip}, now or utcnow())
    customer, chosen, accepted_at, address = checked.customer, checked.version, checked.accepted_at, checked.address
    if checked.errors or customer is None or chosen is None or accepted_at is None:
        raise (VersionWithdrawn if checked.withdrawn else ValidationFailed)(checked.errors)
    earlier = _earlier(session, customer.id, chosen.id)
    if earlier is not None:
        return Recorded(earlier, created=False)
    acceptance = LegalAcceptance(
        customer_id=customer.id or 0,
        document_id=chosen.document_id,
        version_id=chosen.id or 0,
        number=chosen.number,
        accepted_at=accepted_at,
        source=source,
        ip=address,
    )
    try:
        with session.begin_nested():  # a twin call may have recorded it meanwhile: then theirs stands
            session.add(acceptance)
            session.flush()
    except IntegrityError:
        earlier = _earlier(session, customer.id, chosen.id)
        if earlier is None:
            raise
        return Recorded(earlier, created=False)
    session.commit()
    return Recorded(acceptance, created=True)


def mistakes(*, session: Session, given: Mapping[str, Any], now: datetime | None = None) -> dict[str, str]:
    """What `record_acceptance` refuses, by field, among the fields `given` (its keyword arguments): a field absent
    was not read (the API said its own mistake), so nothing that depends on it is checked. The API says these beside
    a malformed field, in one answer (an unknown customer with a version sent as "x")."""
    return _checked(session, given, now or utcnow()).errors


@dataclass
class _Checked:
    errors: dict[str, str]
    withdrawn: bool = False  # the version refused was withdrawn (VersionWithdrawn)
    customer: Customer | None = None
    version: LegalVersion | None = None
    accepted_at: datetime | None = None
    address: str | None = None


def _checked(session: Session, given: Mapping[str, Any], now: datetime) -> _Checked:
    """Every field at fault in one go (a caller who fixed the email heard only then of the version), of those given."""
    checked = _Checked(errors={})
    errors = checked.errors
    if 'email' in given and 'customer_id' in given:
        try:
            checked.customer = _customer(session, given['email'], given['customer_id'])
        except ValidationFailed as error:
            errors.update(error.errors)
    if 'document' in given and 'version' in given:
        try:
            checked.version = _version_asked(session, given['document'], given['version'], now)
        except ValidationFailed as error:
            errors.update(error.errors)
            checked.withdrawn = isinstance(error, VersionWithdrawn)
    elif 'document' in given:  # the version unread: the document is still known or not
        try:
            content.live_versions(session=session, slug=given['document'], now=now)
        except NotFound as error:
            errors['document'] = _taken_off(session, given['document']) or str(error)
    if 'accepted_at' in given:
        sent: datetime = given['accepted_at'] or now
        if sent.tzinfo is None:
            errors['accepted_at'] = _('Give the time with its time zone (e.g. 2026-11-02T10:00:00Z).')
        else:
            # in UTC as every instant the app answers: kept in the caller's offset, the first answer said '…+05:00'
            # and a repeat, read back from the database, '…Z'
            checked.accepted_at = sent.astimezone(UTC)
            if checked.accepted_at > now + CLOCK_SKEW:
                errors['accepted_at'] = _('This time is in the future.')
    chosen, accepted_at = checked.version, checked.accepted_at
    if chosen is not None and accepted_at is not None and 'accepted_at' not in errors:
        # unpublishing withdrew it: from then on it was nowhere to be read, and no earlier version came back into force
        withdrawn = _withdrawn_at(session, chosen)
        if withdrawn is not None and accepted_at >= withdrawn:
            errors['version'] = _withdrawn_said(session, chosen, given['document'], withdrawn)
            checked.withdrawn = True
        # a version scheduled for later was published before it took effect, but the front office could not read it
        # (the API answers 404 for it) nor a customer accept it until then: an acceptance dated in between is refused
        elif accepted_at < chosen.effective_from:
            errors['accepted_at'] = _('This time is before version {number} took effect.').format(number=chosen.number)
    if 'ip' in given:
        try:
            checked.address = _address(given['ip'])
        except ValidationFailed as error:
            errors.update(error.errors)
    return checked


@dataclass(frozen=True)
class PortalDocument:
    """A legal document as the signed-in customer reads it in the portal: its version in force, as published, and
    where they stand with it."""

    slug: str
    title: str  # the version in force's, as published
    body: str  # its text, as published (shown as text)
    number: int
    in_force: str  # "Version 3, in force since …"
    said: str  # which version they accepted and when, or that they have not
    may_accept: bool  # the version in force is not accepted yet
    flagged: bool  # a new version of a document they accepted before: the portal points it out
    history: tuple[str, ...] = ()  # each version they accepted, when and where, the most recent first


def for_portal(*, session: Session, actor: PortalActor, now: datetime | None = None) -> list[PortalDocument]:
    """Every legal document on the front office now (a version in force), by title, each with the version the
    customer last accepted and when, and every version they accepted (when, and whether through the shop or here)."""
    now = now or utcnow()
    shown = []
    for entry, version in _in_force_now(session, now):
        history = _history(session, actor.customer_id, entry.id)
        accepted = history[0] if history else None
        current = accepted is not None and (
            accepted.number == version.number or _same_text(session, accepted.version_id, version)
        )
        if accepted is None:
            said = _('You have not accepted this document yet.')
        elif current and accepted.number != version.number:
            said = _(
                'You accepted version {number} on {when}; version {current} is the same text, published again.'
            ).format(number=accepted.number, when=formatting.when(accepted.accepted_at), current=version.number)
        elif current:
            said = _('You accepted version {number} on {when}.').format(
                number=accepted.number, when=formatting.when(accepted.accepted_at)
            )
        else:
            said = _(
                'You accepted version {number} on {when}. Version {current} is new: read it and accept it.'
            ).format(number=accepted.number, when=formatting.when(accepted.accepted_at), current=version.number)
        shown.append(
            PortalDocument(
                slug=entry.slug,
                title=version.title,
                body=version.body,
                number=version.number,
                in_force=_('Version {number}, in force since {day}').format(
                    number=version.number, day=formatting.day(version.effective_from)
                ),
                said=said,
                may_accept=not current,
                flagged=accepted is not None and not current,
                history=tuple(
                    _('Version {number}: accepted on {when}, {source}').format(
                        number=row.number,
                        when=formatting.when(row.accepted_at),
                        source=_(SOURCES.get(row.source, row.source)),
                    )
                    for row in history
                ),
            )
        )
    return shown


def new_versions(*, session: Session, actor: PortalActor, now: datetime | None = None) -> list[str]:
    """The titles of the documents whose version in force is newer than the one the customer accepted: what the
    portal's menu and home point out (a document never accepted is offered on its page, not pointed out)."""
    return [document.title for document in for_portal(session=session, actor=actor, now=now) if document.flagged]


def accept_in_portal(
    *, session: Session, actor: PortalActor, document: str, version: int, ip: str | None, now: datetime | None = None
) -> Recorded:
    """The signed-in customer accepts version `version` of `document`, as read in the portal: recorded as the API
    records it (once per customer and version, refused for a version not on the front office), from the portal, with
    the address the page was loaded from (kept only if it is an IP address: a proxy's name is not one). A document
    taken off the front office (or its version withdrawn) since the page was loaded is said so in the customer's words,
    on its card (the API's "No published content with the slug …" spoke of slugs)."""
    try:
        return record_acceptance(
            session=session,
            document=document,
            version=version,
            customer_id=actor.customer_id,
            source=AcceptanceSource.portal,
            ip=ip if _is_address(ip) else None,
            now=now,
        )
    except ValidationFailed as refused:
        if 'document' not in refused.errors and not isinstance(refused, VersionWithdrawn):
            raise
        raise ValidationFailed(
            {'': _('These terms are no longer published: reload the page to see the ones in force.')}
        ) from None


def accepted_said(recorded: Recorded, title: str) -> str:
    """What the portal tells the customer once they accepted (or had already)."""
    if recorded.created:
        return _('You accepted “{title}”, version {number}.').format(title=title, number=recorded.acceptance.number)
    return _('You had already accepted “{title}”, version {number}, on {when}.').format(
        title=title, number=recorded.acceptance.number, when=formatting.when(recorded.acceptance.accepted_at)
    )


def customer_acceptances(*, session: Session, actor: User, record_id: int, limit: int) -> SectionRows:
    """The customer page's section: each acceptance, the most recent first, with whether it is the version in force;
    each a link to the version accepted, open with its text (resources/content.py's LEGAL_VERSIONS link), for readers
    of the content."""
    require(actor, 'customers.read')
    linked = can(actor, 'content.read')
    where = [LegalAcceptance.customer_id == record_id]
    found = list(
        session.exec(
            select(LegalAcceptance)
            .where(*where)
            .order_by(col(LegalAcceptance.accepted_at).desc(), col(LegalAcceptance.id).desc())
            .limit(limit)
        )
    )
    total = session.exec(select(func.count()).select_from(LegalAcceptance).where(*where)).one()
    titles: dict[int, str] = {}
    in_force: dict[int, LegalVersion | None] = {}
    rows = []
    for acceptance in found:
        document_id = acceptance.document_id
        if document_id not in titles:
            entry = session.get(ContentEntry, document_id)
            titles[document_id] = entry.title if entry else f'#{document_id}'
            current = content.version_in_force(session=session, document_id=document_id)
            in_force[document_id] = current if current and entry and entry.deleted_at is None else None
        current = in_force[document_id]
        if current is not None and _same_text(session, acceptance.version_id, current):
            current_number: int | None = acceptance.number  # the same words, put back as a newer version: it stands
        else:
            current_number = current.number if current else None
        standing, detail = _standing(acceptance.number, current_number)
        source = _(SOURCES.get(acceptance.source, acceptance.source))
        rows.append(
            SectionRow(
                title=_('{document} v{number}').format(document=titles[document_id], number=acceptance.number),
                detail=' · '.join(part for part in (_('Accepted {source}').format(source=source), detail) if part),
                href=VERSION_PAGE.format(id=acceptance.version_id) if linked else '',
                status=standing,
                at=acceptance.accepted_at,
            )
        )
    return SectionRows(rows=rows, total=total)


def of_customer(session: Session, customer_id: int | None) -> list[dict[str, object]]:
    """Every acceptance of the customer's, oldest first, for their personal-data export: each version by the title it
    was published under, as the customer accepted it (the document's own title may have changed since, or be a draft's
    that was never published)."""
    statement = (
        select(LegalAcceptance, ContentEntry.slug, LegalVersion.title)
        .join(ContentEntry, col(ContentEntry.id) == col(LegalAcceptance.document_id))
        .join(LegalVersion, col(LegalVersion.id) == col(LegalAcceptance.version_id))
        .where(LegalAcceptance.customer_id == customer_id)
        .order_by(col(LegalAcceptance.accepted_at), col(LegalAcceptance.id))
    )
    return [
        {
            'document': slug,
            'title': title,
            'version': acceptance.number,
            'accepted_at': acceptance.model_dump(mode='json')['accepted_at'],
            'source': acceptance.source.value,
            'ip': acceptance.ip,
        }
        for acceptance, slug, title in session.exec(statement)
    ]


# --- helpers ---------------------------------------------------------------------------------------------------------


def _version_asked(session: Session, document: str, version: int, now: datetime) -> LegalVersion:
    """The published version `version` of the document `document` (its slug), or ValidationFailed at `document` or
    `version` (VersionWithdrawn: a version withdrawn before it ever took effect)."""
    try:
        versions = content.live_versions(session=session, slug=document, now=now)
    except NotFound as error:
        raise ValidationFailed({'document': _taken_off(session, document) or str(error)}) from None
    chosen = next((v for v in versions if v.number == version), None)
    never = _never_in_force(session, versions[0].document_id, version) if chosen is None else None
    if never is not None:
        raise VersionWithdrawn({'version': _withdrawn_said(session, never, document, never.effective_from)})
    if chosen is None:
        raise ValidationFailed(
            {
                'version': _("The legal document '{slug}' has no published version {number}.").format(
                    slug=document, number=version
                )
            }
        )
    return chosen


def _customer(session: Session, email: str | None, customer_id: int | None) -> Customer:
    if email is None and customer_id is None:  # "not both" read as a refusal of something that was not sent
        raise ValidationFailed({'email': _("Give the customer's email or their id.")})
    if email is not None and customer_id is not None:
        raise ValidationFailed({'email': _("Give the customer's email or their id, not both.")})
    if customer_id is not None:
        customer, field = session.get(Customer, customer_id), 'customer_id'
    else:
        field = 'email'
        customer = session.exec(
            select(Customer).where(func.lower(Customer.email) == (email or '').strip().lower())
        ).first()
    if customer is None or customer.deleted_at is not None or is_erased(customer):
        raise ValidationFailed({field: _('There is no customer with this email or id.')})
    return customer


def _address(ip: str | None) -> str | None:
    if ip is None or not ip.strip():
        return None
    try:
        return str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        raise ValidationFailed({'ip': _('This is not an IPv4 or IPv6 address.')}) from None


def _is_address(ip: str | None) -> bool:
    try:
        ipaddress.ip_address((ip or '').strip())
    except ValueError:
        return False
    return True


def _in_force_now(session: Session, now: datetime) -> list[tuple[ContentEntry, LegalVersion]]:
    """The published legal documents with a version in force now, by the title of that version (then id): the title
    the portal shows, not the document's own, which may be a draft's not published yet."""
    entries = session.exec(
        select(ContentEntry)
        .where(
            ContentEntry.kind == ContentKind.legal,
            ContentEntry.status == ContentStatus.published,
            col(ContentEntry.deleted_at).is_(None),
        )
        .order_by(col(ContentEntry.id))
    ).all()
    found = []
    for entry in entries:
        version = content.version_in_force(session=session, document_id=entry.id or 0, now=now)
        if version is not None:
            found.append((entry, version))
    return sorted(found, key=lambda pair: (pair[1].title.casefold(), pair[0].id or 0))


def _history(session: Session, customer_id: int, document_id: int | None) -> list[LegalAcceptance]:
    """The customer's acceptances of a document, the highest version first (the one that counts)."""
    return list(
        session.exec(
            select(LegalAcceptance)
            .where(LegalAcceptance.customer_id == customer_id, LegalAcceptance.document_id == document_id)
            .order_by(col(LegalAcceptance.number).desc(), col(LegalAcceptance.id).desc())
        )
    )


def _same_text(session: Session, version_id: int, in_force: LegalVersion) -> bool:
    """The version accepted has the very words of the one in force: the document was taken off the front office and
    put back unchanged, as a new version (services/content.py), and what the customer agreed to still stands."""
    accepted = session.get(LegalVersion, version_id)
    return accepted is not None and (accepted.title, accepted.body) == (in_force.title, in_force.body)


def _withdrawn_at(session: Session, version: LegalVersion) -> datetime | None:
    """When the version was withdrawn (its document unpublished while it was in force or scheduled), or None: still in
    force, or superseded by the next version (which took over at its end: a customer who read it a moment before may
    still accept it)."""
    if version.effective_until is None:
        return None
    following = session.exec(
        select(LegalVersion)
        .where(LegalVersion.document_id == version.document_id, LegalVersion.number > version.number)
        .order_by(col(LegalVersion.number))
    ).first()
    if following is not None and following.effective_from == version.effective_until:
        return None
    return version.effective_until


def _never_in_force(session: Session, document_id: int, number: int) -> LegalVersion | None:
    """Version `number` of the document if it was published for later and withdrawn before it took effect (the front
    office never read it: live_versions leaves it out)."""
    found = session.exec(
        select(LegalVersion).where(LegalVersion.document_id == document_id, LegalVersion.number == number)
    ).first()
    if found is None or found.effective_until is None or found.effective_until > found.effective_from:
        return None
    return found


def _withdrawn_said(session: Session, version: LegalVersion, slug: str, withdrawn: datetime) -> str:
    if version.effective_until is not None and version.effective_until <= version.effective_from:
        said = _("Version {number} of '{slug}' was withdrawn before it took effect: it can never be accepted.")
    else:
        said = _("Version {number} of '{slug}' was withdrawn on {when}: it can no longer be accepted.")
    said = said.format(number=version.number, slug=slug.strip().lower(), when=formatting.when(withdrawn))
    current = content.version_in_force(session=session, document_id=version.document_id)
    if current is not None:
        said = ' '.join((said, _('Version {number} is in force.').format(number=current.number)))
    return said


def _taken_off(session: Session, slug: str) -> str:
    """The refusal for a legal document that was published and is now off the front office ('' for anything else:
    the usual "no published content" then)."""
    entry = session.exec(
        select(ContentEntry).where(
            ContentEntry.slug == slug.strip().lower(),
            ContentEntry.kind == ContentKind.legal,
            col(ContentEntry.legal_version).is_not(None),
            col(ContentEntry.deleted_at).is_(None),
        )
    ).first()
    if entry is None or entry.status == ContentStatus.published:
        return ''
    return _(
        "The legal document '{slug}' was taken off the front office: none of its versions can be accepted until a "
        'version is published again.'
    ).format(slug=entry.slug)


def _earlier(session: Session, customer_id: int | None, version_id: int | None) -> LegalAcceptance | None:
    return session.exec(
        select(LegalAcceptance).where(
            LegalAcceptance.customer_id == customer_id, LegalAcceptance.version_id == version_id
        )
    ).first()


def _standing(accepted: int, current: int | None) -> tuple[str, str]:
    if current is None:
        return 'withdrawn', ''
    if current == accepted:
        return 'current', ''
    return 'superseded', _('current is v{number}').format(number=current)
