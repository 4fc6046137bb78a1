"""A file handed to this browser once, then deleted from the disk: exports hold personal data. Either sent at once
(`download_once`) or behind a link shown on the page that works once and expires (`private_link`)."""

from __future__ import annotations

import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import FileResponse
from nicegui import app, ui
from starlette.background import BackgroundTask

from backoffice.transfer import export_files

LINK_LIFETIME = timedelta(minutes=15)  # a private link's life; the sweep removes a file left behind within the hour


def download_once(path: Path, file_name: str, media_type: str = '') -> None:
    """Send the file to the browser at a one-time address (behind sign-in); it is removed once served, or when the
    page goes without fetching it."""
    route = _serve_once(path, file_name, media_type, lifetime=None)
    ui.download.from_url(urllib.parse.quote(route), Path(file_name).name, media_type)


def private_link(path: Path, file_name: str, media_type: str = '', lifetime: timedelta | None = None) -> str:
    """A one-time address of the file (behind sign-in) for a link on this page: it works once, and not after
    `lifetime` (default LINK_LIFETIME), when the file is removed; nor once the page has gone."""
    return urllib.parse.quote(_serve_once(path, file_name, media_type, lifetime=lifetime or LINK_LIFETIME))


def _serve_once(path: Path, file_name: str, media_type: str, *, lifetime: timedelta | None) -> str:
    route = f'/downloads/{secrets.token_urlsafe(32)}/{Path(file_name).name}'
    served = threading.Lock()
    deadline = None if lifetime is None else time.monotonic() + lifetime.total_seconds()

    def forget() -> None:
        app.remove_route(route)
        export_files.remove(path)

    @app.get(route, include_in_schema=False)
    def serve() -> FileResponse:
        if not served.acquire(blocking=False):
            raise HTTPException(status_code=404, detail='Not Found')
        if deadline is not None and time.monotonic() > deadline:
            forget()
            raise HTTPException(status_code=404, detail='Not Found')
        app.remove_route(route)
        return FileResponse(
            path,
            filename=Path(file_name).name,
            media_type=media_type or None,
            headers={'Cache-Control': 'no-store'},
            background=BackgroundTask(export_files.remove, path),
        )

    ui.context.client.on_delete(forget)
    if lifetime is not None:
        _later(lifetime, forget)
    return route


def _later(lifetime: timedelta, forget: Callable[[], None]) -> None:
    ui.timer(lifetime.total_seconds(), forget, once=True)
