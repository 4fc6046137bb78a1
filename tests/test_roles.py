"""Custom roles (services/roles.py): an admin makes a role from ticked permissions, renames and changes it (audited with
the permissions before and after), gives it to users, and deletes it once nobody holds it; its holders have exactly
its permissions, changed at their next request, and who is handed requests or told about stock follows permissions."""

from __future__ import annotations

import pytest
from sqlmodel import select, update

from backoffice import events, permissions
from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound, PermissionDenied, StaleRecord, ValidationFailed
from backoffice.events import Topic
from backoffice.models import AuditEntry, StaffRole, User
from backoffice.permissions import AREAS, PERMISSIONS, can
from backoffice.services import app_settings, audit_story, roles, two_factor, users

from .support.factories import make_role, make_user, submit_request

HOSTILE = 'Night "shift": <script>alert(1)</script>'


def create(actor: User, name: str = 'Support lead', granted=('tickets.read',), description: str = '') -> StaffRole:
    with session_scope() as session:
        return roles.create_role(session=session, actor=actor, name=name, description=description, granted=set(granted))


def change(actor: User, role: StaffRole, **values) -> StaffRole:
    fields = {'name': role.name, 'description': role.description, 'granted': set(role.permissions), **values}
    with session_scope() as session:
        return roles.update_role(session=session, actor=actor, role_id=role.id, version=role.version, **fields)


def give(actor: User, member: User, role: str) -> User:
    with session_scope() as session:
        current = session.get(User, member.id)
        return users.update_user(session=session, actor=actor, user_id=member.id, version=current.version, role=role)


def entries(action: str) -> list[AuditEntry]:
    with read_session() as session:
        return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)))


def test_every_permission_is_in_exactly_one_area() -> None:
    listed = [name for names in AREAS.values() for name in names]
    assert sorted(listed) == sorted(PERMISSIONS)


def test_a_custom_role_grants_exactly_what_was_ticked_and_its_creation_is_audited() -> None:
    admin = make_user('admin')
    role = create(admin, name=HOSTILE, granted=('orders.read', 'invoices.read'), description='<b>Finance</b> & co')
    member = make_user(role.key)

    assert role.key.startswith('custom-') and role.name == HOSTILE  # kept as typed; pages show it as text
    assert {p for p in PERMISSIONS if can(member, p)} == {'orders.read', 'invoices.read'}
    assert permissions.role_name(role.key) == HOSTILE
    (entry,) = entries('role.created')
    assert entry.changes['permissions'] == [None, ['invoices.read', 'orders.read']]
    assert entry.changes['name'] == [None, HOSTILE]


def test_changing_a_role_changes_what_its_holders_may_do_and_the_log_keeps_before_and_after() -> None:
    admin = make_user('admin')
    role = create(admin, granted=('tickets.read', 'tickets.write'))
    member = make_user(role.key)
    assert can(member, 'tickets.write')

    changed = change(admin, role, name='Read-only desk', granted={'tickets.read'})

    assert not can(member, 'tickets.write') and can(member, 'tickets.read')
    assert changed.version == role.version + 1 and changed.key == role.key
    (entry,) = entries('role.updated')
    assert entry.changes['permissions'] == [['tickets.read', 'tickets.write'], ['tickets.read']]
    assert entry.changes['name'] == ['Support lead', 'Read-only desk']


def test_a_change_made_by_another_process_is_read_at_the_next_request() -> None:
    admin = make_user('admin')
    role = create(admin, granted=('kpis.read',))
    member = make_user(role.key)
    with session_scope() as session:  # as another process would: the table changes, this process heard nothing
        moved = {'permissions': ['audit.read'], 'version': role.version + 1}
        session.execute(update(StaffRole).where(StaffRole.id == role.id).values(**moved))
        session.commit()
    assert can(member, 'kpis.read')  # not yet: nothing was requested

    with read_session() as session:
        roles.sync(session)  # what every request does (components/session.current_user)

    assert not can(member, 'kpis.read') and can(member, 'audit.read')


@pytest.mark.parametrize(
    ('name', 'granted', 'field', 'message'),
    [
        ('', {'tickets.read'}, 'name', 'Enter a name'),
        ('Admin', {'tickets.read'}, 'name', 'A role with this name already exists'),
        ('support LEAD', {'tickets.read'}, 'name', 'A role with this name already exists'),
        ('Odd', {'tickets.read', 'root.everything'}, 'permissions', 'Unknown permission: root.everything'),
    ],
    ids=['no name', 'a built-in name', 'a taken name', 'unknown permission'],
)
def test_a_bad_role_is_refused_at_its_field(name: str, granted: set[str], field: str, message: str) -> None:
    admin = make_user('admin')
    create(admin)
    with pytest.raises(ValidationFailed) as refused:
        create(admin, name=name, granted=granted)
    assert refused.value.errors == {field: message}
    with read_session() as session:
        assert len(session.exec(select(StaffRole)).all()) == 1


def test_only_those_who_manage_users_may_touch_roles() -> None:
    manager = make_user('manager')
    with pytest.raises(PermissionDenied):
        create(manager)
    with read_session() as session, pytest.raises(PermissionDenied):
        roles.list_roles(session=session, actor=manager)


def test_a_role_is_not_deleted_while_users_hold_it_and_the_refusal_names_them() -> None:
    admin = make_user('admin')
    role = create(admin)
    ana = make_user(role.key, email='ana@example.com')

    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        roles.delete_role(session=session, actor=admin, role_id=role.id, version=role.version)
    assert refused.value.errors[''] == '1 user holds this role (ana@example.com): give them another role first.'

    give(admin, ana, 'agent')
    with session_scope() as session:
        roles.delete_role(session=session, actor=admin, role_id=role.id, version=role.version)
    with read_session() as session:
        assert session.get(StaffRole, role.id) is None
    (entry,) = entries('role.deleted')
    assert entry.changes['permissions'] == [['tickets.read'], None]
    assert permissions.ROLE_CHOICES.get(role.key) is None  # no longer offered in the user form


def test_a_user_is_given_a_custom_role_and_an_unknown_one_is_refused() -> None:
    admin = make_user('admin')
    role = create(admin, granted=('catalog.read',))
    member = make_user('agent')

    given = give(admin, member, role.key)

    assert given.role == role.key and can(given, 'catalog.read') and not can(given, 'tickets.read')
    assert permissions.ROLE_CHOICES[role.key] == 'Support lead'  # the users' form and filter offer it
    with pytest.raises(ValidationFailed) as refused:
        give(admin, given, 'custom-999')
    assert refused.value.errors == {'role': 'Choose one of the listed roles'}


def test_a_stale_change_is_refused() -> None:
    admin = make_user('admin')
    role = create(admin)
    change(admin, role, description='first')
    with pytest.raises(StaleRecord):
        change(admin, role, description='second, from an old page')


def test_the_built_in_roles_are_listed_first_as_templates_with_their_holders() -> None:
    admin = make_user('admin')
    role = create(admin, name='Zed')
    make_user(role.key)
    with read_session() as session:
        listed = roles.list_roles(session=session, actor=admin)
    assert [(r.key, r.built_in, r.holders) for r in listed] == [
        ('admin', True, 1),
        ('manager', True, 0),
        ('agent', True, 0),
        ('viewer', True, 0),
        (role.key, False, 1),
    ]


def test_requests_are_handed_out_to_the_roles_that_receive_them_whatever_their_name() -> None:
    admin = make_user('admin')
    desk = create(admin, name='Night desk', granted=('tickets.read', 'tickets.write', 'tickets.receive'))
    watcher = create(admin, name='Watcher', granted=('tickets.read', 'tickets.write'))
    night = make_user(desk.key, email='night@example.com')
    make_user(watcher.key, email='watch@example.com')
    make_user('manager')
    with session_scope() as session:
        app_settings.save(session=session, actor=admin, changes={'auto_assign': 'round_robin'}, loaded={})

    assert {submit_request(subject=f'R{i}').assignee_id for i in range(3)} == {night.id}


def test_the_roles_told_about_stock_follow_the_permission() -> None:
    admin = make_user('admin')
    role = create(admin, name='Warehouse', granted=('catalog.read', 'catalog.write'))
    keeper = make_user(role.key)
    with session_scope() as session:
        assert keeper.role in roles.keys_with(session, 'catalog.write')
        assert 'agent' not in roles.keys_with(session, 'catalog.write')


def test_make_role_factory_gives_one_permission() -> None:
    role = make_role('audit.read')
    assert role.permissions == ['audit.read']


def test_a_custom_role_may_require_two_factor_sign_in_like_the_built_in_ones() -> None:
    admin = make_user('admin')
    role = create(admin, granted=('users.manage',))
    holder = make_user(role.key)
    assert not two_factor.must_enrol(holder)  # an admin's powers under another name: no way around the requirement

    change(admin, role, two_factor=True)

    assert two_factor.required(holder) and two_factor.must_enrol(holder)
    (entry,) = entries('role.updated')
    assert entry.changes == {'two_factor_required': [False, True]}
    with read_session() as session:
        (listed,) = [r for r in roles.list_roles(session=session, actor=admin) if r.key == role.key]
    assert listed.two_factor


def test_the_audit_log_tells_a_role_change_to_admins_only() -> None:
    admin, manager = make_user('admin'), make_user('manager')
    role = create(admin, name=HOSTILE, granted=('tickets.read',))
    change(admin, role, granted={'tickets.read', 'orders.read'})
    (entry,) = entries('role.updated')

    with read_session() as session:
        story = audit_story.tell(session=session, actor=admin, entry_id=entry.id)
        assert story.summary == f'Changed the role “{HOSTILE}”' and story.link == '/roles'
        assert [(c.before, c.after) for c in story.changes] == [('tickets.read', 'orders.read, tickets.read')]
        with pytest.raises(NotFound):
            audit_story.tell(session=session, actor=manager, entry_id=entry.id)


def test_a_name_taken_at_the_same_moment_is_refused_at_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    admin = make_user('admin')
    create(admin, name='Night desk')
    monkeypatch.setattr(roles, '_name_taken', lambda *_args: False)  # as if another admin's save passed the check too

    with pytest.raises(ValidationFailed) as refused:
        create(admin, name='Night desk')

    assert refused.value.errors == {'name': 'A role with this name already exists'}
    assert [r.name for r in roles_stored()] == ['Night desk']


def roles_stored() -> list[StaffRole]:
    with read_session() as session:
        return list(session.exec(select(StaffRole)))


def test_a_change_heard_from_another_process_is_read_at_once() -> None:
    admin = make_user('admin')
    role = create(admin, granted=('kpis.read',))
    member = make_user(role.key)
    with session_scope() as session:  # another process's change: the table moved, its event is relayed here
        moved = {'permissions': ['audit.read'], 'version': role.version + 1}
        session.execute(update(StaffRole).where(StaffRole.id == role.id).values(**moved))
        session.commit()
    roles.wire()

    events.deliver(Topic.roles, {'id': role.id, 'key': role.key, 'action': 'updated'})  # what event_relay does

    assert not can(member, 'kpis.read') and can(member, 'audit.read')


def test_a_role_may_grant_nothing() -> None:
    admin = make_user('admin')
    role = create(admin, name='On leave', granted=())
    assert not any(can(make_user(role.key), p) for p in PERMISSIONS)


def test_someone_who_manages_staff_gives_grants_and_takes_over_nothing_beyond_their_own_rights() -> None:
    """A custom role holding users.manage (a team lead who adds agents) may not make anyone an admin or a manager, nor
    grant a right it lacks, nor reset an admin's password or two-factor (and sign in as them), nor deactivate, rename or
    re-role an admin, nor change or delete a role beyond it; within its rights it does all of these."""
    admin = make_user('admin')
    lead = make_user(make_role('users.manage', 'tickets.read', 'tickets.write', 'tickets.receive').key)
    boss = make_user('admin', email='boss@example.com')
    agent_like = make_role('tickets.read', 'tickets.write', 'tickets.receive', name=HOSTILE)
    beyond_lead = create(admin, name='Finance', granted=('finance.read',))

    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        users.create_user(
            session=session, actor=lead, data={'email': 'new.admin@example.com', 'name': 'New', 'role': 'admin'}
        )
    assert refused.value.errors == {
        'role': 'Your own role does not hold every right of this role: ask someone who does (an admin)'
    }
    with session_scope() as session:
        made = users.create_user(
            session=session, actor=lead, data={'email': 'new.agent@example.com', 'name': 'New', 'role': agent_like.key}
        ).user
    with pytest.raises(ValidationFailed) as refused:
        give(lead, made, 'admin')
    assert set(refused.value.errors) == {'role'}
    reader = make_role('tickets.read')
    assert give(lead, made, reader.key).role == reader.key

    refusal = "boss@example.com's role holds rights your own role does not: ask an admin"
    for attempt in (
        lambda s: users.reset_password(session=s, actor=lead, user_id=boss.id, version=boss.version),
        lambda s: users.set_active(session=s, actor=lead, user_id=boss.id, version=boss.version, active=False),
        lambda s: users.update_user(session=s, actor=lead, user_id=boss.id, version=boss.version, name='Renamed'),
        lambda s: two_factor.reset(session=s, actor=lead, user_id=boss.id),
    ):
        with session_scope() as session, pytest.raises(ValidationFailed) as refused:
            attempt(session)
        assert refused.value.errors == {'': refusal}
    with read_session() as session:
        after = session.get(User, boss.id)
    assert (after.name, after.is_active, after.password_hash, after.version) == (
        boss.name,
        True,
        boss.password_hash,
        boss.version,
    )

    with pytest.raises(ValidationFailed) as refused:
        create(lead, name='Sneaky', granted=('tickets.read', 'settings.manage'))
    assert refused.value.errors == {
        'permissions': 'You may grant only rights your own role holds; not: Change application settings and API keys'
    }
    with pytest.raises(ValidationFailed) as refused:
        change(lead, beyond_lead, description='mine now')
    assert refused.value.errors == {'': 'This role holds rights your own role does not: ask an admin'}
    with session_scope() as session, pytest.raises(ValidationFailed):
        roles.delete_role(session=session, actor=lead, role_id=beyond_lead.id, version=beyond_lead.version)
    assert create(lead, name='Night desk', granted=('tickets.read',)).permissions == ['tickets.read']
