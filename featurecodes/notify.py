"""SMS notifications of changes a fleet manager made to a line (not the user himself):
a member connected to / disconnected from a group, a forwarding changed (which ones:
``featurecodes.notices``). They go to the outbox in the change's own transaction (the outbox
service's stager: they commit with it or not at all), then out through the SMSC in the
background once it has committed, so a slow or absent SMSC never delays the manager; what
cannot be sent now is sent later."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import structlog

from featurecodes.notices import notices
from featurecodes.ussd import Sms, SmsSender
from fleet.core.changes import ChangeEvent
from fleet.services.changes import ChangeHub
from fleet.services.container import Services

log = structlog.get_logger("featurecodes.notify")


class Notifier:
    def __init__(self, *, services: Services, sender: SmsSender | None = None) -> None:
        self._services = services
        self._sender = sender
        self._stage = services.outbox.stager(notices)
        self._lock = asyncio.Lock()
        self._sending: asyncio.Task[None] | None = None
        self._again = False
        self.sent = 0

    def attach(self, sender: SmsSender) -> None:
        self._sender = sender

    def attach_to(self, hub: ChangeHub) -> None:
        """Stage the notices of every change in its transaction; send them once committed."""
        hub.stage_with(self._stage)
        hub.subscribe(self.changed)

    def detach_from(self, hub: ChangeHub) -> None:
        hub.unstage(self._stage)
        hub.unsubscribe(self.changed)

    async def changed(self, events: Sequence[ChangeEvent]) -> None:
        """After the commit: send what the change put in the outbox, in the background."""
        if notices(events):
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
