"""Dialogs (RFC 3261 §12): identity, state, route set, remote target and CSeq spaces, and the
requests sent inside one (§12.2.1.1, the ACK of a 2xx in §13.2.2.4).

A dialog is pure data plus the rules above; the UA core (:mod:`fleet.sip.ua_core`) creates
them, keeps them by :class:`DialogId` and sends what they build."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum

from fleet.sip.headers import Headers
from fleet.sip.message import Message, Request, Response
from fleet.sip.shared_text import SharedText
from fleet.sip.transport_types import Peer
from fleet.sip.ua_addressing import peer_for, via_value
from fleet.sip.uri import parse_uri
from fleet.sip.values import parse_name_addr

TARGET_REFRESH = frozenset({"INVITE", "UPDATE"})


class DialogState(Enum):
    EARLY = "early"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


@dataclass(frozen=True, slots=True)
class DialogId:
    """Call-ID, local tag, remote tag (RFC 3261 §12): the local tag is the From tag of the
    requests we send in the dialog, the remote tag their To tag."""

    call_id: str
    local_tag: str
    remote_tag: str

    @classmethod
    def of_received(cls, request: Request) -> DialogId | None:
        """The dialog a received request belongs to: ours is its To tag, theirs its From tag."""
        to, sender, call_id = request.to, request.from_, request.call_id
        if call_id is None or to is None or sender is None:
            return None
        local, remote = to.tag, sender.tag
        if local is None or remote is None:
            return None
        return cls(call_id, local, remote)

    @classmethod
    def of_response(cls, response: Response) -> DialogId | None:
        """The dialog of a response to a request we sent: ours is the From tag."""
        to, sender, call_id = response.to, response.from_, response.call_id
        if call_id is None or to is None or sender is None:
            return None
        local, remote = sender.tag, to.tag
        if local is None or remote is None:
            return None
        return cls(call_id, local, remote)


# A peer's Contact and our own are the same from one dialog to the next: one string each
_shared = SharedText()


def _target(message: Message) -> str | None:
    contacts = message.contacts
    return _shared(str(contacts[0].uri)) if contacts else None


def _routes(message: Message) -> tuple[str, ...]:
    """The Record-Route values in order, as a tuple (most calls: the empty tuple, shared)."""
    if "Record-Route" not in message.headers:
        return ()  # most calls: nothing to parse
    return tuple(str(route) for route in message.record_routes)


@dataclass(slots=True)
class Dialog:
    """``local_party`` / ``remote_party`` are the From / To values of the requests we send
    (tags included); ``route_set`` holds name-addr values in the order they go into Route;
    ``is_caller`` is True when we sent the INVITE that made it, i.e. we own the Call-ID
    (§14.1)."""

    id: DialogId
    state: DialogState
    local_party: str
    remote_party: str
    remote_target: str
    route_set: tuple[str, ...]
    is_caller: bool
    local_seq: int | None = None
    remote_seq: int | None = None
    secure: bool = False
    local_contact: str = ""

    # --- creation (§12.1) ----------------------------------------------------------------

    @classmethod
    def as_uac(cls, invite: Request, response: Response) -> Dialog:
        """From a 101-199 with a To tag (early) or a 2xx (confirmed) to our INVITE (§12.1.2):
        route set the response's Record-Route reversed, remote target its Contact."""
        cseq = invite.cseq
        return cls.of_invite_parts(
            invite.headers.get("From") or "",
            invite.headers.get("Contact") or "",
            invite.request_uri,
            None if cseq is None else cseq.number,
            response,
        )

    @classmethod
    def of_invite_parts(
        cls,
        local_party: str,
        local_contact: str,
        request_uri: str,
        cseq: int | None,
        response: Response,
    ) -> Dialog:
        """:meth:`as_uac` from what it reads of our INVITE (its From, Contact, Request-URI
        and CSeq number): the UAC core keeps only these once a 2xx has come, to build the
        dialog of a fork answering later (§13.2.2.4)."""
        dialog_id = DialogId.of_response(response)
        if dialog_id is None:
            raise ValueError("a dialog needs Call-ID and both tags")
        return cls(
            id=dialog_id,
            state=DialogState.CONFIRMED if response.status >= 200 else DialogState.EARLY,
            local_party=local_party,
            remote_party=response.headers.get("To") or "",
            remote_target=_target(response) or request_uri,
            route_set=_routes(response)[::-1],
            is_caller=True,
            local_seq=cseq,
            secure=request_uri.startswith("sips:"),
            local_contact=_shared(local_contact),
        )

    @classmethod
    def as_uas(cls, request: Request, response: Response, local_tag: str | None = None) -> Dialog:
        """From the 1xx-with-tag or 2xx we send to an INVITE (§12.1.1): route set the
        request's Record-Route in order, remote target its Contact. ``local_tag``: the To tag
        we gave the response (read from it when not given)."""
        if local_tag is None:
            to = response.to
            local_tag = None if to is None else to.tag
        sender, cseq = request.from_, request.cseq
        if request.call_id is None or local_tag is None or sender is None:
            raise ValueError("a dialog needs Call-ID and both tags")
        return cls(
            id=DialogId(request.call_id, local_tag, sender.tag or ""),
            state=DialogState.CONFIRMED if response.status >= 200 else DialogState.EARLY,
            local_party=response.headers.get("To") or "",
            remote_party=request.headers.get("From") or "",
            remote_target=_target(request) or "",
            route_set=_routes(request),
            is_caller=False,
            remote_seq=None if cseq is None else cseq.number,
            secure=request.request_uri.startswith("sips:"),
            local_contact=_shared(response.headers.get("Contact") or ""),
        )

    # --- updates -------------------------------------------------------------------------

    def confirm(self, response: Response) -> None:
        """The 2xx to the INVITE of an early dialog: confirmed. On the UAC side (§13.2.2.4) the
        route set is recomputed from the 2xx and its Contact becomes the remote target; on
        the UAS side the 2xx is our own and changes neither."""
        if self.state is DialogState.EARLY:
            self.state = DialogState.CONFIRMED
            if self.is_caller:
                self.route_set = _routes(response)[::-1]
        if self.is_caller:
            self.refresh_target(response)

    def refresh_target(self, message: Message) -> None:
        """A target refresh request or its 2xx (§12.2): the Contact, when present, becomes
        the remote target."""
        target = _target(message)
        if target is not None:
            self.remote_target = target

    def accept_remote_cseq(self, request: Request) -> bool:
        """§12.2.2: a request whose CSeq is lower than the last one received is refused (the
        caller answers 500); ACK and CANCEL carry their INVITE's number and are not counted."""
        cseq = request.cseq
        if cseq is None:
            return False
        if request.method in ("ACK", "CANCEL"):
            return True
        if self.remote_seq is not None and cseq.number < self.remote_seq:
            return False
        self.remote_seq = cseq.number
        return True

    def next_local_seq(self) -> int:
        """§12.2.1.1: one more than the last request we sent (1 when we sent none)."""
        self.local_seq = 1 if self.local_seq is None else self.local_seq + 1
        return self.local_seq

    # --- requests in the dialog (§12.2.1.1) ----------------------------------------------

    def create_request(
        self,
        method: str,
        sent_by: Peer,
        *,
        cseq: int | None = None,
        branch: Callable[[], str],
        body: bytes = b"",
        content_type: str | None = None,
    ) -> tuple[Request, Peer]:
        """A request in this dialog and where it goes first. ``cseq`` given (the ACK of a
        2xx: its INVITE's number) leaves the local sequence alone.

        Loose routing (first route with ``lr``): Request-URI the remote target, Route the route
        set. Strict routing: Request-URI the first route's URI, Route the rest and then the
        remote target. The destination is the first Route's URI, else the Request-URI."""
        number = self.next_local_seq() if cseq is None else cseq
        routes = list(self.route_set)
        uri = self.remote_target
        if routes:
            first = parse_name_addr(routes[0], "Route").uri
            destination = peer_for(first)
            if first.param("lr") is None:  # a strict router (RFC 2543)
                uri = str(replace(first, headers=()))
                routes = [*routes[1:], f"<{self.remote_target}>"]
        else:
            destination = peer_for(parse_uri(uri))
        headers = Headers()
        headers.add("Via", via_value(sent_by, destination, branch()))
        headers.add("Max-Forwards", "70")
        for route in routes:
            headers.add("Route", route)
        headers.add("From", self.local_party)
        headers.add("To", self.remote_party)
        headers.add("Call-ID", self.id.call_id)
        headers.add("CSeq", f"{number} {method}")
        if method in TARGET_REFRESH and self.local_contact:
            headers.add("Contact", self.local_contact)
        if content_type is not None:
            headers.add("Content-Type", content_type)
        return Request(method, uri, headers, body), destination


def glare_retry_delay(is_caller: bool, random: Callable[[], float]) -> float:
    """RFC 3261 §14.1: after a 491 the owner of the Call-ID (the dialog's caller) waits 2.1 to
    4 s, the other side 0 to 2 s, chosen in units of 10 ms; ``random`` returns [0, 1)."""
    draw = min(max(random(), 0.0), 1.0)
    delay = 2.1 + 1.9 * draw if is_caller else 2.0 * draw
    return round(delay, 2)
