"""The customer portal as a customer uses it: signing in with the invitation's link, a link asked for, or a password;
their orders, invoices and requests; a staff session never opens it, a portal session never opens the staff's pages."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from .support.factories import PASSWORD, make_customer, make_product, make_user, receive, place
from .support.portal import enter_portal, invite, last_link
from .support.signin import sign_in


async def test_an_invited_customer_opens_the_portal_from_the_email_link(user: User) -> None:
    await enter_portal(user, 'cleo@example.com', name='Cleo')
    await user.should_see('Your orders')
    await user.should_see('You have no orders yet.')
