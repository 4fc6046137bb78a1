"""Home: where each person lands after signing in — what they can open and what they did lately."""

from nicegui import ui

from backoffice.db import read_session
from backoffice.models import User
from backoffice.permissions import ROLE_DESCRIPTIONS
from backoffice.services import audit
from components.format import ago, when
from components.registry import Screen, menu_for, screen


@screen('/', 'Home', permission=None, icon='home', order=0, description='Where you start')
def home_page(user: User) -> None:
    with read_session() as session:
        activity = [(entry.summary or entry.action, entry.at) for entry in audit.recent_activity_of(session, user)]
    ui.label(f'Welcome, {user.name.split()[0]}. You are signed in as {user.role.value}: '
             f'{ROLE_DESCRIPTIONS[user.role].lower()}.').classes('text-gray-600')
    destinations = [item for item in menu_for(user) if item.path != '/']
    if destinations:
        with ui.grid().classes('w-full grid-cols-1 sm:grid-cols-2 lg:grid-cols-3 gap-4'):
            for item in destinations:
                _destination_card(item)
    with ui.card().classes('w-full'):
        ui.label('Your recent activity').classes('font-medium')
        if not activity:
            ui.label('Nothing yet.').classes('text-gray-500')
        for summary, at in activity:
            with ui.row().classes('w-full justify-between gap-2 text-sm no-wrap'):
                ui.label(summary.replace(user.email, 'You', 1)).classes('truncate')
                ui.label(ago(at)).classes('text-gray-500 shrink-0').tooltip(when(at))


def _destination_card(item: Screen) -> None:
    with ui.card().classes('cursor-pointer hover:shadow-md').on('click', lambda: ui.navigate.to(item.path)):
        with ui.row().classes('items-center gap-3 no-wrap'):
            ui.icon(item.icon, size='1.75rem').classes('text-primary')
            with ui.column().classes('gap-0'):
                ui.label(item.title).classes('font-medium')
                ui.label(item.description).classes('text-sm text-gray-500')
