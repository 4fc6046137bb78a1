"""A file handed to this browser once, then deleted from the disk: exports hold personal data."""

from __future__ import annotations

import secrets
import threading
import urllib.parse
from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import FileResponse
from nicegui import app, ui
from starlette.background import BackgroundTask

from backoffice.transfer import export_files


def download_once(path: Path, file_name: str, media_type: str = '') -> None:
    """Send the file to the browser at a one-time address (behind sign-in); it is removed once served, or when the
    page goes without fetching it."""
    route = f'/downloads/{secrets.token_urlsafe(32)}/{Path(file_name).name}'
    served = threading.Lock()

    def forget() -> None:
        app.remove_route(route)
        export_files.remove(path)

    @app.get(route, include_in_schema=False)
    def serve() -> FileResponse:
        if not served.acquire(blocking=False):
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
    ui.download.from_url(urllib.parse.quote(route), Path(file_name).name, media_type)
