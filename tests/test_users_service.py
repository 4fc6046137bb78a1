"""Staff users as an admin manages them: add, edit, deactivate, reset passwords; and what others may not do."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import func, select

from backoffice import auth, events
from backoffice.db import read_session, session_scope
from backoffice.errors import PermissionDenied, StaleRecord, ValidationFailed
from backoffice.models import AuditEntry, Role, Ticket, TicketStatus, User
from backoffice.password_strength import TOO_COMMON
from backoffice.resources import staff
from backoffice.services import users

from .support.factories import PASSWORD, make_user, stored_request, submit_request

GOOD_PASSWORD = 'Plum-orchard-42'


# --- adding ----------------------------------------------------------------------------------------------------------


def test_an_admin_adds_a_user_who_can_then_sign_in() -> None:
    admin = make_user('admin')

    with session_scope() as session:
        created = users.create_user(
            session=session,
            actor=admin,
            data={
                'email': ' Nia.Newton@Example.com ',
                'name': ' Nia Newton ',
                'role': 'manager',
                'password': GOOD_PASSWORD,
            },
        )

    assert created.generated_password is None
    assert (created.user.email, created.user.name, created.user.role) == (
        'nia.newton@example.com',
        'Nia Newton',
        Role.manager,
    )
    entry = last_audit_entry()
    assert (entry.action, entry.actor_email) == ('user.created', admin.email)
    assert entry.summary == 'Added nia.newton@example.com as manager'
    assert auth.sign_in(email='nia.newton@example.com', password=GOOD_PASSWORD, address=None).ok


@pytest.mark.parametrize(
    ('field', 'data', 'message'),
    [
        ('email', {'email': 'not-an-email'}, 'Enter a valid email address'),
        ('name', {'name': '   '}, 'Enter a name'),
        ('password', {'password': 'Short-1'}, 'Use at least 10 characters'),
        ('password', {'password': 'password123'}, 'Too common'),
        ('password', {'password': 'nia.newton-2026'}, 'Do not use your email or name in the password'),
        ('password', {'password': 'xNiaNewton9'}, 'Do not use your email or name in the password'),
        ('email', {'email': 'TAKEN@example.com'}, 'A user with this email already exists'),
        ('role', {'role': 'superuser'}, 'Choose one of the listed roles'),
    ],
    ids=[
        'bad email',
        'empty name',
        'short password',
        'common password',
        'password has the email',
        'password has the name',
        'duplicate email',
        'unknown role',
    ],
)
def test_a_bad_new_user_is_refused_at_the_field_and_nothing_is_saved(field: str, data: dict, message: str) -> None:
    admin = make_user('admin')
    make_user('agent', email='taken@example.com')
    users_before, audit_before = count(User), count(AuditEntry)

    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        users.create_user(
            session=session,
            actor=admin,
            data={
                'email': 'nia.newton@example.com',
                'name': 'Nia Newton',
                'role': 'agent',
                'password': GOOD_PASSWORD,
                **data,
            },
        )

    assert list(refused.value.errors) == [field]
    assert refused.value.errors[field].startswith(message)
    assert (count(User), count(AuditEntry)) == (users_before, audit_before)


def test_a_short_name_does_not_rule_out_passwords_that_merely_contain_it() -> None:
    admin = make_user('admin')

    with session_scope() as session:
        users.create_user(
            session=session,
            actor=admin,
            data={'email': 'jo@example.com', 'name': 'Jo', 'role': 'agent', 'password': 'Major-jones-77'},
        )

    assert auth.sign_in(email='jo@example.com', password='Major-jones-77', address=None).ok


def test_a_generated_password_is_handed_out_once_and_works() -> None:
    admin = make_user('admin')

    with session_scope() as session:
        created = users.create_user(session=session, actor=admin, data={'email': 'new@example.com', 'name': 'New'})

    password = created.generated_password
    assert password and users.password_problem(password, email='new@example.com') is None
    assert auth.sign_in(email='new@example.com', password=password, address=None).ok
    assert password not in everything_stored_about('new@example.com')


def test_the_audit_entry_of_a_new_user_masks_the_password_hash() -> None:
    admin = make_user('admin')

    with session_scope() as session:
        created = users.create_user(
            session=session,
            actor=admin,
            data={'email': 'nia@example.com', 'name': 'Nia', 'role': 'viewer', 'password': GOOD_PASSWORD},
        )

    changes = last_audit_entry().changes
    assert changes['email'] == [None, 'nia@example.com']
    assert changes['role'] == [None, 'viewer']
    assert changes['password_hash'] == [None, '••••••']
    assert created.user.password_hash not in json.dumps(changes)


# --- who may -------------------------------------------------------------------------------------------------------


def _create(actor: User, target: User) -> None:
    with session_scope() as session:
        users.create_user(session=session, actor=actor, data={'email': 'x@example.com', 'name': 'X', 'role': 'admin'})


def _update(actor: User, target: User) -> None:
    with session_scope() as session:
        users.update_user(session=session, actor=actor, user_id=target.id, version=target.version, role='admin')


def _deactivate(actor: User, target: User) -> None:
    with session_scope() as session:
        users.set_active(session=session, actor=actor, user_id=target.id, version=target.version, active=False)


def _reset(actor: User, target: User) -> None:
    with session_scope() as session:
        users.reset_password(session=session, actor=actor, user_id=target.id, version=target.version)


def _list(actor: User, target: User) -> None:
    with read_session() as session:
        users.list_users(session=session, actor=actor)


@pytest.mark.parametrize(
    'action',
    [_create, _update, _deactivate, _reset, _list],
    ids=['create', 'update', 'deactivate', 'reset password', 'list'],
)
@pytest.mark.parametrize('role', ['manager', 'agent', 'viewer'])
def test_only_an_admin_manages_staff(role: str, action: Callable[[User, User], None]) -> None:
    actor = make_user(role)
    target = make_user('agent', email='target@example.com')
    before = everything_stored_about('target@example.com')
    users_before, audit_before = count(User), count(AuditEntry)

    with pytest.raises(PermissionDenied):
        action(actor, target)

    assert everything_stored_about('target@example.com') == before
    assert (count(User), count(AuditEntry)) == (users_before, audit_before)
    assert auth.sign_in(email=target.email, password=PASSWORD, address=None).ok


def test_a_deactivated_admin_can_no_longer_manage_staff() -> None:
    make_user('admin')
    former = make_user('admin', active=False)
    with pytest.raises(PermissionDenied):
        _list(former, former)


# --- editing -------------------------------------------------------------------------------------------------------


def test_an_admin_renames_and_promotes_a_user_and_the_change_is_audited() -> None:
    admin = make_user('admin')
    agent = make_user('agent', name='Alex Agent')

    with session_scope() as session:
        saved = users.update_user(
            session=session, actor=admin, user_id=agent.id, version=agent.version, name='Alex Smith', role='manager'
        )

    assert (saved.name, saved.role, saved.version) == ('Alex Smith', Role.manager, agent.version + 1)
    entry = last_audit_entry()
    assert entry.action == 'user.updated'
    assert entry.changes == {'name': ['Alex Agent', 'Alex Smith'], 'role': ['agent', 'manager']}


def test_saving_over_someone_elses_change_is_refused_and_names_them() -> None:
    ada = make_user('admin', email='ada@example.com')
    bob = make_user('admin', email='bob@example.com')
    agent = make_user('agent', name='Alex Agent')
    opened_version = agent.version  # both admins open the same user

    with session_scope() as session:
        users.update_user(session=session, actor=bob, user_id=agent.id, version=opened_version, name='Alex B')
    with session_scope() as session, pytest.raises(StaleRecord) as stale:
        users.update_user(session=session, actor=ada, user_id=agent.id, version=opened_version, name='Alex A')

    assert f'changed by {bob.name}' in str(stale.value)
    assert 'Reload' in str(stale.value)
    assert stale.value.current_version == opened_version + 1
    assert stored('Alex B') is not None and stored('Alex A') is None


def test_the_last_active_admin_cannot_be_demoted() -> None:
    admin = make_user('admin')

    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        users.update_user(session=session, actor=admin, user_id=admin.id, version=admin.version, role='manager')

    assert refused.value.errors == {'role': 'This is the last active admin; make someone else admin first'}
    assert auth.sign_in(email=admin.email, password=PASSWORD, address=None).user.role == Role.admin


def test_an_admin_may_step_down_once_there_is_another() -> None:
    admin = make_user('admin')
    make_user('admin')

    with session_scope() as session:
        saved = users.update_user(session=session, actor=admin, user_id=admin.id, version=admin.version, role='manager')

    assert saved.role == Role.manager


def test_the_last_active_admin_cannot_be_deactivated() -> None:
    ada = make_user('admin', email='ada@example.com')
    bob = make_user('admin', email='bob@example.com')
    with session_scope() as session:
        users.set_active(session=session, actor=ada, user_id=bob.id, version=bob.version, active=False)

    # Bob's page was still open when Ada deactivated him: his click must not leave the shop without an admin.
    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        users.set_active(session=session, actor=bob, user_id=ada.id, version=ada.version, active=False)

    assert refused.value.errors == {'': 'This is the last active admin; make someone else admin first'}
    assert auth.sign_in(email=ada.email, password=PASSWORD, address=None).ok


def test_two_admins_deactivating_each_other_at_once_leave_one_admin_and_a_clear_message() -> None:
    ada = make_user('admin', email='ada@example.com')
    bob = make_user('admin', email='bob@example.com')
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def deactivate(actor: User, target: User) -> None:
        start.wait()
        try:
            with session_scope() as session:
                users.set_active(session=session, actor=actor, user_id=target.id, version=target.version, active=False)
            outcomes.append('deactivated')
        except ValidationFailed as error:
            outcomes.append(error.errors[''])

    threads = [threading.Thread(target=deactivate, args=pair) for pair in ((ada, bob), (bob, ada))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ['This is the last active admin; make someone else admin first', 'deactivated']
    with read_session() as session:
        active_admins = session.exec(
            select(func.count()).select_from(User).where(User.role == Role.admin, User.is_active == True)  # noqa: E712
        ).one()
    assert active_admins == 1


def test_nobody_can_deactivate_themselves() -> None:
    admin = make_user('admin')
    make_user('admin')

    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        users.set_active(session=session, actor=admin, user_id=admin.id, version=admin.version, active=False)

    assert refused.value.errors == {'': 'You cannot deactivate your own account'}
    assert auth.sign_in(email=admin.email, password=PASSWORD, address=None).ok


def test_a_deactivated_user_can_be_let_back_in() -> None:
    admin = make_user('admin')
    agent = make_user('agent')
    with session_scope() as session:
        gone = users.set_active(session=session, actor=admin, user_id=agent.id, version=agent.version, active=False)
    assert not auth.sign_in(email=agent.email, password=PASSWORD, address=None).ok

    with session_scope() as session:
        users.set_active(session=session, actor=admin, user_id=agent.id, version=gone.version, active=True)

    assert auth.sign_in(email=agent.email, password=PASSWORD, address=None).ok
    assert last_audit_entry_of('user.reactivated').changes == {'is_active': [False, True]}


# --- signing people out --------------------------------------------------------------------------------------------


@pytest.fixture
def sessions_events() -> list[dict]:
    """What a subscriber to 'sessions' saw, read from the database in a session of its own when told."""
    seen: list[dict] = []

    def on_sessions(payload: dict) -> None:
        with read_session() as session:
            user = session.get(User, payload['user_id'])
            seen.append(
                {
                    **payload,
                    'stored_epoch': user.session_epoch,
                    'stored_active': user.is_active,
                    'stored_hash': user.password_hash,
                }
            )

    events.subscribe('sessions', on_sessions)
    return seen


def test_a_deactivated_agents_open_requests_go_back_to_the_unassigned_queue() -> None:
    """Deactivating an agent left their open requests assigned to someone who could no longer sign in: out of every
    colleague's views while the SLA ran out. The ones still to be answered go back to the queue, audited; solved ones
    keep who answered them; the confirmation says how many."""
    admin = make_user('admin')
    agent = make_user('agent', name='Zoë "O\'Brien": <script>x</script>')
    numbers = {}
    for status in (TicketStatus.new, TicketStatus.open, TicketStatus.waiting, TicketStatus.solved):
        numbers[status] = submit_request(
            f'Parcel: "{status.value}" <b>lost</b>', email=f'{status.value}@example.com'
        ).number
    with session_scope() as session:
        for ticket in session.exec(select(Ticket)).all():
            ticket.assignee_id, ticket.status = agent.id, next(s for s, n in numbers.items() if n == ticket.number)
            session.add(ticket)
        session.commit()

    with session_scope() as session:
        outcome = staff._deactivate(session=session, actor=admin, record_id=agent.id, version=agent.version)
    assert outcome.message == (
        f'{agent.email} was deactivated and signed out everywhere; '
        'their 3 open requests are back in the unassigned queue.'
    )

    for status, number in numbers.items():
        ticket = stored_request(number)
        assert ticket.assignee_id == (agent.id if status == TicketStatus.solved else None), status
    with read_session() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == 'ticket.updated')).all()
    assert len(entries) == 3
    assert all(entry.changes['assignee_id'] == [agent.id, None] for entry in entries)


def test_deactivation_signs_the_user_out_once_it_is_saved(sessions_events: list[dict]) -> None:
    admin = make_user('admin')
    agent = make_user('agent')

    with session_scope() as session:
        users.set_active(session=session, actor=admin, user_id=agent.id, version=agent.version, active=False)

    [event] = sessions_events
    assert event['user_id'] == agent.id
    assert event['epoch'] == event['stored_epoch'] == agent.session_epoch + 1  # the subscriber sees the commit
    assert event['stored_active'] is False
    assert not auth.sign_in(email=agent.email, password=PASSWORD, address=None).ok


def test_a_password_reset_signs_the_user_out_and_hands_out_a_working_password(sessions_events: list[dict]) -> None:
    admin = make_user('admin')
    agent = make_user('agent')

    with session_scope() as session:
        password = users.reset_password(session=session, actor=admin, user_id=agent.id, version=agent.version)

    [event] = sessions_events
    assert event['epoch'] == event['stored_epoch'] == agent.session_epoch + 1
    assert auth.verify_password(event['stored_hash'], password)
    assert not auth.sign_in(email=agent.email, password=PASSWORD, address=None).ok
    assert auth.sign_in(email=agent.email, password=password, address=None).ok
    entry = last_audit_entry_of('user.password_reset')
    assert entry.changes['session_epoch'] == [agent.session_epoch, agent.session_epoch + 1]
    assert 'password_changed_at' in entry.changes
    for password_hash in (agent.password_hash, event['stored_hash']):
        assert password_hash not in json.dumps(entry.changes)


def test_a_weak_reset_password_is_refused_and_nothing_changes(sessions_events: list[dict]) -> None:
    admin = make_user('admin')
    agent = make_user('agent')

    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        users.reset_password(
            session=session, actor=admin, user_id=agent.id, version=agent.version, new_password='qwertyuiop'
        )

    assert refused.value.errors == {'password': TOO_COMMON}
    assert sessions_events == []
    assert auth.sign_in(email=agent.email, password=PASSWORD, address=None).ok


# --- own password --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ('current', 'new', 'confirm', 'errors'),
    [
        ('Wrong-password-1', GOOD_PASSWORD, GOOD_PASSWORD, {'current': 'This is not your current password'}),
        (PASSWORD, 'short', 'short', {'new': 'Use at least 10 characters'}),
        (PASSWORD, PASSWORD, PASSWORD, {'new': 'Choose a password different from the current one'}),
        (PASSWORD, GOOD_PASSWORD, 'Plum-orchard-43', {'confirm': 'The two passwords differ'}),
        (
            '',
            'password12',
            'password13',
            {'current': 'This is not your current password', 'new': TOO_COMMON, 'confirm': 'The two passwords differ'},
        ),
    ],
    ids=['wrong current', 'weak new', 'same as current', 'confirmation differs', 'everything wrong'],
)
def test_changing_ones_own_password_checks_every_field(
    current: str, new: str, confirm: str, errors: dict, sessions_events: list[dict]
) -> None:
    agent = make_user('agent')

    with session_scope() as session, pytest.raises(ValidationFailed) as refused:
        users.change_own_password(session=session, actor=agent, current=current, new=new, confirm=confirm)

    assert refused.value.errors == errors
    assert sessions_events == []
    assert auth.sign_in(email=agent.email, password=PASSWORD, address=None).ok


def test_changing_ones_own_password_keeps_this_browser_signed_in(sessions_events: list[dict]) -> None:
    agent = make_user('agent')

    with session_scope() as session:
        users.change_own_password(
            session=session,
            actor=agent,
            current=PASSWORD,
            new=GOOD_PASSWORD,
            confirm=GOOD_PASSWORD,
            keep_session='this-browser',
        )

    [event] = sessions_events
    assert event['keep'] == 'this-browser'
    assert event['epoch'] == event['stored_epoch'] == agent.session_epoch + 1
    assert not auth.sign_in(email=agent.email, password=PASSWORD, address=None).ok
    assert auth.sign_in(email=agent.email, password=GOOD_PASSWORD, address=None).ok
    assert last_audit_entry_of('user.password_changed').actor_email == agent.email


# --- listing -------------------------------------------------------------------------------------------------------


def test_the_list_finds_people_by_name_or_email_and_filters_by_status() -> None:
    admin = make_user('admin', name='Ada Admin', email='ada@example.com')
    make_user('agent', name='Sam Okafor', email='sam.okafor@example.com')
    make_user('agent', name='Lea Schmidt', email='lea@shop.example', active=False)
    make_user('viewer', name='Yuki Tanaka', email='yuki@example.com')

    def names(**query) -> list[str]:
        with read_session() as session:
            return [user.name for user in users.list_users(session=session, actor=admin, **query)]

    assert names() == ['Ada Admin', 'Sam Okafor', 'Yuki Tanaka', 'Lea Schmidt']  # active first, then by name
    assert names(search='OKAFOR') == ['Sam Okafor']
    assert names(search='  SHOP.example ') == ['Lea Schmidt']
    assert names(search='a', active=False) == ['Lea Schmidt']
    assert names(active=True) == ['Ada Admin', 'Sam Okafor', 'Yuki Tanaka']
    assert names(search='nobody') == []


# --- helpers -------------------------------------------------------------------------------------------------------


def count(model: type) -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def stored(name: str) -> User | None:
    with read_session() as session:
        return session.exec(select(User).where(User.name == name)).first()


def everything_stored_about(email: str) -> str:
    """The user's row and every audit entry, as text: what anyone with database access could read."""
    with read_session() as session:
        user = session.exec(select(User).where(User.email == email)).one()
        entries = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
        return json.dumps([user.model_dump(mode='json')] + [entry.model_dump(mode='json') for entry in entries])


def last_audit_entry() -> AuditEntry:
    with read_session() as session:
        return session.exec(select(AuditEntry).order_by(AuditEntry.id.desc())).first()


def last_audit_entry_of(action: str) -> AuditEntry:
    with read_session() as session:
        return session.exec(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())
        ).first()


def test_wrong_current_passwords_are_throttled_like_sign_ins(monkeypatch: pytest.MonkeyPatch) -> None:
    agent = make_user('agent')
    now = auth.utcnow()
    monkeypatch.setattr(auth, 'utcnow', lambda: now)

    def change(current: str) -> dict[str, str]:
        try:
            with session_scope() as session:
                users.change_own_password(
                    session=session, actor=agent, current=current, new=GOOD_PASSWORD, confirm=GOOD_PASSWORD
                )
        except ValidationFailed as refused:
            return refused.errors
        return {}

    assert [change(f'Guess-{n}') for n in range(4)] == [{'current': 'This is not your current password'}] * 4
    assert change('Guess-5') == {'current': 'Too many wrong passwords. Try again in 30 seconds.'}
    assert change(PASSWORD) == {'current': 'Too many wrong passwords. Try again in 30 seconds.'}

    now += timedelta(seconds=31)
    assert change(PASSWORD) == {}
    assert auth.sign_in(email=agent.email, password=GOOD_PASSWORD, address=None).ok


def test_the_sentence_refusing_a_reset_of_ones_own_password_is_written_once() -> None:
    """Both resets (reset_password and send_password_reset) refuse one's own account with the same sentence, written
    once: two copies drift apart at the first edit of one."""
    source = Path(users.__file__).read_text(encoding='utf-8')
    assert source.count('To change your own password') == 1
