"""An admin chooses, at /settings, what a new API key may do with each resource over /api/v1 (none, read, read and
write), beside the intake scopes; hostile text in its name comes back as text."""

from __future__ import annotations

from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.models import ApiKey, User
from backoffice.services import api_keys, users

from .support.factories import make_user

HOSTILE = 'Shop "<script>alert(1)</script>": \'x\''


async def test_an_admin_gives_a_key_read_and_write_per_resource(user, as_role) -> None:
    await as_role('admin')
    await user.open('/settings')
    user.find('New API key').click()
    await user.should_see('Records over /api/v1')
    await user.should_see('/api/v1/customers')
    user.find(marker='api-key-name').type(HOSTILE)
    user.find('requests:write — Submit customer requests and follow-ups').click()  # unticks the default
    user.find(marker='scope-customers').elements.pop().value = 'write'
    user.find(marker='scope-orders').elements.pop().value = 'read'
    user.find('Create key').click()

    await user.should_see(f'API key “{HOSTILE}”')
    user.find('Done').click()
    await user.should_see(HOSTILE)
    await user.should_see('read:orders, write:customers')
    with read_session() as session:
        key = session.exec(select(ApiKey)).one()
        maker = session.exec(select(User).where(User.email == key.created_by)).one()
    assert (key.name, key.scopes) == (HOSTILE, ['read:orders', 'write:customers'])
    assert key.user_id == maker.id  # its calls act as the admin who made it


async def test_a_key_with_no_scope_at_all_is_refused_in_the_dialog(user, as_role) -> None:
    await as_role('admin')
    await user.open('/settings')
    user.find('New API key').click()
    await user.should_see('Records over /api/v1')
    user.find(marker='api-key-name').type('Nothing')
    user.find('requests:write — Submit customer requests and follow-ups').click()
    user.find('Create key').click()
    await user.should_see('Choose at least one scope.')


async def test_a_key_acting_for_a_deactivated_colleague_says_so_instead_of_active(user, as_role) -> None:
    """A key made at the command line --as someone, who was then deactivated: every call is refused (403), an intake
    one's too (api_keys.check_maker), while the list said 'active' and named only who made it."""
    leaver = make_user('manager', email='leaver@example.com')
    with session_scope() as session:
        api_keys.create_key(
            session=session, actor=None, system=True, name=HOSTILE, scopes=['requests:write'], acting_as=leaver
        )
    await as_role('admin')
    await user.open('/settings')
    await user.should_see('acts as leaver@example.com')
    await user.should_see(content='active')
    admin = make_user('admin')
    with session_scope() as session:
        users.set_active(session=session, actor=admin, user_id=leaver.id, version=leaver.version, active=False)
    await user.open('/settings')
    await user.should_see('leaver@example.com is deactivated: its calls are refused')
