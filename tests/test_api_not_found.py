"""A mistyped API address answers JSON a program can read (and says where the routes are), never the staff's HTML
"page not found" page."""

from __future__ import annotations

from nicegui.testing import User

from .support.api import bearer, make_key


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


async def test_an_api_routes_own_404_keeps_its_words(user: User) -> None:
    """A record that is not there is not a mistyped address: the route's own sentence comes back, not 'no route'."""
    headers = bearer(make_key(scopes=('requests:write', 'customers:read'))[1])
    answer = await user.http_client.post(
        '/api/requests/2147483000/messages', json={'email': 'o\'<script>"x":@example.com', 'body': 'x'}, headers=headers
    )
    assert answer.status_code == 404 and answer.headers['content-type'] == 'application/json'
    assert answer.json() == {'detail': 'No request of this customer has this number.'}
    answer = await user.http_client.get('/api/customer/orders', params={'email': 'nobody@example.com'}, headers=headers)
    assert answer.status_code == 404 and answer.json() == {'detail': 'There is no customer with this email.'}


async def test_a_method_an_api_address_does_not_take_is_said_in_the_callers_language(user: User) -> None:
    """It answered Starlette's "Method Not Allowed" in English to every caller."""
    answer = await user.http_client.get('/api/requests', headers={'Authorization': 'Bearer bo_x'})
    assert answer.status_code == 405 and answer.headers['allow'] == 'POST'
    assert answer.json() == {'detail': 'This API address does not take GET; its methods are listed at /docs.'}
    french = await user.http_client.delete('/api/events', headers={'Accept-Language': 'fr'})
    assert french.status_code == 405
    assert french.json() == {
        'detail': 'Cette adresse de l’API n’accepte pas DELETE\u00a0; ses méthodes sont listées sur /docs.'
    }
