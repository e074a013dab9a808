"""The routing criteria's part of the REST API's OpenAPI document (``portal.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fleet.core.criteria import (
    LINE_TARGETS,
    MAX_CRITERIA,
    MAX_NAME,
    MAX_NUMBERS,
    CallerFilter,
    CriteriaTarget,
)

Op = Callable[..., dict[str, Any]]
TARGET = {"type": "string", "enum": [t.value for t in LINE_TARGETS]}
NUMBER = {"type": "integer", "minimum": 1, "maximum": MAX_CRITERIA}


def _typed(operation: dict[str, Any]) -> dict[str, Any]:
    for param in operation["parameters"]:
        if param["name"] == "target":
            param["schema"] = TARGET
        elif param["name"] == "number":
            param["schema"] = NUMBER
    return operation


def _rule_ops(
    op: Op, json: Callable[[dict[str, Any]], dict[str, Any]], ref: Op, params: list[str], what: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    when = (
        "each criterion: during the schedule (schedule_id; for outside it, its opposite "
        "schedule) and for the callers (any; numbers: the listed ones; hidden; inside_vpn: "
        "the fleet's lines and fixed numbers; outside_vpn); the rule applies when one of its "
        f"active criteria matches, tried in order (at most {MAX_CRITERIA})"
    )
    one = [*params, "number"]
    rule = {
        "put": _typed(
            op(
                f"Set {what}'s whole list of criteria ({{criteria: [...]}}; a body of one "
                f"criterion's fields: that one alone): {when}",
                json(ref("RuleCriteria")),
                params=params,
                body="CriteriaChange",
            )
        ),
        "post": _typed(
            op(
                f"Add a criterion after {what}'s others",
                json(ref("RuleCriteria")),
                params=params,
                body="Criterion",
                ok_status="201",
            )
        ),
        "delete": _typed(
            op(
                f"Remove every criterion: {what} applies always again",
                {"description": "removed"},
                params=params,
                ok_status="204",
            )
        ),
    }
    item = {
        "put": _typed(
            op(
                f"Change criterion #number of {what}",
                json(ref("RuleCriteria")),
                params=one,
                body="Criterion",
            )
        ),
        "delete": _typed(
            op(
                f"Remove criterion #number of {what} (the later ones move up)",
                {"description": "removed"},
                params=one,
                ok_status="204",
            )
        ),
    }
    return rule, item


def paths(op: Op, json: Callable[[dict[str, Any]], dict[str, Any]], ref: Op) -> dict[str, Any]:
    line, group = ["fleet_id", "line_id"], ["fleet_id", "group_id"]
    line_rule, line_item = _rule_ops(op, json, ref, [*line, "target"], "a rule of the line")
    group_rule, group_item = _rule_ops(op, json, ref, group, "the group's routing")
    group_rule["get"] = op(
        "When the group's routing applies (otherwise the group's no-answer rule at once)",
        json(ref("RuleCriteria")),
        params=group,
    )
    base = "/api/fleets/{fleet_id}"
    return {
        f"{base}/lines/{{line_id}}/criteria": {
            "get": op(
                "When each rule of the line applies (incoming-call list, each forwarding, "
                "do-not-disturb); always true: no criteria",
                json({"type": "array", "items": ref("RuleCriteria")}),
                params=line,
            )
        },
        f"{base}/lines/{{line_id}}/criteria/{{target}}": line_rule,
        f"{base}/lines/{{line_id}}/criteria/{{target}}/{{number}}": line_item,
        f"{base}/groups/{{group_id}}/criteria": group_rule,
        f"{base}/groups/{{group_id}}/criteria/{{number}}": group_item,
    }


def schemas(number: dict[str, Any]) -> dict[str, Any]:
    callers = {"type": "string", "enum": [c.value for c in CallerFilter]}
    fields: dict[str, Any] = {
        "name": {"type": "string", "maxLength": MAX_NAME},
        "active": {"type": "boolean", "default": True},
        "schedule_id": {"type": ["integer", "null"], "minimum": 1},
        "callers": callers,
        "numbers": {"type": "array", "items": number, "maxItems": MAX_NUMBERS},
    }
    return {
        "RuleCriteria": {
            "type": "object",
            "required": ["target", "always", "criteria"],
            "properties": {
                "target": {"type": "string", "enum": [t.value for t in CriteriaTarget]},
                "always": {"type": "boolean"},
                "criteria": {
                    "type": "array",
                    "maxItems": MAX_CRITERIA,
                    "items": {
                        "type": "object",
                        "required": ["number", *fields],
                        "properties": {"number": NUMBER, **fields},
                    },
                },
            },
        },
        "Criterion": {
            "type": "object",
            "required": [],
            "properties": fields,
            "additionalProperties": False,
            "examples": [
                {"name": "Soir", "schedule_id": 1, "callers": "numbers", "numbers": ["0699000001"]},
                {"callers": "hidden", "active": False},
            ],
        },
        "CriteriaChange": {
            "type": "object",
            "required": [],
            "properties": {
                "criteria": {
                    "type": "array",
                    "maxItems": MAX_CRITERIA,
                    "items": {"$ref": "#/components/schemas/Criterion"},
                },
                **fields,
            },
            "additionalProperties": False,
            "examples": [
                {"criteria": [{"name": "Bureau", "schedule_id": 1}, {"callers": "hidden"}]},
                {"callers": "hidden"},
            ],
        },
    }
