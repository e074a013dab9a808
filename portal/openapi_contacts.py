"""The company directory's part of the REST API's OpenAPI document (``portal.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fleet.core import contacts as rules
from fleet.services.phonebook import OFFSET_MAX, PAGE_MAX, SEARCH_MAX, EntryKind

Op = Callable[..., dict[str, Any]]
E164 = {"type": "string", "pattern": r"^\+[1-9][0-9]{3,14}$"}


def paths(op: Op, json: Callable[[dict[str, Any]], dict[str, Any]], ref: Op) -> dict[str, Any]:
    fleet, one = ["fleet_id"], ["fleet_id", "contact_id"]
    search = op(
        "The company directory: the fleet's lines, fixed numbers, call groups and external "
        "contacts, by name; q finds a name or company, a number or a short number",
        json(ref("DirectoryPage")),
        params=fleet,
    )
    search["parameters"] += [
        {
            "name": "q",
            "in": "query",
            "required": False,
            "schema": {"type": "string", "maxLength": SEARCH_MAX, "pattern": r"^[^\u0000]*$"},
        },
        {
            "name": "offset",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 0, "maximum": OFFSET_MAX},
        },
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": PAGE_MAX},
        },
    ]
    return {
        "/api/fleets/{fleet_id}/contacts": {
            "get": op(
                "The external contacts of the fleet's directory, by name",
                json({"type": "array", "items": ref("Contact")}),
                params=fleet,
            ),
            "post": op(
                f"Add an external contact (at most {rules.MAX_CONTACTS_PER_FLEET} a fleet); its "
                "abbreviated number, dialled from every line of the fleet, is free of the "
                "fleet's short numbers",
                json(ref("Contact")),
                params=fleet,
                body="ContactNew",
                ok_status="201",
            ),
        },
        "/api/fleets/{fleet_id}/contacts/{contact_id}": {
            "get": op("An external contact", json(ref("Contact")), params=one),
            "patch": op(
                "Change an external contact (an empty or null abbreviated removes it)",
                json(ref("Contact")),
                params=one,
                body="ContactPatch",
            ),
            "delete": op(
                "Remove an external contact",
                {"description": "removed"},
                params=one,
                ok_status="204",
            ),
        },
        "/api/fleets/{fleet_id}/directory": {"get": search},
    }


def schemas(text: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "name": {**text, "minLength": 1, "maxLength": rules.NAME_MAX},
        "company": {**text, "maxLength": rules.COMPANY_MAX},
        "number": {**text, "description": "national (04 78 00 00 01) or E.164"},
        "abbreviated": {
            "type": ["string", "null"],
            "pattern": r"^(##)?[0-9]*$",
            "description": "digits of the fleet's short-number length, 700–869 scaled to it",
        },
        "notes": {**text, "maxLength": rules.NOTES_MAX},
    }
    return {
        "Contact": {
            "type": "object",
            "required": ["id", "name", "company", "number", "abbreviated", "notes"],
            "properties": {"id": {"type": "integer"}, **fields, "number": E164},
        },
        "ContactNew": {
            "type": "object",
            "required": ["name", "number"],
            "properties": fields,
            "additionalProperties": False,
            "examples": [
                {"name": "Garage Martin", "number": "04 78 00 00 01", "abbreviated": "7001"}
            ],
        },
        "ContactPatch": {
            "type": "object",
            "required": [],
            "properties": fields,
            "additionalProperties": False,
            "examples": [{"abbreviated": None}],
        },
        "DirectoryPage": {
            "type": "object",
            "required": ["entries", "total", "offset", "limit"],
            "properties": {
                "entries": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["kind", "id", "name", "company", "number", "short_number"],
                        "properties": {
                            "kind": {"type": "string", "enum": [k.value for k in EntryKind]},
                            "id": {"type": "integer"},
                            "name": {"type": "string"},
                            "company": {"type": "string"},
                            "number": E164,
                            "short_number": {"type": ["string", "null"]},
                        },
                    },
                },
                "total": {"type": "integer"},
                "offset": {"type": "integer"},
                "limit": {"type": "integer"},
            },
        },
    }
