"""Versions (``ETag`` / ``If-Match``, ``portal.etags``) of the provisioning API's resources:
fleets, fixed numbers, accounts (a fleet's and the operators') and SIP trunks, as lines and
call groups have theirs (``portal.api_lines``, ``portal.api_groups``).

A read of one of them answers its ``ETag``; a change (or a removal, or a new password) that
sends ``If-Match`` without the current version is refused with 412 and writes nothing. The
version is checked under the resource's lock, held until the change is made. Without
``If-Match``, or with ``If-Match: *``, the change is made as before."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from aiohttp import web

from portal import etags
from portal.api import Problem

T = TypeVar("T")


def trunk_version(representation: dict[str, Any]) -> dict[str, Any]:
    """What a trunk's version covers: its settings, not the state the keepalive finds (a
    probe changes no one's setting, so it must not make a change fail). The Digest secret is
    never shown: a new secret leaves the version as it is (``has_secret`` aside)."""
    return {k: v for k, v in representation.items() if k not in ("state", "state_since")}


def answer(
    representation: Any,
    *,
    status: int = 200,
    versioned: Any = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """The JSON answer of a resource with its version (of ``versioned`` when the version
    covers less than the representation)."""
    tag = etags.etag(representation if versioned is None else versioned)
    return web.json_response(
        representation, status=status, headers={**(headers or {}), "ETag": tag}
    )


@asynccontextmanager
async def held(
    request: web.Request,
    key: str,
    load: Callable[[], Awaitable[T]],
    version_of: Callable[[T], Any],
    what: str,
) -> AsyncIterator[T]:
    """The resource ``load`` reads, held for a change: ``If-Match`` checked against its
    version (of ``version_of``'s representation) under the resource's lock, kept until the
    change is made."""
    async with etags.locks(request).held(key):
        found = await load()
        if not etags.matches(etags.if_match(request), etags.etag(version_of(found))):
            raise Problem(
                412, "precondition_failed", f"the {what} was changed meanwhile: read it again"
            )
        yield found


def no_content(version: Any | None = None) -> web.Response:
    """A 204; with the resource's new version when it is still there (a new password)."""
    headers = None if version is None else {"ETag": etags.etag(version)}
    return web.Response(status=204, headers=headers)
