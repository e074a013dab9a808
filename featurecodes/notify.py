"""SMS notifications of changes a fleet manager made to a line (not the user himself):
a member connected to / disconnected from a group, a forwarding changed. They go to the
outbox first, then out through the SMSC; what cannot be sent now is sent later."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import structlog

from featurecodes import texts
from featurecodes.ussd import Sms, SmsSender
from fleet.core.errors import DomainError
from fleet.core.numbering import E164
from fleet.core.values import Channel, ForwardingKind, Language
from fleet.services.changes import ChangeRef
from fleet.services.container import Services

MANAGER_CHANNELS = {Channel.PORTAL, Channel.API, Channel.CLI}

log = structlog.get_logger("featurecodes.notify")


class Notifier:
    def __init__(self, *, services: Services, sender: SmsSender | None = None) -> None:
        self._services = services
        self._sender = sender
        self._lock = asyncio.Lock()
        self.sent = 0

    def attach(self, sender: SmsSender) -> None:
        self._sender = sender

    async def changed(self, changes: Sequence[ChangeRef]) -> None:
        """Subscribed to the services' ChangeHub: turn manager changes into SMS."""
        queued = False
        for change in changes:
            if change.actor is None or change.actor.channel not in MANAGER_CHANNELS:
                continue
            if change.entity == "call_group":
                queued |= await self._group(change)
            elif change.entity == "forwarding":
                queued |= await self._forwarding(change)
        if queued:
            await self.flush()

    async def _group(self, change: ChangeRef) -> bool:
        before = _members(change.before)
        after = _members(change.after)
        group = (change.after or change.before or {}).get("name", "?")
        queued = False
        for line_id, connected in after.items():
            if line_id in before and before[line_id] != connected:
                key = "sms_member_connected" if connected else "sms_member_disconnected"
                queued |= await self._enqueue(line_id, key, group=group)
        return queued

    async def _forwarding(self, change: ChangeRef) -> bool:
        rule: dict[str, Any] = change.after or change.before or {}
        line_id = rule.get("line_id")
        if not isinstance(line_id, int):
            return False
        line = await self._line(line_id)
        if line is None:
            return False
        lang = line[1]
        kind = texts.kind_name(lang, ForwardingKind(rule["kind"]), short=True)
        after = change.after
        if after and after.get("active") and after.get("destination"):
            state = E164(after["destination"]).national_digits()
        else:
            state = texts.text(lang, "state_off")
        return await self._enqueue(line_id, "sms_forwarding_changed", summary=f"{kind} {state}")

    async def _line(self, line_id: int) -> tuple[E164, Language] | None:
        try:
            line = await self._services.lines.get(line_id)
        except DomainError:
            return None
        return line.msisdn, line.language

    async def _enqueue(self, line_id: int, key: str, **params: object) -> bool:
        found = await self._line(line_id)
        if found is None:
            return False
        msisdn, lang = found
        await self._services.outbox.enqueue(msisdn, texts.text(lang, key, **params))
        return True

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
