"""Refuses a file upload over BACKOFFICE_MAX_UPLOAD_MB with 413 while it streams in, before anything stores it."""

from __future__ import annotations

import json
import re

from backoffice.config import get_settings
from backoffice.i18n import _

MB = 1024 * 1024
ENVELOPE = 64 * 1024  # the multipart wrapping around the file (boundaries, headers): a file at the limit still fits
UPLOAD_PATH = re.compile(r'^/_nicegui/client/[^/]+/upload/[^/]+$')  # where every ui.upload posts its files


def max_upload_bytes() -> int:
    """The largest file a person may upload, in bytes (read per request: a changed setting applies at once)."""
    return get_settings().max_upload_mb * MB


def too_large_message() -> str:
    return _('The file is larger than {n} MB; split it into smaller files').format(n=get_settings().max_upload_mb)


class _TooLarge(Exception):
    pass


class UploadLimit:
    """ASGI middleware: an upload declaring a larger Content-Length is refused before a byte is read; one that
    declares none (chunked) or lies is counted while it streams and cut off with 413 as soon as it passes the limit,
    so a huge body is never spooled, parsed or held in memory."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope['type'] != 'http' or scope.get('method') != 'POST' or not UPLOAD_PATH.match(scope.get('path', '')):
            await self.app(scope, receive, send)
            return
        limit = max_upload_bytes() + ENVELOPE
        declared = dict(scope.get('headers') or []).get(b'content-length', b'')  # bytes: isdigit() is ASCII-only
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send)
            return
        received = 0
        started = False

        async def counted() -> dict:
            nonlocal received
            message = await receive()
            if message['type'] == 'http.request':
                received += len(message.get('body', b''))
                if received > limit:
                    raise _TooLarge
            return message

        async def tracked(message: dict) -> None:
            nonlocal started
            started = started or message['type'] == 'http.response.start'
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if started:
                raise
            await _refuse(send)
        except BaseExceptionGroup as group:  # a middleware running the app in a task group wraps what it raised
            too_large, other = group.split(_TooLarge)
            if started or too_large is None or other is not None:
                raise
            await _refuse(send)


async def _refuse(send) -> None:
    body = json.dumps({'detail': too_large_message()}).encode()
    await send(
        {
            'type': 'http.response.start',
            'status': 413,
            'headers': [
                (b'content-type', b'application/json'),
                (b'content-length', str(len(body)).encode()),
                (b'connection', b'close'),
            ],
        }
    )
    await send({'type': 'http.response.body', 'body': body})
