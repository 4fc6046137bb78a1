"""Security headers on every HTTP answer (CSP, no framing, nosniff, referrer policy) and, over HTTPS, HSTS and
Secure cookies. "HTTPS" is the request's scheme as uvicorn saw it: directly, or from `X-Forwarded-Proto` when the
proxy's address is in BACKOFFICE_FORWARDED_ALLOW_IPS."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# NiceGUI (Vue's in-browser template compiler) needs 'unsafe-eval' and inline scripts; Quasar and Plotly set inline
# styles; Plotly draws with data: and blob: images. Nothing is loaded from another origin.
CONTENT_SECURITY_POLICY = '; '.join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# FastAPI's /docs and /redoc pages load Swagger UI and ReDoc from their CDN (and ReDoc's fonts from Google): only there
DOCS_PATHS = ('/docs', '/redoc')
DOCS_CONTENT_SECURITY_POLICY = '; '.join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net",
        "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com",
        "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly",
        "font-src 'self' https://fonts.gstatic.com",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = [
    (b'content-security-policy', CONTENT_SECURITY_POLICY.encode()),
    (b'x-frame-options', b'DENY'),
    (b'x-content-type-options', b'nosniff'),
    (b'referrer-policy', b'strict-origin-when-cross-origin'),
]
HSTS = (b'strict-transport-security', b'max-age=31536000; includeSubDomains')


class SecurityHeadersMiddleware:
    """Outermost middleware (main.py adds it last), so it also sees the session cookie SessionMiddleware sets."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] != 'http':
            await self.app(scope, receive, send)
            return
        https = scope.get('scheme') == 'https'
        headers_to_add = (
            HEADERS
            if not scope['path'].startswith(DOCS_PATHS)
            else [(b'content-security-policy', DOCS_CONTENT_SECURITY_POLICY.encode()), *HEADERS[1:]]
        )

        async def send_with_headers(message: Message) -> None:
            if message['type'] == 'http.response.start':
                headers = [
                    (name, value)
                    for name, value in message.get('headers', [])
                    if name.lower() not in {name for name, _ in HEADERS}
                ]
                if https:
                    headers = [
                        (name, _secure(value) if name.lower() == b'set-cookie' else value) for name, value in headers
                    ] + [HSTS]
                message['headers'] = headers + headers_to_add
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _secure(cookie: bytes) -> bytes:
    attributes = [part.strip().lower() for part in cookie.split(b';')[1:]]
    return cookie if b'secure' in attributes else cookie + b'; secure'
