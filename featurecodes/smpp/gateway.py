"""USSD over SMPP 3.4: the ESME that binds to the operator's SMSC / USSD gateway.

``UssdGateway`` keeps one transceiver bind up (reconnecting with capped exponential backoff),
turns each ``deliver_sm`` carrying ``ussd_service_op`` 1 (a request) or 18 (a reply to a menu)
into a :class:`featurecodes.ussd.UssdRequest`, awaits the :class:`UssdHandler` and answers with a
``submit_sm`` to the same address: op 17 (final) or 2 (menu), ``its_session_info`` as received,
text in GSM-7 when it fits, else UCS-2. Plain SMS go out through the same bind
(:class:`SmppSmsSender`); a refused one raises an error that says whether to try it again
(``featurecodes.smpp.failures``). At most ``max_requests`` USSD requests are worked on at
once: past that, a ``deliver_sm`` is answered ``ESME_RTHROTTLED`` and the SMSC tries later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from aiosmpplib import TON, PhoneNumber

from featurecodes.smpp import pdus
from featurecodes.smpp.failures import NotBound, SubmitRefused, SubmitTimeout
from featurecodes.smpp.link import CloseCause, LinkClosed, Response, ResponseTimeout, SmppLink
from featurecodes.smpp.pdus import Cmd, Header, Status
from featurecodes.smpp.shim import MalformedPdu, UnprocessablePdu, decode_deliver_sm, ussd_params
from featurecodes.smpp.timing import Backoff, Timing
from featurecodes.ussd import MAX_GSM7, Sms, UssdHandler, UssdOp, UssdReply, UssdRequest
from fleet.core.numbering import E164, NumberClass, NumberPolicy

DEFAULT_ERROR_TEXT = "Service momentanément indisponible. / Service temporarily unavailable."
_HANDLED_OPS = (UssdOp.PSSR_INDICATION, UssdOp.USSR_CONFIRM)
_E164_KINDS = (NumberClass.NATIONAL, NumberClass.INTERNATIONAL)

MAX_REQUESTS = 200  # USSD requests worked on at once (each waits for its handler)


class BindRefused(ConnectionError):
    def __init__(self, response: Response) -> None:
        header = response.header
        super().__init__(f"{header.command_name}: {pdus.status_name(header.status)}")
        self.status = header.status


@dataclass(slots=True)
class GatewayStats:
    binds: int = 0
    bind_failures: int = 0
    connection_losses: int = 0
    rebinds_at_once: int = 0  # after a lost stream (partial PDU, impossible length)
    last_loss: CloseCause | None = None  # why the last bind ended
    ussd_requests: int = 0
    ussd_answers: int = 0
    ussd_answers_lost: int = 0
    sms_sent: int = 0
    refused_pdus: int = 0  # answered with generic_nack or an error status
    throttled: int = 0  # deliver_sm answered ESME_RTHROTTLED: too many requests in flight


class UssdGateway:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        system_id: str,
        password: str,
        handler: UssdHandler,
        system_type: str = "",
        number_policy: NumberPolicy | None = None,
        window: int = 10,
        max_requests: int = MAX_REQUESTS,
        timing: Timing | None = None,
        backoff: Backoff | None = None,
        ussd_service_type: str = "USSD",
        sms_source: str = "",
        error_text: str = DEFAULT_ERROR_TEXT,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        if max_requests < 1:
            raise ValueError("max_requests must be at least 1")
        # aiosmpplib checks the SMPP 3.4 sizes (system_id 15, password 8, system_type 12)
        pdus.bind_transceiver(1, system_id=system_id, password=password, system_type=system_type)
        self._host, self._port = host, port
        self._system_id, self._password, self._system_type = system_id, password, system_type
        self._handler = handler
        self._policy = number_policy or NumberPolicy()
        self._window = window
        self._max_requests = max_requests
        self.timing = timing or Timing()
        self.backoff = backoff or Backoff()
        self._service_type = ussd_service_type
        self._sms_source = sms_source
        self._error_text = error_text
        self._sleep = sleep
        self.stats = GatewayStats()
        self._log: Any = structlog.get_logger("featurecodes.smpp").bind(
            smsc=f"{host}:{port}", system_id=system_id
        )
        self._link: SmppLink | None = None
        self._bound = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._stopping = False
        self._requests: set[asyncio.Task[None]] = set()

    # -- life ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Start binding in the background (returns at once; see :meth:`wait_bound`)."""
        if self._runner is None:
            self._stopping = False
            self._runner = asyncio.create_task(self._run(), name="smpp-gateway")

    async def stop(self) -> None:
        """Unbind (waiting at most the response timeout), end every task, close the socket."""
        self._stopping = True
        link = self._link
        if link is not None and not link.closed:
            await link.unbind()
        tasks = [*self._requests, *([self._runner] if self._runner else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._runner = None
        self._log.info("smpp_gateway_stopped")

    async def __aenter__(self) -> UssdGateway:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    @property
    def bound(self) -> bool:
        return self._link is not None and not self._link.closed

    async def wait_bound(self) -> None:
        """Wait until a transceiver bind is up (wrap in ``asyncio.timeout`` to bound it)."""
        await self._bound.wait()

    @property
    def requests_in_flight(self) -> int:
        """USSD requests being worked on (at most ``max_requests``)."""
        return len(self._requests)

    @property
    def sms_sender(self) -> SmppSmsSender:
        return SmppSmsSender(self)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        try:
            while not self._stop_requested():
                try:
                    link = await self._connect_and_bind()
                except (OSError, TimeoutError, LinkClosed, ResponseTimeout) as error:
                    failures += 1
                    self.stats.bind_failures += 1
                    self._log.warning("smpp_bind_failed", error=repr(error), attempt=failures)
                except Exception:
                    failures += 1
                    self.stats.bind_failures += 1
                    self._log.exception("smpp_bind_crashed", attempt=failures)
                else:
                    bound_at = loop.time()
                    self._link = link
                    self._bound.set()
                    self.stats.binds += 1
                    self._log.info("smpp_bound")
                    await link.wait_closed()
                    self._bound.clear()
                    self._link = None
                    await link.close()
                    if self._stop_requested():
                        break
                    self.stats.connection_losses += 1
                    self.stats.last_loss = link.close_cause
                    self._log.warning("smpp_connection_lost", reason=link.close_reason)
                    if loop.time() - bound_at >= self.backoff.reset_after:
                        failures = 0
                    cause = link.close_cause
                    if cause is not None and cause.desynchronised and failures == 0:
                        # the SMSC is there, only the stream was lost: bind again now (and
                        # back off as usual if it happens again before ``reset_after``)
                        failures = 1
                        self.stats.rebinds_at_once += 1
                        continue
                    failures += 1
                if self._stop_requested():
                    break
                delay = self.backoff.delay(failures)
                self._log.info("smpp_reconnect_scheduled", delay=delay, attempt=failures)
                await self._sleep(delay)
        finally:
            self._bound.clear()
            current, self._link = self._link, None
            if current is not None:
                await current.close("gateway stopped")

    def _stop_requested(self) -> bool:
        return self._stopping

    async def _connect_and_bind(self) -> SmppLink:
        timing = self.timing
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(self._host, self._port), timing.connect_timeout
        )
        link = SmppLink(
            reader,
            writer,
            on_request=self._on_request,
            window=self._window,
            response_timeout=timing.response_timeout,
            log=self._log,
            pdu_timeout=timing.pdu_timeout,
        )
        link.start()
        try:
            response = await link.call(
                lambda sequence: pdus.bind_transceiver(
                    sequence,
                    system_id=self._system_id,
                    password=self._password,
                    system_type=self._system_type,
                )
            )
            if response.header.command_id != Cmd.BIND_TRANSCEIVER_RESP or not response.ok:
                raise BindRefused(response)
        except BaseException:
            await link.close("bind failed")
            raise
        link.start_keepalive(timing.enquire_link_interval)
        return link

    # -- from the SMSC ------------------------------------------------------------------

    async def _on_request(self, header: Header, pdu: bytes) -> bytes:
        if header.command_id != Cmd.DELIVER_SM:
            return self._refuse(header, pdus.generic_nack, Status.ESME_RINVCMDID, "unexpected")
        try:
            message, tlvs = decode_deliver_sm(pdu)
        except MalformedPdu as error:
            return self._refuse(header, pdus.generic_nack, error.status, str(error))
        except UnprocessablePdu as error:
            return self._refuse(header, pdus.deliver_sm_resp, error.status, str(error))
        if tlvs.service_op is None:
            self._log.info("smpp_deliver_sm_ignored", receipt=bool(message.is_receipt()))
            return pdus.deliver_sm_resp(header.sequence)
        try:
            op = UssdOp(tlvs.service_op)
        except ValueError:
            reason = f"ussd_service_op {tlvs.service_op}"
            return self._refuse(header, pdus.deliver_sm_resp, Status.ESME_RINVOPTPARAMVAL, reason)
        if op not in _HANDLED_OPS:
            self._log.info("ussd_op_acknowledged", op=op.name)
            return pdus.deliver_sm_resp(header.sequence)
        if len(self._requests) >= self._max_requests:
            self.stats.throttled += 1
            reason = f"{len(self._requests)} requests in flight"
            return self._refuse(header, pdus.deliver_sm_resp, Status.ESME_RTHROTTLED, reason)
        task = asyncio.create_task(self._serve(message, op, tlvs.session_info))
        self._requests.add(task)
        task.add_done_callback(self._requests.discard)
        return pdus.deliver_sm_resp(header.sequence)

    def _refuse(
        self, header: Header, answer: Callable[[int, int], bytes], status: int, reason: str
    ) -> bytes:
        self.stats.refused_pdus += 1
        self._log.warning(
            "smpp_pdu_refused",
            command=header.command_name,
            sequence=header.sequence,
            status=pdus.status_name(status),
            reason=reason,
        )
        return answer(header.sequence, status)

    def msisdn(self, address: PhoneNumber) -> E164 | None:
        """The handset's E.164 number from a source address (national or international)."""
        digits: str = address.number
        raw = f"+{digits}" if address.ton == TON.INTERNATIONAL and digits.isdigit() else digits
        kind, number = self._policy.classify(raw)
        if number is None and raw.isdigit() and not raw.startswith("0"):
            kind, number = self._policy.classify(f"+{raw}")
        return number if kind in _E164_KINDS else None

    async def _serve(self, message: Any, op: UssdOp, session: int | None) -> None:
        self.stats.ussd_requests += 1
        source: PhoneNumber = message.source
        text: str = message.short_message or message.message_payload
        msisdn = self.msisdn(source)
        log = self._log.bind(source=source.number, op=op.name, session=session)
        reply = UssdReply(self._error_text, refused=True)
        if msisdn is None:
            log.warning("ussd_unknown_msisdn")
        else:
            request = UssdRequest(msisdn=msisdn, text=text, op=op, session=session)
            try:
                reply = await asyncio.wait_for(
                    self._handler.handle(request), self.timing.handler_timeout
                )
            except TimeoutError:
                log.error("ussd_handler_timeout", timeout=self.timing.handler_timeout)
            except Exception:
                log.exception("ussd_handler_failed")
        await self._answer(log, message, reply, session)

    async def _answer(self, log: Any, message: Any, reply: UssdReply, session: int | None) -> None:
        text = reply.text
        if not text:
            log.warning("ussd_empty_answer")
            text = self._error_text
        septets = pdus.gsm7_length(text)
        if (septets if septets is not None else len(text)) > MAX_GSM7:
            log.warning(
                "ussd_answer_too_long", length=septets or len(text), gsm7=septets is not None
            )
        params = ussd_params(int(reply.op), session, refused=reply.refused)
        link = self._link
        try:
            if link is None:
                raise LinkClosed("not bound")
            response = await link.call(
                lambda sequence: pdus.submit_sm(
                    sequence,
                    text=text,
                    source=message.destination,
                    destination=message.source,
                    service_type=self._service_type,
                    params=params,
                ),
                windowed=True,
            )
        except (LinkClosed, ResponseTimeout, ValueError) as error:
            self.stats.ussd_answers_lost += 1
            log.warning("ussd_answer_lost", error=repr(error))
            return
        if not response.ok:
            self.stats.ussd_answers_lost += 1
            log.warning("ussd_answer_refused", status=pdus.status_name(response.header.status))
            return
        self.stats.ussd_answers += 1
        log.info("ussd_answered", reply_op=reply.op.name, encoding=pdus.text_encoding(text))

    # -- to the SMSC --------------------------------------------------------------------

    async def send_sms(self, sms: Sms) -> None:
        """Submit one SMS; raises :class:`GatewayError` when it was not accepted now."""
        link = self._link
        if link is None or link.closed:
            raise NotBound("no SMPP bind")
        destination = pdus.international(sms.msisdn.value.removeprefix("+"))
        source = pdus.sender(self._sms_source)
        try:
            response = await link.call(
                lambda sequence: pdus.submit_sm(
                    sequence, text=sms.text, source=source, destination=destination
                ),
                windowed=True,
            )
        except LinkClosed as error:
            raise NotBound(f"bind lost: {error}") from error
        except ResponseTimeout as error:
            raise SubmitTimeout(str(error)) from error
        if not response.ok:
            raise SubmitRefused(response.header.status)
        self.stats.sms_sent += 1
        self._log.info("sms_submitted", msisdn=str(sms.msisdn))


class SmppSmsSender:
    """The :class:`featurecodes.ussd.SmsSender` port over the gateway's bind."""

    def __init__(self, gateway: UssdGateway) -> None:
        self._gateway = gateway

    async def send(self, sms: Sms) -> None:
        await self._gateway.send_sms(sms)
