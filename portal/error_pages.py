"""The portal's refusals and errors as pages (a 403, a 404…) in the portal's layout, with
its navigation and in the page's language, rather than a browser's bare text; the reason
the handler gave is kept on the page. The API's answers are not touched (problem JSON)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from portal.pages import render

KEPT_HEADERS = ("Retry-After", "Allow", "WWW-Authenticate")


@web.middleware
async def html_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    if not request.path.startswith("/portal/"):
        response: web.StreamResponse = await handler(request)
        return response
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type != "text/plain":
            raise
        page = await render(
            request,
            "error.html",
            None,
            status=exc.status,
            code=exc.status,
            reason=exc.reason,
            detail=exc.text or "",
        )
        for name in KEPT_HEADERS:
            if name in exc.headers:
                page.headers[name] = exc.headers[name]
        return page
    return response
