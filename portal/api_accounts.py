"""The REST API's portal accounts (issue 13): a fleet's accounts listed, created, disabled
or enabled, given a new password and removed; the operators' own accounts.

Who may: an operator every account of every fleet, and the operators' accounts
(``/api/operators``); a fleet manager the employee accounts of its fleets' lines (it gives its
staff access to their user portal), not a manager's account (403). No one disables or
removes its own account. A password is given, never answered back.

An account answers its ``ETag`` (``GET …/accounts/{account_id}``, ``GET
/api/operators/{account_id}``); a change, a new password or a removal with a stale
``If-Match`` is refused with 412 and writes nothing (``portal.api_versions``). The password
is not part of the version (it is never shown): a new one leaves the version as it is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from aiohttp import web

from fleet.core import model
from fleet.core.errors import DomainError, ErrorKind
from fleet.core.values import Role
from fleet.services.container import Services
from portal.api import Problem, _actor, _body, _fleet_id, _manager, _string
from portal.api_operator import operator, required, typed
from portal.api_versions import answer, held, no_content
from portal.openapi import ID_MAX
from portal.pages import SERVICES, path_id

NEW_FIELDS = {
    "role": str,
    "login": str,
    "password": str,
    "display_name": str,
    "language": str,
    "line_id": int,
}


def account_json(account: model.Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "login": account.login,
        "role": account.role.value,
        "display_name": account.display_name,
        "language": account.language.value,
        "fleet_ids": list(account.fleet_ids),
        "line_id": account.line_id,
        "active": account.active,
    }


def _may(account: model.Account, target: model.Account) -> None:
    """A manager acts on employees' accounts only."""
    if account.role is not Role.OPERATOR and target.role is not Role.EMPLOYEE:
        raise Problem(403, "forbidden", "operators only: a manager's account")


async def _fleet_account(request: web.Request, account: model.Account) -> model.Account:
    """The account of the path, one of the path's fleet."""
    fleet_id = _fleet_id(request, account)
    target = await request.app[SERVICES].accounts.get(path_id(request, "account_id"))
    if fleet_id not in target.fleet_ids:
        raise Problem(404, "not_found", "account: not found")
    return target


async def _account_in(request: web.Request, account: model.Account) -> model.Account:
    """The account of the path, one of the path's fleet, that the caller may act on."""
    target = await _fleet_account(request, account)
    _may(account, target)
    return target


async def _operator_of(request: web.Request) -> model.Account:
    target = await request.app[SERVICES].accounts.get(path_id(request, "account_id"))
    if target.role is not Role.OPERATOR:
        raise Problem(404, "not_found", "operator: not found")
    return target


Load = Callable[[], Awaitable[model.Account]]  # the account of the path, read


def _held(request: web.Request, load: Load) -> AbstractAsyncContextManager[model.Account]:
    """The account of the path, held for a change with its version checked (``If-Match``)."""
    key = f"account:{request.match_info['account_id']}"
    return held(request, key, load, account_json, "account")


async def account(request: web.Request) -> web.Response:
    """One account of the fleet (any the list shows), with its version."""
    caller = await _manager(request)
    return answer(account_json(await _fleet_account(request, caller)))


async def accounts(request: web.Request) -> web.Response:
    account = await _manager(request)
    found = await request.app[SERVICES].accounts.in_fleet(_fleet_id(request, account))
    return web.json_response([account_json(a) for a in found])


async def post_account(request: web.Request) -> web.Response:
    """A manager of the fleet (operators only) or an employee of one of its lines."""
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    data = await _body(request)
    typed(data, NEW_FIELDS)
    required(data, "role", "login", "password")
    services = request.app[SERVICES]
    role = data["role"]
    if role == Role.MANAGER.value:
        if account.role is not Role.OPERATOR:
            raise Problem(403, "forbidden", "operators only: a manager's account")
        required(data, "display_name")
        created = await services.accounts.create_manager(
            _actor(account),
            login=data["login"],
            password=data["password"],
            display_name=data["display_name"],
            fleet_ids=[fleet_id],
            **({"language": data["language"]} if "language" in data else {}),
        )
    elif role == Role.EMPLOYEE.value:
        required(data, "line_id")
        line = await _line(services, data["line_id"])
        if line is None or line.fleet_id != fleet_id:
            raise Problem(422, "account_line_required", "line_id: a line of the fleet", "line_id")
        created = await services.accounts.create_employee(
            _actor(account),
            login=data["login"],
            password=data["password"],
            line_id=line.id,
            display_name=data.get("display_name"),
        )
    else:
        raise Problem(422, "invalid_value", "role: manager or employee", "role")
    return answer(account_json(created), status=201)


async def _line(services: Services, line_id: int) -> model.Line | None:
    if not 0 < line_id <= ID_MAX:
        return None
    try:
        return await services.lines.get(line_id)
    except DomainError as exc:
        if exc.kind is ErrorKind.NOT_FOUND:
            return None
        raise


async def _set(request: web.Request, account: model.Account, load: Load) -> web.Response:
    await load()  # not found, or not the caller's to change, before a faulty body
    data = await _body(request)
    typed(data, {"active": bool})
    required(data, "active")
    async with _held(request, load) as target:
        changed = await request.app[SERVICES].accounts.set_active(
            _actor(account), target.id, data["active"]
        )
    return answer(account_json(changed))


async def _password(request: web.Request, account: model.Account, load: Load) -> web.Response:
    await load()
    data = await _body(request)
    typed(data, {"password": str})
    async with _held(request, load) as target:
        await request.app[SERVICES].accounts.reset_password(
            _actor(account), target.id, _string(data, "password")
        )
    return no_content(account_json(target))  # the same version: the password is not shown


async def _delete(request: web.Request, account: model.Account, load: Load) -> web.Response:
    async with _held(request, load) as target:
        await request.app[SERVICES].accounts.delete(_actor(account), target.id)
    return web.Response(status=204)


def _in_fleet(request: web.Request, account: model.Account) -> Load:
    return lambda: _account_in(request, account)


async def patch_account(request: web.Request) -> web.Response:
    account = await _manager(request)
    return await _set(request, account, _in_fleet(request, account))


async def reset_password(request: web.Request) -> web.Response:
    account = await _manager(request)
    return await _password(request, account, _in_fleet(request, account))


async def delete_account(request: web.Request) -> web.Response:
    account = await _manager(request)
    return await _delete(request, account, _in_fleet(request, account))


# -- operators ---------------------------------------------------------------------------------


async def operators(request: web.Request) -> web.Response:
    await operator(request)
    found = await request.app[SERVICES].accounts.operators()
    return web.json_response([account_json(a) for a in found])


async def post_operator(request: web.Request) -> web.Response:
    account = await operator(request)
    data = await _body(request)
    fields = {k: v for k, v in NEW_FIELDS.items() if k not in ("role", "line_id")}
    typed(data, fields)
    required(data, "login", "password", "display_name")
    created = await request.app[SERVICES].accounts.create_operator(_actor(account), **data)
    return answer(account_json(created), status=201)


async def get_operator(request: web.Request) -> web.Response:
    await operator(request)
    return answer(account_json(await _operator_of(request)))


async def patch_operator(request: web.Request) -> web.Response:
    return await _set(request, await operator(request), lambda: _operator_of(request))


async def operator_password(request: web.Request) -> web.Response:
    return await _password(request, await operator(request), lambda: _operator_of(request))


async def delete_operator(request: web.Request) -> web.Response:
    return await _delete(request, await operator(request), lambda: _operator_of(request))


ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/api/fleets/{fleet_id}/accounts", accounts),
    ("POST", "/api/fleets/{fleet_id}/accounts", post_account),
    ("GET", "/api/fleets/{fleet_id}/accounts/{account_id}", account),
    ("PATCH", "/api/fleets/{fleet_id}/accounts/{account_id}", patch_account),
    ("POST", "/api/fleets/{fleet_id}/accounts/{account_id}/password", reset_password),
    ("DELETE", "/api/fleets/{fleet_id}/accounts/{account_id}", delete_account),
    ("GET", "/api/operators", operators),
    ("POST", "/api/operators", post_operator),
    ("GET", "/api/operators/{account_id}", get_operator),
    ("PATCH", "/api/operators/{account_id}", patch_operator),
    ("POST", "/api/operators/{account_id}/password", operator_password),
    ("DELETE", "/api/operators/{account_id}", delete_operator),
]


def setup(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
