"""Hostile text for every field a person can fill, stored through the real services, and the screens that show it.

Each payload would set `window.__pwned` if any screen turned text into markup: a `"` closing a props attribute and a
`:` prop (NiceGUI evaluates those as JavaScript), a script tag, an HTML event handler, Vue's `{{ }}` interpolation.
The page test (test_hostile_text_on_every_screen.py) and the browser's walk of every screen
(browser/test_every_screen_with_hostile_text_in_chromium.py) both use `store_everywhere()`, then look at `SCREENS`."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.models import Carrier, Order, User
from backoffice.resources import resource
from backoffice.services import (
    api_keys,
    app_settings,
    crud,
    customers,
    orders,
    payments,
    purchases,
    returns,
    segments,
    tickets,
    views,
    webhooks,
)

PWNED = 'window.__pwned'
PROP_BREAKOUT = 'Loyal" :title="window.__pwned=1"'  # the name that took over an admin's browser through .props()
SCRIPT = '<script>window.__pwned=1</script>'
IMAGE = '<img src=x onerror="window.__pwned=1">'
QUOTE = "O'Brien'"
BACKTICK = '`${window.__pwned=1}`'
INTERPOLATION = '{{ 7*7 }}'
HOSTILE = (PROP_BREAKOUT, SCRIPT, IMAGE, QUOTE, BACKTICK, INTERPOLATION)


def hostile(tag: str, limit: int = 2000) -> str:
    """`tag` (to find the text on a screen) followed by as many payloads as fit in `limit` characters."""
    text = tag
    for payload in HOSTILE:
        if len(text) + 1 + len(payload) <= limit:
            text = f'{text} {payload}'
    return text


@dataclass
class Stored:
    """What was stored, and on which screens it must show literally."""

    order_number: str = ''
    ticket_number: int = 0
    screens: dict[str, list[str]] = field(default_factory=dict)
    # a name-sorted list whose page one other tests' rows may fill (a browser worker's database is shared for the
    # run): the search that only the stored record answers, typed before its texts are looked for
    searches: dict[str, str] = field(default_factory=dict)

    def shows(self, path: str, *texts: str, searched: str = '') -> None:
        self.screens.setdefault(path, []).extend(texts)
        if searched:
            self.searches[path] = searched


def store_everywhere(admin: User) -> Stored:
    """Fill every user-settable text with a hostile payload, through the services a page or the API calls."""
    stored = Stored()
    with session_scope() as session:
        segments.save_segment(session=session, actor=admin, name=hostile('Seg', 80), filters={'min_orders': 1})
        stored.shows('/segments', hostile('Seg', 80))

        view = hostile('View', 80)
        views.save_view(
            session=session, actor=admin, resource=resource('customers'), name=view, state={'search': ''}, shared=True
        )

        company = crud.create_record(
            session=session,
            actor=admin,
            resource=resource('companies'),
            data={'name': hostile('Company', 200), 'website': 'https://example.com', 'notes': hostile('CoNotes')},
        )
        stored.shows('/companies', hostile('Company', 200))
        mallory = crud.create_record(
            session=session,
            actor=admin,
            resource=resource('customers'),
            data={
                'email': 'mallory@example.com',
                'name': hostile('Mallory', 120),
                'company_id': company.id,
                'marketing_consent': True,
            },
        )
        stored.shows('/customers', hostile('Mallory', 120))
        # the whole picture: the customer's and the company's pages (the request below shows on both too)
        stored.shows(f'/customers/{mallory.id}', hostile('Mallory', 120), hostile('Company', 200))
        stored.shows(f'/companies/{company.id}', hostile('Company', 200), hostile('Mallory', 120))
        banned = crud.create_record(
            session=session,
            actor=admin,
            resource=resource('customers'),
            data={'email': 'trudy@example.com', 'name': 'Trudy'},
        )
        customers.ban_customer(
            session=session, actor=admin, record_id=banned.id, version=banned.version, reason=hostile('Banned', 500)
        )

        category = crud.create_record(
            session=session,
            actor=admin,
            resource=resource('categories'),
            data={'name': hostile('Category', 120), 'description': hostile('CatText')},
        )
        stored.shows('/categories', hostile('Category', 120))
        product = crud.create_record(
            session=session,
            actor=admin,
            resource=resource('products'),
            data={
                'sku': 'PWN-1',
                'name': hostile('Product', 200),
                'description': hostile('ProdText'),
                'price': '12.00',
                'currency': 'EUR',
                'category_id': category.id,
            },
        )
        stored.shows('/products', hostile('Product', 200), searched='PWN-1')  # the SKU: one product
        purchases.create_purchase(
            session=session,
            actor=admin,
            supplier=hostile('Supplier', 120),
            reference=hostile('Ref', 60),
            lines=[{'product_id': product.id, 'quantity': 20}],
        )

        crud.create_record(
            session=session,
            actor=admin,
            resource=resource('content'),
            data={'slug': 'hostile-page', 'title': hostile('Content', 200), 'body': hostile('Body'), 'kind': 'page'},
        )
        stored.shows('/content', hostile('Content', 200))

        crud.create_record(
            session=session,
            actor=admin,
            resource=resource('canned-replies'),
            data={'title': hostile('Canned', 120), 'body': hostile('CannedBody') + ' {customer_name}'},
        )
        crud.create_record(
            session=session,
            actor=admin,
            resource=resource('carriers'),
            data={
                'code': 'pwn',
                'name': hostile('Carrier', 120),
                'tracking_url_template': 'https://track.example.com/?n={tracking}',
            },
        )
        stored.shows('/carriers', hostile('Carrier', 120))

        webhooks.create_endpoint(
            session=session,
            actor=admin,
            data={'name': hostile('Hook', 80), 'url': 'https://hooks.example.com/hook', 'events': '*'},
        )
        stored.shows('/webhooks', hostile('Hook', 80))
        api_keys.create_key(session=session, actor=admin, name=hostile('Key', 80), scopes=['requests:write'])
        stored.shows('/settings', hostile('Key', 80))

        loaded = app_settings.current_values(session=session)
        app_settings.save(
            session=session,
            actor=admin,
            changes={'company_name': hostile('Shop', 120)},
            loaded={'company_name': loaded['company_name']},
        )
        stored.shows('/settings', hostile('Shop', 120))

    from backoffice.services import users

    with session_scope() as session:
        users.create_user(
            session=session,
            actor=admin,
            data={
                'email': 'eve@example.com',
                'name': hostile('Eve', 120),
                'role': 'agent',
                'password': 'Correct-horse-9x',
            },
        )
    stored.shows('/users', hostile('Eve', 120), searched='eve@example.com')  # the email: one account

    with session_scope() as session:
        placed = orders.place_order(
            session=session,
            data={
                'email': 'mallory@example.com',
                'name': hostile('Buyer', 120),
                'shipping_name': hostile('ShipTo', 120),
                'shipping_address': hostile('Address', 1000),
                'note': hostile('Note', 2000),
                'lines': [{'sku': 'PWN-1', 'quantity': 2}],
            },
        ).order
        stored.order_number = placed.number
    with session_scope() as session:
        payments.record_payment(
            session=session, actor=admin, order_id=placed.id, amount=placed.total, reference=hostile('PayRef', 100)
        )
    with session_scope() as session:
        order = session.get(Order, placed.id)
        orders.pack(session=session, actor=admin, order_id=order.id, version=order.version)
    with session_scope() as session:
        order = session.get(Order, placed.id)
        carrier = session.exec(select(Carrier).where(Carrier.code == 'pwn')).one()
        orders.ship(
            session=session,
            actor=admin,
            order_id=order.id,
            version=order.version,
            carrier_id=carrier.id,
            tracking_number='"><img src=x onerror=window.__pwned=1>',
        )
    with read_session() as session:
        line_id = orders.order_lines(session, placed.id)[0].id
    with session_scope() as session:
        returns.create_return(
            session=session,
            actor=admin,
            order_id=placed.id,
            reason=hostile('Return', 500),
            lines=[{'order_line_id': line_id, 'quantity': 1, 'reason': hostile('Why', 200)}],
        )
    with session_scope() as session:
        payments.refund(session=session, actor=admin, order_id=placed.id, amount='1.00', reason=hostile('Refund', 200))
    order_page = f'/orders/{placed.number}'
    stored.shows(order_page, hostile('ShipTo', 120), hostile('Carrier', 120), hostile('Refund', 200))

    with session_scope() as session:
        ticket = tickets.submit_request(
            session=session,
            email='mallory@example.com',
            name=hostile('Mallory', 120),
            subject=hostile('Subject', 200),
            body=hostile('Message'),
            order_number=placed.number,
        )
        stored.ticket_number = ticket.number
        stored.shows(f'/customers/{ticket.customer_id}', hostile('Subject', 200))
    with session_scope() as session:
        ticket = tickets.get_ticket(session=session, actor=admin, number=stored.ticket_number)
        tickets.change(
            session=session,
            actor=admin,
            ticket_id=ticket.id,
            version=ticket.version,
            tags=[hostile('tag', 40).lower(), PROP_BREAKOUT.lower()],
            type='bug',
            steps=hostile('Steps'),
            fixed_in_version=None,
        )
    with session_scope() as session:
        ticket = tickets.get_ticket(session=session, actor=admin, number=stored.ticket_number)
        tickets.reply(session=session, actor=admin, ticket_id=ticket.id, version=ticket.version, body=hostile('Reply'))
    with session_scope() as session:
        tickets.add_note(session=session, actor=admin, ticket_id=ticket.id, body=hostile('Internal'))
    stored.shows('/requests', hostile('Subject', 200))
    stored.shows(
        f'/requests/{stored.ticket_number}',
        hostile('Subject', 200),
        hostile('Message'),
        hostile('Reply'),
        hostile('Internal'),
        hostile('tag', 40).lower(),
    )
    stored.shows('/audit', 'Seg')
    stored.shows('/returns')
    stored.shows('/invoices')
    stored.shows('/payments', hostile('PayRef', 100))
    stored.shows('/refunds', hostile('Refund', 200))
    stored.shows('/purchases')
    stored.shows('/inventory')
    stored.shows('/orders')
    stored.shows('/')
    return stored
