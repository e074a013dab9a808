"""An SMSC / USSD gateway simulator speaking SMPP 3.4 over TCP, for tests and the demo.

The ESME under test binds to it as a transceiver. Simulated handsets dial USSD codes
(:meth:`SmscSimulator.ussd`, then :meth:`SmscSimulator.reply` while a menu is shown); SMS that the
ESME submits land in a per-MSISDN inbox. Named misbehaviours (:class:`Misbehaviour`) can be
switched on and off at run time; a destination can be refused (:meth:`SmscSimulator.refuse`).

The PDUs are packed and parsed with ``struct`` (``simulators.smppwire``), independently of the
adapter's codec (aiosmpplib).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import struct
from collections import defaultdict
from collections.abc import Callable, Coroutine
from typing import Any

import structlog

from simulators.smppwire import (
    BIND_TRANSCEIVER,
    DELIVER_SM,
    ENQUIRE_LINK,
    ESME_RALYBND,
    ESME_RINVBNDSTS,
    ESME_RINVCMDID,
    ESME_RINVDSTADR,
    ESME_RINVPASWD,
    ESME_RINVSYSID,
    ESME_ROK,
    GENERIC_NACK,
    HEADER,
    ITS_SESSION_INFO,
    RESP,
    SUBMIT_SM,
    UNBIND,
    USSD_SERVICE_OP,
    Connection,
    Pdu,
    ShortMessage,
    address,
    c_string,
    encode_text,
    inbox_key,
    malformed_pdu,
    parse_short_message,
    partial_pdu,
    short_message_body,
    tlv,
)
from simulators.smsc_types import Dialogue, Misbehaviour, NoMenu, Screen, UssdRejected

__all__ = ["Misbehaviour", "NoMenu", "Screen", "SmscSimulator", "UssdRejected"]

log = structlog.get_logger("simulators.smsc")


class SmscSimulator:
    def __init__(
        self,
        *,
        system_id: str = "fleetpbx",
        password: str = "secret",
        host: str = "127.0.0.1",
        port: int = 0,
        slow_delay: float = 0.5,
        answer_timeout: float = 5.0,
        rebind_timeout: float = 30.0,
        ussd_address: str = "*100#",
    ) -> None:
        self.system_id, self.password = system_id, password
        self._host, self._port = host, port
        self.slow_delay, self.answer_timeout = slow_delay, answer_timeout
        self.rebind_timeout = rebind_timeout  # PARTIAL_PDU: how long to wait for a new bind
        self.ussd_address = ussd_address
        self.misbehaviours: set[Misbehaviour] = set()
        self.binds = 0
        self.bind_attempts: list[tuple[str, str, int]] = []
        self.enquire_links_received = 0
        self.submits: list[ShortMessage] = []
        self.inbox: defaultdict[str, list[ShortMessage]] = defaultdict(list)
        self.on_inbox: list[Callable[[str], None]] = []  # told the key of each SMS delivered
        self.on_link: list[Callable[[], None]] = []  # told when an ESME binds or a link ends
        self.screens: defaultdict[str, list[Screen]] = defaultdict(list)
        self.responses: list[Pdu] = []  # what the ESME answered to our requests
        self.protocol_errors: list[str] = []
        self.refused: dict[str, int] = {}  # destination -> the status its submit_sm gets
        self.refused_submits: list[ShortMessage] = []
        self.partial_pdus_sent = 0
        self._bind_seen = asyncio.Event()
        self._dialogues: dict[str, Dialogue] = {}
        self._sessions: list[Connection] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._handlers: set[asyncio.Task[None]] = set()  # one per connection (asyncio's)
        self._server: asyncio.Server | None = None
        self._sequence = itertools.count(1)
        self._session_numbers = itertools.cycle(range(0x90, 0x100))  # >= 0x80 on purpose

    # -- life -----------------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self._host, self._port)

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        sessions = list(self._sessions)
        for session in sessions:
            session.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        # the connections' handlers end by themselves once their link is closed (cancelling
        # them would make asyncio's server log the CancelledError it reads back)
        if self._handlers:
            _done, stuck = await asyncio.wait(set(self._handlers), timeout=5.0)
            for task in stuck:
                task.cancel()
        for session in sessions:
            with contextlib.suppress(OSError):
                await session.writer.wait_closed()
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> SmscSimulator:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def misbehave(self, *misbehaviours: Misbehaviour) -> None:
        """Switch misbehaviours on (``DROP_CONNECTION`` drops the current connections now)."""
        self.misbehaviours.update(misbehaviours)
        log.info("smsc_misbehaviours", on=sorted(m.value for m in self.misbehaviours))
        if Misbehaviour.DROP_CONNECTION in misbehaviours:
            for session in self._sessions:
                session.close()

    def behave(self, *misbehaviours: Misbehaviour) -> None:
        """Switch the given misbehaviours off (all of them when none is given)."""
        if misbehaviours:
            self.misbehaviours.difference_update(misbehaviours)
        else:
            self.misbehaviours.clear()

    @property
    def bound(self) -> bool:
        return any(s.bound for s in self._sessions)

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def refuse(self, msisdn: str, status: int = ESME_RINVDSTADR) -> None:
        """Answer every submit_sm to ``msisdn`` (``+33…``: international) with ``status``
        (by default ESME_RINVDSTADR, "invalid destination address")."""
        self.refused[msisdn] = status

    def _session(self) -> Connection:
        for session in reversed(self._sessions):
            if session.bound and not session.stalled:
                return session
        raise ConnectionError("no ESME is bound")

    async def _stall(self, session: Connection) -> Connection:
        """PARTIAL_PDU: send the start of a PDU that never ends on ``session``, leave it, and
        return the session of the ESME's next bind (within ``rebind_timeout``)."""
        session.stalled = True
        self.partial_pdus_sent += 1
        await session.write_raw(partial_pdu())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.rebind_timeout
        while True:
            with contextlib.suppress(ConnectionError):
                return self._session()
            if loop.time() >= deadline:
                raise ConnectionError("the ESME did not bind again after a partial PDU")
            self._bind_seen.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._bind_seen.wait(), deadline - loop.time())

    # -- handsets -------------------------------------------------------------------------

    async def ussd(self, msisdn: str, text: str, *, data_coding: int | None = None) -> str:
        """A handset dials ``text``; returns the text it then shows (menu or final answer)."""
        session_info = next(self._session_numbers) << 8
        return await self._exchange(msisdn, text, 1, session_info, data_coding)

    async def reply(self, msisdn: str, text: str, *, data_coding: int | None = None) -> str:
        """The user answers the menu shown on ``msisdn`` (``ussd_service_op`` 18)."""
        dialogue = self._dialogues.get(msisdn)
        screens = self.screens.get(msisdn)
        if dialogue is None or not screens or screens[-1].op != 2:
            raise NoMenu(f"no menu is shown on {msisdn}")
        number, sequence = dialogue.session_info >> 8, (dialogue.session_info & 0xFE) >> 1
        session_info = number << 8 | ((sequence + 1) & 0x7F) << 1
        return await self._exchange(msisdn, text, 18, session_info, data_coding)

    async def _exchange(
        self, msisdn: str, text: str, op: int, session_info: int, data_coding: int | None
    ) -> str:
        coding, payload = encode_text(text, data_coding)
        ton, number = address(msisdn)
        body = short_message_body(  # long text goes as message_payload
            source=(ton, number),
            destination=(0, self.ussd_address),
            data_coding=coding,
            payload=payload,
            tlvs=tlv(USSD_SERVICE_OP, bytes([op]))
            + tlv(ITS_SESSION_INFO, session_info.to_bytes(2)),
        )
        session = self._session()
        if Misbehaviour.MALFORMED_PDU in self.misbehaviours:
            for kind in ("truncated_deliver_sm", "unknown_command"):
                await self.send_malformed(kind)
        if Misbehaviour.PARTIAL_PDU in self.misbehaviours:
            session = await self._stall(session)
        answer: asyncio.Future[Screen] = asyncio.get_running_loop().create_future()
        if op == 1:
            self._dialogues[msisdn] = Dialogue(session_info, answer)
        else:
            self._dialogues[msisdn].session_info = session_info
            self._dialogues[msisdn].answer = answer
        response = await self._request(session, DELIVER_SM, body)
        if response.command_id != DELIVER_SM | RESP or response.status != ESME_ROK:
            raise UssdRejected(response.command_id, response.status)
        screen = await asyncio.wait_for(answer, self.answer_timeout)
        return screen.text

    # -- requests to the ESME -------------------------------------------------------------

    async def _request(self, session: Connection, command_id: int, body: bytes = b"") -> Pdu:
        sequence = next(self._sequence)
        future: asyncio.Future[Pdu] = asyncio.get_running_loop().create_future()
        session.pending[sequence] = future
        try:
            await session.write(Pdu(command_id, 0, sequence, body))
            response = await asyncio.wait_for(future, self.answer_timeout)
        finally:
            session.pending.pop(sequence, None)
        self.responses.append(response)
        return response

    async def enquire_link(self) -> Pdu:
        """Send enquire_link to the bound ESME; returns its answer."""
        return await self._request(self._session(), ENQUIRE_LINK)

    async def send_malformed(self, kind: str = "truncated_deliver_sm") -> Pdu:
        """Send a corrupt PDU (a key of :data:`MALFORMED`); returns the ESME's answer."""
        return await self.send_pdu(*malformed_pdu(kind))

    async def send_raw(self, data: bytes) -> None:
        """Write raw bytes to the bound ESME (e.g. a header with an impossible length)."""
        await self._session().write_raw(data)

    async def send_pdu(self, command_id: int, body: bytes = b"") -> Pdu:
        """Send any request PDU to the bound ESME; returns its answer."""
        return await self._request(self._session(), command_id, body)

    # -- the connection -------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Connection(reader, writer)
        self._sessions.append(session)
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        try:
            while True:
                head = await reader.readexactly(16)
                length, command_id, status, sequence = HEADER.unpack(head)
                if not 16 <= length <= 70_000:
                    self.protocol_errors.append(f"command_length {length}")
                    break
                pdu = Pdu(command_id, status, sequence, await reader.readexactly(length - 16))
                if command_id & RESP:
                    future = session.pending.get(sequence)
                    if future is not None and not future.done():
                        future.set_result(pdu)
                    else:
                        self.responses.append(pdu)  # unsolicited (generic_nack to raw bytes…)
                    continue
                try:
                    keep = await self._handle(session, pdu)
                except (ValueError, IndexError, struct.error) as error:
                    self.protocol_errors.append(f"0x{command_id:08X}: {error!r}")
                    await session.write(Pdu(GENERIC_NACK, 0x02, sequence))  # ESME_RINVCMDLEN
                    keep = True
                if not keep:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            session.close()
            self._sessions.remove(session)
            for told in self.on_link:
                told()

    async def _handle(self, session: Connection, pdu: Pdu) -> bool:
        """Answer one request from the ESME; ``False`` ends the connection."""
        seq = pdu.sequence
        if pdu.command_id == BIND_TRANSCEIVER:
            if Misbehaviour.DROP_CONNECTION in self.misbehaviours:
                return False
            fields = pdu.body.split(b"\x00")
            system_id, password = fields[0].decode(), fields[1].decode()
            status = ESME_ROK
            if session.bound:
                status = ESME_RALYBND
            elif system_id != self.system_id:
                status = ESME_RINVSYSID
            elif password != self.password:
                status = ESME_RINVPASWD
            self.bind_attempts.append((system_id, password, status))
            log.info("smsc_bind", system_id=system_id, status=status)
            await session.write(Pdu(pdu.command_id | RESP, status, seq, c_string("smsc-sim")))
            if status == ESME_ROK and not session.bound:
                session.bound = True
                self.binds += 1
                self._bind_seen.set()
                for told in self.on_link:
                    told()
            return True
        if pdu.command_id == ENQUIRE_LINK:
            self.enquire_links_received += 1
            await session.write(Pdu(ENQUIRE_LINK | RESP, ESME_ROK, seq))
            return True
        if pdu.command_id == UNBIND:
            await session.write(Pdu(UNBIND | RESP, ESME_ROK, seq))
            return False
        if pdu.command_id != SUBMIT_SM:
            await session.write(Pdu(GENERIC_NACK, ESME_RINVCMDID, seq))
            return True
        if not session.bound:
            await session.write(Pdu(SUBMIT_SM | RESP, ESME_RINVBNDSTS, seq, b"\x00"))
            return True
        message = parse_short_message(pdu.body)
        refused = self.refused.get(inbox_key(message.destination_ton, message.destination))
        if refused is not None:
            self.refused_submits.append(message)
            await session.write(Pdu(SUBMIT_SM | RESP, refused, seq))
            return True
        if Misbehaviour.UNBIND_ON_SUBMIT in self.misbehaviours:
            self._spawn(self._unbind(session), "smsc-unbind")
            return True
        self._receive(message)
        resp = Pdu(SUBMIT_SM | RESP, ESME_ROK, seq, c_string(f"sim{seq}"))
        if Misbehaviour.BLACK_HOLE in self.misbehaviours:
            return True
        if Misbehaviour.SLOW_RESPONSE in self.misbehaviours:
            self._spawn(self._later(session, resp), "smsc-slow-response")
            return True
        await session.write(resp)
        return True

    def _receive(self, message: ShortMessage) -> None:
        self.submits.append(message)
        key = inbox_key(message.destination_ton, message.destination)
        op = message.ussd_op
        if op is None:
            self.inbox[key].append(message)
            for listener in self.on_inbox:
                listener(key)
            return
        dialogue = self._dialogues.get(key)
        if dialogue is None or dialogue.answer.done():
            self.protocol_errors.append(f"USSD answer to {key} outside a dialogue")
            return
        if message.session_info != dialogue.session_info:
            self.protocol_errors.append(
                f"its_session_info {message.session_info} != {dialogue.session_info}"
            )
        screen = Screen(
            message.text, op, message.session_info, message.data_coding, message.refused
        )
        self.screens[key].append(screen)
        dialogue.answer.set_result(screen)
        if op != 2:
            del self._dialogues[key]

    async def _later(self, session: Connection, pdu: Pdu) -> None:
        await asyncio.sleep(self.slow_delay)
        with contextlib.suppress(ConnectionError):
            await session.write(pdu)

    async def _unbind(self, session: Connection) -> None:
        with contextlib.suppress(ConnectionError, TimeoutError):
            await self._request(session, UNBIND)
        session.close()
