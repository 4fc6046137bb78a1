"""An address that leads nowhere says so in words and offers the way home; an API address keeps its JSON 404."""

from nicegui.testing import User

from backoffice.db import session_scope
from backoffice.models import User as Staff

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


async def test_a_french_reader_reads_the_missing_page_in_french(user: User) -> None:
    """A stale link followed by an agent whose language is French: the page says so in French (it was English), with
    the way home in French; nobody signed in, the browser's Accept-Language decides."""
    account = make_user('agent')
    with session_scope() as session:
        stored = session.get(Staff, account.id)
        stored.language = 'fr'
        session.add(stored)
        session.commit()
    await signed_in(user, account.email)
    response = await user.http_client.get('/products/no-such-page')
    assert response.status_code == 404
    assert 'Page introuvable' in response.text
    assert 'Aller au tableau de bord' in response.text
    assert 'lang="fr"' in response.text
    assert 'Page not found' not in response.text
    user.http_client.cookies.clear()
    asked = await user.http_client.get('/portal/no-such-page', headers={'Accept-Language': 'fr-FR,fr;q=0.9'})
    assert asked.status_code == 404
    assert 'Page introuvable' in asked.text
