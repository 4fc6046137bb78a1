"""The front office's read-only content API: published pages and texts, and legal documents with their versions.

Public (no key): everything it serves is already public on the front office. Responses may be cached for a minute."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response
from pydantic import BaseModel, Field

from backoffice import resources  # noqa: F401  (declares every resource before the services that use them load)
from backoffice.api.input_rules import INT64_MAX, StrictRoute
from backoffice.db import read_session
from backoffice.errors import NotFound
from backoffice.models import ContentEntry, ContentKind, LegalVersion
from backoffice.services import content

router = APIRouter(prefix='/api/content', tags=['content'], route_class=StrictRoute)

CACHE_CONTROL = 'public, max-age=60'


class PublishedContent(BaseModel):
    slug: str
    title: str
    body: str = Field(description='Markdown; render it with a sanitising Markdown renderer')
    kind: ContentKind
    published_at: datetime = Field(
        description='When this text was published (a page scheduled for later: when it went live)'
    )
    version: int | None = Field(default=None, description='Legal documents: the number of the version in force')
    effective_from: datetime | None = Field(default=None, description='Legal documents: in force since')
    effective_until: datetime | None = Field(
        default=None, description='Legal documents: when a newer, already published version takes over'
    )


class LegalVersionInfo(BaseModel):
    version: int
    title: str
    published_at: datetime
    effective_from: datetime
    effective_until: datetime | None = Field(default=None, description='None: in force now')


class LegalVersionText(LegalVersionInfo):
    slug: str
    body: str = Field(description='Markdown')


class LegalVersions(BaseModel):
    slug: str
    current: int = Field(description='The number of the version in force')
    versions: list[LegalVersionInfo] = Field(description='Oldest first')


class Missing(BaseModel):
    detail: str


NOT_FOUND = {404: {'model': Missing, 'description': 'No published content with this slug (or version)'}}


@router.get('/{slug}', response_model=PublishedContent, responses=NOT_FOUND)
def get_content(slug: str, response: Response) -> PublishedContent:
    """A published page, text or legal document (for a legal document: the version in force)."""
    with read_session() as session:
        entry, version = _or_404(lambda: content.live_entry(session=session, slug=slug))
    response.headers['Cache-Control'] = CACHE_CONTROL
    return _published(entry, version)


@router.get('/{slug}/versions', response_model=LegalVersions, responses=NOT_FOUND)
def get_versions(slug: str, response: Response) -> LegalVersions:
    """Every version of a legal document that has taken effect, oldest first, with the dates it was in force."""
    with read_session() as session:
        versions = _or_404(lambda: content.live_versions(session=session, slug=slug))
        entry, current = content.live_entry(session=session, slug=slug)
    response.headers['Cache-Control'] = CACHE_CONTROL
    return LegalVersions(slug=entry.slug, current=current.number, versions=[_info(v) for v in versions])


@router.get('/{slug}/versions/{number}', response_model=LegalVersionText, responses=NOT_FOUND)
def get_version(slug: str, number: Annotated[int, Path(ge=1, le=INT64_MAX)], response: Response) -> LegalVersionText:
    """One version of a legal document as it was published, current or earlier."""
    with read_session() as session:
        version = _or_404(lambda: content.live_version(session=session, slug=slug, number=number))
    response.headers['Cache-Control'] = CACHE_CONTROL
    return LegalVersionText(slug=slug.strip().lower(), body=version.body, **_info(version).model_dump())


def _or_404(read):
    try:
        return read()
    except NotFound as error:
        raise HTTPException(status_code=404, detail=str(error)) from None


def _published(entry: ContentEntry, version: LegalVersion | None) -> PublishedContent:
    if version is not None:
        return PublishedContent(
            slug=entry.slug,
            title=version.title,
            body=version.body,
            kind=entry.kind,
            published_at=version.published_at,
            version=version.number,
            effective_from=version.effective_from,
            effective_until=version.effective_until,
        )
    published_at = entry.published_at or entry.updated_at
    live_since = max(published_at, entry.publish_at) if entry.publish_at else published_at
    return PublishedContent(
        slug=entry.slug, title=entry.title, body=entry.body, kind=entry.kind, published_at=live_since
    )


def _info(version: LegalVersion) -> LegalVersionInfo:
    return LegalVersionInfo(
        version=version.number,
        title=version.title,
        published_at=version.published_at,
        effective_from=version.effective_from,
        effective_until=version.effective_until,
    )
