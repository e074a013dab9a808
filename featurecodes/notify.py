"""SMS notifications of changes a fleet manager made to a line (not the user himself):
a member connected to / disconnected from a group, a forwarding changed. They go to the
outbox in the change's own transaction (they commit with it or not at all), then out
through the SMSC in the background once it has committed, so a slow or absent SMSC never
delays the manager; what cannot be sent now is sent later."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from featurecodes import texts
from featurecodes.ussd import Sms, SmsSender
from fleet.core.numbering import E164
from fleet.core.values import Channel, ForwardingKind, Language
from fleet.services.changes import ChangeHub, ChangeRef
from fleet.services.container import Services

MANAGER_CHANNELS = {Channel.PORTAL, Channel.API, Channel.CLI}

log = structlog.get_logger("featurecodes.notify")


class Notifier:
    def __init__(self, *, services: Services, sender: SmsSender | None = None) -> None:
        self._services = services
        self._sender = sender
        self._lock = asyncio.Lock()
        self._sending: asyncio.Task[None] | None = None
        self._again = False
        self.sent = 0

    def attach(self, sender: SmsSender) -> None:
        self._sender = sender

    def attach_to(self, hub: ChangeHub) -> None:
        hub.stage_with(self.stage)
        hub.subscribe(self.changed)

    def detach_from(self, hub: ChangeHub) -> None:
        hub.unstage(self.stage)
        hub.unsubscribe(self.changed)

    async def stage(self, session: AsyncSession, changes: Sequence[ChangeRef]) -> None:
        """Inside the change's transaction: its SMS go to the outbox and commit with it, so a
        crash right after the commit loses none."""
        wanted: list[tuple[int, str, dict[str, object]]] = []
        for change in changes:
            if change.actor is None or change.actor.channel not in MANAGER_CHANNELS:
                continue
            if change.entity == "call_group":
                wanted += _group_messages(change)
            elif change.entity == "forwarding":
                wanted += _forwarding_messages(change)
        if not wanted:
            return
        lines = await self._services.lines.contacts(session, {line_id for line_id, *_ in wanted})
        messages: list[tuple[E164, str]] = []
        for line_id, key, params in wanted:
            if line_id in lines:
                msisdn, lang = lines[line_id]
                messages.append((msisdn, texts.text(lang, key, **_localised(lang, params))))
        await self._services.outbox.stage(session, messages)

    async def changed(self, changes: Sequence[ChangeRef]) -> None:
        """After the commit: send what the change put in the outbox, in the background."""
        if any(_notifies(change) for change in changes):
            self._kick()

    def _kick(self) -> None:
        """Send the outbox in the background; a flush under way goes round once more."""
        if self._sender is None:
            return
        self._again = True
        if self._sending is None or self._sending.done():
            self._sending = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while self._again:
            self._again = False
            try:
                await self.flush()
            except Exception as exc:  # the database may be away: the outbox flusher retries
                log.warning("sms_flush_failed", error=repr(exc))

    async def settled(self) -> None:
        """Wait for the background sending started by changes (tests, shutdown)."""
        while self._sending is not None and not self._sending.done():
            await asyncio.shield(self._sending)

    async def flush(self) -> int:
        """Send what waits in the outbox, oldest first; stop at the first failure."""
        if self._sender is None:
            return 0
        sent = 0
        async with self._lock:
            for sms in await self._services.outbox.pending():
                try:
                    await self._sender.send(Sms(msisdn=sms.msisdn, text=sms.text))
                except Exception as exc:  # the SMSC is away: keep it for later
                    await self._services.outbox.mark_failed(sms.id, repr(exc))
                    log.warning("sms_deferred", line=sms.msisdn.value, error=repr(exc))
                    break
                await self._services.outbox.mark_sent(sms.id)
                sent += 1
        self.sent += sent
        return sent


def _members(snapshot: Any) -> dict[int, bool]:
    if not isinstance(snapshot, dict):
        return {}
    return {
        m["line_id"]: bool(m["connected"])
        for m in snapshot.get("members", [])
        if isinstance(m, dict) and "line_id" in m
    }


def _notifies(change: ChangeRef) -> bool:
    return (
        change.actor is not None
        and change.actor.channel in MANAGER_CHANNELS
        and change.entity in ("call_group", "forwarding")
    )


def _group_messages(change: ChangeRef) -> list[tuple[int, str, dict[str, object]]]:
    """A member connected or disconnected by the manager: one SMS to that member."""
    before = _members(change.before)
    after = _members(change.after)
    group = (change.after or change.before or {}).get("name", "?")
    found: list[tuple[int, str, dict[str, object]]] = []
    for line_id, connected in after.items():
        if line_id in before and before[line_id] != connected:
            key = "sms_member_connected" if connected else "sms_member_disconnected"
            found.append((line_id, key, {"group": group}))
    return found


def _forwarding_messages(change: ChangeRef) -> list[tuple[int, str, dict[str, object]]]:
    """A forwarding changed by the manager: its new state, to the line."""
    rule: dict[str, Any] = change.after or change.before or {}
    line_id = rule.get("line_id")
    if not isinstance(line_id, int):
        return []
    after = change.after
    state: object = None  # off
    if after and after.get("active") and after.get("destination"):
        state = E164(after["destination"]).national_digits()
    return [
        (line_id, "sms_forwarding_changed", {"kind": ForwardingKind(rule["kind"]), "state": state})
    ]


def _localised(lang: Language, params: dict[str, object]) -> dict[str, object]:
    """Parameters that depend on the line's language, in that language."""
    if "kind" not in params:
        return params
    kind = params["kind"]
    assert isinstance(kind, ForwardingKind)
    state = params["state"] if params["state"] is not None else texts.text(lang, "state_off")
    return {"summary": f"{texts.kind_name(lang, kind, short=True)} {state}"}
