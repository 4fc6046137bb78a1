"""Uploaded images: checked by their real type and size, stored under <data_dir>/uploads with a random name."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from backoffice import formatting
from backoffice.config import get_settings
from backoffice.errors import ValidationFailed
from backoffice.i18n import _

MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = {'png': 'PNG', 'jpg': 'JPEG', 'webp': 'WebP', 'gif': 'GIF'}  # extension → what people call it
URL_PREFIX = '/uploads'  # where main.py serves <data_dir>/uploads, read-only

_FOLDER = re.compile(r'^[a-z0-9_-]{1,40}$')
_STORED = re.compile(r'^[a-z0-9_-]{1,40}/[0-9a-f]{32}\.(?:png|jpg|webp|gif)$')


def store_image(data: bytes, file_name: str, *, folder: str) -> str:
    """Keep an uploaded image and return its path relative to the uploads folder (`products/3f…9a.png`).

    The type comes from the file's first bytes, never from its name or the browser's word; the stored name is
    random, so a user's file name never reaches the disk and one upload cannot replace another."""
    if not _FOLDER.match(folder):
        raise ValueError(f'not an uploads folder name: {folder!r}')
    shown = (file_name or _('The file')).strip()[:80]
    if len(data) > MAX_IMAGE_BYTES:
        raise ValidationFailed(
            {
                'image': _('{file} is {size} MB; an image may be at most {limit} MB').format(
                    file=shown,
                    size=formatting.number(len(data) / 1024 / 1024, 1),
                    limit=MAX_IMAGE_BYTES // 1024 // 1024,
                )
            }
        )
    extension = image_type(data)
    if extension is None:
        raise ValidationFailed(
            {
                'image': _('{file} is not a PNG, JPEG, WebP or GIF image').format(file=shown)
                if data
                else _('{file} is empty').format(file=shown)
            }
        )
    target_folder = uploads_root() / folder
    target_folder.mkdir(parents=True, exist_ok=True)
    name = f'{secrets.token_hex(16)}.{extension}'
    with open(target_folder / name, 'xb') as file:  # 'x': never overwrite, even on a (128-bit) name clash
        file.write(data)
    return f'{folder}/{name}'


def image_type(data: bytes) -> str | None:
    """The image format by its magic bytes: 'png', 'jpg', 'webp', 'gif', or None for anything else."""
    if data.startswith(b'\x89PNG\r\n\x1a\n'):
        return 'png'
    if data.startswith(b'\xff\xd8\xff'):
        return 'jpg'
    if data.startswith((b'GIF87a', b'GIF89a')):
        return 'gif'
    if len(data) >= 12 and data[:4] == b'RIFF' and data[8:12] == b'WEBP':
        return 'webp'
    return None


def is_stored_image(path: str) -> bool:
    """Whether a path has the shape store_image gives (so a form or an import cannot point at another file)."""
    return bool(_STORED.match(path))


def uploads_root() -> Path:
    return get_settings().data_dir / 'uploads'


def stored_path(relative: str) -> Path:
    """The file on disk behind a stored relative path."""
    if not is_stored_image(relative):
        raise ValueError(f'not a stored image path: {relative!r}')
    return uploads_root() / relative


def image_url(relative: str | None) -> str | None:
    """Where the browser loads a stored image from."""
    return f'{URL_PREFIX}/{relative}' if relative and is_stored_image(relative) else None
