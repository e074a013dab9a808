"""The call groups' part of the REST API's OpenAPI document (``portal.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from callgroups import rules
from fleet.core.values import DistributionMode, NoAnswerAction

Op = Callable[..., dict[str, Any]]


def paths(op: Op, json: Callable[[dict[str, Any]], dict[str, Any]], ref: Op) -> dict[str, Any]:
    fleet, group = ["fleet_id"], ["fleet_id", "group_id"]
    member = [*group, "line_id"]
    return {
        "/api/fleets/{fleet_id}/groups": {
            "get": op(
                "The fleet's call groups",
                json({"type": "array", "items": ref("Group")}),
                params=fleet,
            ),
            "post": op(
                "Create a call group (without members)",
                json(ref("Group")),
                params=fleet,
                body="GroupNew",
                ok_status="201",
                versioned=True,
            ),
        },
        "/api/fleets/{fleet_id}/groups/{group_id}": {
            "get": op(
                "A call group, its members, and its version (ETag)",
                json(ref("Group")),
                params=group,
                versioned=True,
            ),
            "patch": op(
                "Change a call group: its settings, its no-answer rule (an announcement, a "
                "number, or another group of the fleet) and its maximum queue wait",
                json(ref("Group")),
                params=group,
                body="GroupChange",
                versioned=True,
                conditional=True,
            ),
            "delete": op(
                "Delete a call group that no other group overflows to",
                {"description": "deleted"},
                params=group,
                ok_status="204",
                conditional=True,
            ),
        },
        "/api/fleets/{fleet_id}/groups/{group_id}/members": {
            "post": op(
                "Add a line of the fleet as the group's last member (If-Match: the group's "
                "version)",
                json(ref("Group")),
                params=group,
                body="MemberNew",
                ok_status="201",
                versioned=True,
                conditional=True,
            ),
        },
        "/api/fleets/{fleet_id}/groups/{group_id}/members/{line_id}": {
            "delete": op(
                "Remove a member (not the line whose number is the group's; If-Match: the "
                "group's version)",
                json(ref("Group")),
                params=member,
                versioned=True,
                conditional=True,
            ),
        },
        "/api/fleets/{fleet_id}/groups/{group_id}/members/{line_id}/connection": {
            "put": op(
                "Connect or disconnect a member (If-Match: the group's version)",
                json(ref("Group")),
                params=member,
                body="Connection",
                versioned=True,
                conditional=True,
            )
        },
    }


def schemas(text: dict[str, Any], number: dict[str, Any]) -> dict[str, Any]:
    def obj(required: list[str], **props: Any) -> dict[str, Any]:
        return {"type": "object", "required": required, "properties": props}

    integer, string, boolean = {"type": "integer"}, {"type": "string"}, {"type": "boolean"}
    distribution = {"type": "string", "enum": [d.value for d in DistributionMode]}
    no_answer = {"type": "string", "enum": [a.value for a in NoAnswerAction]}
    nullable_text = {"type": ["string", "null"], "pattern": text["pattern"]}
    fields: dict[str, Any] = {
        "number": number,
        "name": {**text, "maxLength": rules.NAME_MAX},
        "user_code": text,
        "admin_code": text,
        "queue_size": {"type": "integer", "minimum": rules.QUEUE_MIN, "maximum": rules.QUEUE_MAX},
        "switchover_delay": {
            "type": "integer",
            "minimum": rules.SWITCHOVER_MIN,
            "maximum": rules.SWITCHOVER_MAX,
        },
        "intercall_delay": {
            "type": "integer",
            "minimum": rules.INTERCALL_MIN,
            "maximum": rules.INTERCALL_MAX,
        },
        "distribution": distribution,
        "short_number": nullable_text,
        "max_queue_wait": {
            "type": "integer",
            "minimum": rules.MAX_WAIT_MIN,
            "maximum": rules.MAX_WAIT_MAX,
            "description": "seconds a caller waits in the queue at most",
        },
        "no_answer_action": {
            **no_answer,
            "description": "what the group does when nobody answers; forward_to_voicemail: "
            "the group's mailbox on the voicemail platform (refused when the deployment has "
            "none)",
        },
        "no_answer_number": {
            **nullable_text,
            "description": "the number of forward_to_number",
        },
        "no_answer_group_id": {
            "type": ["integer", "null"],
            "minimum": 1,
            "maximum": 2**31 - 1,
            "description": "another group of the same fleet, for forward_to_group",
        },
    }
    return {
        "Member": obj(
            ["line_id", "connected"],
            line_id=integer,
            msisdn=number,
            name=string,
            position=integer,
            connected=boolean,
        ),
        "Group": obj(
            ["id", "number", "name", "max_queue_wait", "no_answer_action"],
            id=integer,
            number=number,
            name=string,
            user_code=string,
            admin_code=string,
            queue_size=integer,
            switchover_delay=integer,
            intercall_delay=integer,
            distribution=distribution,
            short_number={"type": ["string", "null"]},
            max_queue_wait=integer,
            no_answer_action=no_answer,
            no_answer_number={"type": ["string", "null"]},
            no_answer_group_id={"type": ["integer", "null"]},
            any_connected=boolean,
            members={"type": "array", "maxItems": rules.MAX_MEMBERS, "items": ref_member()},
        ),
        "GroupNew": {
            **obj(["number", "name", "user_code", "admin_code"], **fields),
            "additionalProperties": False,
            "examples": [
                {
                    "number": "0145678920",
                    "name": "Accueil",
                    "user_code": "1234",
                    "admin_code": "5678",
                    "max_queue_wait": 120,
                    "no_answer_action": "end_with_announcement",
                }
            ],
        },
        "GroupChange": {
            **obj([], **fields),
            "additionalProperties": False,
            "examples": [
                {"no_answer_action": "forward_to_number", "no_answer_number": "0145678910"}
            ],
        },
        "MemberNew": {
            **obj(
                ["line_id"],
                line_id={"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
                connected=boolean,
            ),
            "additionalProperties": False,
        },
        "Connection": {**obj(["connected"], connected=boolean), "examples": [{"connected": True}]},
    }


def ref_member() -> dict[str, str]:
    return {"$ref": "#/components/schemas/Member"}
