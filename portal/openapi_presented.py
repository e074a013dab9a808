"""The presented number's part of the REST API's OpenAPI document (``portal.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fleet.core.presented import PresentedKind

Op = Callable[..., dict[str, Any]]
KIND = {"type": "string", "enum": [k.value for k in PresentedKind]}
GROUP_ID = {"type": ["integer", "null"], "minimum": 1, "maximum": 2**31 - 1}


def paths(op: Op, json: Callable[[dict[str, Any]], dict[str, Any]], ref: Op) -> dict[str, Any]:
    fleet, line = ["fleet_id"], ["fleet_id", "line_id"]
    return {
        "/api/fleets/{fleet_id}/main-number": {
            "get": op("The fleet's main number", json(ref("MainNumber")), params=fleet),
            "put": op(
                "Set the fleet's main number (one of its lines, groups or fixed numbers) or "
                "clear it (null)",
                json(ref("MainNumber")),
                params=fleet,
                body="MainNumberChange",
            ),
        },
        "/api/fleets/{fleet_id}/lines/{line_id}/presented": {
            "get": op(
                "What the line's outgoing calls present, with the choices it is allowed",
                json(ref("Presented")),
                params=line,
            ),
            "put": op(
                "Choose what the line's outgoing calls present: line, main (once the fleet has "
                "a main number) or group (a group the line is a member of)",
                json(ref("Presented")),
                params=line,
                body="PresentedChoice",
            ),
        },
    }


def schemas(text: dict[str, Any]) -> dict[str, Any]:
    nullable_text = {"type": ["string", "null"], "pattern": text["pattern"]}
    choice = {
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": KIND, "group_id": GROUP_ID},
        "additionalProperties": False,
    }
    return {
        "MainNumber": {
            "type": "object",
            "required": ["main_number"],
            "properties": {
                "main_number": {"type": ["string", "null"]},
                "national": {"type": ["string", "null"]},
            },
        },
        "MainNumberChange": {
            "type": "object",
            "required": ["main_number"],
            "properties": {"main_number": nullable_text},
            "additionalProperties": False,
            "examples": [{"main_number": "0145678910"}],
        },
        "PresentedChoice": {**choice, "examples": [{"kind": "main"}]},
        "Presented": {
            "type": "object",
            "required": ["kind", "choices"],
            "properties": {
                "kind": KIND,
                "group_id": GROUP_ID,
                "choices": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["kind", "number"],
                        "properties": {
                            "kind": KIND,
                            "group_id": GROUP_ID,
                            "number": {"type": "string"},
                        },
                    },
                },
            },
        },
    }
