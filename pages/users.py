"""Staff users (admin only): search, add, change role, deactivate and reactivate, reset a password, history."""

from nicegui import run, ui

from backoffice.db import read_session, session_scope
from backoffice.errors import ServiceError, StaleRecord
from backoffice.models import Role, User
from backoffice.services import audit
from backoffice.services import users as service
from components.format import ago, when
from components.forms import clear_errors, page_dialog, show_error
from components.registry import screen
from components.session import acting_user
from components.shell import avatar

ROLES = {role.value: role.value.capitalize() for role in Role}
STATUSES = {'all': 'All', 'active': 'Active', 'inactive': 'Deactivated'}


@screen('/users', 'Staff users', permission='users.manage', icon='manage_accounts', section='Administration',
        order=900, description='Who can sign in, and with which role')
def users_page(user: User) -> None:
    state = {'search': '', 'status': 'all'}

    @ui.refreshable
    def user_list() -> None:
        actor = acting_user()
        if actor is None:
            return
        active = {'all': None, 'active': True, 'inactive': False}[state['status']]
        with read_session() as session:
            staff = service.list_users(session=session, actor=actor, search=state['search'], active=active)
        if not staff:
            ui.label('No user matches.').classes('text-gray-500 p-4')
        with ui.list().props('bordered separator').classes('w-full rounded-lg'):
            for member in staff:
                _user_row(member, on_open=lambda m=member: _user_dialog(m.id, user_list.refresh))

    def show(**changes) -> None:
        state.update(changes)
        user_list.refresh()

    with ui.row().classes('w-full items-center gap-2'):
        ui.input('Search name or email', on_change=lambda e: show(search=e.value or '')) \
            .props('clearable outlined dense debounce=300').classes('grow min-w-48')
        ui.select(STATUSES, value='all', label='Status', on_change=lambda e: show(status=e.value)) \
            .props('outlined dense').classes('w-40')
        ui.button('Add user', icon='person_add', on_click=lambda: _add_dialog(user_list.refresh)).classes('h-10')
    user_list()


def _user_row(member: User, on_open) -> None:
    with ui.item(on_click=on_open).props('clickable').classes('py-2').mark(member.email):
        with ui.item_section().props('avatar'):
            avatar(member.name, color='primary' if member.is_active else 'grey-5')
        with ui.item_section():
            ui.item_label(member.name).classes('font-medium')
            ui.item_label(member.email).props('caption')
        with ui.item_section().props('side').classes('items-end gap-1'):
            with ui.row().classes('gap-1'):
                ui.badge(member.role.value, color='primary').props('outline')
                if not member.is_active:
                    ui.badge('deactivated', color='negative')
            ui.label(f'last sign-in {ago(member.last_login_at)}').classes('text-xs text-gray-500 gt-xs')


def _add_dialog(on_saved) -> None:
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
        ui.label('Add a user').classes('text-lg font-medium')
        fields = {
            'email': ui.input('Email').props('type=email').classes('w-full'),
            'name': ui.input('Name').classes('w-full'),
            'role': ui.select(ROLES, value=Role.agent.value, label='Role').classes('w-full'),
            'password': ui.input('Initial password', password=True, password_toggle_button=True).classes('w-full')
            .props('hint="Leave empty to generate one, shown once"'),
        }

        async def save() -> None:
            actor = acting_user()
            if actor is None:
                return
            clear_errors(fields)
            data = {name: field.value for name, field in fields.items()}
            try:
                created = await run.io_bound(_create, actor, data)
            except ServiceError as error:
                show_error(error, fields)
                return
            dialog.close()
            on_saved()
            ui.notify(f'{created.user.email} was added', type='positive')
            if created.generated_password:
                _show_password_once(created.user.email, created.generated_password)

        with ui.row().classes('w-full justify-end'):
            ui.button('Cancel', on_click=dialog.close).props('flat')
            ui.button('Create user', on_click=save)
    dialog.open()


def _create(actor: User, data: dict) -> service.CreatedUser:
    with session_scope() as session:
        return service.create_user(session=session, actor=actor, data=data)


def _user_dialog(user_id: int, on_saved) -> None:
    actor = acting_user()
    if actor is None:
        return
    with read_session() as session:
        member = service.get_user(session=session, actor=actor, user_id=user_id)
        entries = audit.entries_for(session, 'user', user_id, 20)
        history = [(entry.summary or entry.action, entry.actor_email, entry.at) for entry in entries]
    if member is None:
        ui.notify('This user no longer exists.', type='warning')
        return
    loaded = {'version': member.version, 'name': member.name, 'role': member.role.value}  # what the user saw

    with page_dialog() as dialog, ui.card().classes('w-full max-w-lg'):
        with ui.row().classes('w-full items-center justify-between'):
            ui.label(member.email).classes('text-lg font-medium')
            ui.badge('active' if member.is_active else 'deactivated',
                     color='positive' if member.is_active else 'negative')
        ui.label(f'Added {when(member.created_at)} · last sign-in {ago(member.last_login_at)}') \
            .classes('text-sm text-gray-500')
        fields = {
            'name': ui.input('Name', value=member.name).classes('w-full'),
            'role': ui.select(ROLES, value=member.role.value, label='Role').classes('w-full'),
        }
        conflict = ui.row().classes('w-full items-center gap-2 p-2 rounded bg-amber-50 text-amber-900')
        conflict.set_visibility(False)

        async def run_action(action, success: str):
            current = acting_user()
            if current is None:
                return None
            clear_errors(fields)
            try:
                result = await run.io_bound(_in_transaction, action, current)
            except StaleRecord as error:
                _show_conflict(conflict, str(error), reload)
                return None
            except ServiceError as error:
                show_error(error, fields)
                return None
            ui.notify(success, type='positive')
            on_saved()
            dialog.close()
            return result

        def edited() -> dict:
            return {name: field.value for name, field in fields.items() if field.value != loaded[name]}

        def reload() -> None:
            """Take the newest version: fields this user did not touch show the new values, typed ones are kept."""
            with read_session() as session:
                fresh = session.get(User, user_id)
            typed = edited()
            loaded.update(version=fresh.version, name=fresh.name, role=fresh.role.value)
            for name, field in fields.items():
                if name not in typed:
                    field.value = loaded[name]
            conflict.set_visibility(False)
            ui.notify('Reloaded the newest version; what you typed is kept. Save again to apply it.')

        async def save() -> None:
            changes = edited()
            if not changes:
                ui.notify('Nothing to save')
                return
            await run_action(lambda s, a: service.update_user(session=s, actor=a, user_id=user_id,
                                                              version=loaded['version'], **changes), 'Changes saved')

        async def toggle_active() -> None:
            await run_action(lambda s, a: service.set_active(session=s, actor=a, user_id=user_id,
                                                             version=loaded['version'], active=not member.is_active),
                       f'{member.email} was {"deactivated" if member.is_active else "reactivated"}')

        async def reset() -> None:
            password = await run_action(lambda s, a: service.reset_password(session=s, actor=a, user_id=user_id,
                                                                      version=loaded['version']),
                                  'Password reset; the user was signed out everywhere')
            if password:
                _show_password_once(member.email, password)

        with ui.row().classes('w-full justify-end gap-2 wrap'):
            ui.button('Reset password', icon='key', on_click=reset).props('flat')
            ui.button('Deactivate' if member.is_active else 'Reactivate', on_click=toggle_active) \
                .props(f'flat color={"negative" if member.is_active else "positive"}')
            ui.button('Save changes', on_click=save)

        with ui.expansion('History', icon='history').classes('w-full'):
            for summary, who, at in history:
                with ui.row().classes('w-full justify-between text-sm gap-2 no-wrap'):
                    ui.label(f'{summary} — {who}')
                    ui.label(when(at)).classes('text-gray-500 shrink-0')
    dialog.open()


def _in_transaction(action, actor: User):
    with session_scope() as session:
        return action(session, actor)


def _show_conflict(row: ui.row, message: str, reload) -> None:
    row.clear()
    with row:
        ui.icon('warning')
        ui.label(message).classes('grow text-sm')
        ui.button('Reload', on_click=reload).props('flat dense')
    row.set_visibility(True)


def _show_password_once(email: str, password: str) -> None:
    with page_dialog() as dialog, ui.card().classes('w-full max-w-md'):
        ui.label(f'Password for {email}').classes('text-lg font-medium')
        ui.label('Shown only now. Pass it on safely; they can change it under their name.').classes('text-sm')
        ui.input(value=password).props('readonly outlined').classes('w-full font-mono').mark('generated-password')
        ui.button('Done', on_click=dialog.close).classes('self-end')
    dialog.open()
