"""Content for the front office: pages, texts, legal documents, and the immutable published versions of legal ones."""

import re
import unicodedata
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import Index, Text, UniqueConstraint, event, inspect
from sqlmodel import Field, SQLModel

from backoffice.i18n import N_
from backoffice.models.base import EditableTable, SoftDeletable, folded_prefix_index, prefix_index, string_enum, utcnow
from backoffice.validation import RequiredText

SLUG_MAX = 120


class ContentKind(StrEnum):
    page = 'page'  # a page of its own on the front office (about, FAQ)
    text = 'text'  # a snippet the front office places somewhere (shipping note, footer)
    legal = 'legal'  # terms of sale, privacy policy: every published version is kept


class ContentStatus(StrEnum):
    draft = 'draft'
    published = 'published'


class ContentEntry(EditableTable, SoftDeletable, table=True):
    """A page or text the front office shows by its slug. Publishing is an action; for a legal document it also
    records the text as a new, immutable LegalVersion."""

    __tablename__ = 'content_entries'
    __table_args__ = (  # case-insensitive duplicate check, search by prefix
        prefix_index('ix_content_entries_slug_lower', 'slug'),
        folded_prefix_index('ix_content_entries_title_fold', 'title'),  # search by prefix, accents off
    )

    slug: str = Field(max_length=SLUG_MAX, unique=True, index=True)
    title: str = Field(max_length=200)
    body: str = Field(default='', sa_type=Text)  # Markdown
    kind: ContentKind = Field(default=ContentKind.page, sa_type=string_enum(ContentKind))
    status: ContentStatus = Field(default=ContentStatus.draft, sa_type=string_enum(ContentStatus), index=True)
    publish_at: datetime | None = None  # live from then (a legal document: its next version takes effect then)
    published_at: datetime | None = None  # when the Publish action last ran
    legal_version: int | None = None  # a legal document: the number of its latest published version


class LegalVersion(EditableTable, table=True):
    """One published version of a legal document, as it was published. Never edited or deleted: the only change it
    ever gets is its effective_until, set when the next version is published or brought forward (never later) when
    the document is taken off the front office."""

    __tablename__ = 'legal_versions'
    __table_args__ = (UniqueConstraint('document_id', 'number', name='uq_legal_versions_document_number'),)

    document_id: int = Field(foreign_key='content_entries.id', index=True)
    number: int  # 1, 2, 3… per document, without gaps
    title: str = Field(max_length=200)
    body: str = Field(default='', sa_type=Text)
    published_at: datetime
    published_by: str = Field(default='system', max_length=254)
    effective_from: datetime
    effective_until: datetime | None = None  # the next version's effective_from, or the withdrawal; None while current


class PublishedVersionIsImmutable(Exception):
    """Raised on any attempt to change or delete a published legal version (a programming error, not user input)."""


@event.listens_for(LegalVersion, 'before_update')
def _versions_change_only_by_being_superseded(_mapper, _connection, version: LegalVersion) -> None:
    state = inspect(version)
    changed = {a.key for a in state.attrs if a.history.has_changes()} - {'updated_at', 'version'}
    until = state.attrs.effective_until.history
    # ended: by the next version (once) or by the document's withdrawal, which may only bring an end date forward
    was = list(until.deleted)
    ended = was in ([], [None]) or (was[0] is not None and until.added and until.added[0] <= was[0])
    if changed and not (changed == {'effective_until'} and ended):
        raise PublishedVersionIsImmutable(
            f'Version {version.number} of a legal document is published; '
            f'it cannot be changed ({", ".join(sorted(changed))})'
        )


@event.listens_for(LegalVersion, 'before_delete')
def _versions_are_never_deleted(_mapper, _connection, version: LegalVersion) -> None:
    raise PublishedVersionIsImmutable(
        f'Version {version.number} of a legal document is published; it cannot be deleted'
    )


# --- what forms and the API may send --------------------------------------------------------------------------------

_SEPARATORS = re.compile(r'[\s_.]+')
_SLUG = re.compile(r'^[a-z0-9]+(?:-[a-z0-9]+)*$')


def normalize_slug(value: str | None) -> str:
    """'  Über uns_Team ' → 'uber-uns-team'; anything else than letters, digits and dashes is refused."""
    folded = unicodedata.normalize('NFKD', value or '').encode('ascii', 'ignore').decode().strip().lower()
    slug = re.sub(r'-{2,}', '-', _SEPARATORS.sub('-', folded)).strip('-')
    if not slug:
        raise ValueError('This field is required')
    if not _SLUG.match(slug):
        # marked only: the form's error reads it in the reader's language (errors.readable); it stayed English
        raise ValueError(N_('Use only lowercase letters, digits and dashes, e.g. terms-of-sale'))
    if len(slug) > SLUG_MAX:
        raise ValueError(N_('At most 120 characters'))  # SLUG_MAX
    return slug


def _blank_is_none(value):
    return None if value == '' else value


def _aware(value: datetime | None) -> datetime | None:
    """A date and time typed in the form has no zone: the back office shows and reads times in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _none_is_empty(value):
    return '' if value is None else value


Slug = Annotated[str, BeforeValidator(_none_is_empty), AfterValidator(normalize_slug)]
Markdown = Annotated[str, BeforeValidator(_none_is_empty)]
OptionalDatetime = Annotated[datetime | None, BeforeValidator(_blank_is_none), AfterValidator(_aware)]


class ContentCreate(BaseModel):
    """A new entry is always a draft: publishing is an action."""

    slug: Slug
    title: RequiredText = PydanticField(max_length=200)
    body: Markdown = ''
    kind: Annotated[ContentKind, BeforeValidator(lambda v: v or ContentKind.page)] = ContentKind.page
    publish_at: OptionalDatetime = None


class ContentUpdate(BaseModel):
    """Only what was sent changes; a cleared required field is an error, not a NULL."""

    slug: Slug | None = None
    title: RequiredText | None = PydanticField(default=None, max_length=200)
    body: Markdown | None = None
    kind: ContentKind | None = None
    publish_at: OptionalDatetime = None

    @field_validator('slug', 'title', 'kind', mode='before')
    @classmethod
    def _required_when_sent(cls, value):
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError('This field is required')
        return value

    @field_validator('body', mode='before')
    @classmethod
    def _cleared_body_is_empty(cls, value):
        return '' if value is None else value


class AcceptanceSource(StrEnum):
    api = 'api'  # the front office told us, over /api/legal-acceptances
    portal = 'portal'  # the customer accepted in the portal


class LegalAcceptance(SQLModel, table=True):
    """A customer accepted one published version of a legal document, then. Append-only: never edited, except that an
    erasure of the customer's personal data forgets the address it came from (services/personal_data.py); one row per
    customer and version (a repeat is the same acceptance)."""

    __tablename__ = 'legal_acceptances'
    __table_args__ = (
        UniqueConstraint('customer_id', 'version_id', name='uq_legal_acceptances_customer_version'),
        Index('ix_legal_acceptances_customer', 'customer_id', 'document_id'),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key='customers.id')
    document_id: int = Field(foreign_key='content_entries.id')
    version_id: int = Field(foreign_key='legal_versions.id')
    number: int  # the version's number, as the customer saw it
    accepted_at: datetime
    source: AcceptanceSource = Field(default=AcceptanceSource.api, sa_type=string_enum(AcceptanceSource))
    ip: str | None = Field(default=None, max_length=45)  # IPv4 or IPv6, as the front office saw it
    recorded_at: datetime = Field(default_factory=utcnow, nullable=False)


class AcceptanceIsFinal(Exception):
    """Raised on any change to a recorded acceptance but the erasure of its address (a programming error)."""


@event.listens_for(LegalAcceptance, 'before_update')
def _acceptances_only_lose_their_address(_mapper, _connection, acceptance: LegalAcceptance) -> None:
    state = inspect(acceptance)
    changed = {a.key for a in state.attrs if a.history.has_changes()}
    if changed - {'ip'} or acceptance.ip is not None:
        raise AcceptanceIsFinal(f'Acceptance {acceptance.id} is final: only its address may be erased')


@event.listens_for(LegalAcceptance, 'before_delete')
def _acceptances_are_never_deleted(_mapper, _connection, acceptance: LegalAcceptance) -> None:
    raise AcceptanceIsFinal(f'Acceptance {acceptance.id} is final: it cannot be deleted')
