"""What comes from the companies' PBXs before the UA core sees it (DESIGN §8, trunk profile).

- An INVITE from a trunk's PBX — a static trunk's address, a registered contact, or Digest
  credentials naming a trunk's user — is challenged when the trunk has credentials: 407 with
  the trunk's realm; a valid answer lets it through (the adapter routes it as any caller's
  INVITE: the caller from P-Asserted-Identity/From, the dialled short number or number from
  the Request-URI); a stale nonce is challenged again; wrong credentials get 403, malformed
  ones 400. An INVITE from nowhere known goes through untouched (the core's, ISC).
- A REGISTER names its trunk by the Digest user (its To user before it authenticates); it is
  challenged (401, the trunk's realm), and once authenticated its Contact is bound for
  Expires (the Contact's ``expires`` first, then the Expires header, else 3600 s; at most
  3600 s; below 60 s: 423 with Min-Expires); Expires 0 or ``*`` removes the binding. A
  REGISTER for no registration-mode trunk, or with wrong credentials, gets 403.

Nonces are the stateless ones of :class:`fleet.sip.digest_server.DigestServer`, signed with a
key drawn at start (a restart's stale nonces are challenged again)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum

from fleet.core.calls.ports import EventLog, no_log
from fleet.core.trunks import Trunk, TrunkMode
from fleet.sip.digest_client import UserSecret
from fleet.sip.digest_header import parse_credentials
from fleet.sip.digest_server import DigestServer
from fleet.sip.errors import HeaderValueError
from fleet.sip.headers import Headers
from fleet.sip.message import Request
from fleet.sip.transaction_messages import new_tag
from fleet.sip.transaction_ports import Scheduler
from fleet.sip.transaction_server import ServerTransaction
from fleet.sip.ua_addressing import peer_for
from fleet.sip.ua_messages import uas_response
from fleet.sip.values import parse_name_addr
from fleet.sipnet.registrations import Registrations
from fleet.sipnet.trunkbook import TrunkBook

RandomBytes = Callable[[int], bytes]
DEFAULT_REALM = "fleetpbx"
DEFAULT_EXPIRES = 3600
MAX_EXPIRES = 3600
MIN_EXPIRES = 60
MAX_ADMITTED = 10_000


class Check(Enum):
    """What a request's Digest credentials are worth."""

    AUTHENTICATED = "authenticated"
    ABSENT = "absent"  # challenge
    STALE = "stale"  # right, but the nonce is old or used: challenge again, stale=true
    WRONG = "wrong"  # 403
    MALFORMED = "malformed"  # 400


REFUSALS = {Check.WRONG: 403, Check.MALFORMED: 400}  # the others are challenged


class TrunkGate:
    """The agent's :class:`fleet.sipnet.agent.RequestGate` for the trunks."""

    def __init__(
        self,
        *,
        book: TrunkBook,
        registrations: Registrations,
        scheduler: Scheduler,
        random_bytes: RandomBytes,
        log: EventLog = no_log,
    ) -> None:
        self.book = book
        self.registrations = registrations
        self._scheduler = scheduler
        self._random = random_bytes
        self._key = random_bytes(32)
        self.log = log
        self._servers: dict[tuple[str, bool], DigestServer] = {}
        # INVITEs let through from a trunk, until the adapter takes them (``admitted``)
        self._admitted: dict[ServerTransaction, Trunk] = {}

    def screen(self, transaction: ServerTransaction, request: Request) -> bool:
        if request.method == "REGISTER":
            self._register(transaction, request)
            return True
        if request.method != "INVITE":
            return False
        trunk = self.trunk_of(transaction, request)
        if trunk is None:
            return False
        if not self._guarded(trunk):
            self._admit(transaction, trunk)
            return False
        server = self._server(trunk, proxy=True)
        check = self._verify(server, trunk, request)
        if check is Check.AUTHENTICATED:
            self.log("sip_trunk_call_admitted", trunk=trunk.id, sip_call_id=request.call_id)
            self._admit(transaction, trunk)
            return False
        self._refuse(transaction, request, check, server, trunk)
        return True

    def admitted(self, transaction: ServerTransaction) -> Trunk | None:
        """The trunk whose PBX sent the INVITE of ``transaction`` (once: it is forgotten)."""
        return self._admitted.pop(transaction, None)

    # -- INVITE -------------------------------------------------------------------------------

    def _admit(self, transaction: ServerTransaction, trunk: Trunk) -> None:
        if len(self._admitted) >= MAX_ADMITTED:  # INVITEs the UA core refused: the oldest go
            del self._admitted[next(iter(self._admitted))]
        self._admitted[transaction] = trunk

    def trunk_of(self, transaction: ServerTransaction, request: Request) -> Trunk | None:
        """The trunk whose PBX sent ``request``: by its address (static trunk), its registered
        contact, or the user of its Digest credentials (not verified here)."""
        peer = transaction.peer
        found = self.book.by_peer(peer.host, peer.port) or self.registrations.trunk_at(peer)
        if found is not None:
            return found
        user = _digest_user(request, "Proxy-Authorization")
        return self.book.by_username(user) if user else None

    def _guarded(self, trunk: Trunk) -> bool:
        return trunk.username is not None and self.book.secret(trunk.id) is not None

    # -- REGISTER -----------------------------------------------------------------------------

    def _register(self, transaction: ServerTransaction, request: Request) -> None:
        user = _digest_user(request, "Authorization")
        if user is None and request.to is not None:
            user = request.to.uri.user
        trunk = self.book.by_username(user) if user else None
        if trunk is None or trunk.mode is not TrunkMode.REGISTRATION or not self._guarded(trunk):
            self.log("sip_trunk_register_refused", user=user)
            transaction.respond(uas_response(request, 403, local_tag=new_tag()))
            return
        server = self._server(trunk, proxy=False)
        check = self._verify(server, trunk, request)
        if check is not Check.AUTHENTICATED:
            self._refuse(transaction, request, check, server, trunk)
            return
        self._bind(transaction, request, trunk)

    def _bind(self, transaction: ServerTransaction, request: Request, trunk: Trunk) -> None:
        contacts = request.headers.get_all("Contact")
        header_expires = _int(request.headers.get("Expires"))
        if not contacts:  # a query: the binding as it is
            response = uas_response(request, 200, local_tag=new_tag())
            self._list(response.headers, trunk)
            transaction.respond(response)
            return
        if contacts[0].strip() == "*":
            self.registrations.unbind(trunk)
            transaction.respond(uas_response(request, 200, local_tag=new_tag()))
            return
        try:
            contact = parse_name_addr(contacts[0].strip(), "Contact")
            peer = peer_for(contact.uri)
        except ValueError:
            transaction.respond(uas_response(request, 400, local_tag=new_tag()))
            return
        expires = _int(contact.param("expires"))
        expires = expires if expires is not None else header_expires
        expires = DEFAULT_EXPIRES if expires is None else min(expires, MAX_EXPIRES)
        if expires == 0:
            self.registrations.unbind(trunk)
            transaction.respond(uas_response(request, 200, local_tag=new_tag()))
            return
        if expires < MIN_EXPIRES:
            response = uas_response(request, 423, local_tag=new_tag())
            response.headers.add("Min-Expires", str(MIN_EXPIRES))
            transaction.respond(response)
            return
        self.registrations.bind(trunk, str(contact.uri), peer, expires)
        response = uas_response(request, 200, local_tag=new_tag())
        self._list(response.headers, trunk)
        transaction.respond(response)

    def _list(self, headers: Headers, trunk: Trunk) -> None:
        binding = self.registrations.binding(trunk.id)
        if binding is None:
            return
        left = max(0, round(binding.expires_at - self._scheduler.now()))
        headers.add("Contact", f"<{binding.uri}>;expires={left}")

    # -- Digest -------------------------------------------------------------------------------

    def _server(self, trunk: Trunk, *, proxy: bool) -> DigestServer:
        realm = trunk.realm or DEFAULT_REALM
        server = self._servers.get((realm, proxy))
        if server is None:
            server = DigestServer(realm, self._key, self._scheduler.now, self._random, proxy=proxy)
            self._servers[(realm, proxy)] = server
        return server

    def _verify(self, server: DigestServer, trunk: Trunk, request: Request) -> Check:
        header = server.credentials_header
        try:
            given = parse_credentials(request.headers.get_all(header), header)
        except HeaderValueError:
            return Check.MALFORMED
        if not any(c.is_digest and c.realm == server.realm for c in given):
            return Check.ABSENT  # none, or for another realm: challenge
        password = self.book.secret(trunk.id)

        def lookup(username: str) -> UserSecret | None:
            if username != trunk.username or password is None:
                return None
            return UserSecret(username, password=password)

        verdict = server.verify(request, lookup)
        if verdict.ok:
            return Check.AUTHENTICATED
        if verdict.stale:
            return Check.STALE
        self.log("sip_trunk_auth_failed", trunk=trunk.id, reason=verdict.reason)
        return Check.MALFORMED if verdict.status == 400 else Check.WRONG

    def _refuse(
        self,
        transaction: ServerTransaction,
        request: Request,
        check: Check,
        server: DigestServer,
        trunk: Trunk,
    ) -> None:
        code = REFUSALS.get(check, server.status)
        response = uas_response(request, code, local_tag=new_tag())
        if code == server.status:
            for name, value in server.challenges(stale=check is Check.STALE):
                response.headers.add(name, value)
        self.log("sip_trunk_refused", trunk=trunk.id, method=request.method, status=code)
        transaction.respond(response)


def _digest_user(request: Request, header: str) -> str | None:
    try:
        found = parse_credentials(request.headers.get_all(header), header)
    except HeaderValueError:
        return None
    for credentials in found:
        if credentials.is_digest and credentials.username:
            return credentials.username
    return None


def _int(text: str | None) -> int | None:
    if text is None or not text.strip().isdigit():
        return None
    return int(text.strip())
