"""The JSON representations of the API's resources (lines, forwardings, incoming lists, call
groups), shared by the API's modules and by the portal's forms, whose versions
(``portal.etags``) are the versions of these representations."""

from __future__ import annotations

from typing import Any

from fleet.core import model
from fleet.core.linesettings import LINE_SETTINGS


def line_json(line: model.Line) -> dict[str, Any]:
    return {
        "id": line.id,
        "msisdn": line.msisdn.value,
        "national": line.msisdn.national(),
        "short_number": line.short_number,
        "employee_name": line.employee_name,
        "email": line.email,
        "language": line.language.value,
        **{setting.name: setting.of(line) for setting in LINE_SETTINGS},
        "presented": {"kind": line.presented.kind.value, "group_id": line.presented.group_id},
    }


def forwarding_json(rule: model.Forwarding) -> dict[str, Any]:
    return {
        "kind": rule.kind.value,
        "target": rule.target.value,
        "destination": rule.destination.value if rule.destination else None,
        "active": rule.active,
        "no_reply_timer": rule.no_reply_timer,
    }


def incoming_json(plan: model.IncomingList) -> dict[str, Any]:
    return {
        "active": plan.active,
        "mode": plan.mode.value,
        "ring_time": plan.ring_time,
        "entries": [e.value for e in plan.entries],
    }


def services_json(line: model.LineServices) -> dict[str, Any]:
    plan = line.incoming_list
    return {
        **line_json(line.line),
        "forwardings": [forwarding_json(f) for f in line.forwardings],
        "incoming_list": None if plan is None else incoming_json(plan),
        "groups": [
            {"id": g.group_id, "name": g.group_name, "connected": g.connected} for g in line.groups
        ],
    }


def group_json(group: model.CallGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "number": group.number.value,
        "name": group.name,
        "user_code": group.user_code,
        "admin_code": group.admin_code,
        "queue_size": group.queue_size,
        "switchover_delay": group.switchover_delay,
        "intercall_delay": group.intercall_delay,
        "distribution": group.distribution.value,
        "short_number": group.short_number,
        "max_queue_wait": group.max_queue_wait,
        "no_answer_action": group.no_answer_action.value,
        "no_answer_number": group.no_answer_number.value if group.no_answer_number else None,
        "no_answer_group_id": group.no_answer_group_id,
        "any_connected": group.any_connected,
        "members": [
            {
                "line_id": m.line_id,
                "msisdn": m.msisdn.value,
                "name": m.employee_name,
                "position": m.position,
                "connected": m.connected,
            }
            for m in group.members
        ],
    }
