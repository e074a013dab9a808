"""The bulk import and export part of the REST API's OpenAPI document (``portal.openapi``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fleet.services.fleetio_csv import COLUMNS
from fleet.services.fleetio_spec import Action, Format

Op = Callable[..., dict[str, Any]]
FORMAT = {
    "name": "format",
    "in": "query",
    "schema": {"type": "string", "enum": [f.value for f in Format]},
    "description": "csv: the lines; json: the whole configuration",
}
DRY_RUN = {
    "name": "dry_run",
    "in": "query",
    "schema": {"type": "string", "enum": ["true", "false", "1", "0"]},
    "description": "true: check and preview, write nothing",
}
CSV_TEXT = {
    "type": "string",
    "description": "UTF-8 (with or without BOM), ';' or ',', a header row naming columns of: "
    + ", ".join(COLUMNS),
}


def paths(op: Op, json: Callable[[dict[str, Any]], dict[str, Any]], ref: Op) -> dict[str, Any]:
    export = op(
        "Export the fleet: its lines as CSV, or its whole configuration as JSON (no secret)",
        {
            "description": "the file",
            "headers": {"Content-Disposition": {"schema": {"type": "string"}}},
            "content": {
                "text/csv": {"schema": CSV_TEXT},
                "application/json": {"schema": ref("FleetConfiguration")},
            },
        },
        params=["fleet_id"],
    )
    export["parameters"].append(FORMAT)
    report = json(ref("ImportReport"))
    imported = op(
        "Import a CSV of lines or a JSON configuration: every row checked first, nothing "
        "written unless all pass (422 lists every faulty row); the same file twice changes "
        "nothing; lines absent from the file are left alone",
        {**report, "description": "applied, previewed (dry_run), or nothing to change"},
        params=["fleet_id"],
    )
    imported["parameters"] += [FORMAT, DRY_RUN]
    imported["requestBody"] = {
        "required": True,
        "content": {
            "text/csv": {"schema": CSV_TEXT},
            "application/json": {"schema": ref("FleetConfiguration")},
        },
    }
    imported["responses"]["422"] = {
        "description": "faulty rows (every one in faults); nothing written",
        "content": {"application/problem+json": {"schema": ref("ImportProblem")}},
    }
    imported["responses"]["413"] = imported["responses"]["400"]
    return {
        "/api/fleets/{fleet_id}/export": {"get": export},
        "/api/fleets/{fleet_id}/import": {"post": imported},
    }


def schemas() -> dict[str, Any]:
    where = {
        "line": {"type": ["integer", "null"], "description": "CSV line (the header is 1)"},
        "path": {"type": ["string", "null"], "description": "JSON path, e.g. lines[3]"},
    }
    section = {"type": "array", "items": {"type": "object"}}
    return {
        "FleetConfiguration": {
            "type": "object",
            "description": "format fleetpbx.fleet version 1 (README: Import and export)",
            "properties": {
                "format": {"type": "string"},
                "version": {"type": "integer"},
                "fleet": {
                    "type": "object",
                    "description": "for information, but main_number (imported; null: left)",
                },
                "schedules": section,
                "trunks": section,
                "fixed_numbers": section,
                "lines": section,
                "groups": section,
                "criteria": section,
                "contacts": section,
            },
        },
        "ImportProblem": {
            "allOf": [
                {"$ref": "#/components/schemas/Problem"},
                {"$ref": "#/components/schemas/ImportReport"},
            ]
        },
        "ImportReport": {
            "type": "object",
            "required": ["applied", "created", "updated", "unchanged", "changes", "faults"],
            "properties": {
                "applied": {"type": "boolean"},
                "created": {"type": "integer"},
                "updated": {"type": "integer"},
                "unchanged": {"type": "integer"},
                "changes": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["entity", "key", "action", "fields"],
                        "properties": {
                            **where,
                            "entity": {"type": "string"},
                            "key": {"type": "string"},
                            "action": {"type": "string", "enum": [a.value for a in Action]},
                            "fields": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
                "faults": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            **where,
                            "code": {"type": "string"},
                            "field": {"type": ["string", "null"]},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        },
    }
