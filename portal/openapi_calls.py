"""The call logs' and audit journal's part of the REST API's OpenAPI document
(``portal.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fleet.core.values import CallOutcome, Channel, SessionCase
from fleet.services.audit import PAGE_MAX as AUDIT_PAGE_MAX
from fleet.services.calls import PAGE_MAX

Op = Callable[..., dict[str, Any]]
ID = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
WHEN = {
    "type": "string",
    "pattern": r"^([0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.]+([+-][0-9]{2}:?[0-9]{2}|Z)?)?)?$",
    "description": "a date (a day in the fleet's time zone) or an ISO-8601 time; empty: none",
}


def _query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "schema": schema}
    return {**parameter, "description": description} if description else parameter


def _log_parameters(path: list[str]) -> list[dict[str, Any]]:
    return [
        *({"name": p, "in": "path", "required": True, "schema": ID} for p in path),
        _query(
            "number",
            {"type": "string", "pattern": r"^[0-9+ .()-]{0,32}$"},
            "calls this number took part in (as caller or called); empty: any",
        ),
        _query("since", WHEN, "offered at or after (a date: from the start of that day)"),
        _query("until", WHEN, "offered before (a date: up to the end of that day)"),
        _query(
            "outcome",
            {"type": "string", "enum": ["", *(o.value for o in CallOutcome)]},
            "empty: any",
        ),
        _query("limit", {"type": "integer", "minimum": 1, "maximum": PAGE_MAX}),
        _query(
            "cursor",
            {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,200}$"},
            "the next_cursor of the previous page",
        ),
        _query(
            "format",
            {"type": "string", "enum": ["json", "csv"]},
            "csv: every call of the filter as CSV (as Accept: text/csv)",
        ),
    ]


def _log(
    op: Op, json: Callable[[dict[str, Any]], dict[str, Any]], ref: Op, summary: str, path: list[str]
) -> dict[str, Any]:
    ok = json(ref("CallPage"))
    ok["content"]["text/csv"] = {
        "schema": {
            "type": "string",
            "description": "UTF-8 (with BOM), ';'-separated, a header row; times in the "
            "fleet's time zone, national numbers with their leading 0",
        }
    }
    return {**op(summary, ok, params=path), "parameters": _log_parameters(path)}


def paths(op: Op, json: Callable[[dict[str, Any]], dict[str, Any]], ref: Op) -> dict[str, Any]:
    fleet, line = ["fleet_id"], ["fleet_id", "line_id"]
    return {
        "/api/fleets/{fleet_id}/calls": {
            "get": _log(
                op, json, ref, "The fleet's call log, newest first, searched and paged", fleet
            )
        },
        "/api/fleets/{fleet_id}/lines/{line_id}/calls": {
            "get": _log(op, json, ref, "A line's call log, newest first, searched and paged", line)
        },
        "/api/fleets/{fleet_id}/audit": {
            "get": {
                **op(
                    "The fleet's audit journal, newest first", json(ref("AuditPage")), params=fleet
                ),
                "parameters": [
                    {"name": "fleet_id", "in": "path", "required": True, "schema": ID},
                    _query("offset", {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}),
                    _query("limit", {"type": "integer", "minimum": 1, "maximum": AUDIT_PAGE_MAX}),
                ],
            }
        },
    }


def schemas() -> dict[str, Any]:
    def obj(required: list[str], **props: Any) -> dict[str, Any]:
        return {"type": "object", "required": required, "properties": props}

    string, integer = {"type": "string"}, {"type": "integer"}
    time = {"type": "string", "description": "ISO-8601 with the fleet's offset"}
    maybe_time = {"type": ["string", "null"], "description": time["description"]}
    change = {"type": ["object", "null"]}
    return {
        "Call": obj(
            ["call_id", "offered_at", "called", "outcome", "events"],
            call_id=string,
            offered_at=time,
            answered_at=maybe_time,
            released_at=maybe_time,
            caller={"type": ["string", "null"], "description": "null: the caller hid its number"},
            called=string,
            outcome={
                "type": ["string", "null"],
                "enum": [*(o.value for o in CallOutcome), None],
                "description": "null while the call is not over",
            },
            duration={"type": ["integer", "null"], "description": "seconds of conversation"},
            events={"type": "array", "items": string},
            session_case={
                "type": "string",
                "enum": [c.value for c in SessionCase],
                "description": "which visit to FleetPBX this record is of (a call between two "
                "lines over the mobile core visits twice: originating, then terminating)",
            },
            correlation_id={
                "type": ["string", "null"],
                "description": "the same on every visit of one call (SIP: the ICID)",
            },
            caller_network_id={
                "type": ["string", "null"],
                "description": "the caller's leg in the network (SIP: its Call-ID)",
            },
            callee_network_id={
                "type": ["string", "null"],
                "description": "the answered (else the last) callee leg's Call-ID",
            },
        ),
        "CallPage": obj(
            ["items", "next_cursor"],
            items={"type": "array", "items": {"$ref": "#/components/schemas/Call"}},
            next_cursor={"type": ["string", "null"]},
        ),
        "AuditEntry": obj(
            ["id", "at", "actor", "channel", "entity", "entity_id", "action"],
            id=integer,
            at=time,
            actor=string,
            channel={"type": "string", "enum": [c.value for c in Channel]},
            entity=string,
            entity_id=string,
            action=string,
            before=change,
            after=change,
        ),
        "AuditPage": obj(
            ["total", "offset", "limit", "items"],
            total=integer,
            offset=integer,
            limit=integer,
            items={"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}},
        ),
    }
