"""``GET /api/fleets/{fleet_id}/lines``: a fleet's lines by name, searched (``q``) and paged
by keyset, as the portal's lines page (``fleet.services.linebrowse``).

A page holds ``limit`` lines and, when more follow, ``next_cursor``, an opaque text to pass
as ``after`` for the next page, and ``next``, the URL of that page (search and limit kept);
both are null on the last page. Page 2,000 of a 100,000-line fleet costs what page 1 does.
``total`` is the number of lines that match: exact for the whole fleet, counted up to 1,000
for a search (``total_exact`` false: more than ``total`` match). A malformed ``after`` is
refused with 400 ``cursor_invalid``; one of the documented shape that this API did not give
with 422 ``cursor_invalid``, as the call log's cursor (a request the schema allows is never
refused as malformed).

``offset`` (deprecated, kept for the clients written before keyset paging): skips that many
lines and answers ``offset`` instead of the cursors, with an exact count; its cost grows with
the offset. ``offset`` and ``after`` cannot be combined (422)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from fleet.core.errors import DomainError
from fleet.services.linebrowse import Cursor, LineSlice
from fleet.services.lines import PAGE_MAX
from portal.api import Problem, _fleet_id, _manager, _query_int
from portal.openapi import CURSOR_PATTERN, OFFSET_MAX
from portal.pages import SERVICES
from portal.resources import line_json
from portal.security import storable


async def lines(request: web.Request) -> web.Response:
    account = await _manager(request)
    fleet_id = _fleet_id(request, account)
    limit = _query_int(request, "limit", 50, 1, PAGE_MAX)
    search = request.query.get("q")
    if search is not None and not storable(search):
        raise Problem(400, "invalid_query", "q: text without NUL characters", "q")
    service = request.app[SERVICES].lines
    if "offset" in request.query:
        if "after" in request.query:
            # each of the right shape (the schema cannot say "not both"): 422, not 400
            raise Problem(422, "invalid_query", "offset: not with after", "offset")
        offset = _query_int(request, "offset", 0, 0, OFFSET_MAX)
        page = await service.search(fleet_id, search=search, offset=offset, limit=limit)
        return web.json_response(
            {
                "total": page.total,
                "offset": page.offset,
                "limit": page.limit,
                "items": [line_json(line) for line in page.items],
            }
        )
    after = _cursor(request)
    found = await service.browse(fleet_id, search=search, after=after, limit=limit)
    return web.json_response(_page_json(request, found, search=search, limit=limit))


def _cursor(request: web.Request) -> Cursor | None:
    """The ``after`` cursor: malformed (not the documented base64url text), 400; of the
    documented shape but not one this API gave, 422 (as the call log's cursor)."""
    text = request.query.get("after")
    if text is None:
        return None
    try:
        return Cursor.decode(text)
    except DomainError as exc:
        status = 422 if re.fullmatch(CURSOR_PATTERN, text) else 400
        raise Problem(status, exc.code.value, "after: not a cursor this API gave", "after") from exc


def _page_json(
    request: web.Request, found: LineSlice, *, search: str | None, limit: int
) -> dict[str, Any]:
    cursor = found.after.encode() if found.after is not None else None
    following = None
    if cursor is not None:
        query = {**({"q": search} if search else {}), "limit": str(limit), "after": cursor}
        following = f"{request.path}?{urlencode(query)}"
    return {
        "total": found.total,
        "total_exact": not found.more,
        "limit": limit,
        "items": [line_json(line) for line in found.items],
        "next_cursor": cursor,
        "next": following,
    }
