"""The roles screen (/roles): an admin copies a built-in role into a new one, ticks its permissions, renames it and
deletes it (refused, with the reason, while someone holds it); a holder whose role loses a permission while their page
is open is refused their next action with a clear message, and their menu follows at the next page."""

from __future__ import annotations

from nicegui import ui
from nicegui.element_filter import ElementFilter
from nicegui.testing import User
from sqlmodel import select

from backoffice.db import read_session, session_scope
from backoffice.models import CannedReply, StaffRole
from backoffice.permissions import permissions_of
from backoffice.services import app_settings, roles

from .support.factories import grant_only, make_role, make_user
from .support.lists import open_row, rows_show
from .support.menu import menu_paths
from .support.signin import signed_in
from .support.waiting import eventually

HOSTILE = 'Desk "nights": <script>alert(1)</script>'
HOSTILE_TOO = "L'équipe : <img src=x onerror=alert(1)>"


def stored_roles() -> list[StaffRole]:
    with read_session() as session:
        return list(session.exec(select(StaffRole).order_by(StaffRole.id)))


def newest(user: User, marker: str):
    """The element of the dialog opened last (a closed dialog stays in the simulated page until the browser's hide)."""
    found = user.find(marker=marker)
    found.elements = {max(found.elements, key=lambda element: element.id)}
    return found


def labels(user: User) -> list[str]:
    return [element.text for element in user.find(kind=ui.label).elements]


async def test_an_admin_copies_a_built_in_role_into_a_new_one_and_its_text_stays_text(user: User) -> None:
    admin = make_user('admin')
    await signed_in(user, admin.email, path='/roles')
    for name in ('Admin', 'Manager', 'Agent', 'Viewer'):
        await user.should_see(name)

    user.find(marker='copy-agent').click()
    await user.should_see('Copy of Agent')
    user.find(marker='role-name-input').clear().type(HOSTILE)
    user.find(marker='role-description-input').type(HOSTILE_TOO)
    user.find(marker='tick-tickets.receive').click()  # untick: this desk does not take requests handed out
    user.find(marker='tick-orders.write').click()
    user.find(marker='role-two-factor').click()
    user.find(marker='save-role').click()

    await eventually(lambda: [r.name for r in stored_roles()] == [HOSTILE])
    await user.should_see(f'Role “{HOSTILE}” saved')  # typographic quotes, around a name with quotes of its own
    (role,) = stored_roles()
    assert role.description == HOSTILE_TOO and role.two_factor_required
    assert set(role.permissions) == {
        'tickets.read',
        'tickets.write',
        'customers.read',
        'customers.write',
        'catalog.read',
        'orders.read',
        'orders.write',
        'content.read',
        'kpis.read',
    } | (permissions_of('agent') & {'loyalty.read'})  # with the example extension installed, agents see points
    await user.should_see(marker=f'role-{role.key}')
    await user.should_see(marker=f'two-factor-{role.key}')
    assert HOSTILE in labels(user) and HOSTILE_TOO in labels(user)  # shown as text, never as markup


async def test_a_role_is_refused_without_a_name_and_renamed_later(user: User) -> None:
    admin = make_user('admin')
    await signed_in(user, admin.email, path='/roles')
    user.find(marker='new-role').click()
    user.find(marker='save-role').click()
    await user.should_see('Enter a name')
    user.find(marker='role-name-input').type('Night desk')
    user.find(marker='tick-tickets.read').click()
    user.find(marker='save-role').click()
    await eventually(lambda: [r.name for r in stored_roles()] == ['Night desk'])

    (role,) = stored_roles()
    await user.should_see(marker=f'edit-{role.key}')
    user.find(marker=f'edit-{role.key}').click()
    newest(user, 'role-name-input').clear().type('Day desk')
    newest(user, 'save-role').click()
    await eventually(lambda: [r.name for r in stored_roles()] == ['Day desk'])
    await user.should_see('Day desk')


async def test_a_tap_beside_a_new_role_with_ticks_and_text_keeps_it_open(user: User) -> None:
    """A tap beside the dialog (easy on a phone, under 33 ticks) closed it without a word, the work gone."""
    await signed_in(user, make_user('admin').email, path='/roles')
    user.find(marker='new-role').click()
    with user:
        dialog = list(ElementFilter(kind=ui.dialog))[-1]  # the one just opened
    assert not dialog.props.get('persistent')  # nothing typed yet: Escape or a tap beside it closes it
    user.find(marker='role-name-input').type(HOSTILE_TOO + ' 🎉')
    user.find(marker='tick-tickets.read').click()
    assert dialog.props.get('persistent')  # Quasar shakes it instead of closing it; Cancel still closes it
    user.find(marker='role-name-input').clear()
    user.find(marker='tick-tickets.read').click()
    assert not dialog.props.get('persistent')  # back as it opened: nothing to lose


async def test_deleting_a_role_someone_holds_is_refused_with_the_reason(user: User) -> None:
    admin = make_user('admin')
    role = make_role('tickets.read', name='Night desk')
    make_user(role.key, email='nia@example.com')
    await signed_in(user, admin.email, path='/roles')

    user.find(marker=f'delete-{role.key}').click()
    await user.should_see(marker='confirm-yes')
    user.find(marker='confirm-yes').click()

    await user.should_see('1 user holds this role (nia@example.com): give them another role first.')
    assert [r.key for r in stored_roles()] == [role.key]


async def test_a_page_left_open_refuses_the_next_action_once_the_role_loses_the_permission(user: User) -> None:
    admin = make_user('admin')
    role = make_role('tickets.read', 'canned_replies.manage', name='Writers')
    writer = make_user(role.key)
    await signed_in(user, writer.email, path='/canned-replies')
    await user.should_see('New canned reply')
    user.find('New canned reply').click()
    user.find('Title *').type('Late parcel')
    user.find('Text *').type('Sorry for the wait.')

    grant_only(admin, role, 'tickets.read')  # meanwhile an admin takes the permission away
    user.find('Create canned reply').click()

    await user.should_see('You are not allowed to do this (canned_replies.manage).')
    with read_session() as session:
        assert session.exec(select(CannedReply)).all() == []

    await user.open('/')  # the next page: the menu follows the role
    listed = menu_paths(user)
    assert '/canned-replies' in listed  # still readable with tickets.read
    grant_only(admin, role, 'kpis.read')
    await user.open('/')
    listed = menu_paths(user)
    assert '/canned-replies' not in listed and '/requests' not in listed and '/' in listed


async def test_the_holders_link_lists_the_users_of_that_role_and_the_user_form_offers_it(user: User) -> None:
    admin = make_user('admin', email='ada@example.com')
    role = make_role('tickets.read', name='Night desk')
    make_user(role.key, email='nia@example.com')
    make_user('agent', email='alex@example.com')
    await signed_in(user, admin.email, path='/roles')

    user.find(marker=f'holders-{role.key}').click()

    await rows_show(user, 'nia@example.com', absent=('alex@example.com', 'ada@example.com'))
    open_row(user, 'nia@example.com')
    await user.should_see('Save changes')
    role_select = user.find(kind=ui.select, content='Role *').elements.pop()
    assert role_select.options[role.key] == 'Night desk'


async def test_a_users_page_names_their_custom_role_as_text(user: User) -> None:
    admin = make_user('admin')
    role = make_role('tickets.read', name=HOSTILE)
    holder = make_user(role.key)
    await signed_in(user, admin.email, path=f'/users/{holder.id}')
    await user.should_see(marker='user-role')
    assert f'Role: {HOSTILE}' in labels(user)


async def test_a_copy_of_a_role_that_requires_two_factor_sign_in_requires_it_too(user: User) -> None:
    admin = make_user('admin')
    with session_scope() as session:
        app_settings.save(session=session, actor=admin, changes={'two_factor_manager': True}, loaded={})
    await signed_in(user, admin.email, path='/roles')
    await user.should_see(marker='two-factor-manager')

    user.find(marker='copy-manager').click()
    await user.should_see('Copy of Manager')
    user.find(marker='save-role').click()

    await eventually(lambda: [(r.name, r.two_factor_required) for r in stored_roles()] == [('Copy of Manager', True)])


async def test_a_users_page_names_a_built_in_role_as_the_users_list_does(user: User) -> None:
    admin = make_user('admin')
    holder = make_user('manager')
    await signed_in(user, admin.email, path=f'/users/{holder.id}')
    await user.should_see(marker='user-role')
    assert 'Role: Manager' in labels(user)  # the list's 'Manager', not 'manager'


async def test_the_admin_role_reads_all_permissions_not_one_short(user: User) -> None:
    """The admin role read "33 of 34 permissions", as if a right were missing: the one it lacks (receiving handed-out
    requests) is a duty of the desk, by design not an admin's."""
    admin = make_user('admin')
    role = make_role('tickets.read', 'tickets.receive', name='Desk: "<b>é</b>"')
    await signed_in(user, admin.email, path='/roles')
    await user.should_see(marker='rights-admin', retries=40)
    said = {key: user.find(marker=f'rights-{key}').elements.pop().text for key in ('admin', 'agent', role.key)}
    assert said == {
        'admin': 'All permissions',
        'agent': '9 of 33 permissions · receives handed-out requests',
        role.key: '1 of 33 permissions · receives handed-out requests',
    }


async def test_a_role_changed_by_a_colleague_meanwhile_says_who_and_reload_keeps_what_was_typed(user: User) -> None:
    """Two admins edit the same role: the second save is refused saying who changed it; Reload takes the colleague's
    change in where this admin changed nothing and keeps what they typed and ticked, and the save then goes through."""
    admin = make_user('admin')
    colleague = make_user('admin', email='other.admin@example.com')
    role = make_role('tickets.read', name='Night desk')
    await signed_in(user, admin.email, path='/roles')
    await user.should_see(marker=f'edit-{role.key}')
    user.find(marker=f'edit-{role.key}').click()
    newest(user, 'role-name-input').clear().type(HOSTILE)
    newest(user, 'tick-orders.read').click()
    with session_scope() as session:  # meanwhile the colleague describes it and lets it write requests too
        current = session.get(StaffRole, role.id)
        roles.update_role(
            session=session,
            actor=colleague,
            role_id=role.id,
            version=current.version,
            name='Night desk',
            description=HOSTILE_TOO,
            granted={'tickets.read', 'tickets.write'},
        )
    newest(user, 'save-role').click()
    await user.should_see(f'was changed by {colleague.name}')
    newest(user, 'reload-role').click()
    newest(user, 'save-role').click()
    await eventually(lambda: [r.name for r in stored_roles()] == [HOSTILE])
    (saved,) = stored_roles()
    assert saved.description == HOSTILE_TOO
    assert set(saved.permissions) == {'tickets.read', 'tickets.write', 'orders.read'}


async def test_a_colleagues_new_role_leaves_the_other_cards_in_place_so_a_click_on_them_is_not_lost(
    user: User,
) -> None:
    """Every change to any role drew every card again: an Edit or Delete pressed on a card replaced meanwhile was
    dropped by the browser without a word. The cards that show the same now stay; the new one is added."""
    admin = make_user('admin')
    mine = make_role('orders.read', name=HOSTILE, description=HOSTILE_TOO)
    await signed_in(user, admin.email, path='/roles')
    await user.should_see(marker=f'edit-{mine.key}', retries=40)
    card = user.find(marker=f'role-{mine.key}').elements.pop()
    edit = user.find(marker=f'edit-{mine.key}').elements.pop()

    other = make_role('tickets.read', name="Colleague's <b>role</b>: x")  # a colleague, on another page
    await user.should_see(marker=f'role-{other.key}', retries=40)
    assert not card.is_deleted and not edit.is_deleted
    user.find(marker=f'edit-{mine.key}').click()  # the very button the admin was pressing still answers
    await user.should_see('Change the role')


async def test_the_role_fields_count_their_characters_up_to_the_services_limits(user: User) -> None:
    """The description takes at most 300 characters and the name 80 (the service's limits): each field counts what is
    typed against its limit, so the typing that stops at the limit says why."""
    admin = make_user('admin')
    await signed_in(user, admin.email, path='/roles')
    await user.should_see('Admin')
    user.find(marker='copy-agent').click()
    await user.should_see('Copy of Agent')
    description = newest(user, 'role-description-input')
    description.type(HOSTILE_TOO)
    (field,) = description.elements
    assert field.props.get('counter') is True and field.props.get('maxlength') == roles.DESCRIPTION_LENGTH
    (name,) = newest(user, 'role-name-input').elements
    assert name.props.get('counter') is True and name.props.get('maxlength') == roles.NAME_LENGTH
