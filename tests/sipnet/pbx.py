"""A company's PBX behind a trunk, for the SIP tests (192.0.2.3): it answers OPTIONS (200, or
the status it is told), rings or answers FleetPBX's INVITEs as told, may challenge them with its
own Digest realm, calls FleetPBX answering its 407 with the credentials it is given, and
registers with Digest."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from fleet.sip.digest_client import DigestClient, UserSecret
from fleet.sip.digest_server import DigestServer
from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response
from fleet.sip.transaction_base import TransactionBase
from fleet.sip.transaction_client import ClientTransaction
from fleet.sip.transaction_messages import new_branch, new_tag
from fleet.sip.transaction_server import ServerTransaction
from fleet.sip.transport_types import Peer
from fleet.sip.ua_addressing import new_call_id, via_value
from fleet.sip.ua_messages import uas_response
from fleet.sipnet.agent import FleetAgent

PBX_REALM = "pbx.example"


@dataclass
class Login:
    username: str
    password: str


class Pbx(FleetAgent):
    """The PBX's user agent; ``login`` is what it answers challenges with (none: it gives up)."""

    def setup(self, clock: Callable[[], float], registrar: Peer) -> None:
        self.options_status: int | None = 200  # None: OPTIONS unanswered (but by the link)
        self.login: Login | None = None
        self.challenge: DigestServer | None = None  # set: FleetPBX's INVITEs must authenticate
        self.challenge_password = ""
        self.options: list[Request] = []
        self.registers: dict[ClientTransaction, Request] = {}
        self.register_answers: list[Response] = []
        self.client = DigestClient(self._prompt, os.urandom)
        self.credentials = lambda call, response: self.client.answer(call.invite, response)
        self._clock = clock
        self._registrar = registrar

    def _prompt(self, realm: str) -> UserSecret | None:
        login = self.login
        return None if login is None else UserSecret(login.username, password=login.password)

    def on_request(self, transaction: ServerTransaction, request: Request) -> None:
        to = request.to
        if request.method == "OPTIONS" and to is not None and to.tag is None:
            self.options.append(request)
            if self.options_status is not None:
                transaction.respond(uas_response(request, self.options_status, local_tag=new_tag()))
            return
        if request.method == "INVITE" and self.challenge is not None and to and to.tag is None:
            password = self.challenge_password
            verdict = self.challenge.verify(
                request, lambda user: UserSecret(user, password=password)
            )
            if not verdict.ok:
                response = uas_response(request, 407, local_tag=new_tag())
                for name, value in self.challenge.challenges():
                    response.headers.add(name, value)
                transaction.respond(response)
                return
        super().on_request(transaction, request)

    def demand(self, password: str) -> None:
        """FleetPBX's INVITEs must authenticate in the PBX's realm with this password."""
        self.challenge = DigestServer(PBX_REALM, b"k" * 32, self._clock, os.urandom, proxy=True)
        self.challenge_password = password

    def register(self, registrar: str, user: str, *, expires: int) -> None:
        destination = self._registrar
        headers = Headers()
        headers.add("Via", via_value(self.address, destination, new_branch()))
        headers.add("Max-Forwards", "70")
        headers.add("From", f"<sip:{user}@{registrar}>;tag={new_tag()}")
        headers.add("To", f"<sip:{user}@{registrar}>")
        headers.add("Call-ID", new_call_id(self.address.host))
        headers.add("CSeq", "1 REGISTER")
        headers.add("Contact", f"<sip:pbx@{self.address.host}:{self.address.port}>")
        headers.add("Expires", str(expires))
        self._send_register(Request("REGISTER", f"sip:{registrar}", headers, b""))

    def _send_register(self, request: Request) -> None:
        transaction = self.layer.send_request(request, self._registrar)
        self.registers[transaction] = request

    def on_response(self, transaction: ClientTransaction, response: Response) -> None:
        request = self.registers.pop(transaction, None)
        if request is None:
            super().on_response(transaction, response)
            return
        if response.status < 200:
            self.registers[transaction] = request
            return
        self.register_answers.append(response)
        if response.status == 401 and not request.headers.get("Authorization"):
            lines = self.client.answer(request, response)
            if lines:
                cseq = request.cseq
                assert cseq is not None
                headers = Headers(list(request.headers))
                headers.set("Via", via_value(self.address, self._registrar, new_branch()))
                headers.set("CSeq", f"{cseq.number + 1} REGISTER")
                for name, value in lines:
                    headers.add(name, value)
                self._send_register(Request("REGISTER", request.request_uri, headers, b""))

    def on_timeout(self, transaction: TransactionBase) -> None:
        if self.registers.pop(transaction, None) is None:  # type: ignore[call-overload]
            super().on_timeout(transaction)
