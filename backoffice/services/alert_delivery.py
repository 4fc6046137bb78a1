"""Sending alert messages: to Slack, Microsoft Teams, Mattermost and Discord incoming webhooks (an address per channel
in the settings) and by email. Every chat request goes through `backoffice/outbound.py` (public addresses only,
checked after DNS, connecting to the checked IP): `apprise` speaks these services too, but it sends with its own HTTP
client, which that guard cannot sit in front of, so the four small JSON bodies are written here."""

from __future__ import annotations

import json
import logging
import smtplib
from email.message import EmailMessage
from email.utils import formataddr

from sqlmodel import col, select

from backoffice import events, outbound
from backoffice.config import Settings, get_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import _
from backoffice.models import AlertDelivery, User, utcnow
from backoffice.permissions import require
from backoffice.services import app_settings, mail
from backoffice.services.alerts import CHANNELS, MANAGE, SETTING_OF_CHANNEL

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # tried after each refresh (every minute), then failed
TIMEOUT_SECONDS = 5
BATCH = 200


def chat_body(channel: str, text: str) -> dict:
    """What each service's incoming webhook expects: Slack and Mattermost `text`, Discord `content`, Teams a
    MessageCard (its connectors' format; Workflows webhooks accept it too)."""
    if channel == 'discord':
        return {'content': text[:2000]}
    if channel == 'teams':
        return {
            '@type': 'MessageCard',
            '@context': 'https://schema.org/extensions',
            'summary': text[:100],
            'text': text,
        }
    return {'text': text}


def post_chat(url: str, channel: str, text: str) -> outbound.Answer:
    body = json.dumps(chat_body(channel, text)).encode()
    return outbound.post(url, body, {'Content-Type': 'application/json'}, timeout=TIMEOUT_SECONDS)


def send_test(*, actor: User, channel: str) -> AlertDelivery:
    """Send a test message to one chat channel now and record it; one that did not arrive is recorded, then refused
    at the channel field with the reason."""
    require(actor, MANAGE)
    if channel not in CHANNELS:
        raise ValidationFailed({'channel': _('Choose channels from the list')})
    with read_session() as session:
        url = app_settings.value(session=session, key=SETTING_OF_CHANNEL[channel])
    text = _('Test message from the back office: alerts will arrive here.')
    delivery = AlertDelivery(channel=channel, target=CHANNELS[channel], text=text, attempts=1)
    if not url:
        delivery.status, delivery.error = 'failed', 'no address set'
    else:
        answer = post_chat(url, channel, text)
        delivery.status = 'sent' if answer.ok else 'failed'
        delivery.error = None if answer.ok else _describe(answer)
    if delivery.status == 'sent':
        delivery.sent_at = utcnow()
    with session_scope() as session:
        session.add(delivery)
        events.after_commit(session, Topic.alerts, {'id': None, 'action': 'tested'})
        session.commit()
    if delivery.sent_at is None:
        reason = _('No address is set for this channel.') if not url else delivery.error or ''
        raise ValidationFailed({'channel': _('Not delivered: {reason}').format(reason=reason)})
    return delivery


def send_due(settings: Settings | None = None) -> dict[str, int]:
    """Send the queued email and chat messages, oldest first (no transaction is held while sending)."""
    settings = settings or get_settings()
    counts = {'sent': 0, 'failed': 0, 'retry': 0}
    with read_session() as session:
        due = list(
            session.exec(
                select(AlertDelivery)
                .where(AlertDelivery.status == 'pending')
                .order_by(col(AlertDelivery.id))
                .limit(BATCH)
            )
        )
        urls = {c: app_settings.value(session=session, key=key) for c, key in SETTING_OF_CHANNEL.items()}
        sender = app_settings.value(session=session, key='support_email')
        company = app_settings.value(session=session, key='company_name')
    emails = [d for d in due if d.channel == 'email']
    for delivery in (d for d in due if d.channel in CHANNELS):
        url = urls.get(delivery.channel)
        if not url:
            counts[_record(delivery.id, 'no address set', permanent=True)] += 1
            continue
        answer = post_chat(url, delivery.channel, delivery.text)
        counts[_record(delivery.id, None if answer.ok else _describe(answer))] += 1
    if emails and settings.smtp_url and sender:  # otherwise they wait, like the customers' outbox
        try:
            server = mail.connect(settings.smtp_url)
        except (OSError, smtplib.SMTPException) as error:
            log.warning('cannot reach the mail server for alerts: %s', error)
            return counts
        try:
            for delivery in emails:
                message = EmailMessage()
                message['From'] = formataddr((company, sender))
                message['To'] = delivery.target
                message['Subject'] = delivery.text[:120]
                message.set_content(delivery.text)
                try:
                    server.send_message(message)
                except (OSError, smtplib.SMTPException) as error:
                    counts[_record(delivery.id, str(error) or type(error).__name__)] += 1
                else:
                    counts[_record(delivery.id, None)] += 1
        finally:
            try:
                server.quit()
            except (OSError, smtplib.SMTPException):
                server.close()
    return counts


def _record(delivery_id: int | None, error: str | None, *, permanent: bool = False) -> str:
    with session_scope() as session:
        delivery = session.get(AlertDelivery, delivery_id)
        if delivery is None or delivery.status != 'pending':
            return 'retry'
        delivery.attempts += 1
        if error is None:
            outcome, delivery.status, delivery.sent_at, delivery.error = 'sent', 'sent', utcnow(), None
        else:
            delivery.error = error[:300]
            outcome = 'failed' if permanent or delivery.attempts >= MAX_ATTEMPTS else 'retry'
            if outcome == 'failed':
                delivery.status = 'failed'
        session.add(delivery)
        events.after_commit(session, Topic.alerts, {'id': delivery.event_id, 'action': f'delivery-{outcome}'})
        session.commit()
    return outcome


def _describe(answer: outbound.Answer) -> str:
    return answer.error or f'HTTP {answer.status}'
