"""The provisioning part of the REST API's OpenAPI document (``portal.openapi``): fleets,
lines, fixed numbers and accounts (``portal.api_operator``, ``portal.api_accounts``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fleet.core import rules
from fleet.core.impact import ImpactKind
from fleet.core.values import Language, Role

Op = Callable[..., dict[str, Any]]
OPERATORS = " (operators only)"
CONFIRM = {
    "name": "confirm",
    "in": "query",
    "description": "true: remove; otherwise 409 with what the removal would take (impact)",
    "schema": {"type": "boolean"},
}


def paths(op: Op, json: Callable[[dict[str, Any]], dict[str, Any]], ref: Op) -> dict[str, Any]:
    fleet, line = ["fleet_id"], ["fleet_id", "line_id"]
    fixed, account = ["fleet_id", "fixed_id"], ["fleet_id", "account_id"]
    gone = {"description": "removed"}

    def removal(summary: str, params: list[str]) -> dict[str, Any]:
        operation = op(summary, gone, params=params, ok_status="204", conditional=True)
        operation["parameters"].append(CONFIRM)
        return operation

    def changes(summary: str, ok: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """A change of one resource: If-Match (412 when stale); the answer's ETag."""
        return op(summary, ok, versioned=True, conditional=True, **kwargs)

    return {
        "/api/fleets": {
            "post": op(
                "Create a fleet" + OPERATORS,
                json(ref("FleetDetail")),
                params=[],
                body="FleetNew",
                ok_status="201",
                versioned=True,
            )
        },
        "/api/fleets/{fleet_id}": {
            "get": op(
                "A fleet's settings, and their version (ETag)",
                json(ref("FleetDetail")),
                params=fleet,
                versioned=True,
            ),
            "patch": changes(
                "Change a fleet" + OPERATORS,
                json(ref("FleetDetail")),
                params=fleet,
                body="FleetChange",
            ),
            "delete": removal(
                "Remove a fleet with everything it holds" + OPERATORS + "; without "
                "confirm=true, 409 with the impact",
                fleet,
            ),
        },
        "/api/fleets/{fleet_id}/lines": {
            "post": op(
                "Add a mobile line" + OPERATORS,
                json(ref("Line")),
                params=fleet,
                body="LineNew",
                ok_status="201",
                versioned=True,
            )
        },
        "/api/fleets/{fleet_id}/lines/{line_id}": {
            "delete": removal(
                "Remove a mobile line with its services" + OPERATORS + "; without "
                "confirm=true, 409 with the impact (If-Match: the line's version)",
                line,
            )
        },
        "/api/fleets/{fleet_id}/fixed-numbers": {
            "get": op(
                "The fleet's fixed numbers",
                json({"type": "array", "items": ref("FixedNumber")}),
                params=fleet,
            ),
            "post": op(
                "Add a fixed number reached over one of the fleet's trunks" + OPERATORS,
                json(ref("FixedNumber")),
                params=fleet,
                body="FixedNumberNew",
                ok_status="201",
                versioned=True,
            ),
        },
        "/api/fleets/{fleet_id}/fixed-numbers/{fixed_id}": {
            "get": op(
                "A fixed number, and its version (ETag)",
                json(ref("FixedNumber")),
                params=fixed,
                versioned=True,
            ),
            "patch": changes(
                "Change a fixed number's label, trunk or short number",
                json(ref("FixedNumber")),
                params=fixed,
                body="FixedNumberChange",
            ),
            "delete": op(
                "Remove a fixed number" + OPERATORS,
                gone,
                params=fixed,
                ok_status="204",
                conditional=True,
            ),
        },
        "/api/fleets/{fleet_id}/accounts": {
            "get": op(
                "The fleet's portal accounts",
                json({"type": "array", "items": ref("Account")}),
                params=fleet,
            ),
            "post": op(
                "Create a manager's account (operators only) or an employee's, for a line of "
                "the fleet",
                json(ref("Account")),
                params=fleet,
                body="AccountNew",
                ok_status="201",
                versioned=True,
            ),
        },
        "/api/fleets/{fleet_id}/accounts/{account_id}": {
            "get": op(
                "One of the fleet's portal accounts, and its version (ETag)",
                json(ref("Account")),
                params=account,
                versioned=True,
            ),
            "patch": changes(
                "Disable or enable an account (a manager: employees' only); disabling ends "
                "its sessions",
                json(ref("Account")),
                params=account,
                body="AccountStatus",
            ),
            "delete": op(
                "Remove an account (a manager: employees' only)",
                gone,
                params=account,
                ok_status="204",
                conditional=True,
            ),
        },
        "/api/fleets/{fleet_id}/accounts/{account_id}/password": {
            "post": changes(
                "Give an account a new password (a manager: employees' only); its sessions end. "
                "The password is not part of the account's version: the ETag stays the same",
                {"description": "changed"},
                params=account,
                body="NewPassword",
                ok_status="204",
            )
        },
        "/api/operators": {
            "get": op(
                "The operators' accounts" + OPERATORS,
                json({"type": "array", "items": ref("Account")}),
                params=[],
            ),
            "post": op(
                "Create an operator's account" + OPERATORS,
                json(ref("Account")),
                params=[],
                body="OperatorNew",
                ok_status="201",
                versioned=True,
            ),
        },
        "/api/operators/{account_id}": {
            "get": op(
                "An operator's account, and its version (ETag)" + OPERATORS,
                json(ref("Account")),
                params=["account_id"],
                versioned=True,
            ),
            "patch": changes(
                "Disable or enable an operator's account" + OPERATORS,
                json(ref("Account")),
                params=["account_id"],
                body="AccountStatus",
            ),
            "delete": op(
                "Remove an operator's account" + OPERATORS,
                gone,
                params=["account_id"],
                ok_status="204",
                conditional=True,
            ),
        },
        "/api/operators/{account_id}/password": {
            "post": changes(
                "Give an operator a new password" + OPERATORS + " (its version stays the same)",
                {"description": "changed"},
                params=["account_id"],
                body="NewPassword",
                ok_status="204",
            )
        },
    }


def schemas(text: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    def obj(required: list[str], **props: Any) -> dict[str, Any]:
        return {"type": "object", "required": required, "properties": props}

    def closed(required: list[str], example: dict[str, Any], **props: Any) -> dict[str, Any]:
        return {**obj(required, **props), "additionalProperties": False, "examples": [example]}

    integer, string, boolean = {"type": "integer"}, {"type": "string"}, {"type": "boolean"}
    nullable = {"type": ["string", "null"], "pattern": text["pattern"]}
    language = {"type": "string", "enum": [lang.value for lang in Language]}
    name = {**text, "maxLength": rules.NAME_MAX}
    fleet = {
        "name": name,
        "short_number_length": {
            "type": "integer",
            "minimum": rules.SHORT_NUMBER_LENGTH_MIN,
            "maximum": rules.SHORT_NUMBER_LENGTH_MAX,
        },
        "language": language,
        "timezone": {**text, "examples": ["Europe/Paris"]},
    }
    password = {**text, "minLength": rules.PASSWORD_MIN, "description": "never answered back"}
    login = {**text, "maxLength": rules.LOGIN_MAX}
    return {
        "FleetDetail": obj(
            ["id", "name", "short_number_length", "language", "timezone"],
            id=integer,
            name=string,
            short_number_length=integer,
            language=string,
            timezone=string,
        ),
        "FleetNew": closed(["name"], {"name": "Taxis Express", "short_number_length": 4}, **fleet),
        "FleetChange": closed([], {"name": "Taxis Express Lyon"}, **fleet),
        "LineNew": closed(
            ["msisdn", "employee_name"],
            {"msisdn": "0611000099", "employee_name": "Nouvelle Ligne", "short_number": "2099"},
            msisdn={**text, "description": "the mobile number (national or E.164)"},
            employee_name=name,
            short_number=nullable,
            email=nullable,
            language=language,
            **settings,
        ),
        "FixedNumber": obj(
            ["id", "number", "label", "trunk"],
            id=integer,
            number=string,
            national=string,
            label=string,
            trunk=string,
            short_number={"type": ["string", "null"]},
        ),
        "FixedNumberNew": closed(
            ["number", "label", "trunk"],
            {"number": "0145678911", "label": "Standard", "trunk": "trunk-siege"},
            number=text,
            label={**text, "maxLength": rules.LABEL_MAX},
            trunk={**text, "maxLength": rules.TRUNK_NAME_MAX},
            short_number=nullable,
        ),
        "FixedNumberChange": closed(
            [],
            {"label": "Accueil"},
            label={**text, "maxLength": rules.LABEL_MAX},
            trunk={**text, "maxLength": rules.TRUNK_NAME_MAX},
            short_number=nullable,
        ),
        "Account": obj(
            ["id", "login", "role", "active"],
            id=integer,
            login=string,
            role={"type": "string", "enum": [r.value for r in Role]},
            display_name=string,
            language=string,
            fleet_ids={"type": "array", "items": integer},
            line_id={"type": ["integer", "null"]},
            active=boolean,
        ),
        "AccountNew": closed(
            ["role", "login", "password"],
            {"role": "employee", "login": "s.martin", "password": "un-long-secret", "line_id": 3},
            role={"type": "string", "enum": [Role.MANAGER.value, Role.EMPLOYEE.value]},
            login=login,
            password=password,
            display_name=name,
            language=language,
            line_id={"type": "integer", "minimum": 1},
        ),
        "OperatorNew": closed(
            ["login", "password", "display_name"],
            {"login": "ops.dupont", "password": "un-long-secret", "display_name": "Ops"},
            login=login,
            password=password,
            display_name=name,
            language=language,
        ),
        "AccountStatus": closed(["active"], {"active": False}, active=boolean),
        "NewPassword": closed(["password"], {"password": "un-long-secret"}, password=password),
        "Impact": obj(
            ["subject", "name", "items"],
            subject=string,
            name=string,
            items={
                "type": "array",
                "items": obj(
                    ["kind", "count", "names"],
                    kind={"type": "string", "enum": [k.value for k in ImpactKind]},
                    count=integer,
                    names={"type": "array", "items": string},
                ),
            },
        ),
    }
