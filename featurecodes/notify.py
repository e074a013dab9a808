"""SMS notifications of changes a fleet manager made to a line (not the user himself):
a member connected to / disconnected from a group, a forwarding changed (which ones:
``featurecodes.notices``). They go to the outbox in the change's own transaction (the outbox
service's stager: they commit with it or not at all), then out through the SMSC in the
background once it has committed, so a slow or absent SMSC never delays the manager; what
cannot be sent now is sent later.

Sending claims a batch of due messages from the outbox, submits them together (the gateway's
window bounds how many are in flight) and records what became of each: a message the SMSC
refused for good (:class:`featurecodes.ussd.SmsFailure`) is given up and journalled, one it
refused for now waits its own delay, and the others go on. When the bind is down nothing is
counted against the messages: they wait for it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import structlog

from featurecodes.notices import notices
from featurecodes.ussd import Sms, SmsFailure, SmsNotSent, SmsSender
from fleet.core.changes import ChangeEvent
from fleet.services.changes import ChangeHub
from fleet.services.container import Services
from fleet.services.outbox import Attempt, PendingSms, Result

log = structlog.get_logger("featurecodes.notify")

BATCH = 10  # messages claimed and submitted together (the gateway's window by default)
_RESULTS = {
    SmsFailure.UNAVAILABLE: Result.NOT_TRIED,
    SmsFailure.TEMPORARY: Result.FAILED,
    SmsFailure.PERMANENT: Result.REFUSED,
}


class Notifier:
    def __init__(
        self, *, services: Services, sender: SmsSender | None = None, batch: int = BATCH
    ) -> None:
        if batch < 1:
            raise ValueError("batch must be at least 1")
        self._services = services
        self._sender = sender
        self._batch = batch
        self._stage = services.outbox.stager(notices)
        self._lock = asyncio.Lock()
        self._sending: asyncio.Task[None] | None = None
        self._again = False
        self.sent = 0
        self.dead_letters = 0

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
        """Send every message due now, a batch at a time; stop early when the bind is down.
        Returns how many the SMSC took."""
        sender = self._sender
        if sender is None:
            return 0
        outbox = self._services.outbox
        sent = 0
        async with self._lock:  # one flush at a time in this process
            while batch := await outbox.claim(self._batch):
                attempts = await asyncio.gather(*(self._attempt(sender, sms) for sms in batch))
                settled = await outbox.settle(attempts)
                sent += settled.sent
                self.dead_letters += len(settled.dead)
                for sms_id in settled.dead:
                    log.warning("sms_dead_lettered", sms_id=sms_id)
                if settled.not_tried:
                    break  # no bind: the rest waits for it
        self.sent += sent
        return sent

    async def _attempt(self, sender: SmsSender, sms: PendingSms) -> Attempt:
        try:
            await sender.send(Sms(msisdn=sms.msisdn, text=sms.text))
        except SmsNotSent as exc:
            result = _RESULTS[exc.failure]
            log.warning(
                "sms_not_sent", line=sms.msisdn.value, failure=exc.failure.value, error=str(exc)
            )
            return Attempt(sms.id, result, str(exc))
        except Exception as exc:  # any other failure of the sender: for now only
            log.warning("sms_not_sent", line=sms.msisdn.value, error=repr(exc))
            return Attempt(sms.id, Result.FAILED, repr(exc))
        return Attempt(sms.id, Result.SENT)
