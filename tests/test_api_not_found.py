"""A mistyped API address answers JSON a program can read (and says where the routes are), never the staff's HTML
"page not found" page."""

from __future__ import annotations

from nicegui.testing import User


async def test_an_unknown_api_address_answers_json_in_the_callers_language(user: User) -> None:
    for path in ('/api/v1/nope', '/api/v1/customers/1/actions/nope', '/api/requests/1/nope"<script>":x'):
        answer = await user.http_client.get(path, headers={'Authorization': 'Bearer bo_x'})
        assert answer.status_code == 404 and answer.headers['content-type'] == 'application/json', path
        assert answer.json() == {'detail': 'There is no API route at this address; the routes are listed at /docs.'}
    french = await user.http_client.post('/api/v2/orders', json={}, headers={'Accept-Language': 'fr'})
    assert french.status_code == 404 and '/docs' in french.json()['detail'] and 'route' in french.json()['detail']
    assert (await user.http_client.get('/api/v1/customers/1', headers={'Authorization': 'Bearer bo_x'})).json() == {
        'detail': 'The API key is not valid.'
    }  # a real route still answers for itself
