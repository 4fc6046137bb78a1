"""A record's action is offered only when it can succeed for this person on this record (`Action.offered`): what the
service refuses them (their own account, a colleague whose role holds rights theirs does not, a request already theirs
or already a duplicate) is not offered, and the service still refuses it when called anyway."""

from __future__ import annotations

import pytest

from backoffice.config import get_settings, reload_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import ServiceError
from backoffice.models import DeliveryStatus, Ticket, User, WebhookDelivery, WebhookEndpoint
from backoffice.resources import resource
from backoffice.services import password_reset, tickets, users, webhooks

from .support.factories import make_role, make_user, submit_request
from .support.invitations import mail_set_up

HOSTILE = 'Ana "Lead" <script>x</script>: é'


def stored(model: type, record_id: int):
    with read_session() as session:
        return session.get(model, record_id)


def accepted(resource_key: str, key: str, actor: User, record_id: int, model: type) -> bool:
    """Whether the service runs the action for this actor (on the record as stored now), or refuses it."""
    action = next(a for a in resource(resource_key).actions if a.key == key)
    try:
        with session_scope() as session:
            action.run(session=session, actor=actor, record_id=record_id, version=stored(model, record_id).version)
    except ServiceError:
        return False
    return True


@pytest.mark.parametrize('key', ['deactivate', 'reactivate', 'reset-password'])
def test_a_staff_manager_is_offered_on_each_account_exactly_what_the_service_lets_them_do(key: str) -> None:
    lead = make_user(make_role('users.manage').key, name=HOSTILE)
    peer = make_user(make_role('users.manage').key, name='Peer "Two": <b>x</b>', active=key != 'deactivate')
    admin = make_user('admin', active=key == 'deactivate')  # beyond the lead's reach: an admin holds every right
    action = next(a for a in resource('users').actions if a.key == key)
    for target, expected in ((peer, True), (admin, False), (lead, False)):
        record = stored(User, target.id)
        if not action.visible(record):
            continue  # (Reactivate is for a deactivated account only: the lead themself)
        offered = action.offered(record, stored(User, lead.id))
        assert offered == expected, (key, target.email)
        assert accepted('users', key, stored(User, lead.id), target.id, User) == offered, (key, target.email)


def test_resending_an_invitation_is_not_offered_on_an_account_beyond_reach() -> None:
    lead = make_user(make_role('users.manage').key, name=HOSTILE)
    admin = make_user('admin')
    action = next(a for a in resource('users').actions if a.key == 'resend-invitation')
    assert not action.for_actor(stored(User, admin.id), stored(User, lead.id))


def test_assign_to_me_is_not_offered_on_a_request_already_mine_and_duplicate_not_on_a_duplicate() -> None:
    agent = make_user('agent', name=HOSTILE)
    first = submit_request('Broken "mug": <script>x</script>', order_number=None)
    second = submit_request('Broken "mug" again: <b>x</b>', order_number=None)
    assign = next(a for a in resource('tickets').actions if a.key == 'assign-to-me')
    duplicate = next(a for a in resource('tickets').actions if a.key == 'duplicate')
    assert assign.offered(stored(Ticket, first.id), agent)
    with session_scope() as session:
        tickets.assign_to_me(session=session, actor=agent, ticket_id=first.id, version=stored(Ticket, first.id).version)
    assert not assign.offered(stored(Ticket, first.id), agent)
    assert assign.offered(stored(Ticket, first.id), make_user('agent'))  # a colleague may still take it
    assert duplicate.offered(stored(Ticket, second.id), agent)
    with session_scope() as session:
        tickets.mark_duplicate(
            session=session,
            actor=agent,
            ticket_id=second.id,
            version=stored(Ticket, second.id).version,
            of_number=first.number,
        )
    marked = stored(Ticket, second.id)
    assert not duplicate.offered(marked, agent) and not tickets.may_mark_duplicate(marked)


def test_resend_failed_is_offered_only_with_failed_deliveries_to_resend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('BACKOFFICE_ALLOW_PRIVATE_WEBHOOKS', '1')
    reload_settings()
    admin = make_user('admin', name=HOSTILE)
    with session_scope() as session:
        endpoint, _ = webhooks.create_endpoint(
            session=session,
            actor=admin,
            data={'name': 'Shop "hook": <script>x</script>', 'url': 'https://127.0.0.1:9/hook', 'events': '*'},
        )
        endpoint_id = endpoint.id
    action = next(a for a in resource('webhooks').actions if a.key == 'resend-failed')
    assert not action.offered(stored(WebhookEndpoint, endpoint_id), admin)
    with session_scope() as session:
        for n, status in enumerate((DeliveryStatus.delivered, DeliveryStatus.pending)):
            session.add(WebhookDelivery(endpoint_id=endpoint_id, event='order.paid', dedup_key=f'x:{n}', status=status))
        session.commit()
    assert not action.offered(stored(WebhookEndpoint, endpoint_id), admin)
    with session_scope() as session:
        session.add(
            WebhookDelivery(endpoint_id=endpoint_id, event='order.paid', dedup_key='x:2', status=DeliveryStatus.failed)
        )
        session.commit()
    assert action.offered(stored(WebhookEndpoint, endpoint_id), admin)


def test_sending_an_invitation_again_is_offered_only_while_outbound_mail_is_set_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = make_user('admin', name=HOSTILE)
    mail_set_up(monkeypatch, admin)
    with session_scope() as session:
        invited = users.create_user(
            session=session,
            actor=session.get(User, admin.id),
            data={'email': 'nia@example.com', 'name': 'Nia "N": <i>x</i>', 'role': 'agent', 'invite': True},
            base_url='https://bo.example',
        ).user.id
    action = next(a for a in resource('users').actions if a.key == 'resend-invitation')
    assert action.offered(stored(User, invited), stored(User, admin.id))
    monkeypatch.setattr(password_reset, 'get_settings', lambda: get_settings().model_copy(update={'smtp_url': ''}))
    assert not action.offered(stored(User, invited), stored(User, admin.id))
    assert not accepted('users', 'resend-invitation', stored(User, admin.id), invited, User)  # the service refuses
    mail_set_up(monkeypatch, admin)
    assert action.offered(stored(User, invited), stored(User, admin.id))
    assert accepted('users', 'resend-invitation', stored(User, admin.id), invited, User)
