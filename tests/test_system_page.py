"""The System screen: an administrator sees the health checks, takes a backup and finds it listed; others cannot."""

from __future__ import annotations

from nicegui.testing import User

from .support.factories import make_user
from .support.signin import sign_in


async def test_an_admin_sees_the_health_and_takes_a_backup(user: User) -> None:
    admin = make_user('admin')
    await sign_in(user, admin.email, path='/system')
    await user.should_see(marker='check-Database')
    await user.should_see(marker='check-Schema')
    await user.should_see('Up to date with this version')
    await user.should_see('No backup yet: take one now')
    user.find(marker='back-up').click()
    await user.should_see('Backup written', retries=100)  # pg_dump takes a few seconds
    await user.should_see(marker='backup')
    await user.should_not_see('No backup yet: take one now')


async def test_a_manager_gets_no_access(user: User) -> None:
    manager = make_user('manager')
    await sign_in(user, manager.email, path='/system')
    await user.should_see("You don't have access to this page")
    await user.should_not_see(marker='back-up')
