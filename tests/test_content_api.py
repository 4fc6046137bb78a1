"""The front office reads published content over HTTP: public, read-only, cacheable for a minute, typed in OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest

from backoffice.api.content import router
from backoffice.db import session_scope
from backoffice.models import utcnow
from backoffice.resources import resource
from backoffice.services import crud
from backoffice.services.content import unpublish_content

from .support.api import api_client
from .support.factories import edit_content, make_content, make_user, publish_content


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(router) as client:
        yield client


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace('Z', '+00:00'))


async def test_a_published_page_is_served_with_its_markdown_and_may_be_cached(client: httpx.AsyncClient) -> None:
    page = make_content('about', title='About us', body='# Hello\n\n<script>alert(1)</script>', published=True)

    response = await client.get('/api/content/about')

    assert response.status_code == 200
    assert response.headers['cache-control'] == 'public, max-age=60'
    body = response.json()
    assert at(body.pop('published_at')) == page.published_at
    assert body == {
        'slug': 'about',
        'title': 'About us',
        'body': '# Hello\n\n<script>alert(1)</script>',
        'kind': 'page',
        'version': None,
        'effective_from': None,
        'effective_until': None,
    }


async def test_a_text_edited_after_publishing_is_served_as_edited(client: httpx.AsyncClient) -> None:
    shipping = make_content('shipping', kind='text', body='Free from 50 €', published=True)
    edit_content(shipping, make_user('manager'), body='Free from 40 €')

    body = (await client.get('/api/content/shipping')).json()

    assert (body['kind'], body['body']) == ('text', 'Free from 40 €')


@pytest.mark.parametrize('case', ['unknown', 'draft', 'deleted', 'unpublished', 'scheduled'])
async def test_what_is_not_live_is_not_found_and_says_so(client: httpx.AsyncClient, case: str) -> None:
    manager = make_user('manager')
    if case == 'draft':
        make_content('about')
    elif case == 'deleted':
        entry = make_content('about', published=True)
        with session_scope() as session:
            crud.delete_record(session=session, actor=manager, resource=resource('content'), record_id=entry.id)
    elif case == 'unpublished':
        entry = make_content('about', published=True)
        with session_scope() as session:
            unpublish_content(session=session, actor=manager, record_id=entry.id, version=entry.version)
    elif case == 'scheduled':
        make_content('about', publish_at=utcnow() + timedelta(hours=1), published=True)

    response = await client.get('/api/content/about')

    assert response.status_code == 404
    assert response.json() == {'detail': "No published content with the slug 'about'."}


async def test_a_legal_document_is_served_in_its_version_in_force(client: httpx.AsyncClient) -> None:
    manager = make_user('manager')
    t1 = utcnow() - timedelta(days=60)
    terms = make_content('terms-of-sale', title='Terms of sale', kind='legal', body='Old terms')
    terms = publish_content(terms, actor=manager, now=t1)
    next_week = (utcnow() + timedelta(days=7)).replace(microsecond=0)
    terms = publish_content(edit_content(terms, manager, body='New terms', publish_at=next_week), actor=manager)
    edit_content(terms, manager, body='Draft of the third version')  # not published: never served

    body = (await client.get('/api/content/terms-of-sale')).json()

    assert (body['kind'], body['version'], body['body']) == ('legal', 1, 'Old terms')
    assert at(body['effective_from']) == t1 and at(body['published_at']) == t1
    assert at(body['effective_until']) == next_week  # announced: version 2 takes over then


async def test_the_versions_of_a_legal_document_are_listed_and_each_stays_readable(client: httpx.AsyncClient) -> None:
    manager = make_user('manager')
    t1, t2 = utcnow() - timedelta(days=400), utcnow() - timedelta(days=30)
    terms = publish_content(make_content('terms-of-sale', title='Terms of sale', kind='legal', body='First'), now=t1)
    terms = edit_content(terms, manager, title='Terms of sale 2025', body='Second')
    terms = publish_content(terms, actor=manager, now=t2)

    response = await client.get('/api/content/terms-of-sale/versions')

    assert response.status_code == 200 and response.headers['cache-control'] == 'public, max-age=60'
    listed = response.json()
    assert (listed['slug'], listed['current']) == ('terms-of-sale', 2)
    assert [
        (v['version'], v['title'], at(v['effective_from']), v['effective_until'] and at(v['effective_until']))
        for v in listed['versions']
    ] == [(1, 'Terms of sale', t1, t2), (2, 'Terms of sale 2025', t2, None)]
    first = (await client.get('/api/content/terms-of-sale/versions/1')).json()
    assert (first['version'], first['body'], at(first['effective_until'])) == (1, 'First', t2)
    missing = await client.get('/api/content/terms-of-sale/versions/3')
    assert missing.status_code == 404
    assert missing.json() == {'detail': "The legal document 'terms-of-sale' has no version 3."}


async def test_versions_are_only_for_published_legal_documents(client: httpx.AsyncClient) -> None:
    make_content('about', published=True)
    make_content('privacy-policy', kind='legal', body='Draft only')

    not_legal = await client.get('/api/content/about/versions')
    draft = await client.get('/api/content/privacy-policy/versions')
    unknown = await client.get('/api/content/nothing-here/versions')

    assert (not_legal.status_code, draft.status_code, unknown.status_code) == (404, 404, 404)
    assert not_legal.json() == {'detail': "'about' is not a legal document, so it has no versions."}
    assert draft.json() == {'detail': "No published content with the slug 'privacy-policy'."}


async def test_the_content_api_is_read_only_and_documented_in_the_api_schema(client: httpx.AsyncClient) -> None:
    make_content('about', published=True)
    assert (await client.post('/api/content/about', json={})).status_code == 405
    assert (await client.delete('/api/content/about')).status_code == 405

    schema = (await client.get('/openapi.json')).json()

    for path in ('/api/content/{slug}', '/api/content/{slug}/versions', '/api/content/{slug}/versions/{number}'):
        assert set(schema['paths'][path]) == {'get'}
        operation = schema['paths'][path]['get']
        assert 'content' in operation['tags'] and {'200', '404'} <= set(operation['responses'])
    published = schema['components']['schemas']['PublishedContent']['properties']
    assert {'slug', 'title', 'body', 'kind', 'published_at', 'version', 'effective_from'} <= set(published)


NOT_LIVE = ['draft', 'deleted', 'unpublished', 'scheduled page', 'scheduled text', 'scheduled legal document']
CONTENT_PATHS = [route.path for route in router.routes if 'GET' in getattr(route, 'methods', ())]


def make_not_live(case: str, slug: str) -> None:
    manager = make_user('manager')
    later = utcnow() + timedelta(days=3)
    if case == 'draft':
        make_content(slug, kind='legal', title='Draft: "<script>"')
    elif case == 'deleted':
        entry = make_content(slug, published=True)
        with session_scope() as session:
            crud.delete_record(session=session, actor=manager, resource=resource('content'), record_id=entry.id)
    elif case == 'unpublished':
        entry = make_content(slug, kind='legal', published=True)
        with session_scope() as session:
            unpublish_content(session=session, actor=manager, record_id=entry.id, version=entry.version)
    else:
        kind = case.removeprefix('scheduled ').replace('legal document', 'legal')
        make_content(slug, kind=kind, title='Launch: "<script>"', body='Secret: soon', publish_at=later, published=True)


@pytest.mark.parametrize('path', CONTENT_PATHS)
@pytest.mark.parametrize('case', NOT_LIVE)
async def test_content_not_live_yet_answers_exactly_like_a_missing_slug(
    client: httpx.AsyncClient, case: str, path: str
) -> None:
    """Every content endpoint (a new one too) hides a draft, trashed, unpublished or scheduled entry: the answer is the
    one for a slug that never existed, so nobody learns that a launch page or new terms are coming."""
    make_not_live(case, 'launch')

    hidden = await client.get(path.format(slug='launch', number=1))
    missing = await client.get(path.format(slug='nothing', number=1))

    assert CONTENT_PATHS and hidden.status_code == missing.status_code == 404
    assert hidden.json() == {'detail': missing.json()['detail'].replace('nothing', 'launch')}
    assert 'cache-control' not in hidden.headers and 'cache-control' not in missing.headers
