"""Security headers on every answer; HSTS and a Secure session cookie only when the request came over HTTPS."""

from __future__ import annotations

import httpx
import pytest
from nicegui import app
from nicegui.testing import User

EVERY_KIND_OF_ANSWER = [
    '/login',  # a page
    '/users',  # a redirect to the sign-in page
    '/healthz',  # JSON
    '/api/requests',  # the API refusing a call without a key
    '/openapi.json',
    '/no-such-page-"<script>x</script>',  # not found
]


def client(scheme: str = 'http') -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=f'{scheme}://test')


@pytest.mark.parametrize('path', EVERY_KIND_OF_ANSWER)
async def test_every_answer_forbids_framing_sniffing_and_foreign_content(user: User, path: str) -> None:
    async with client() as http:
        response = await http.get(path)
    csp = response.headers['content-security-policy']
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp and "object-src 'none'" in csp
    assert response.headers['x-frame-options'] == 'DENY'
    assert response.headers['x-content-type-options'] == 'nosniff'
    assert response.headers['referrer-policy'] == 'strict-origin-when-cross-origin'
    assert 'strict-transport-security' not in response.headers  # plain HTTP: HSTS would be ignored, or lock out


async def test_over_https_the_cookie_is_secure_and_hsts_is_sent(user: User) -> None:
    async with client('https') as http:
        response = await http.get('/login')
    assert response.headers['strict-transport-security'].startswith('max-age=31536000')
    cookie = response.headers['set-cookie']
    assert cookie.startswith('session=') and 'secure' in cookie.lower() and 'samesite=lax' in cookie.lower()


async def test_over_plain_http_the_cookie_works_without_secure(user: User) -> None:
    async with client() as http:
        response = await http.get('/login')
    assert 'secure' not in response.headers['set-cookie'].lower()  # a laptop on http://127.0.0.1 still signs in


async def test_only_the_api_docs_may_load_their_cdn(user: User) -> None:
    async with client() as http:
        docs, page = await http.get('/docs'), await http.get('/login')
    assert 'https://cdn.jsdelivr.net' in docs.headers['content-security-policy']
    assert "frame-ancestors 'none'" in docs.headers['content-security-policy']
    assert 'https:' not in page.headers['content-security-policy']
