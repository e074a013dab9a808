"""A registration-mode PBX's registration to FleetPBX (DESIGN §8, trunk profile): the PBX
sends REGISTER from the address netsim listens at for it, its Contact that address, To and
From the trunk's Digest user at FleetPBX; FleetPBX's 401 is answered once with the trunk's
user and secret (RFC 3261 §22, :class:`fleet.sip.digest_client.DigestClient`); a 200 binds
the contact (FleetPBX then sends the trunk's calls and OPTIONS there, and knows the desks'
calls by it), refreshed at half the expiry FleetPBX granted. A refusal or no answer is tried
again after ``retry`` seconds. A PBX switched down stops refreshing (a dead box): FleetPBX's
keepalive takes the trunk out of service; switched up, it registers again at once."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

import structlog

from fleet.sip.digest_client import DigestClient, UserSecret
from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response
from fleet.sip.transaction_base import TransactionBase
from fleet.sip.transaction_client import ClientTransaction, NonInviteClientState
from fleet.sip.transaction_messages import new_branch, new_tag
from fleet.sip.transaction_ports import TimerHandle
from fleet.sip.transport_types import Peer
from fleet.sip.ua_addressing import contact_value, new_call_id, via_value
from fleet.sip.values import parse_name_addr
from fleet.sipnet.agent import FleetAgent

log = structlog.get_logger("simulators.netsim.pbxs")

EXPIRES = 600  # asked for; FleetPBX grants 60–3600 s
RETRY = 30.0

Final = Callable[[Response | None], None]


class PbxAgent(FleetAgent):
    """The PBX's user agent: a :class:`FleetAgent` that also sends REGISTER and reports its
    final response (None: timer F or a transport error)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._registers: dict[TransactionBase, Final] = {}

    def send_register(self, request: Request, destination: Peer, on_final: Final) -> None:
        transaction = self.layer.send_request(request, destination)
        self._registers[transaction] = on_final
        if transaction.state is NonInviteClientState.TERMINATED:  # its first send failed
            self.later(0, lambda: self.on_timeout(transaction))

    def on_response(self, transaction: ClientTransaction, response: Response) -> None:
        if transaction in self._registers:
            if response.status >= 200:
                self._registers.pop(transaction)(response)
            return
        super().on_response(transaction, response)

    def on_timeout(self, transaction: TransactionBase) -> None:
        final = self._registers.pop(transaction, None)
        if final is not None:
            final(None)
            return
        super().on_timeout(transaction)


class RegistrationState(StrEnum):
    UNREGISTERED = "unregistered"  # not yet, or paused (the PBX down)
    REGISTERING = "registering"
    REGISTERED = "registered"
    FAILED = "failed"  # refused or unanswered: tried again after ``retry``


class Registration:
    def __init__(
        self,
        *,
        ua: PbxAgent,
        registrar: Peer,
        username: str,
        secret: Callable[[], str | None],
        random_bytes: Callable[[int], bytes],
        expires: int = EXPIRES,
        retry: float = RETRY,
    ) -> None:
        self.ua = ua
        self.registrar = registrar
        self.username = username
        self.expires = expires
        self.retry = retry
        self.state = RegistrationState.UNREGISTERED
        self.last_status: int | None = None
        self.granted: int | None = None  # the expiry FleetPBX granted
        self._secret = secret
        self._digest = DigestClient(self._prompt, random_bytes)
        self._call_id = new_call_id(ua.address.host)
        self._tag = new_tag()
        self._cseq = 0
        self._timer: TimerHandle | None = None
        self._running = False
        self._round = 0  # a REGISTER's answer arriving after a stop is not heeded

    # -- started, paused ------------------------------------------------------------------

    def start(self) -> None:
        """Register now, and keep registered (again after a ``stop``)."""
        self._running = True
        self._round += 1
        self._cancel()
        self._register(None)

    def stop(self) -> None:
        """No more REGISTER (the binding left to expire): a PBX down, or closed."""
        self._running = False
        self._round += 1
        self._cancel()
        self.state = RegistrationState.UNREGISTERED

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _later(self, delay: float) -> None:
        self._cancel()
        self._timer = self.ua.later(delay, lambda: self._register(None))

    # -- REGISTER -------------------------------------------------------------------------

    def _request(self, authorization: list[tuple[str, str]]) -> Request:
        registrar, address = self.registrar, self.ua.address
        self._cseq += 1
        aor = f"<sip:{self.username}@{registrar.host}>"
        headers = Headers()
        headers.add("Via", via_value(address, registrar, new_branch()))
        headers.add("Max-Forwards", "70")
        headers.add("From", f"{aor};tag={self._tag}")
        headers.add("To", aor)
        headers.add("Call-ID", self._call_id)
        headers.add("CSeq", f"{self._cseq} REGISTER")
        headers.add("Contact", contact_value(self.username, address))
        headers.add("Expires", str(self.expires))
        for name, value in authorization:
            headers.add(name, value)
        return Request("REGISTER", f"sip:{registrar.host}:{registrar.port}", headers, b"")

    def _register(self, authorization: list[tuple[str, str]] | None) -> None:
        self._timer = None
        if not self._running:
            return
        self.state = RegistrationState.REGISTERING
        request = self._request(authorization or [])
        answered = authorization is not None
        round_ = self._round

        def final(response: Response | None) -> None:
            if round_ == self._round:
                self._final(request, response, answered=answered)

        self.ua.send_register(request, self.registrar, final)

    def _final(self, request: Request, response: Response | None, *, answered: bool) -> None:
        self.last_status = None if response is None else response.status
        if response is not None and response.status == 401 and not answered:
            lines = self._digest.answer(request, response)
            if lines:
                self._register(lines)
                return
        if response is not None and response.status < 300:
            first = self.state is not RegistrationState.REGISTERED
            self.state = RegistrationState.REGISTERED
            self.granted = _granted(response, self.expires)
            if first:
                log.info("netsim_pbx_registered", user=self.username, expires=self.granted)
            self._later(max(1.0, self.granted / 2))
            return
        log.warning(
            "netsim_pbx_registration_failed",
            user=self.username,
            status=self.last_status,
            retry_in=self.retry,
        )
        self.state = RegistrationState.FAILED
        self._later(self.retry)

    def _prompt(self, realm: str) -> UserSecret | None:
        secret = self._secret()
        return None if secret is None else UserSecret(self.username, password=secret)

    def view(self) -> dict[str, object]:
        return {
            "state": self.state.value,
            "last_status": self.last_status,
            "expires": self.granted,
        }


def _granted(response: Response, asked: int) -> int:
    """The expiry the 200 grants: its Contact's ``expires``, then Expires, else as asked."""
    for value in response.headers.get_all("Contact"):
        try:
            expires = parse_name_addr(value.strip(), "Contact").param("expires")
        except ValueError:
            continue
        if expires is not None and expires.isdigit():
            return int(expires)
    header = response.headers.get("Expires")
    return int(header) if header is not None and header.strip().isdigit() else asked
