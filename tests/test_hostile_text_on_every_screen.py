"""Every text a person can set, filled with quotes, `:` props, script tags and `{{ }}`: every screen that shows it
opens without a server error and shows the text as text (the real-browser check is
browser/test_every_screen_with_hostile_text_in_chromium.py)."""

from __future__ import annotations

from nicegui.testing import User

import pages  # noqa: F401  (declares every screen)
from components.registry import SCREENS

from .support.factories import make_user
from .support.markup import hostile, store_everywhere
from .support.signin import signed_in

SIGNED_IN = sorted(path for path, declared in SCREENS.items() if not declared.public and '{' not in path)


async def test_every_screen_opens_with_hostile_text_everywhere(user: User) -> None:
    admin = make_user('admin', name=hostile('Admin', 120))
    stored = store_everywhere(admin)
    assert len(SIGNED_IN) > 10
    await signed_in(user, admin.email)
    for path in SIGNED_IN:
        await user.open(path)
        await user.should_see(SCREENS[path].title)
    await user.open('/segments')
    await user.should_see(hostile('Seg', 80))  # the name as text: the whole of it, quotes and all
    button = next(e for e in user.find(kind=None).elements if e.props.get('aria-label', '').startswith('Delete'))
    assert button.props['aria-label'] == f'Delete segment {hostile("Seg", 80)}'
    assert not any(key.startswith(':') for key in button.props), button.props  # nothing became a JavaScript prop
    for path, texts in stored.screens.items():  # a customer's and a company's page
        if path.startswith(('/customers/', '/companies/')):
            await user.open(path)
            for text in texts:
                await user.should_see(text)
    await user.open(f'/requests/{stored.ticket_number}')
    await user.should_see(hostile('Subject', 200))
    await user.should_see(hostile('Message'))
    await user.open(f'/orders/{stored.order_number}')
    await user.should_see(hostile('ShipTo', 120))
    await user.should_see(f'Order {stored.order_number}')
