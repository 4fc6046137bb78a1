"""Files sent through a page's upload element in NiceGUI's simulated browser, as a real browser sends them."""

from __future__ import annotations

from nicegui import ui
from nicegui.testing import User

BOUNDARY = 'upload-test-boundary'


async def attach(user: User, name: str, data: bytes, content_type: str) -> None:
    """Send a file through the page's (first) upload element: multipart to its address, as the browser does."""
    upload = next(iter(user.find(ui.upload).elements))
    quoted = name.replace('\\', '\\\\').replace('"', '\\"')  # a quoted-string, as the browser escapes it
    body = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{quoted}"\r\n'
            f'Content-Type: {content_type}\r\n\r\n'
        ).encode()
        + data
        + f'\r\n--{BOUNDARY}--\r\n'.encode()
    )
    response = await user.http_client.post(
        upload.props['url'], content=body, headers={'Content-Type': f'multipart/form-data; boundary={BOUNDARY}'}
    )
    assert response.status_code == 200
