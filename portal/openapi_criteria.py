"""The routing criteria's part of the REST API's OpenAPI document (``portal.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fleet.core.criteria import LINE_TARGETS, MAX_NUMBERS, CallerFilter, CriteriaTarget

Op = Callable[..., dict[str, Any]]
TARGET = {"type": "string", "enum": [t.value for t in LINE_TARGETS]}


def _with_target(operation: dict[str, Any]) -> dict[str, Any]:
    for param in operation["parameters"]:
        if param["name"] == "target":
            param["schema"] = TARGET
    return operation


def paths(op: Op, json: Callable[[dict[str, Any]], dict[str, Any]], ref: Op) -> dict[str, Any]:
    line, group = ["fleet_id", "line_id"], ["fleet_id", "group_id"]
    rule = [*line, "target"]
    when = (
        "during the schedule (schedule_id; for outside it, its opposite schedule) and for the "
        "callers (any; numbers: the listed ones; hidden; inside_vpn: the fleet's lines and "
        "fixed numbers; outside_vpn)"
    )
    return {
        "/api/fleets/{fleet_id}/lines/{line_id}/criteria": {
            "get": op(
                "When each rule of the line applies (incoming-call list, each forwarding, "
                "do-not-disturb); always true: no criteria",
                json({"type": "array", "items": ref("Criteria")}),
                params=line,
            )
        },
        "/api/fleets/{fleet_id}/lines/{line_id}/criteria/{target}": {
            "put": _with_target(
                op(
                    f"Set when a rule of the line applies: {when}",
                    json(ref("Criteria")),
                    params=rule,
                    body="CriteriaChange",
                )
            ),
            "delete": _with_target(
                op(
                    "The rule applies always again",
                    {"description": "removed"},
                    params=rule,
                    ok_status="204",
                )
            ),
        },
        "/api/fleets/{fleet_id}/groups/{group_id}/criteria": {
            "get": op("When the group's routing applies", json(ref("Criteria")), params=group),
            "put": op(
                f"Set when the group's routing applies: {when}; otherwise the group's "
                "no-answer rule applies at once",
                json(ref("Criteria")),
                params=group,
                body="CriteriaChange",
            ),
            "delete": op(
                "The group's routing applies always again",
                {"description": "removed"},
                params=group,
                ok_status="204",
            ),
        },
    }


def schemas(number: dict[str, Any]) -> dict[str, Any]:
    callers = {"type": "string", "enum": [c.value for c in CallerFilter]}
    fields: dict[str, Any] = {
        "schedule_id": {"type": ["integer", "null"], "minimum": 1},
        "callers": callers,
        "numbers": {"type": "array", "items": number, "maxItems": MAX_NUMBERS},
    }
    return {
        "Criteria": {
            "type": "object",
            "required": ["target", "always", "schedule_id", "callers", "numbers"],
            "properties": {
                "target": {"type": "string", "enum": [t.value for t in CriteriaTarget]},
                "always": {"type": "boolean"},
                **fields,
            },
        },
        "CriteriaChange": {
            "type": "object",
            "required": [],
            "properties": fields,
            "additionalProperties": False,
            "examples": [
                {"schedule_id": 1, "callers": "numbers", "numbers": ["0699000001"]},
                {"callers": "hidden"},
            ],
        },
    }
