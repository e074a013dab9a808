"""The schedules' part of the REST API's OpenAPI document (``portal.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fleet.core import schedules as sch
from fleet.core.schedules import Rule, Weekday

Op = Callable[..., dict[str, Any]]
CLOCK = {"type": "string", "pattern": r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$|^24:00$"}
DATE = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "YYYY-MM-DD"}


def paths(op: Op, json: Callable[[dict[str, Any]], dict[str, Any]], ref: Op) -> dict[str, Any]:
    fleet, one = ["fleet_id"], ["fleet_id", "schedule_id"]
    verdict = op(
        "Whether the schedule is open at an instant (now by default), on the fleet's wall "
        "clock, and which rule said so",
        json(ref("ScheduleVerdict")),
        params=one,
    )
    verdict["parameters"].append(
        {
            "name": "at",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "pattern": r"^[^\u0000]*$"},
            "description": "an ISO 8601 instant with its offset (2026-12-07T09:30:00+01:00)",
        }
    )
    return {
        "/api/fleets/{fleet_id}/schedules": {
            "get": op(
                "The fleet's schedules (opposite schedules with their source's ranges)",
                json({"type": "array", "items": ref("Schedule")}),
                params=fleet,
            ),
            "post": op(
                f"Create a schedule: at most {sch.MAX_RANGES_PER_DAY} ranges a day that do not "
                f"overlap, {sch.MAX_SCHEDULES_PER_FLEET} schedules a fleet; with_opposite also "
                "creates its opposite, named non-…",
                json(ref("Schedule")),
                params=fleet,
                body="ScheduleNew",
                ok_status="201",
            ),
        },
        "/api/fleets/{fleet_id}/schedules/{schedule_id}": {
            "get": op("A schedule", json(ref("Schedule")), params=one),
            "patch": op(
                "Change a schedule (an opposite schedule may only be renamed)",
                json(ref("Schedule")),
                params=one,
                body="SchedulePatch",
            ),
            "delete": op(
                "Delete a schedule (its opposite with it)",
                {"description": "deleted"},
                params=one,
                ok_status="204",
            ),
        },
        "/api/fleets/{fleet_id}/schedules/{schedule_id}/verdict": {"get": verdict},
    }


def schemas(text: dict[str, Any]) -> dict[str, Any]:
    day = {"type": "string", "enum": [d.name.lower() for d in Weekday]}
    time_range = {
        "type": "object",
        "required": ["day", "start", "end"],
        "properties": {"day": day, "start": CLOCK, "end": CLOCK},
        "additionalProperties": False,
    }
    holiday = {
        "type": "object",
        "required": ["first"],
        "properties": {
            "label": {**text, "maxLength": sch.LABEL_MAX},
            "first": DATE,
            "last": {**DATE, "description": "the first day when absent"},
            "yearly": {"type": "boolean"},
        },
        "additionalProperties": False,
    }
    fields: dict[str, Any] = {
        "name": {**text, "minLength": 1, "maxLength": sch.NAME_MAX},
        "ranges": {"type": "array", "items": time_range},
        "holidays": {"type": "array", "items": holiday, "maxItems": sch.MAX_HOLIDAYS},
    }
    return {
        "Schedule": {
            "type": "object",
            "required": ["id", "name", "opposite_of", "ranges", "holidays"],
            "properties": {
                "id": {"type": "integer"},
                **fields,
                "opposite_of": {"type": ["integer", "null"]},
            },
        },
        "ScheduleNew": {
            "type": "object",
            "required": ["name"],
            "properties": {**fields, "with_opposite": {"type": "boolean"}},
            "additionalProperties": False,
            "examples": [
                {
                    "name": "Horaire du magasin",
                    "ranges": [
                        {"day": "monday", "start": "09:00", "end": "12:00"},
                        {"day": "monday", "start": "13:00", "end": "17:00"},
                    ],
                    "holidays": [{"label": "Noël", "first": "2026-12-25", "yearly": True}],
                    "with_opposite": True,
                }
            ],
        },
        "SchedulePatch": {
            "type": "object",
            "required": [],
            "properties": fields,
            "additionalProperties": False,
            "examples": [{"name": "Magasin"}],
        },
        "ScheduleVerdict": {
            "type": "object",
            "required": ["open", "rule", "local_time", "inverted"],
            "properties": {
                "open": {"type": "boolean"},
                "rule": {"type": "string", "enum": [r.value for r in Rule]},
                "local_time": {"type": "string"},
                "inverted": {"type": "boolean"},
                "range": {
                    "type": ["object", "null"],
                    "properties": {"start": CLOCK, "end": CLOCK},
                },
                "holiday": {"type": ["string", "null"]},
            },
        },
    }
