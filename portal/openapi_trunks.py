"""The SIP trunks' part of the REST API's OpenAPI document (``portal.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fleet.core import rules, trunkrules
from fleet.core.trunks import HistoryStyle, TrunkMode, TrunkState, TrunkTransport

Op = Callable[..., dict[str, Any]]


def paths(op: Op, json: Callable[[dict[str, Any]], dict[str, Any]], ref: Op) -> dict[str, Any]:
    fleet, trunk = ["fleet_id"], ["fleet_id", "trunk_id"]
    return {
        "/api/fleets/{fleet_id}/trunks": {
            "get": op(
                "The fleet's SIP trunks, with their state",
                json({"type": "array", "items": ref("Trunk")}),
                params=fleet,
            ),
            "post": op(
                "Add a SIP trunk (a static trunk needs the PBX's host; a registration trunk a "
                "username, realm and secret)",
                json(ref("Trunk")),
                params=fleet,
                body="TrunkNew",
                ok_status="201",
                versioned=True,
            ),
        },
        "/api/fleets/{fleet_id}/trunks/{trunk_id}": {
            "get": op(
                "A SIP trunk and its state; its ETag is the version of its settings (the "
                "state the keepalive finds and the secret are not part of it)",
                json(ref("Trunk")),
                params=trunk,
                versioned=True,
            ),
            "patch": op(
                "Change a SIP trunk (null clears host, port, username, realm, secret)",
                json(ref("Trunk")),
                params=trunk,
                body="TrunkChange",
                versioned=True,
                conditional=True,
            ),
            "delete": op(
                "Remove a SIP trunk that no fixed number names",
                {"description": "removed"},
                params=trunk,
                ok_status="204",
                conditional=True,
            ),
        },
    }


def schemas(text: dict[str, Any]) -> dict[str, Any]:
    def enum(values: type[TrunkMode | TrunkTransport | HistoryStyle | TrunkState]) -> Any:
        return {"type": "string", "enum": [v.value for v in values]}

    def nullable(limit: int) -> dict[str, Any]:
        return {"type": ["string", "null"], "pattern": text["pattern"], "maxLength": limit}

    port = {
        "type": ["integer", "null"],
        "minimum": trunkrules.PORT_MIN,
        "maximum": trunkrules.PORT_MAX,
    }
    fields: dict[str, Any] = {
        "name": {**text, "maxLength": rules.TRUNK_NAME_MAX},
        "mode": enum(TrunkMode),
        "host": nullable(trunkrules.HOST_MAX),
        "port": port,
        "transport": enum(TrunkTransport),
        "username": nullable(trunkrules.USERNAME_MAX),
        "realm": nullable(trunkrules.USERNAME_MAX),
        "secret": {**nullable(trunkrules.SECRET_MAX), "description": "never answered back"},
        "history": enum(HistoryStyle),
    }
    shown = {k: v for k, v in fields.items() if k != "secret"}
    return {
        "Trunk": {
            "type": "object",
            "required": ["id", "name", "mode", "transport", "state", "has_secret"],
            "properties": {
                "id": {"type": "integer"},
                **shown,
                "has_secret": {"type": "boolean"},
                "state": enum(TrunkState),
                "state_since": {"type": ["string", "null"]},
            },
        },
        "TrunkNew": {
            "type": "object",
            "required": ["name"],
            "properties": fields,
            "additionalProperties": False,
            "examples": [{"name": "trunk-lyon", "host": "pbx.example.com", "port": 5060}],
        },
        "TrunkChange": {
            "type": "object",
            "required": [],
            "properties": fields,
            "additionalProperties": False,
            "examples": [{"history": "diversion"}],
        },
    }
