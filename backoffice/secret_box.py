"""Secrets stored in the database (webhook signing secrets, secret settings) are encrypted with Fernet, keyed by
BACKOFFICE_SECRET_KEY or, when unset, a key derived (HKDF) from the app's storage secret: a copy of the database
file or a backup alone does not give them away."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backoffice.config import get_settings
from backoffice.i18n import N_

PREFIX = 'fernet:'  # marks a stored value as encrypted (a value stored before encryption has none)
_INFO = b'backoffice stored secrets v1'


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted: the key changed since it was stored."""

    def __init__(self) -> None:
        super().__init__(UNREADABLE)


UNREADABLE = N_(
    'A stored secret cannot be read: BACKOFFICE_SECRET_KEY (or the storage secret it is derived '
    'from) changed since it was saved. Put the old key back, or make a new secret.'
)  # in English (a log line); shown translated where a person reads it


def encrypt(plain: str) -> str:
    return PREFIX + _fernet(_key_material()).encrypt(plain.encode()).decode()


def decrypt(stored: str) -> str:
    """The plain secret; a value stored before encryption (no prefix) is returned as it is."""
    if not is_encrypted(stored):
        return stored
    try:
        return _fernet(_key_material()).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise SecretUnreadable() from None


def is_encrypted(stored: str | None) -> bool:
    return bool(stored) and stored.startswith(PREFIX)


def _key_material() -> str:
    settings = get_settings()
    return settings.secret_key or settings.resolved_storage_secret()


@lru_cache(maxsize=4)
def _fernet(material: str) -> Fernet:
    salt = hashlib.sha256(b'backoffice').digest()  # fixed: the material is already a long random secret
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_INFO).derive(material.encode())
    return Fernet(base64.urlsafe_b64encode(key))
