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
from fleet.core.linesettings import BY_NAME, LINE_SETTINGS
from fleet.core.values import Actor, Channel, ForwardingKind, Language, RingMode
from fleet.services.lines import PAGE_MAX
from portal.openapi import ID_MAX, OFFSET_MAX, document
from portal.pages import SERVICES, fleet_id_of, group_of, line_in, line_of
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


def _string(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise Problem(422, "invalid_value", f"{name}: a string", name)
    return value


# -- rendering ----------------------------------------------------------------------------------


def _line_json(line: model.Line) -> dict[str, Any]:
    return {
        "id": line.id,
        "msisdn": line.msisdn.value,
        "national": line.msisdn.national(),
        "short_number": line.short_number,
        "employee_name": line.employee_name,
        "email": line.email,
        "language": line.language.value,
        **{setting.name: setting.of(line) for setting in LINE_SETTINGS},
    }


def _forwarding_json(rule: model.Forwarding) -> dict[str, Any]:
    return {
        "kind": rule.kind.value,
        "destination": rule.destination.value if rule.destination else None,
        "active": rule.active,
        "no_reply_timer": rule.no_reply_timer,
    }


def _services_json(line: model.LineServices) -> dict[str, Any]:
    plan = line.incoming_list
    return {
        **_line_json(line.line),
        "forwardings": [_forwarding_json(f) for f in line.forwardings],
        "incoming_list": None
        if plan is None
        else {
            "active": plan.active,
            "mode": plan.mode.value,
            "ring_time": plan.ring_time,
            "entries": [e.value for e in plan.entries],
        },
        "groups": [
            {"id": g.group_id, "name": g.group_name, "connected": g.connected} for g in line.groups
        ],
    }


def _group_json(group: model.CallGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "number": group.number.value,
        "name": group.name,
        "user_code": group.user_code,
        "admin_code": group.admin_code,
        "queue_size": group.queue_size,
        "switchover_delay": group.switchover_delay,
        "intercall_delay": group.intercall_delay,
        "distribution": group.distribution.value,
        "short_number": group.short_number,
        "any_connected": group.any_connected,
        "members": [
            {
                "line_id": m.line_id,
                "msisdn": m.msisdn.value,
                "name": m.employee_name,
                "position": m.position,
                "connected": m.connected,
            }
            for m in group.members
        ],
    }


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


async def lines(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    offset = _query_int(request, "offset", 0, 0, OFFSET_MAX)
    limit = _query_int(request, "limit", 50, 1, PAGE_MAX)
    search = request.query.get("q")
    if search is not None and not storable(search):
        raise Problem(400, "invalid_query", "q: text without NUL characters", "q")
    page = await request.app[SERVICES].lines.search(
        fleet_id, search=search, offset=offset, limit=limit
    )
    return web.json_response(
        {
            "total": page.total,
            "offset": page.offset,
            "limit": page.limit,
            "items": [_line_json(line) for line in page.items],
        }
    )


async def line(request: web.Request) -> web.Response:
    account = await _manager(request)
    return web.json_response(_services_json(await line_of(request, _fleet_id(request, account))))


LINE_TEXTS = ("employee_name", "short_number", "email", "language")
LINE_NULLABLE = ("short_number", "email")


async def patch_line(request: web.Request) -> web.Response:
    """Change a line's details: any of its texts and settings (the PABX option among them)."""
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    target = await line_in(request, fleet_id)
    data = await _body(request)
    unknown = sorted(set(data) - {*LINE_TEXTS, *BY_NAME})
    if unknown:
        raise Problem(422, "invalid_value", f"{unknown[0]}: not a field of a line", unknown[0])
    changes: dict[str, Any] = {}
    for name in LINE_TEXTS:
        if name in data:
            value = data[name]
            if not isinstance(value, str) and not (value is None and name in LINE_NULLABLE):
                wanted = "a string or null" if name in LINE_NULLABLE else "a string"
                raise Problem(422, "invalid_value", f"{name}: {wanted}", name)
            changes[name] = value
    settings = {BY_NAME[name]: _bool(data, name) for name in BY_NAME if name in data}
    await request.app[SERVICES].lines.update(
        _actor(account), target.id, settings=settings, **changes
    )
    return web.json_response(_services_json(await line_of(request, fleet_id)))


def _kind(request: web.Request) -> ForwardingKind:
    try:
        return ForwardingKind(request.match_info["kind"])
    except ValueError as exc:
        raise Problem(404, "not_found", "forwarding kind: not found") from exc


async def put_forwarding(request: web.Request) -> web.Response:
    account = await _manager(request)
    target = await line_in(request, _fleet_id(request, account))
    kind = _kind(request)
    data = await _body(request)
    timer = data.get("no_reply_timer")
    if timer is not None and (not isinstance(timer, int) or isinstance(timer, bool)):
        raise Problem(422, "no_reply_timer_invalid", "no_reply_timer: an integer", "no_reply_timer")
    destination = data.get("destination")
    if destination is not None and not isinstance(destination, str):
        raise Problem(422, "number_invalid", "destination: a string", "destination")
    rule = await request.app[SERVICES].forwarding.set(
        _actor(account),
        target.id,
        kind,
        destination=destination,
        active=_bool(data, "active", True),
        no_reply_timer=timer,
    )
    return web.json_response(_forwarding_json(rule))


async def delete_forwarding(request: web.Request) -> web.Response:
    account = await _manager(request)
    target = await line_in(request, _fleet_id(request, account))
    await request.app[SERVICES].forwarding.erase(_actor(account), target.id, _kind(request))
    return web.Response(status=204)


async def put_incoming(request: web.Request) -> web.Response:
    account = await _manager(request)
    target = await line_in(request, _fleet_id(request, account))
    data = await _body(request)
    entries = data.get("entries")  # required: a missing list must not erase the entries
    ring_time = data.get("ring_time", 15)
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        raise Problem(422, "number_invalid", "entries: a list of numbers", "entries")
    for index, entry in enumerate(entries):  # the portal's blank fields; here, a missing number
        if not entry.strip():
            raise DomainError(ErrorCode.NUMBER_REQUIRED, field=f"entries.{index}")
    if not isinstance(ring_time, int) or isinstance(ring_time, bool):
        raise Problem(422, "ring_time_invalid", "ring_time: an integer", "ring_time")
    mode = data.get("mode", RingMode.SIMULTANEOUS.value)
    if not isinstance(mode, str):
        modes = " or ".join(m.value for m in RingMode)
        raise Problem(422, "list_mode_invalid", f"mode: {modes}", "mode")
    plan = await request.app[SERVICES].incoming.save(
        _actor(account),
        target.id,
        entries=entries,
        mode=mode,
        ring_time=ring_time,
        active=_bool(data, "active", True),
    )
    return web.json_response(
        {
            "active": plan.active,
            "mode": plan.mode.value,
            "ring_time": plan.ring_time,
            "entries": [e.value for e in plan.entries],
        }
    )


async def groups(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    found = await request.app[SERVICES].groups.in_fleet(fleet_id)
    return web.json_response([_group_json(g) for g in found])


async def group(request: web.Request) -> web.Response:
    account = await _manager(request)
    return web.json_response(_group_json(await group_of(request, _fleet_id(request, account))))


async def put_connection(request: web.Request) -> web.Response:
    account = await _manager(request)
    the_group = await group_of(request, _fleet_id(request, account))
    line_id = int(request.match_info["line_id"])  # checked by _fleet_id
    if line_id not in {m.line_id for m in the_group.members}:
        raise Problem(404, "not_found", "member: not found")
    connected = _bool(await _body(request), "connected")
    updated = await request.app[SERVICES].groups.set_connected(
        _actor(account), the_group.id, line_id, connected
    )
    return web.json_response(_group_json(updated))


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document())


ROUTES: list[tuple[str, str, Any]] = [
    ("POST", "/api/login", login),
    ("POST", "/api/logout", logout),
    ("GET", "/api/fleets", fleets),
    ("GET", "/api/fleets/{fleet_id}/lines", lines),
    ("GET", "/api/fleets/{fleet_id}/lines/{line_id}", line),
    ("PATCH", "/api/fleets/{fleet_id}/lines/{line_id}", patch_line),
    ("PUT", "/api/fleets/{fleet_id}/lines/{line_id}/forwardings/{kind}", put_forwarding),
    ("DELETE", "/api/fleets/{fleet_id}/lines/{line_id}/forwardings/{kind}", delete_forwarding),
    ("PUT", "/api/fleets/{fleet_id}/lines/{line_id}/incoming-list", put_incoming),
    ("GET", "/api/fleets/{fleet_id}/groups", groups),
    ("GET", "/api/fleets/{fleet_id}/groups/{group_id}", group),
    (
        "PUT",
        "/api/fleets/{fleet_id}/groups/{group_id}/members/{line_id}/connection",
        put_connection,
    ),
    ("GET", "/api/openapi.json", openapi),
]


def setup(app: web.Application, *, key: bytes) -> None:
    app[TOKEN_KEY] = hashlib.sha256(b"fleetpbx-api" + key).digest()
    app.middlewares.append(problems)
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
