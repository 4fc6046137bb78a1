"""A list with no records says so and what to do first: the create button where the person may create, none where
they may not; a search that finds nothing says how to see more."""

from nicegui.testing import User

from .support.factories import make_user
from .support.signin import signed_in


async def test_an_empty_list_offers_the_first_record_to_whoever_may_create_it(user: User) -> None:
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/carriers')
    await user.should_see('There are no carriers yet.', retries=40)
    await user.should_see('Start with the first one: New carrier.')
    user.find(marker='empty-state-create').click()
    await user.should_see('Create carrier', retries=40)


async def test_a_viewer_is_told_the_list_is_empty_without_a_create_button(user: User) -> None:
    viewer = make_user('viewer')
    await signed_in(user, viewer.email, path='/carriers')
    await user.should_see('There are no carriers yet.', retries=40)
    await user.should_not_see('Start with the first one')
