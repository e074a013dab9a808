"""Portal security: headers on every response, CSRF tokens on every form."""

from __future__ import annotations

import hmac
import secrets

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
