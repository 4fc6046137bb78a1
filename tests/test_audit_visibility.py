"""The audit log shows an entry only to those who may read the record it is about (a manager or a viewer never sees
admin-only settings, webhooks or staff accounts there), and secrets inside addresses are masked where it stores them."""

from __future__ import annotations

import re
from pathlib import Path

from nicegui import ui
from nicegui.testing import User as SimulatedUser
from sqlalchemy import text

from backoffice.db import read_session, session_scope
from backoffice.errors import NotFound
from backoffice.listing.query import ListRequest, count, iterate, list_page
from backoffice.models import AuditEntry, Role
from backoffice.permissions import PERMISSIONS, can
from backoffice.resources import resource
from backoffice.resources.system import ENTITY_PERMISSIONS, entity_permissions
from backoffice.services import app_settings, crud, webhooks

from .support.factories import make_customer, make_user
from .support.signin import signed_in
from .support.waiting import eventually

AUDIT = resource('audit')
SEGMENTS_HOOK = 'https://mailer:pa55word@tool.example.com/in?list=7&token=t0k3n'
WEBHOOK = 'https://ops:hunter2@hooks.example.com/in?api_key=k3y'
NAME = 'Ops "CRM": <script>alert(1)</script>'
SECRETS = ('pa55word', 't0k3n', 'hunter2', 'k3y')


def admin_only_changes() -> None:
    admin = make_user('admin')
    with session_scope() as session:
        app_settings.save(session=session, actor=admin, changes={'segments_webhook_url': SEGMENTS_HOOK}, loaded={})
    with session_scope() as session:
        webhooks.create_endpoint(session=session, actor=admin, data={'name': NAME, 'url': WEBHOOK})
    make_customer('ann@example.com', name='Ann "A": <b>')


def entities_seen_by(actor) -> list[str]:
    with read_session() as session:
        rows = list_page(session=session, actor=actor, resource=AUDIT, request=ListRequest(page_size=500)).rows
        total, exact = count(session=session, actor=actor, resource=AUDIT, request=ListRequest())
        exported = [
            row.entity
            for batch in iterate(session=session, actor=actor, resource=AUDIT, request=ListRequest())
            for row in batch
        ]
    assert (total, exact) == (len(rows), True) and sorted(exported) == sorted(row.entity for row in rows)
    return sorted({row.entity for row in rows})


def test_managers_and_viewers_see_no_entry_about_admin_only_records() -> None:
    admin_only_changes()
    manager, viewer, admin = make_user('manager'), make_user('viewer'), make_user('admin')
    assert entities_seen_by(manager) == entities_seen_by(viewer) == ['customers']
    assert entities_seen_by(admin) == ['customers', 'settings', 'user', 'webhook']
    with read_session() as session:
        hidden = session.exec(text("SELECT id FROM audit_log WHERE entity = 'webhook'")).scalar_one()
        for someone in (manager, viewer):
            try:
                crud.get_record(session=session, actor=someone, resource=AUDIT, record_id=hidden)
                raise AssertionError('a manager or a viewer opened an admin-only audit entry')
            except NotFound:
                pass
        assert crud.get_record(session=session, actor=admin, resource=AUDIT, record_id=hidden).entity == 'webhook'


def test_secrets_inside_addresses_never_reach_the_stored_audit_log() -> None:
    admin_only_changes()
    with read_session() as session:
        stored = ' '.join(
            f'{summary} {changes}'
            for summary, changes in session.exec(text('SELECT summary, CAST(changes AS TEXT) FROM audit_log')).all()
        )
    assert 'tool.example.com' in stored and 'hooks.example.com' in stored  # the addresses stay readable…
    assert not [secret for secret in SECRETS if secret in stored]  # …their secrets do not


async def test_a_viewer_opening_the_audit_log_sees_the_customer_change_but_not_the_admin_settings(
    user: SimulatedUser,
) -> None:
    admin_only_changes()
    await signed_in(user, make_user('viewer').email, path='/audit')
    await user.should_see('1 change', retries=30)
    shown = str(shown_rows(user))
    assert "'summary': 'Added ann@example.com'" in shown, shown
    for admin_only in ('segments webhook', 'tool.example.com', 'hooks.example.com', 'Ops'):
        assert admin_only not in shown


async def test_an_admin_sees_every_entry_with_the_secrets_masked(user: SimulatedUser) -> None:
    admin_only_changes()
    await signed_in(user, make_user('admin').email, path='/audit')
    await user.should_see('Audit log', retries=30)
    shown = await eventually(
        lambda: 'hooks.example.com' in (text := str(shown_rows(user))) and text, message='the webhook entry'
    )
    assert 'https://••••••@hooks.example.com/…?…' in shown  # a hook's address: its host and a hint
    assert not [secret for secret in SECRETS if secret in shown]


def shown_rows(user: SimulatedUser) -> list[dict]:
    return [row for table in user.find(ui.table).elements for row in table.rows]


def test_every_audited_entity_names_the_permission_that_reads_it() -> None:
    """Guard: a new `audit.record(..., 'entity', ...)` about something that is not a resource must say who may read
    its entries (ENTITY_PERMISSIONS), else they would be admins' only without anyone deciding it."""
    root = Path(__file__).parent.parent
    calls = re.compile(r"audit\.record\(\s*\w+,\s*[^,]+,\s*(?:f?'[^']*'|[\w.]+),\s*'([\w-]+)'", re.S)
    used = {
        entity
        for folder in ('backoffice', 'components', 'pages')
        for path in (root / folder).rglob('*.py')
        for entity in calls.findall(path.read_text())
    }
    assert used, 'the pattern no longer finds the audit calls: update this guard'
    assert used - set(entity_permissions()) == set()
    assert set(ENTITY_PERMISSIONS.values()) <= set(PERMISSIONS)


def test_each_role_reads_exactly_the_entries_about_what_it_may_read() -> None:
    with session_scope() as session:
        session.add_all(
            AuditEntry(action='test', entity=entity, summary=f'about {entity}')
            for entity in [*entity_permissions(), 'something-new']
        )
        session.commit()
    for role in Role:
        actor = make_user(role)
        expected = sorted(entity for entity, permission in entity_permissions().items() if can(actor, permission))
        if role == Role.admin:
            expected = [*entity_permissions(), 'something-new']  # an entity nobody declared: admins only
        if not can(actor, AUDIT.read_permission):
            continue
        assert sorted(set(entities_seen_by(actor))) == sorted(set(expected)), role
