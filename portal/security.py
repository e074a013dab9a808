"""Portal and API security: headers on every response, CSRF tokens on every form, and the
client's address (behind configured reverse proxies only, from X-Forwarded-For)."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp_session import Session

from fleet.core.errors import DomainError, ErrorKind

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)
CSRF_KEY = "csrf"
HSTS = "max-age=31536000"  # a year; this host only (the operator's other names are its own)
PRIVATE = ("/portal/", "/api/")  # pages and answers that may show an account's data
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
TRUSTED_PROXIES = web.AppKey("trusted_proxies", tuple[Network, ...])
PrepareHook = Callable[[web.Request, web.StreamResponse], Awaitable[None]]


def security_headers(*, hsts: bool) -> PrepareHook:
    """The ``on_response_prepare`` hook: every response, errors included, carries the
    headers; the portal's and the API's are never stored by a browser or a proxy; behind
    TLS (``hsts``: the service is configured with ``cookie_secure``) browsers are told to
    come back only over HTTPS."""

    async def prepare(request: web.Request, response: web.StreamResponse) -> None:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith(PRIVATE):
            response.headers["Cache-Control"] = "no-store"
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", HSTS)

    return prepare


def trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _ip(text: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(request: web.Request) -> str:
    """Who is asking, as the login guard counts it: the connection's peer, or, when that
    peer is one of the configured trusted proxies, the nearest address of X-Forwarded-For
    that is not (read from the right: what each trusted proxy appended). Without trusted
    proxies the header is ignored: a client could write anything in it. An IPv6 client is
    its /64 network (one subscriber's, as a rule)."""
    trusted = request.app.get(TRUSTED_PROXIES, ())
    client = _ip(request.remote)
    if client is not None and trusted and any(client in net for net in trusted):
        hops = [
            h for header in request.headers.getall("X-Forwarded-For", []) for h in header.split(",")
        ]
        for hop in reversed(hops):
            address = _ip(hop)
            if address is None:
                break  # not written by a trusted proxy: stop at the last trusted hop
            client = address
            if not any(address in net for net in trusted):
                break
    if client is None:
        return "unknown"
    if isinstance(client, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((client, 64), strict=False))
    return str(client)


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
    fail on it further in; what a page names and is not found is a 404."""
    if not request.path.startswith("/portal/"):
        response: web.StreamResponse = await handler(request)
        return response
    if not all(storable(v) for v in request.query.values()):
        raise web.HTTPBadRequest(text="invalid characters in the query")
    try:
        response = await handler(request)
    except DomainError as exc:  # a fleet an operator names that does not exist (any more)
        if exc.kind is not ErrorKind.NOT_FOUND:
            raise
        raise web.HTTPNotFound() from exc
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
