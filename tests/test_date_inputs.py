"""Days in filters and forms read the reader's way (issue #14): a French manager types 02/12/2026 into the orders
list's "Placed from" filter and sees the orders from that day on, the field showing 02/12/2026 while the filter gets
the day itself; the calendar picks a day the same way; an English reader keeps 2026-12-02. No native date input (which
follows the browser's language, not the reader's) is left in the lists and forms."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlmodel import select

from backoffice import formatting, i18n
from backoffice.db import session_scope
from backoffice.i18n import _
from backoffice.models import AppSetting, ContentEntry, Order
from backoffice.services import app_settings
from components.date_input import DateInput

from .support.factories import make_product, make_user, place
from .support.lists import rows_show
from .support.signin import signed_in
from .support.waiting import eventually

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def in_french(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    yield lambda: monkeypatch.setattr(i18n, '_resolver', lambda: 'fr')


def placed_on(order: Order, day: datetime) -> None:
    with session_scope() as session:
        row = session.get(Order, order.id)
        row.placed_at = day
        session.add(row)
        session.commit()


def typed(user: User, marker: str, text: str) -> DateInput:
    """Type into a date field as a browser sends it: the text as shown, in one update."""
    element = user.find(marker=marker).elements.pop()
    assert isinstance(element, DateInput)
    user.find(marker=marker).trigger(f'update:{element.VALUE_PROP}', text)
    return element


async def test_a_french_manager_filters_orders_by_a_day_typed_and_picked_the_french_way(
    user: User, in_french: Callable[[], None]
) -> None:
    manager = make_user('manager')
    make_product('MUG', stock_on_hand=10, actor=manager)
    early, late = place(('MUG', 1), email='early@example.com'), place(('MUG', 1), email='late@example.com')
    placed_on(early, datetime(2026, 11, 20, 10, tzinfo=UTC))
    placed_on(late, datetime(2026, 12, 2, 10, tzinfo=UTC))
    await signed_in(user, manager.email, path='/orders')
    in_french()
    await user.open('/orders')
    await rows_show(user, 'early@example.com', 'late@example.com')

    field = typed(user, 'filter-placed_at-from', '02/12')  # still typing: nothing happens yet
    assert field.props['placeholder'] == 'p. ex. 31/12/2026'  # the empty field's example says it is one
    assert field.value == '02/12'
    await rows_show(user, 'early@example.com', 'late@example.com')
    field = typed(user, 'filter-placed_at-from', '02/12/2026')
    assert field.value == '2026-12-02' and field.props[field.VALUE_PROP] == '02/12/2026'
    assert field.picker.value == '2026-12-02'
    await rows_show(user, 'late@example.com', absent=('early@example.com',))

    field.picker.set_value('2026-11-15')  # a day picked in the calendar
    assert field.value == '2026-11-15' and field.props[field.VALUE_PROP] == '15/11/2026'
    await rows_show(user, 'early@example.com', 'late@example.com')
    until = typed(user, 'filter-placed_at-to', '30/11/2026')
    assert until.value == '2026-11-30'
    await rows_show(user, 'early@example.com', absent=('late@example.com',))


async def test_an_english_reader_keeps_iso_days(user: User) -> None:
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/orders')
    field = typed(user, 'filter-placed_at-from', '2026-12-02')
    assert field.value == '2026-12-02' and field.props[field.VALUE_PROP] == '2026-12-02'
    assert field.props['placeholder'] == 'e.g. 2026-12-31'  # an example, never read as a day typed in


def test_no_native_date_input_is_left_in_pages_and_components() -> None:
    sources = [*ROOT.joinpath('pages').glob('*.py'), *ROOT.joinpath('components').glob('*.py')]
    found = [
        path.name for path in sources if 'type=date' in path.read_text() or 'type=datetime-local' in path.read_text()
    ]
    assert found == []


async def create_page_live_from(
    user: User, in_french: Callable[[], None], title: str, slug: str, typed_time: str
) -> tuple[str, str, str]:
    """A French manager creates a page on /content whose "Live from" is typed as they type it; returns what the field
    held just before "Create page": the value the form sends, the text shown, and the time zone said beside it."""
    manager = make_user('manager')
    await signed_in(user, manager.email, path='/content')
    in_french()
    await user.open('/content')
    with i18n.use('fr'):
        new_page, title_label, slug_label, create = _('New page'), _('Title') + ' *', _('Slug') + ' *', _('Create page')
    user.find(new_page).click()
    user.find(title_label).type(title)
    user.find(slug_label).type(slug)
    live_from = next(e for e in user.find(DateInput).elements if e.with_time)  # "Live from"
    live_from.mark('live-from')
    user.find(marker='live-from').trigger(f'update:{live_from.VALUE_PROP}', typed_time)
    held = (live_from.value, live_from.props[live_from.VALUE_PROP], live_from.props['suffix'])
    user.find(kind=ui.button, content=create).click()
    await eventually(lambda: stored(slug) is not None, message='the page is created')
    return held


async def test_a_french_manager_sets_when_a_page_goes_live_the_french_way(
    user: User, in_french: Callable[[], None]
) -> None:
    held = await create_page_live_from(user, in_french, 'Horaires « été » : <script>', 'horaires', '02/01/2030 09:30')
    assert held == ('2030-01-02T09:30', '02/01/2030 09:30', 'UTC')
    assert stored('horaires').publish_at.replace(tzinfo=None) == datetime(2030, 1, 2, 9, 30)


def stored(slug: str) -> ContentEntry | None:
    with session_scope() as session:
        return session.exec(select(ContentEntry).where(ContentEntry.slug == slug)).first()


async def test_a_time_is_typed_and_shown_in_the_shops_time_zone(user: User, in_french: Callable[[], None]) -> None:
    """ "Live from (UTC)" made a Paris shop's manager work out UTC: the time is typed in the shop's time zone (said
    beside the field) and stored as the instant it is; the stored instant shows back as the shop's time."""
    with session_scope() as session:
        session.add(AppSetting(key='time_zone', value='Europe/Paris'))
        session.commit()
    app_settings.forget_cached()
    title = 'Soldes « hiver » : <script>alert(1)</script>'
    held = await create_page_live_from(user, in_french, title, 'soldes-hiver', '02/01/2030 09:30')
    # what the form sends is the instant, in UTC (Paris is UTC+1 in January); the manager reads the time typed
    assert held == ('2030-01-02T08:30', '02/01/2030 09:30', 'Europe/Paris')
    assert stored('soldes-hiver').publish_at.replace(tzinfo=None) == datetime(2030, 1, 2, 8, 30)
    # a stored instant shows back as the shop's time, summer time included; text that is no time stays as typed
    assert formatting.moment_in_zone('2030-07-01T07:30') == '2030-07-01T09:30'
    assert formatting.moment_from_zone('2030-07-01T09:30') == '2030-07-01T07:30'
    assert formatting.moment_from_zone('01/07/20') == '01/07/20'
