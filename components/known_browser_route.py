"""POST /login/known-browser: turns the token of a sign-in just made into this browser's long-lived, HttpOnly cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from backoffice import known_browser

PATH = '/login/known-browser'
router = APIRouter(include_in_schema=False)


class Remember(BaseModel):
    token: str


@router.post(PATH, status_code=204)
def remember_this_browser(body: Remember, request: Request) -> Response:
    # Only a token minted moments ago by a successful sign-in is accepted, so an old one cannot be replayed into a
    # cookie; forcing someone's browser to remember your own account gains nothing.
    user_id, _ = known_browser.read(body.token, max_age=known_browser.FRESH_SECONDS)
    if not user_id:
        return Response(status_code=400)
    response = Response(status_code=204)
    response.set_cookie(
        known_browser.COOKIE,
        known_browser.add_to_cookie(request.cookies.get(known_browser.COOKIE), body.token),
        max_age=known_browser.LIFETIME_DAYS * 86400,
        path='/login',
        httponly=True,
        samesite='lax',
        secure=request.url.scheme == 'https',
    )
    return response
