"""Sending alert messages: to Slack, Microsoft Teams, Mattermost and Discord incoming webhooks (an address per channel
in the settings) and by email. Every chat request goes through `backoffice/outbound.py` (public addresses only,
checked after DNS, connecting to the checked IP): `apprise` speaks these services too, but it sends with its own HTTP
client, which that guard cannot sit in front of, so the four small JSON bodies are written here."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr

from sqlmodel import Session, col, or_, select, update

from backoffice import events, outbound, stored_text
from backoffice.config import Settings, get_settings
from backoffice.db import read_session, session_scope
from backoffice.errors import ValidationFailed
from backoffice.events import Topic
from backoffice.i18n import N_, _
from backoffice.models import AlertDelivery, User, utcnow
from backoffice.permissions import require
from backoffice.services import app_settings, mail
from backoffice.services.alerts import CHANNELS, MANAGE, SETTING_OF_CHANNEL

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # tried after each refresh (every minute), then failed
TIMEOUT_SECONDS = 5
BATCH = 200
CLAIM_EXPIRES = timedelta(minutes=2)  # a sender posts with a 5 s timeout: one older than this has died
NO_ADDRESS = N_('no address set')
APP_ERRORS = (NO_ADDRESS, *outbound.REASONS)  # the app's own words: stored as their msgid, read in each language


def chat_body(channel: str, text: str) -> dict:
    """What each service's incoming webhook expects: Slack and Mattermost `text`, Discord `content`, Teams a
    MessageCard (its connectors' format; Workflows webhooks accept it too). A text may quote what a customer wrote:
    Slack reads `<…>` as a link or a mention (`<!channel>`), so its three control characters are escaped as Slack
    documents; Discord is told to ping nobody (`@everyone` in a subject stays text)."""
    if channel == 'discord':
        return {'content': text[:2000], 'allowed_mentions': {'parse': []}}
    if channel == 'slack':
        return {'text': text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}
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
        delivery.status = 'failed'
        _note_error(delivery, NO_ADDRESS)
    else:
        answer = post_chat(url, channel, text)
        delivery.status = 'sent' if answer.ok else 'failed'
        _note_error(delivery, None if answer.ok else _describe(answer))
    if delivery.status == 'sent':
        delivery.sent_at = utcnow()
    with session_scope() as session:
        session.add(delivery)
        events.after_commit(session, Topic.alerts, {'id': None, 'action': 'tested'})
        session.commit()
    if delivery.sent_at is None:
        reason = _('No address is set for this channel.') if not url else last_error(delivery)
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
    mail_ready = bool(settings.smtp_url and sender)  # otherwise emails wait, like the customers' outbox
    # another sender (a job, a worker, another process) has the others
    due = [d for d in due if (d.channel != 'email' or mail_ready) and _claim(d.id)]
    emails = [d for d in due if d.channel == 'email']
    for delivery in (d for d in due if d.channel in CHANNELS):
        url = urls.get(delivery.channel)
        if not url:
            counts[_record(delivery.id, NO_ADDRESS, permanent=True)] += 1
            continue
        answer = post_chat(url, delivery.channel, delivery.text)
        counts[_record(delivery.id, None if answer.ok else _describe(answer))] += 1
    if emails:
        try:
            server = mail.connect(settings.smtp_url or '')
        except mail.SMTP_ERRORS as error:
            log.warning('cannot reach the mail server for alerts: %s', error)
            return counts
        with mail.hanging_up(server):
            for delivery in emails:
                message = EmailMessage()
                message['From'] = formataddr((company, sender))
                message['To'] = delivery.target
                message['Subject'] = delivery.text[:120]
                message.set_content(delivery.text)
                refused = mail.send_one(server, message)
                counts[_record(delivery.id, None if refused is None else str(refused) or type(refused).__name__)] += 1
    return counts


def deliveries(*, session: Session, actor: User, limit: int = 100) -> list[AlertDelivery]:
    """The delivery log: the newest email and chat messages (alerts, channel events, automations, tests), each with
    its status, attempts and last error."""
    require(actor, MANAGE)
    return list(
        session.exec(
            select(AlertDelivery)
            .where(col(AlertDelivery.channel) != 'in_app')
            .order_by(col(AlertDelivery.id).desc())
            .limit(limit)
        )
    )


def _claim(delivery_id: int | None) -> bool:
    """Take a pending message for this sender: one UPDATE, so two senders never post the same message (a claim left
    by a sender that died expires after CLAIM_EXPIRES)."""
    now = utcnow()
    with session_scope() as session:
        taken = session.exec(
            update(AlertDelivery)
            .where(col(AlertDelivery.id) == delivery_id, col(AlertDelivery.status) == 'pending')
            .where(or_(col(AlertDelivery.claimed_at).is_(None), col(AlertDelivery.claimed_at) < now - CLAIM_EXPIRES))
            .values(claimed_at=now)
        )
        session.commit()
        return bool(taken.rowcount)


def last_error(delivery: AlertDelivery) -> str:
    """A delivery's last error in the reader's language (a row written before: as stored, or its msgid's)."""
    return stored_text.show(delivery.error or '', delivery.error_key, delivery.error_params)


def _record(delivery_id: int | None, error: str | None, *, permanent: bool = False) -> str:
    with session_scope() as session:
        delivery = session.get(AlertDelivery, delivery_id)
        if delivery is None or delivery.status != 'pending':
            return 'retry'
        delivery.attempts += 1
        delivery.claimed_at = None  # tried: the next sending takes it again if it is to be retried
        _note_error(delivery, error)
        if error is None:
            outcome, delivery.status, delivery.sent_at = 'sent', 'sent', utcnow()
        else:
            outcome = 'failed' if permanent or delivery.attempts >= MAX_ATTEMPTS else 'retry'
            if outcome == 'failed':
                delivery.status = 'failed'
        session.add(delivery)
        events.after_commit(session, Topic.alerts, {'id': delivery.event_id, 'action': f'delivery-{outcome}'})
        session.commit()
    return outcome


def _describe(answer: outbound.Answer) -> str:
    return answer.error or f'HTTP {answer.status}'


def _note_error(delivery: AlertDelivery, error: str | None) -> None:
    """The error on the row: the app's words ('could not connect') with their msgid, the receiver's as they came."""
    said = stored_text.sentence(error) if error in APP_ERRORS else (error or '')
    text, key, params = stored_text.stored(said)
    delivery.error, delivery.error_key, delivery.error_params = text[:300] or None, key, params
