"""Portal security: headers on every response, CSRF tokens on every form."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from aiohttp import web
from aiohttp_session import Session

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
CSRF_KEY = "csrf"


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: every response, errors included, carries the headers."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")


def storable(text: str) -> bool:
    """Text the databases can hold: no NUL character, no lone surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


@web.middleware
async def portal_input(request: web.Request, handler: Any) -> web.StreamResponse:
    """Portal pages refuse a query string the database could not take (400), rather than
    fail on it further in."""
    if request.path.startswith("/portal/") and not all(storable(v) for v in request.query.values()):
        raise web.HTTPBadRequest(text="invalid characters in the query")
    response: web.StreamResponse = await handler(request)
    return response


def csrf_token(session: Session) -> str:
    token = session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return token


def check_csrf(session: Session, submitted: object) -> None:
    expected = session.get(CSRF_KEY)
    if not isinstance(expected, str) or not isinstance(submitted, str):
        raise web.HTTPForbidden(text="CSRF token missing")
    if not hmac.compare_digest(expected, submitted):
        raise web.HTTPForbidden(text="CSRF token invalid")
