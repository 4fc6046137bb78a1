"""An address that leads nowhere says so in words and offers the way home; an API address keeps its JSON 404."""

from nicegui.testing import User

from .support.factories import make_user
from .support.signin import signed_in


async def test_an_unknown_address_says_so_and_offers_the_way_home(user: User) -> None:
    account = make_user('agent')
    await signed_in(user, account.email)
    await user.should_see('Welcome')
    response = await user.http_client.get('/no-such-page')
    assert response.status_code == 404
    assert 'Page not found' in response.text
    assert 'Go to the dashboard' in response.text
    assert 'HTTPException' not in response.text


async def test_an_unknown_api_record_still_answers_json(user: User) -> None:
    response = await user.http_client.get('/api/content/no-such-page')
    assert response.status_code == 404
    assert response.headers['content-type'].startswith('application/json')
