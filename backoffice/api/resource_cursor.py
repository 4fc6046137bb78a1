"""The keyset cursor of /api/v1 lists as an opaque, signed token: the list engine's Cursor (where a page began and
ended, its total) and the direction to go, so the next or previous page is read by keyset as on the screens. Signed,
so a client cannot hand the database a value of the wrong type; a token for other parameters reads by page number."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from pydantic import TypeAdapter, ValidationError

from backoffice.config import get_settings
from backoffice.engine.declaration import Resource
from backoffice.listing.query import Cursor


class BadCursor(ValueError):
    """The token was not made by this server for this list."""


def encode(resource: Resource, cursor: Cursor, sort_name: str, step: int) -> str:
    """A token that asks for the page `step` (+1 or -1) away from the page `cursor` describes (sorted by
    `sort_name`)."""
    sort = _sort_type(resource, sort_name)
    body = {
        'r': resource.key,
        'n': sort_name,
        's': step,
        'q': cursor.query,
        'c': cursor.counted,
        'p': cursor.page,
        'f': _key(sort, cursor.first),
        'l': _key(sort, cursor.last),
        't': cursor.total,
        'e': cursor.exact,
    }
    raw = base64.urlsafe_b64encode(json.dumps(body, separators=(',', ':')).encode()).decode().rstrip('=')
    return f'{raw}.{_signature(raw)}'


def decode(resource: Resource, token: str) -> tuple[Cursor, int]:
    """The list engine's cursor and the page to read; BadCursor when the token is not ours or not this list's."""
    raw, _dot, signature = token.partition('.')
    if not raw or not hmac.compare_digest(signature.encode(), _signature(raw).encode()):  # any text, not only ASCII
        raise BadCursor(token)
    try:
        body = json.loads(base64.urlsafe_b64decode(raw + '=' * (-len(raw) % 4)))
        if body['r'] != resource.key:
            raise BadCursor(token)
        cursor = Cursor(
            query=body['q'],
            counted=body['c'],
            page=int(body['p']),
            first=None,
            last=None,
            total=body['t'],
            exact=body['e'],
        )
        sort = _sort_type(resource, str(body['n']))
        first, last = _value(sort, body['f']), _value(sort, body['l'])
    except (ValueError, KeyError, TypeError, ValidationError) as error:
        raise BadCursor(token) from error
    step = 1 if body['s'] > 0 else -1
    return Cursor(
        query=cursor.query,
        counted=cursor.counted,
        page=cursor.page,
        first=first,
        last=last,
        total=cursor.total,
        exact=cursor.exact,
    ), max(1, cursor.page + step)


def _sort_type(resource: Resource, sort_name: str) -> TypeAdapter:
    """How the sort column's values read and write (a date, an amount, a status)."""
    info = resource.model.model_fields.get(sort_name)
    return TypeAdapter(info.annotation if info is not None and info.annotation is not None else Any)


def _key(sort: TypeAdapter, key: tuple[Any, int] | None) -> list[Any] | None:
    return None if key is None else [sort.dump_python(key[0], mode='json'), key[1]]


def _value(sort: TypeAdapter, key: list[Any] | None) -> tuple[Any, int] | None:
    if key is None:
        return None
    value, identity = key
    if not isinstance(identity, int):
        raise BadCursor('id')
    return (None if value is None else sort.validate_python(value)), identity


def _signature(raw: str) -> str:
    secret = hashlib.sha256(b'backoffice api cursor\0' + get_settings().resolved_storage_secret().encode()).digest()
    return hmac.new(secret, raw.encode(), hashlib.sha256).hexdigest()[:32]
