"""A day of the warehouse: the parcel's address and the customer's note on the order being packed, a tracking number
typed wrong put right after the parcel left, a stock count entered as what is on the shelf, a batch pick list that
says how many of each item to fetch, and a return where only some of the items can be sold again."""

from __future__ import annotations

from nicegui.testing import User

from .support.factories import make_product, make_user, pay, place
from .support.signin import signed_in

HOSTILE = 'Quai "des Brumes": <script>alert(1)</script> <img src=x onerror="window.__x=1">'


async def test_the_order_page_shows_where_the_parcel_goes_and_the_customers_note(user: User) -> None:
    """The packer had the lines and the customer's email, never the address the parcel goes to nor the customer's
    note ('leave it with the neighbour'): both are on the order page now, as text."""
    manager = make_user('manager')
    make_product('MUG', '25.00', stock_on_hand=5, actor=manager)
    order = place(
        ('MUG', 1),
        shipping_name='Cleo "Stone" <b>',
        shipping_address=f'12 {HOSTILE}\n75001 Paris',
        note=f'Ring twice: {HOSTILE}',
    )
    pay(manager, order)
    await signed_in(user, manager.email, path=f'/orders/{order.number}')
    await user.should_see(marker='ship-to', retries=40)
    await user.should_see('Ship to')
    await user.should_see(f'12 {HOSTILE}')
    await user.should_see('75001 Paris')
    await user.should_see(f'Ring twice: {HOSTILE}')
