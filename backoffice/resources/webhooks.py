"""Webhooks declared for the engine: the endpoints (writes through services/webhooks.py: validation, the secret shown
once, audit) and the read-only log of their deliveries, newest first."""

from __future__ import annotations

from backoffice.engine.declaration import Action, Column, Filter, FormField, Outcome, Resource, register
from backoffice.events import Topic
from backoffice.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from backoffice.services import webhooks

EVENTS = {'*': 'Every event', **{name: name for name in webhooks.EVENT_TYPES}, webhooks.TEST_EVENT: 'Test event'}
STATUSES = {status.value: status.value.capitalize() for status in DeliveryStatus}
EVENTS_HELP = 'Comma-separated, or * for all: ' + ', '.join(webhooks.EVENT_TYPES)


def _create(*, session, actor, data) -> Outcome:
    endpoint, secret = webhooks.create_endpoint(session=session, actor=actor, data=data)
    return Outcome(
        endpoint,
        f'Webhook {endpoint.name} was added: copy its signing secret now',
        secret,
        f'Signing secret for {endpoint.name}',
    )


def _update(*, session, actor, record_id, version, changes) -> WebhookEndpoint:
    return webhooks.update_endpoint(
        session=session, actor=actor, endpoint_id=record_id, version=version, changes=changes
    )


def _send_test(*, session, actor, record_id, version) -> Outcome:
    delivery = webhooks.send_test(session=session, actor=actor, endpoint_id=record_id)
    if delivery.status == DeliveryStatus.delivered:
        return Outcome(delivery, f'Test event delivered (HTTP {delivery.last_status_code})')
    return Outcome(delivery, f'Test event not delivered yet ({delivery.last_error}); it is retried with backoff')


def _resend_failed(*, session, actor, record_id, version) -> Outcome:
    count = webhooks.resend_failed(session=session, actor=actor, endpoint_id=record_id)
    return Outcome(None, f'{count} failed deliveries queued again' if count else 'No failed deliveries to resend')


def _resend(*, session, actor, record_id, version) -> Outcome:
    delivery = webhooks.resend(session=session, actor=actor, delivery_id=record_id)
    if delivery.status == DeliveryStatus.delivered:
        return Outcome(delivery, f'Delivered again (HTTP {delivery.last_status_code})')
    return Outcome(delivery, f'Not delivered ({delivery.last_error}); it is retried with backoff')


def _rotate(*, session, actor, record_id, version) -> Outcome:
    endpoint, secret = webhooks.rotate_secret(session=session, actor=actor, endpoint_id=record_id, version=version)
    return Outcome(
        endpoint, 'New signing secret: the old one no longer signs', secret, f'Signing secret for {endpoint.name}'
    )


WEBHOOKS = register(
    Resource(
        key=Topic.webhooks,
        link='/webhooks?open={id}',
        label='Webhooks',
        singular='webhook',
        model=WebhookEndpoint,
        create=webhooks.EndpointIn,
        update=webhooks.EndpointChange,
        permission='webhooks',
        read=webhooks.PERMISSION,
        write=webhooks.PERMISSION,
        audit_entity='webhook',
        title='name',
        icon='webhook',
        description='Signed POSTs to other systems when orders, requests and returns change',
        create_with=_create,
        update_with=_update,
        columns=(
            Column('name', 'Name'),
            Column('url', 'Address', wrap=True),
            Column('events', 'Events', sortable=False, on_phone=False, wrap=True),
            Column('is_active', 'Active', kind='bool'),
            Column('created_at', 'Added', kind='datetime', on_phone=False),
        ),
        fields=(
            FormField('name', 'Name', required=True),
            FormField('url', 'Address (https://…)', required=True),
            FormField('events', 'Events', help=EVENTS_HELP),
            FormField('is_active', 'Active', kind='bool'),
        ),
        search=('name', 'url'),
        filters=(Filter('is_active', 'Active', 'bool'),),
        default_sort='name',
        actions=(
            Action('send-test', 'Send test event', _send_test, webhooks.PERMISSION, icon='send'),
            Action('resend-failed', 'Resend failed', _resend_failed, webhooks.PERMISSION, icon='replay'),
            Action(
                'rotate-secret',
                'New secret',
                _rotate,
                webhooks.PERMISSION,
                icon='key',
                confirm='Make a new signing secret? The receiver must use it from now on.',
            ),
        ),
    )
)

DELIVERIES = register(
    Resource(
        key=Topic.webhook_deliveries,
        label='Deliveries',
        singular='delivery',
        plural='deliveries',
        model=WebhookDelivery,
        create=None,
        update=None,
        permission='webhooks',
        read=webhooks.PERMISSION,
        write=webhooks.PERMISSION,
        title='event',
        icon='outbox',
        soft_delete=False,
        description='Every event sent to a webhook, newest first: status, attempts, the answer',
        columns=(
            Column('created_at', 'Queued', kind='datetime'),
            Column('endpoint_id', 'Webhook', kind='related', related=Topic.webhooks, on_phone=False),
            Column('event', 'Event', kind='choice', choices=EVENTS),
            Column('status', 'Status', kind='choice', choices=STATUSES),
            Column('attempts', 'Attempts', kind='number', on_phone=False),
            Column('last_status_code', 'Answer', kind='number', on_phone=False),
            Column('next_attempt_at', 'Next attempt', kind='datetime', on_phone=False, shown=False),
            Column('delivered_at', 'Delivered', kind='datetime', on_phone=False, shown=False),
        ),
        fields=(
            FormField('event', 'Event', on_edit=False),
            FormField('status', 'Status', on_edit=False),
            FormField('attempts', 'Attempts', kind='number', on_edit=False),
            FormField('last_status_code', 'Last answer (HTTP status)', kind='number', on_edit=False),
            FormField('last_error', 'Last error', kind='long_text', on_edit=False),
            FormField(
                'next_attempt_at',
                'Next attempt',
                kind='datetime',
                on_edit=False,
                applies=lambda d: d.status == DeliveryStatus.pending,  # delivered or given up: no next attempt
            ),
            FormField('delivered_at', 'Delivered', kind='datetime', on_edit=False),
            FormField('payload', 'Payload', kind='long_text', on_edit=False),
        ),
        search=('event',),
        filters=(
            Filter('status', 'Status', 'choice', choices=STATUSES),
            Filter('endpoint_id', 'Webhook', 'related', related=Topic.webhooks),
            Filter('event', 'Event', 'choice', choices={k: v for k, v in EVENTS.items() if k != '*'}),
        ),
        default_sort='id',
        default_descending=True,
        actions=(
            Action(
                'resend',
                'Resend',
                _resend,
                webhooks.PERMISSION,
                icon='replay',
                visible=lambda d: d.status != DeliveryStatus.pending,
            ),
        ),
    )
)
