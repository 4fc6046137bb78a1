"""`GET /feeds/{token}.csv|.xlsx`: a published saved view's rows for a spreadsheet (the token is the only key)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, StreamingResponse

from backoffice.api.input_rules import StrictRoute
from backoffice.services import feeds

router = APIRouter(route_class=StrictRoute)

NO_STORE = {'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex', 'Referrer-Policy': 'no-referrer'}


@router.get(
    '/feeds/{file_name}',
    tags=['feeds'],
    response_class=StreamingResponse,
    responses={
        200: {'content': {'text/csv': {}, feeds.exports.MEDIA_TYPES['xlsx']: {}}, 'description': 'The rows'},
        403: {'description': 'The publisher may no longer read these records'},
        404: {'description': 'No feed at this address (unknown or revoked token)'},
        410: {'description': 'The saved view or the publisher is gone'},
        429: {'description': 'Read too often; see Retry-After'},
    },
)
async def feed(file_name: str):
    """A spreadsheet feed: the saved view's columns and rows, limited to its filters and to what its publisher may read
    now, as CSV or XLSX (raw values: numbers, ISO dates). `file_name` is `<token>.csv` or `<token>.xlsx`."""
    token, _dot, fmt = file_name.rpartition('.')
    try:
        served = await run_in_threadpool(feeds.serve, token=token, fmt=fmt)
    except feeds.FeedRefused as refused:
        headers = {**NO_STORE, **refused.headers}
        if refused.retry_after:
            headers['Retry-After'] = str(refused.retry_after)
        return PlainTextResponse(refused.message, status_code=refused.status, headers=headers)
    headers = {**NO_STORE, **served.headers, 'Content-Disposition': f'inline; filename="{served.file_name}"'}
    return StreamingResponse(served.chunks, media_type=served.media_type, headers=headers)
