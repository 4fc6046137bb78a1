"""Reading a mail that came in from outside, which may be hostile: its sender, subject (RFC 2047), the ids it replies
to, its text (plain, else the HTML turned into text: never markup), its attachments, whether a machine wrote it (an
auto-reply or a bounce) — and where the quoted history and the signature begin in a text, to fold them away."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import cast

from backoffice import stored_text
from backoffice.i18n import N_
from backoffice.stored_text import Sentence, sentence

MAX_TEXT = 19_000  # of the body kept (the thread takes 20,000 characters; room for the truncation note)
MAX_ATTACHMENTS = 20
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_PARTS = 200  # a mail of thousands of parts is read no further than this
AUTO_PRECEDENCE = {'bulk', 'junk', 'list', 'auto_reply'}
BOUNCE_SENDERS = ('mailer-daemon', 'postmaster')
# why a part of a mail was not kept: stored with the note on its request, read in each agent's language
TOO_MANY_PARTS = N_('more than {count} parts: the rest was not read')
TOO_MANY_ATTACHMENTS = N_('{file} and the attachments after it: more than {count} attachments')
TOO_LARGE = N_('{file}: {size}, over the limit of {limit}')
TEXT_CUT = N_('the end of its text: {characters}')
CHARACTERS = (N_('{n} character'), '{n} characters')  # plural forms in locale/*/declared-plurals.po
_MESSAGE_ID = re.compile(r'<[^<>\s]{1,490}>')
_REQUEST_NUMBER = re.compile(r'\[#(\d{1,9})\]|(?:^|\W)#(\d{1,9})\b')


@dataclass
class Attachment:
    file_name: str
    content_type: str
    data: bytes


@dataclass
class IncomingMail:
    message_id: str | None  # '<…@…>'
    sender: str  # the address, lower case ('' when none can be read)
    sender_name: str
    subject: str
    text: str
    replies_to: list[str] = field(default_factory=list)  # In-Reply-To then References, nearest first
    attachments: list[Attachment] = field(default_factory=list)
    skipped: list[Sentence] = field(
        default_factory=list
    )  # attachments left out, and why (shown in each reader's language)
    automatic: str | Sentence | None = None  # why this is an auto-reply (None: a person wrote it): a header, or said
    bounce: str | Sentence | None = None  # why this is a delivery failure report

    def request_number(self) -> int | None:
        """The request number quoted in the subject ('Re: Where is my parcel? [#1042]'), if any."""
        match = _REQUEST_NUMBER.search(self.subject)
        return int(match.group(1) or match.group(2)) if match else None


def read(raw: bytes) -> IncomingMail:
    """Everything the intake needs from a raw RFC 5322 mail; never raises on a malformed one."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    name, address = _sender(message)
    mail = IncomingMail(
        message_id=next(iter(_ids(_header(message, 'Message-ID'))), None),
        sender=address,
        sender_name=name,
        subject=' '.join(_header(message, 'Subject').split())[:500],
        text='',
        replies_to=_replies_to(message),
    )
    mail.bounce = _bounce(message, address)
    mail.automatic = None if mail.bounce else _automatic(message)
    plain, html = _bodies(message, mail)
    text = plain if plain.strip() else html_to_text(html)
    text = text.replace('\r\n', '\n').replace('\x00', '')
    if len(text) > MAX_TEXT:
        # the cut is said in the note on the request, in each agent's language: the customer's text stays theirs
        mail.skipped.insert(0, sentence(TEXT_CUT, characters=stored_text.counted(*CHARACTERS, len(text) - MAX_TEXT)))
        text = text[:MAX_TEXT] + ' […]'
    mail.text = text.strip()
    return mail


def split_quoted(text: str) -> tuple[str, str]:
    """(what the sender wrote this time, the quoted history and signature after it). The fold starts at the first
    line that quotes ('> '), introduces a quote ('On … wrote:', 'Le … a écrit :', '-----Original Message-----', an
    Outlook 'From:' block) or opens a signature ('-- '). Nothing is folded when that would leave nothing shown."""
    lines = text.split('\n')
    for index, line in enumerate(lines):
        if index and _starts_fold(line, lines[index + 1 : index + 4]):
            shown = '\n'.join(lines[:index]).rstrip()
            if shown.strip():
                return shown, '\n'.join(lines[index:]).strip('\n')
            break
    return text, ''


_QUOTE_INTRO = re.compile(
    r'^\s*(On\s.{4,200}\swrote:|Le\s.{4,200}\sa\s[ée]crit\s?:|Am\s.{4,200}\sschrieb.{0,60}:'
    r'|El\s.{4,200}\sescribi[óo]:|-{2,}\s*(Original Message|Message d.origine|Forwarded message)\s*-{2,})\s*$',
    re.IGNORECASE,
)
_HEADER_BLOCK = re.compile(r'^\s*(From|De|Von)\s*:\s*\S', re.IGNORECASE)
_NEXT_HEADER = re.compile(r'^\s*(Sent|Date|Envoyé|Gesendet|To|À|An|Subject|Objet|Betreff)\s*:', re.IGNORECASE)


def _starts_fold(line: str, following: list[str]) -> bool:
    if line.startswith('>') or line in ('-- ', '--') or _QUOTE_INTRO.match(line):
        return True
    if _HEADER_BLOCK.match(line) and any(_NEXT_HEADER.match(n) for n in following):
        return True
    if line.strip() and len(line) < 200 and (following[:1] and following[0].startswith('>')):
        return bool(re.search(r'(wrote|écrit|schrieb)\s*:?\s*$', line, re.IGNORECASE))
    return False


def html_to_text(html: str) -> str:
    """The readable text of an HTML body: tags dropped (scripts and styles with their content), blocks on their own
    lines, entities decoded. The result is shown as text, so whatever markup it still spells stays visible."""
    parser = _TextOnly()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # noqa: BLE001 - a broken page still gives what was read so far
        pass
    text = ''.join(parser.parts)
    text = re.sub(r'[ \t\r\f\v]+', ' ', text)
    text = re.sub(r' *\n *', '\n', text)
    return re.sub(r'\n{3,}', '\n\n', text).strip()


class _TextOnly(HTMLParser):
    BLOCKS = {'p', 'div', 'br', 'li', 'tr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'table', 'hr'}
    HIDDEN = {'script', 'style', 'head', 'title', 'template'}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append('\n')

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append('\n')

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


# --- helpers ---------------------------------------------------------------------------------------------------------


def _header(message: Message, name: str) -> str:
    """A header's decoded value (RFC 2047 words decoded); '' when absent or unreadable."""
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - the policy's parser fails on some malformed headers: read them raw
        value = None
        for key, raw in message.raw_items():
            if key.lower() == name.lower():
                value = raw
                break
    if value is None:
        return ''
    return str(value).replace('\x00', '')


def _ids(value: str) -> list[str]:
    return _MESSAGE_ID.findall(value)


def _replies_to(message: Message) -> list[str]:
    ids = _ids(_header(message, 'In-Reply-To')) + list(reversed(_ids(_header(message, 'References'))))
    return list(dict.fromkeys(ids))[:50]


def _sender(message: Message) -> tuple[str, str]:
    for header in ('Reply-To', 'From'):
        pairs = getaddresses([_header(message, header)])
        for name, address in pairs:
            if '@' in address:
                return ' '.join(name.split())[:120], address.strip().lower()[:254]
    name, address = parseaddr(_header(message, 'From'))
    return ' '.join(name.split())[:120], address.strip().lower()[:254]


def _automatic(message: Message) -> str | None:
    auto_submitted = _header(message, 'Auto-Submitted').strip().lower()
    if auto_submitted and not auto_submitted.startswith('no'):
        return f'Auto-Submitted: {auto_submitted[:60]}'
    for name in ('X-Autoreply', 'X-Autorespond', 'X-Auto-Response-Suppress'):
        if _header(message, name).strip():
            return f'{name}: {_header(message, name).strip()[:60]}'
    precedence = _header(message, 'Precedence').strip().lower()
    if precedence in AUTO_PRECEDENCE:
        return f'Precedence: {precedence}'
    if _header(message, 'X-Autogenerated').strip() or _header(message, 'X-AutoReply-From').strip():
        return 'X-Autogenerated'
    return None


def _bounce(message: Message, sender: str) -> str | Sentence | None:
    if message.get_content_type() == 'multipart/report':
        return f'multipart/report ({message.get_param("report-type") or "report"})'
    local = sender.split('@', 1)[0]
    if local in BOUNCE_SENDERS:
        return sentence(N_('from {sender}'), sender=sender)
    if _header(message, 'Return-Path').strip() == '<>' and 'delivery' in _header(message, 'Subject').lower():
        return sentence(N_('an empty Return-Path'))
    return None


def _bodies(message: Message, mail: IncomingMail) -> tuple[str, str]:
    """(the first text/plain body, the first text/html body); attachments collected on the way."""
    plain, html = '', ''
    for count, part in enumerate(message.walk()):
        if count >= MAX_PARTS:
            mail.skipped.append(sentence(TOO_MANY_PARTS, count=MAX_PARTS))
            break
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        disposition = (part.get_content_disposition() or '').lower()
        name = _file_name(part)
        if disposition != 'attachment' and not name and kind in ('text/plain', 'text/html'):
            if kind == 'text/plain' and not plain:
                plain = _text_of(part)
            elif kind == 'text/html' and not html:
                html = _text_of(part)
            continue
        if disposition == 'attachment' or name or kind.split('/')[0] in ('image', 'application', 'audio', 'video'):
            _attach(part, name or 'attachment', kind, mail)
    return plain, html


def _attach(part: Message, name: str, kind: str, mail: IncomingMail) -> None:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        payload = None
    data = payload if isinstance(payload, bytes) else b''
    if len(mail.attachments) >= MAX_ATTACHMENTS:
        if not any(said.key == TOO_MANY_ATTACHMENTS for said in mail.skipped):  # said once, from the first left out
            mail.skipped.append(sentence(TOO_MANY_ATTACHMENTS, file=name, count=MAX_ATTACHMENTS))
    elif len(data) > MAX_ATTACHMENT_BYTES:
        # sizes as every screen writes them: 10.4 MB, not rounded down to the limit's 10 MB
        mail.skipped.append(
            sentence(
                TOO_LARGE, file=name, size=stored_text.size(len(data)), limit=stored_text.size(MAX_ATTACHMENT_BYTES)
            )
        )
    elif data:
        mail.attachments.append(Attachment(name, kind[:100], data))


def _file_name(part: Message) -> str:
    try:
        name = part.get_filename() or ''
    except Exception:  # noqa: BLE001
        name = ''
    name = ' '.join(str(name).replace('\x00', '').split())
    return name.replace('/', '_').replace('\\', '_')[:200]


def _text_of(part: Message) -> str:
    """A text part decoded by its declared charset; an unknown or lying charset falls back to UTF-8, then Latin-1."""
    try:
        content = cast(EmailMessage, part).get_content()  # email.policy.default makes every part an EmailMessage
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError, ValueError, AssertionError, KeyError):
        pass
    data = part.get_payload(decode=True) or b''
    if not isinstance(data, bytes):
        return str(data)
    try:
        return data.decode('utf-8')
    except UnicodeDecodeError:
        return data.decode('latin-1')
