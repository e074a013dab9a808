"""The activity monitor's part of the REST API's OpenAPI document (``portal.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fleet.core.activity import LiveSource, MemberState
from fleet.core.schedules import Rule, Weekday

Op = Callable[..., dict[str, Any]]
CLOCK = {"type": "string", "pattern": r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$|^24:00$"}
INSTANT = {"type": "string", "description": "ISO 8601 with its offset"}


def paths(op: Op, json: Callable[[dict[str, Any]], dict[str, Any]], ref: Op) -> dict[str, Any]:
    return {
        "/api/fleets/{fleet_id}/monitor": {
            "get": op(
                "The fleet's live activity: each call group's members (connected, ringing, in "
                "a call, resting and until when), its queue and longest wait, and each "
                "schedule's verdict now. groups is null on a process that does not own the "
                "fleet's calls (live.source says where they are)",
                json(ref("Monitor")),
                params=["fleet_id"],
            )
        },
        "/api/fleets/{fleet_id}/groups/{group_id}/monitor": {
            "get": op(
                "One call group's live activity (the fleet's schedules with it)",
                json(ref("Monitor")),
                params=["fleet_id", "group_id"],
            )
        },
    }


def schemas(text: dict[str, Any], number: dict[str, Any]) -> dict[str, Any]:
    def obj(required: list[str], **props: Any) -> dict[str, Any]:
        return {"type": "object", "required": required, "properties": props}

    integer, boolean = {"type": "integer"}, {"type": "boolean"}
    nullable_instant = {**INSTANT, "type": ["string", "null"]}
    member = obj(
        ["line_id", "msisdn", "name", "position", "connected", "state", "rest_until"],
        line_id=integer,
        msisdn=number,
        name=text,
        position=integer,
        connected=boolean,
        state={"type": "string", "enum": [s.value for s in MemberState]},
        rest_until={**nullable_instant, "description": "end of the inter-call delay to come"},
    )
    schedule = obj(
        ["id", "name", "open", "rule", "opposite_of", "range", "holiday"],
        id=integer,
        name=text,
        open=boolean,
        rule={"type": "string", "enum": [r.value for r in Rule]},
        opposite_of={"type": ["integer", "null"]},
        range={
            "type": ["object", "null"],
            "properties": {
                "day": {"type": "string", "enum": [d.name.lower() for d in Weekday]},
                "start": CLOCK,
                "end": CLOCK,
            },
        },
        holiday={"type": ["string", "null"]},
    )
    group = obj(
        ["id", "name", "number", "queue_length", "queue_size", "members"],
        id=integer,
        name=text,
        number=number,
        short_number={"type": ["string", "null"]},
        queue_length=integer,
        queue_size=integer,
        waiting_since=nullable_instant,
        longest_wait_seconds={"type": ["integer", "null"]},
        schedule={"oneOf": [{"$ref": "#/components/schemas/MonitorSchedule"}, {"type": "null"}]},
        members={"type": "array", "items": {"$ref": "#/components/schemas/MonitorMember"}},
    )
    return {
        "MonitorMember": member,
        "MonitorSchedule": schedule,
        "MonitorGroup": group,
        "Monitor": obj(
            ["fleet_id", "at", "local_time", "timezone", "live", "groups", "schedules"],
            fleet_id=integer,
            at=INSTANT,
            local_time=INSTANT,
            timezone=text,
            live=obj(
                ["source", "owner_process"],
                source={"type": "string", "enum": [s.value for s in LiveSource]},
                owner_process={"type": ["string", "null"]},
            ),
            groups={
                "type": ["array", "null"],
                "items": {"$ref": "#/components/schemas/MonitorGroup"},
            },
            schedules={
                "type": "array",
                "items": {"$ref": "#/components/schemas/MonitorSchedule"},
            },
        ),
    }
