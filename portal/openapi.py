"""The OpenAPI 3.1 document of the REST API, served at /api/openapi.json."""

from __future__ import annotations

from typing import Any

from fleet.core.linesettings import LINE_SETTINGS, LineSetting
from fleet.core.presented import PresentedKind
from fleet.core.values import ForwardingKind, ForwardingTarget, Language, RingMode
from fleet.services.lines import PAGE_MAX
from portal import (
    openapi_calls,
    openapi_contacts,
    openapi_criteria,
    openapi_fleetio,
    openapi_groups,
    openapi_monitor,
    openapi_operator,
    openapi_presented,
    openapi_schedules,
    openapi_trunks,
)

TEXT = {"type": "string", "pattern": r"^[^\u0000]*$"}  # the databases store no NUL
NUMBER = {**TEXT, "description": "a phone number (E.164 in answers)"}
FORWARDING_TARGET = {"type": "string", "enum": [t.value for t in ForwardingTarget]}
ID_MAX = 2**31 - 1  # ids are INTEGER columns (32 bits on PostgreSQL): nothing beyond exists
OFFSET_MAX = ID_MAX
CURSOR_PATTERN = "^[A-Za-z0-9_-]{1,1000}$"  # a page cursor (base64url)
ID = {"type": "integer", "minimum": 1, "maximum": ID_MAX}
JSON_TYPES: dict[type, str] = {bool: "boolean"}  # the JSON type of a line setting's type


def _settings() -> dict[str, Any]:
    """The line settings' properties, from their descriptions: a switch a boolean, a choice
    a string among its values."""
    return {s.name: _setting(s) for s in LINE_SETTINGS}


def _setting(setting: LineSetting[Any]) -> dict[str, Any]:
    if setting.switch:
        return {"type": JSON_TYPES[bool], "description": setting.label.en}
    values = [str(v) for v in setting.values()]
    labels = "; ".join(f"{v}: {label.en}" for v, label in setting.choices.items())
    return {"type": "string", "enum": values, "description": f"{setting.label.en} ({labels})"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


PROBLEM = {
    "description": "an error (application/problem+json, with the domain error code)",
    "content": {"application/problem+json": {"schema": _ref("Problem")}},
}
RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "schema": {"type": "integer", "minimum": 1},
    }
}
# a sign-in refused unverified: too many attempts from the address (429), or too many
# sign-ins under way (503)
THROTTLED = {
    **PROBLEM,
    "description": "too many attempts from this address: try again after Retry-After",
    "headers": RETRY_AFTER,
}
BUSY = {
    **PROBLEM,
    "description": "the database is unavailable, or too many sign-ins are under way "
    "(then with Retry-After)",
    "headers": RETRY_AFTER,
}


ETAG = {
    "ETag": {
        "description": "the resource's version, for If-Match",
        "schema": {"type": "string"},
    }
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": "the version (ETag) the change is based on: another one is refused with "
    "412 and changes nothing; without it (or with *) the change is made",
    "schema": {"type": "string"},
}


def _path_param(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or ID}


def _op(
    summary: str,
    ok: dict[str, Any],
    *,
    params: list[str],
    body: str | None = None,
    secure: bool = True,
    ok_status: str = "200",
    versioned: bool = False,
    conditional: bool = False,
) -> dict[str, Any]:
    """``versioned``: the answer carries the resource's version (``ETag``); ``conditional``:
    a change that takes ``If-Match`` and is refused with 412 when the version is not the
    current one."""
    kinds = {"kind": {"type": "string", "enum": [k.value for k in ForwardingKind]}}
    operation: dict[str, Any] = {
        "summary": summary,
        "parameters": [_path_param(p, kinds.get(p)) for p in params],
        "responses": {
            ok_status: ok,
            "400": PROBLEM,
            "401": PROBLEM,
            "403": PROBLEM,
            "404": PROBLEM,
            "409": PROBLEM,
            "422": PROBLEM,
            "503": PROBLEM,
        },
    }
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
        operation["responses"]["413"] = PROBLEM
    if not secure:
        operation["security"] = []
    if versioned:
        operation["responses"][ok_status] = {**ok, "headers": ETAG}
    if conditional:
        operation["parameters"].append(IF_MATCH)
        operation["responses"]["412"] = PROBLEM
    return operation


def _login() -> dict[str, Any]:
    operation = _op(
        "Get a bearer token. Limits: five wrong passwords for an account from an address "
        "lock that address out of the account for 15 minutes (403 account_locked); past ten "
        "wrong passwords from an address, each attempt from it waits a growing delay (429)",
        _json(_ref("Token")),
        params=[],
        body="Credentials",
        secure=False,
    )
    operation["responses"] |= {"429": THROTTLED, "503": BUSY}
    return operation


def document() -> dict[str, Any]:
    built = _document()
    for path, item in openapi_operator.paths(_op, _json, _ref).items():
        built["paths"].setdefault(path, {}).update(item)
    return built


def _document() -> dict[str, Any]:
    fleet, line = ["fleet_id"], ["fleet_id", "line_id"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "FleetPBX API",
            "version": "1",
            "description": "Fleet managers' and operators' API over the same services as the "
            "portal.",
        },
        "security": [{"bearer": []}],
        "paths": {
            "/api/login": {"post": _login()},
            "/api/logout": {
                "post": _op(
                    "End every token and portal session of the account",
                    {"description": "signed out"},
                    params=[],
                    ok_status="204",
                )
            },
            "/api/fleets": {
                "get": _op(
                    "The manager's fleets",
                    _json({"type": "array", "items": _ref("Fleet")}),
                    params=[],
                )
            },
            "/api/fleets/{fleet_id}/lines": {
                "get": {
                    **_op(
                        "The fleet's lines, searched and paged",
                        _json(_ref("LinePage")),
                        params=fleet,
                    ),
                    "parameters": [
                        _path_param("fleet_id"),
                        {"name": "q", "in": "query", "schema": TEXT},
                        {
                            "name": "after",
                            "in": "query",
                            "schema": {"type": "string", "pattern": CURSOR_PATTERN},
                            "description": "the next_cursor of the previous page",
                        },
                        {
                            "name": "offset",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0, "maximum": OFFSET_MAX},
                            "deprecated": True,
                            "description": "lines to skip (offset paging, not with after): "
                            "use after",
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": PAGE_MAX},
                        },
                    ],
                }
            },
            "/api/fleets/{fleet_id}/lines/{line_id}": {
                "get": _op(
                    "A line with its services, and its version (ETag)",
                    _json(_ref("LineServices")),
                    params=line,
                    versioned=True,
                ),
                "patch": _op(
                    "Change a line's details (name, short number, e-mail, language) and "
                    f"settings ({', '.join(s.label.en for s in LINE_SETTINGS)})",
                    _json(_ref("LineServices")),
                    params=line,
                    body="LineChange",
                    versioned=True,
                    conditional=True,
                ),
            },
            "/api/fleets/{fleet_id}/lines/{line_id}/forwardings/{kind}": {
                "put": _op(
                    "Register a forwarding (and switch it on or off). A forwarding is part of "
                    "its line: If-Match takes the line's version, the answer's ETag is the "
                    "line's new one",
                    _json(_ref("Forwarding")),
                    params=[*line, "kind"],
                    body="ForwardingChange",
                    versioned=True,
                    conditional=True,
                ),
                "delete": _op(
                    "Erase a forwarding",
                    {"description": "erased"},
                    params=[*line, "kind"],
                    ok_status="204",
                    versioned=True,
                    conditional=True,
                ),
            },
            "/api/fleets/{fleet_id}/lines/{line_id}/incoming-list": {
                "put": _op(
                    "Replace the incoming-call list (part of the line: If-Match takes the "
                    "line's version, the answer's ETag is the line's new one)",
                    _json(_ref("IncomingList")),
                    params=line,
                    body="IncomingList",
                    versioned=True,
                    conditional=True,
                )
            },
            **openapi_groups.paths(_op, _json, _ref),
            **openapi_calls.paths(_op, _json, _ref),
            **openapi_trunks.paths(_op, _json, _ref),
            **openapi_schedules.paths(_op, _json, _ref),
            **openapi_monitor.paths(_op, _json, _ref),
            **openapi_presented.paths(_op, _json, _ref),
            **openapi_contacts.paths(_op, _json, _ref),
            **openapi_criteria.paths(_op, _json, _ref),
            **openapi_fleetio.paths(_op, _json, _ref),
            "/api/openapi.json": {
                "get": _op("This document", _json({"type": "object"}), params=[], secure=False)
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _schemas(),
        },
    }


def _schemas() -> dict[str, Any]:
    def obj(required: list[str], **props: Any) -> dict[str, Any]:
        return {"type": "object", "required": required, "properties": props}

    integer, string, boolean = {"type": "integer"}, {"type": "string"}, {"type": "boolean"}
    nullable_int = {"type": ["integer", "null"]}
    return {
        "Problem": obj(
            ["type", "title", "status", "detail", "code"],
            type=string,
            title=string,
            status=integer,
            detail=string,
            code=string,
            field=string,
        ),
        "Credentials": obj(["login", "password"], login=TEXT, password=TEXT),
        "Token": obj(["token", "expires_in"], token=string, expires_in=integer),
        "Fleet": obj(["id", "name"], id=integer, name=string),
        "Line": obj(
            ["id", "msisdn"],
            id=integer,
            msisdn=NUMBER,
            national=string,
            short_number={"type": ["string", "null"]},
            employee_name=string,
            email={"type": ["string", "null"]},
            language=string,
            **_settings(),
            presented=obj(
                ["kind"],
                kind={"type": "string", "enum": [k.value for k in PresentedKind]},
                group_id=nullable_int,
            ),
        ),
        "LineChange": {
            **obj(
                [],
                employee_name=TEXT,
                short_number={"type": ["string", "null"], "pattern": TEXT["pattern"]},
                email={"type": ["string", "null"], "pattern": TEXT["pattern"]},
                language={"type": "string", "enum": [lang.value for lang in Language]},
                **_settings(),
            ),
            "additionalProperties": False,
            "examples": [
                {s.name: s.default if s.switch else str(s.default) for s in LINE_SETTINGS}
            ],
        },
        "LinePage": obj(
            ["total", "limit", "items"],
            total=integer,
            total_exact={"type": "boolean", "description": "false: more than total match"},
            offset={**integer, "description": "with offset (deprecated) only"},
            limit=integer,
            items={"type": "array", "items": _ref("Line")},
            next_cursor={
                "type": ["string", "null"],
                "description": "pass as after for the next page; null on the last",
            },
            next={"type": ["string", "null"], "description": "the next page's URL"},
        ),
        "Forwarding": obj(
            ["kind", "target", "active"],
            kind={"type": "string", "enum": [k.value for k in ForwardingKind]},
            target=FORWARDING_TARGET,
            destination={"type": ["string", "null"], "description": "null with voicemail"},
            active=boolean,
            no_reply_timer=nullable_int,
        ),
        "ForwardingChange": {
            **obj(
                [],
                target={
                    **FORWARDING_TARGET,
                    "default": ForwardingTarget.NUMBER.value,
                    "description": "voicemail: the line's mailbox on the operator's voicemail "
                    "platform (refused, voicemail_not_configured, when the deployment has "
                    "none); number: destination is required",
                },
                destination=NUMBER,
                active=boolean,
                no_reply_timer={"type": ["integer", "null"], "minimum": 5, "maximum": 30},
            ),
            "examples": [
                {"destination": "0145678910", "active": True},
                {"target": "voicemail", "active": True},
            ],
        },
        "IncomingList": {
            **obj(
                ["entries"],
                active=boolean,
                mode={"type": "string", "enum": [m.value for m in RingMode]},
                ring_time={"type": "integer", "minimum": 5, "maximum": 60},
                entries={"type": "array", "maxItems": 5, "items": NUMBER},
            ),
            "examples": [{"entries": ["0145678910"], "mode": "cascade", "ring_time": 15}],
        },
        "LineServices": {
            "allOf": [
                _ref("Line"),
                obj(
                    ["forwardings"],
                    forwardings={"type": "array", "items": _ref("Forwarding")},
                    incoming_list={"oneOf": [_ref("IncomingList"), {"type": "null"}]},
                    groups={
                        "type": "array",
                        "items": obj(["id"], id=integer, name=string, connected=boolean),
                    },
                ),
            ]
        },
        **openapi_groups.schemas(TEXT, NUMBER),
        **openapi_calls.schemas(),
        **openapi_trunks.schemas(TEXT),
        **openapi_schedules.schemas(TEXT),
        **openapi_monitor.schemas(TEXT, NUMBER),
        **openapi_presented.schemas(TEXT),
        **openapi_contacts.schemas(TEXT),
        **openapi_criteria.schemas(NUMBER),
        **openapi_operator.schemas(TEXT, _settings()),
        **openapi_fleetio.schemas(),
    }
