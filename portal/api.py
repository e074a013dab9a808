"""The REST API (JSON) for fleet managers, over the same services as the portal.

Authentication: ``POST /api/login`` gives a bearer token (HMAC-signed account id, session
epoch and expiry); ``POST /api/logout`` ends every token and portal session of the account.
Errors are ``application/problem+json`` with the domain error's code; this module holds the
one table that maps domain error kinds to HTTP statuses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any

from aiohttp import web

from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode, ErrorKind
from fleet.core.linesettings import LineSetting
from fleet.core.values import Actor, Channel, Language
from portal.openapi import ID_MAX, document
from portal.pages import SERVICES, fleet_id_of
from portal.security import client_address, storable

TOKEN_KEY = web.AppKey("api_token_key", bytes)
TOKEN_AGE = 3600
STATUS: dict[ErrorKind, int] = {
    ErrorKind.INVALID: 422,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.UNAVAILABLE: 503,
}
CODE_STATUS: dict[ErrorCode, int] = {ErrorCode.LOGIN_THROTTLED: 429}  # over the kind's
# aiohttp's own refusals (no route, method, body size), as problems
HTTP_PROBLEMS: dict[int, tuple[str, str]] = {
    404: ("not_found", "no such resource"),
    405: ("method_not_allowed", "method not allowed"),
    413: ("body_too_large", "the body is too large"),
}
INTEGER = re.compile(r"-?[0-9]{1,19}")  # Python parses no more than 4300 digits


class Problem(Exception):
    def __init__(self, status: int, code: str, detail: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.field = status, code, detail, field


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> web.Response:
    body = {
        "type": f"urn:fleetpbx:error:{problem.code}",
        "title": problem.code,
        "status": problem.status,
        "detail": problem.detail,
        "code": problem.code,
    }
    if problem.field:
        body["field"] = problem.field
    return web.Response(
        status=problem.status,
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/problem+json",
        headers=headers,
    )


@web.middleware
async def problems(request: web.Request, handler: Any) -> web.StreamResponse:
    if not request.path.startswith("/api/"):
        response: web.StreamResponse = await handler(request)
        return response
    try:
        response = await handler(request)
        return response
    except Problem as exc:
        return problem_response(exc)
    except DomainError as exc:
        language = (
            Language.EN if "en" in request.headers.get("Accept-Language", "")[:2] else Language.FR
        )
        status = CODE_STATUS.get(exc.code, STATUS[exc.kind])
        retry = {"Retry-After": str(exc.params["seconds"])} if "seconds" in exc.params else None
        return problem_response(
            Problem(status, exc.code.value, exc.message(language), exc.field), retry
        )
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code, detail = HTTP_PROBLEMS.get(exc.status, ("http_error", exc.reason))
        allow = {"Allow": exc.headers["Allow"]} if "Allow" in exc.headers else None
        return problem_response(Problem(exc.status, code, detail), allow)


# -- tokens -----------------------------------------------------------------------------------


def issue_token(key: bytes, account_id: int, epoch: str, now: float | None = None) -> str:
    """``account.epoch.expiry.mac``: the epoch ties the token to the account's sessions (a
    sign-out, a password change or the account disabled gives the account a new one)."""
    expires = int((now or time.time()) + TOKEN_AGE)
    payload = f"{account_id}.{epoch}.{expires}"
    mac = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return f"{payload}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def read_token(key: bytes, token: str, now: float | None = None) -> tuple[int, str] | None:
    """The account id and session epoch of a token signed with ``key`` and not expired."""
    try:
        account, epoch, expires, mac = token.split(".")
        expected = hmac.new(key, f"{account}.{epoch}.{expires}".encode(), hashlib.sha256)
        given = base64.urlsafe_b64decode(mac + "=" * (-len(mac) % 4))
    except (ValueError, TypeError, UnicodeEncodeError):
        return None
    if not hmac.compare_digest(expected.digest(), given):
        return None
    if not INTEGER.fullmatch(account) or int(expires) < (now or time.time()):
        return None
    return int(account), epoch


def bearer(header: str) -> str | None:
    """The credentials of an ``Authorization: Bearer …`` header; the scheme is matched
    without regard to case (RFC 7235 §2.1)."""
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        return None
    return credentials.strip()


async def _manager(request: web.Request) -> model.Account:
    credentials = bearer(request.headers.get("Authorization", ""))
    token = read_token(request.app[TOKEN_KEY], credentials) if credentials else None
    if token is None:
        raise Problem(401, "unauthenticated", "a valid bearer token is required (POST /api/login)")
    account = await request.app[SERVICES].accounts.signed_in(*token)
    if account is None:
        raise Problem(
            401, "unauthenticated", "this token has ended (signed out, new password, disabled)"
        )
    if not account.manages_fleets:
        raise Problem(403, "forbidden", "fleet managers and operators only")
    return account


def _actor(account: model.Account) -> Actor:
    return Actor(name=account.login, channel=Channel.API, account_id=account.id)


def _fleet_id(request: web.Request, account: model.Account) -> int:
    """The manager's fleet of the path, once every id of the path is one that can exist:
    anything else (not digits, 0, beyond the database's integers) is not found."""
    for name, text in request.match_info.items():
        if name.endswith("_id") and not (INTEGER.fullmatch(text) and 0 < int(text) <= ID_MAX):
            raise Problem(404, "not_found", f"{name}: not found")
    return fleet_id_of(request, account)


def _query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not INTEGER.fullmatch(text) or not low <= int(text) <= high:
        raise Problem(400, "invalid_query", f"{name}: an integer from {low} to {high}", name)
    return int(text)


def _unstorable_field(data: dict[str, Any]) -> str | None:
    """The first top-level field holding text that is not storable, wherever it is nested."""
    for key, value in data.items():
        stack: list[Any] = [key, value]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                stack.extend([*item.keys(), *item.values()])
            elif isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, str) and not storable(item):
                return key if storable(key) else "?"
    return None


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except (ValueError, RecursionError) as exc:  # also too deep, or too many digits
        raise Problem(400, "invalid_json", "the body must be a JSON object") from exc
    if not isinstance(data, dict):
        raise Problem(400, "invalid_json", "the body must be a JSON object")
    field = _unstorable_field(data)
    if field is not None:
        raise Problem(422, "invalid_value", f"{field}: text without NUL or lone surrogates", field)
    return data


def _bool(data: dict[str, Any], name: str, default: bool | None = None) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise Problem(422, "invalid_value", f"{name}: true or false", name)
    return value


def _setting(data: dict[str, Any], setting: LineSetting[Any]) -> Any:
    """A line setting's value in a JSON body: a boolean for a switch, one of its values (a
    string) for a choice."""
    if setting.switch:
        return _bool(data, setting.name)
    value = data.get(setting.name)
    if not isinstance(value, str) or value not in {str(v) for v in setting.values()}:
        choices = ", ".join(str(v) for v in setting.values())
        raise Problem(422, "invalid_value", f"{setting.name}: one of {choices}", setting.name)
    return setting.parse(value)


def _string(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise Problem(422, "invalid_value", f"{name}: a string", name)
    return value


# -- handlers -----------------------------------------------------------------------


async def login(request: web.Request) -> web.Response:
    """A token for a fleet manager; the same limits as the portal's sign-in (the login
    guard, per source address and per account and address; the password pool)."""
    data = await _body(request)
    signed = await request.app[SERVICES].accounts.sign_in(
        _string(data, "login"), _string(data, "password"), source=client_address(request)
    )
    if not signed.account.manages_fleets:
        raise Problem(403, "forbidden", "fleet managers and operators only")
    token = issue_token(request.app[TOKEN_KEY], signed.account.id, signed.epoch)
    return web.json_response({"token": token, "expires_in": TOKEN_AGE})


async def logout(request: web.Request) -> web.Response:
    """End every token and portal session of the manager at once."""
    account = await _manager(request)
    await request.app[SERVICES].accounts.sign_out(account.id)
    return web.Response(status=204)


async def fleets(request: web.Request) -> web.Response:
    account = await _manager(request)
    found = await request.app[SERVICES].fleets.all(account.fleet_scope)
    return web.json_response([{"id": f.id, "name": f.name} for f in found])


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document())


ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/api/login", login),
    ("POST", "/api/logout", logout),
    ("GET", "/api/fleets", fleets),
    ("GET", "/api/openapi.json", openapi),
]


def setup(app: web.Application, *, key: bytes) -> None:
    app[TOKEN_KEY] = hashlib.sha256(b"fleetpbx-api" + key).digest()
    app.middlewares.append(problems)
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
