"""Webhooks declared for the engine: the endpoints (writes through services/webhooks.py: validation, the secret shown
once, audit) and the read-only log of their deliveries, newest first."""

from __future__ import annotations

from typing import Any

from backoffice.db import read_session
from backoffice.engine.declaration import (
    Action,
    Column,
    Filter,
    FormField,
    Outcome,
    Resource,
    Template,
    Wording,
    register,
)
from backoffice.events import Topic
from backoffice.i18n import N_, _, ngettext
from backoffice.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from backoffice.services import webhooks

EVENTS = {
    '*': N_('Every event'),
    **{name: name for name in webhooks.EVENT_TYPES},
    webhooks.TEST_EVENT: N_('Test event'),
}
STATUSES = {
    DeliveryStatus.pending.value: N_('Pending'),
    DeliveryStatus.delivered.value: N_('Delivered'),
    DeliveryStatus.failed.value: N_('Failed'),
}
EVENTS_HELP = Template(N_('Comma-separated, or * for all: {events}'), events=', '.join(webhooks.EVENT_TYPES))


def _create(*, session, actor, data) -> Outcome:
    endpoint, secret = webhooks.create_endpoint(session=session, actor=actor, data=data)
    return Outcome(
        endpoint,
        _('Webhook {name} was added: copy its signing secret now').format(name=endpoint.name),
        secret,
        _('Signing secret for {name}').format(name=endpoint.name),
    )


def _update(*, session, actor, record_id, version, changes) -> WebhookEndpoint:
    return webhooks.update_endpoint(
        session=session, actor=actor, endpoint_id=record_id, version=version, changes=changes
    )


def _send_test(*, session, actor, record_id, version) -> Outcome:
    delivery = webhooks.send_test(session=session, actor=actor, endpoint_id=record_id)
    if delivery.status == DeliveryStatus.delivered:
        return Outcome(delivery, _('Test event delivered (HTTP {code})').format(code=delivery.last_status_code))
    return Outcome(
        delivery,
        _('Test event not delivered yet ({error}); it is retried with backoff').format(
            error=webhooks.last_error(delivery)
        ),
    )


def _has_failed(endpoint: WebhookEndpoint, actor: Any) -> bool:
    """ "Resend failed" is offered with failed deliveries to resend only (it answers that there are none otherwise; the
    API still gets that answer)."""
    if endpoint.id is None:
        return False
    with read_session() as session:
        return webhooks.has_failed(session, endpoint.id)


def _resend_failed(*, session, actor, record_id, version) -> Outcome:
    count = webhooks.resend_failed(session=session, actor=actor, endpoint_id=record_id)
    return Outcome(
        None,
        ngettext('{n} failed delivery queued again', '{n} failed deliveries queued again', count).format(n=count)
        if count
        else _('No failed deliveries to resend'),
    )


def _resend(*, session, actor, record_id, version) -> Outcome:
    delivery = webhooks.resend(session=session, actor=actor, delivery_id=record_id)
    if delivery.status == DeliveryStatus.delivered:
        return Outcome(delivery, _('Delivered again (HTTP {code})').format(code=delivery.last_status_code))
    return Outcome(
        delivery, _('Not delivered ({error}); it is retried with backoff').format(error=webhooks.last_error(delivery))
    )


def _rotate(*, session, actor, record_id, version) -> Outcome:
    endpoint, secret = webhooks.rotate_secret(session=session, actor=actor, endpoint_id=record_id, version=version)
    return Outcome(
        endpoint,
        _('New signing secret: the old one no longer signs'),
        secret,
        _('Signing secret for {name}').format(name=endpoint.name),
    )


WEBHOOKS = register(
    Resource(
        key=Topic.webhooks,
        link='/webhooks?open={id}',
        label=N_('Webhooks'),
        singular=N_('webhook'),
        wording=Wording(
            count=lambda n: ngettext('{n} webhook', '{n} webhooks', n),
            arrived=lambda n: ngettext('{n} new webhook', '{n} new webhooks', n),
            none_yet=N_('There are no webhooks yet.'),
            new=N_('New webhook'),
            create=N_('Create webhook'),
            created=N_('Webhook created'),
            trashed=N_('Webhook moved to the trash'),
            restored=N_('Webhook restored'),
        ),
        model=WebhookEndpoint,
        create=webhooks.EndpointIn,
        update=webhooks.EndpointChange,
        permission='webhooks',
        read=webhooks.PERMISSION,
        write=webhooks.PERMISSION,
        audit_entity='webhook',
        title='name',
        icon='webhook',
        description=N_('Signed POSTs to other systems when orders, requests and returns change'),
        create_with=_create,
        update_with=_update,
        columns=(
            Column('name', N_('Name')),
            # its user:password@ and ?token=… masked here, in exports and over the API (api_derived); searched as stored
            Column('url', N_('Address'), wrap=True, derived=webhooks.address_shown, api_derived=True),
            Column(
                'events',
                N_('Events'),
                sortable=False,
                on_phone=False,
                wrap=True,
                derived=lambda endpoint: webhooks.events_said(endpoint.events),  # '*': All events
            ),
            Column('is_active', N_('Active'), kind='bool'),
            Column('created_at', N_('Added'), kind='datetime', on_phone=False),
        ),
        fields=(
            FormField('name', N_('Name'), required=True),
            FormField(
                'url',
                N_('Address (https://…)'),
                required=True,
                shown=webhooks.address_shown,  # •••••• left as it is keeps the password: only a new one is typed
                help=N_('A password or token shows as ••••••: leave it so to keep it, or type a new one'),
            ),
            FormField('events', N_('Events'), help=EVENTS_HELP),
            FormField('is_active', N_('Active'), kind='bool'),
        ),
        search=('name',),
        search_ids=webhooks.found_by_address,  # by the address as shown: the search reads no password or token
        filters=(Filter('is_active', N_('Active'), 'bool'),),
        default_sort='name',
        actions=(
            Action('send-test', N_('Send test event'), _send_test, webhooks.PERMISSION, icon='send'),
            Action(
                'resend-failed',
                N_('Resend failed'),
                _resend_failed,
                webhooks.PERMISSION,
                icon='replay',
                for_actor=_has_failed,
            ),
            Action(
                'rotate-secret',
                N_('New secret'),
                _rotate,
                webhooks.PERMISSION,
                icon='key',
                confirm=N_('Make a new signing secret? The receiver must use it from now on.'),
            ),
        ),
    )
)

DELIVERIES = register(
    Resource(
        key=Topic.webhook_deliveries,
        label=N_('Deliveries'),
        singular=N_('delivery'),
        wording=Wording(
            count=lambda n: ngettext('{n} delivery', '{n} deliveries', n),
            arrived=lambda n: ngettext('{n} new delivery', '{n} new deliveries', n),
            none_yet=N_('There are no deliveries yet.'),
        ),
        plural=N_('deliveries'),
        model=WebhookDelivery,
        create=None,
        update=None,
        permission='webhooks',
        read=webhooks.PERMISSION,
        write=webhooks.PERMISSION,
        title='event',
        icon='outbox',
        soft_delete=False,
        description=N_('Every event sent to a webhook, newest first: status, attempts, the answer'),
        columns=(
            Column('created_at', N_('Queued'), kind='datetime'),
            Column('endpoint_id', N_('Webhook'), kind='related', related=Topic.webhooks, on_phone=False),
            Column('event', N_('Event'), kind='choice', choices=EVENTS),
            # a delivery given up waits for someone to Resend it: red, on a phone's card too (its error is not shown)
            Column('status', N_('Status'), kind='choice', choices=STATUSES, alarming=(DeliveryStatus.failed.value,)),
            Column('attempts', N_('Attempts'), kind='number', on_phone=False),
            Column('last_status_code', N_('Answer'), on_phone=False),  # an HTTP status (404), not a quantity
            # why it was not delivered (could not connect, a timeout), in the list: no opening each pending one to see
            Column('last_error', N_('Last error'), kind='stored_text', sortable=False, on_phone=False, wrap=True),
            # a pending one: when it is tried again, counting down ('in 4 min'); the list hid it behind "Columns"
            Column(
                'next_attempt_at',
                N_('Next attempt'),
                kind='due',
                on_phone=False,
                derived=webhooks.next_attempt,
                api_derived=True,  # /api/v1 too: null once delivered or failed (the screen's empty cell)
            ),
            Column('delivered_at', N_('Delivered'), kind='datetime', on_phone=False, shown=False),
        ),
        fields=(
            FormField('event', N_('Event'), kind='choice', choices=EVENTS, on_edit=False),
            FormField(
                'status', N_('Status'), kind='choice', choices=STATUSES, on_edit=False
            ),  # 'Pending', not 'pending'
            FormField('attempts', N_('Attempts'), kind='number', on_edit=False),
            FormField(
                'last_status_code',
                N_('Last answer (HTTP status)'),
                kind='number',
                on_edit=False,
                applies=lambda d: d.last_status_code is not None,  # never answered (could not connect): no empty box
            ),
            FormField('last_error', N_('Last error'), kind='long_text', on_edit=False),
            FormField(
                'next_attempt_at',
                N_('Next attempt'),
                kind='datetime',
                on_edit=False,
                applies=lambda d: d.status == DeliveryStatus.pending,  # delivered or given up: no next attempt
                note=lambda d: webhooks.next_attempt_said(d) or '',  # 'in 4 min': the field shows the moment
            ),
            FormField(
                'delivered_at',
                N_('Delivered'),
                kind='datetime',
                on_edit=False,
                applies=lambda d: d.delivered_at is not None,  # pending or given up: an empty date with a calendar
            ),
            # what it carries (a customer's email, an order): shown to those who may read that, not to every manager
            # of webhooks (a custom role with webhooks.manage alone)
            FormField('payload', N_('Payload'), kind='long_text', on_edit=False, needs=webhooks.payload_needs),
        ),
        search=('event',),
        filters=(
            Filter('status', N_('Status'), 'choice', choices=STATUSES),
            Filter('endpoint_id', N_('Webhook'), 'related', related=Topic.webhooks),
            Filter('event', N_('Event'), 'choice', choices={k: v for k, v in EVENTS.items() if k != '*'}),
        ),
        default_sort='id',
        default_descending=True,
        actions=(
            Action(
                'resend',
                N_('Resend'),
                _resend,
                webhooks.PERMISSION,
                icon='replay',
                visible=lambda d: d.status != DeliveryStatus.pending,
                not_now=webhooks.still_pending_said,
            ),
        ),
    )
)
