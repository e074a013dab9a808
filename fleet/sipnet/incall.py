"""In-call services asked from the handset over SIP (DESIGN §4), told to the engine as the
simulated network tells it a key was pressed (``engine.incall``):

- **keys in INFO** (one digit per INFO): ``application/dtmf-relay`` (``Signal=#`` …, the
  ``Duration`` ignored) or ``application/dtmf`` (the digit alone). Digits are collected per
  dialog from a ``#``: ``#1`` is the transfer, ``#3`` the conference key (``#3`` after
  3GPP TS 22.030's "3 SEND", multiparty); any other sequence is dropped. INFO gets 200, the
  service runs right after; a refusal is the engine's announcement, heard on the answered leg
  (moved onto the media server and back: :mod:`.announce_answered`). INFO with another body
  type: 415.
- **REFER** (3GPP TS 24.629 ECT; RFC 3515): Refer-To the other party's URI → the transfer;
  Refer-To ``sip:conference@…`` or a conference URI of ours (``sip:conf-…``) → the conference
  key. A transfer the engine refuses (DESIGN §4: abroad, white zone, a special number such as
  08…; no held or no active call) is answered **403** and the engine plays its announcement
  (the leg moved onto the media server once the 403 is sent);
  otherwise **202**, then a NOTIFY (``Event: refer``, ``message/sipfrag`` ``SIP/2.0 200 OK``,
  subscription terminated) before the service runs — a transfer BYEs the transferring user's
  dialogs at once, so the NOTIFY reports the engine taking the transfer, not the later
  re-INVITEs (their failure releases the call). The conference key by REFER is answered 202
  and its NOTIFY carries the engine's verdict (``200 OK``, or ``403 Forbidden`` with the
  engine's announcement: no held call, a full conference). A REFER without Refer-To: 400.
- **hold / retrieve**: an offer relayed after the bridge (:mod:`.relay`) with ``a=sendonly`` or
  ``a=inactive`` puts the offerer's leg on hold in the engine; ``a=sendrecv`` (or no direction)
  retrieves it (a transfer needs the held call).

Where the handset is (abroad, white zone: a transfer refused) comes from the requests'
P-Access-Network-Info (:mod:`.whereabouts`): the REFER's or INFO's own, else the latest of
that dialog's earlier requests (INFO, REFER, re-INVITE, UPDATE), read when the transfer is
asked. Each of those requests naming a cell also tells ``sightings`` where that fleet line's
handset is (:mod:`.sightings`: the engine asks it whether a line roams); one from home after
one from abroad tells the engine the line came home (``Engine.came_home``: its groups' waiting
callers may ring it)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from fleet.core.calls.engine import Engine
from fleet.core.calls.events import LineCameHome
from fleet.core.calls.incall import Location, Refusal
from fleet.core.numbering import E164
from fleet.sip.dialog import Dialog, DialogId
from fleet.sip.errors import SipParseError
from fleet.sip.message import Message, Request
from fleet.sip.values import parse_name_addr
from fleet.sipnet.agent import FleetAgent
from fleet.sipnet.sightings import Sightings
from fleet.sipnet.whereabouts import HEADER, Whereabouts, cell_of

DTMF_RELAY = "application/dtmf-relay"
DTMF = "application/dtmf"
TRANSFER_KEYS = "#1"
CONFERENCE_KEYS = "#3"
SIPFRAG = "message/sipfrag;version=2.0"
NOTIFY_HEADERS = (("Event", "refer"), ("Subscription-State", "terminated;reason=noresource"))
HOLDING = (b"a=sendonly", b"a=inactive")


def digit_of(request: Request) -> str | None:
    """The key an INFO carries, or None (no body, or a body of another type)."""
    content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    text = request.body.decode("utf-8", "replace")
    if content_type == DTMF_RELAY:
        for line in text.splitlines():
            name, _, value = line.partition("=")
            if name.strip().lower() == "signal" and value.strip():
                return value.strip()[0]
        return None
    if content_type == DTMF and text.strip():
        return text.strip()[0]
    return None


def holds(body: bytes) -> bool:
    """An SDP offer putting the other side on hold (RFC 3264 §8.4)."""
    return any(mark in body for mark in HOLDING)


def is_conference_uri(refer_to: str) -> bool:
    user = parse_name_addr(refer_to, "Refer-To").uri.user or ""
    return user == "conference" or user.startswith("conf-")


class InCallKeys:
    """The agent's in-dialog hook (:data:`fleet.sip.ua_calls.InDialogHook`) for INFO and REFER;
    ``leg_of`` names the engine's leg of a dialog."""

    def __init__(
        self,
        agent: FleetAgent,
        *,
        engine: Callable[[], Engine],
        leg_of: Callable[[DialogId], str | None],
        whereabouts: Whereabouts | None = None,
        sightings: Sightings | None = None,
    ) -> None:
        self.agent = agent
        self._engine = engine
        self._leg_of = leg_of
        self.whereabouts = whereabouts if whereabouts is not None else Whereabouts()
        # not ``or``: an empty Sightings is falsy (it has a length)
        self.sightings = sightings if sightings is not None else Sightings(now=agent.scheduler.now)
        self._keys: dict[DialogId, str] = {}

    def forget(self, dialog: Dialog) -> None:
        self._keys.pop(dialog.id, None)
        self.whereabouts.forget(dialog.id)

    def __call__(self, dialog: Dialog, request: Request) -> int:
        self._seen(dialog, request)
        if request.method == "INFO":
            return self._info(dialog, request)
        if request.method == "REFER":
            return self._refer(dialog, request)
        return 489  # RFC 6665: NOTIFY for no subscription of ours

    def offered(self, dialog: Dialog, request: Request, *, relayed: bool) -> None:
        """A re-INVITE or UPDATE from ``dialog``'s side came (``relayed``: it is being relayed
        to the other leg): its P-Access-Network-Info, if any, is where that handset is now
        (the next transfer asked from it is decided there); its SDP holds or retrieves."""
        self.whereabouts.note(dialog.id, request)
        self._seen(dialog, request)
        leg_id = self._leg_of(dialog.id)
        body = request.body
        if not relayed or leg_id is None or not body:
            return
        if holds(body):
            self._engine().incall.hold(leg_id)
        else:
            self._engine().incall.retrieve(leg_id)

    # -- INFO ------------------------------------------------------------------------------

    def _info(self, dialog: Dialog, request: Request) -> int:
        if not request.body:
            return 200
        digit = digit_of(request)
        if digit is None:
            return 415
        location = self.whereabouts.of(dialog.id, request)
        keys = digit if digit == "#" else self._keys.get(dialog.id, "") + digit
        self._keys.pop(dialog.id, None)
        if keys in (TRANSFER_KEYS, CONFERENCE_KEYS):
            number = self._number(dialog)
            if number is not None:
                self.agent.later(0, partial(self._press, keys, number, location))
        elif keys.startswith("#") and len(keys) < len(TRANSFER_KEYS):
            self._keys[dialog.id] = keys
        return 200

    def _press(self, keys: str, number: E164, location: Location) -> Refusal | None:
        incall = self._engine().incall
        if keys == TRANSFER_KEYS:
            return incall.transfer(number, location)
        return incall.conference(number)

    # -- REFER -----------------------------------------------------------------------------

    def _refer(self, dialog: Dialog, request: Request) -> int:
        refer_to = request.headers.get("Refer-To")
        if not refer_to:
            return 400
        try:
            conference = is_conference_uri(refer_to)
        except SipParseError:
            return 400
        number = self._number(dialog)
        if number is None:
            return 403
        keys = CONFERENCE_KEYS if conference else TRANSFER_KEYS
        incall = self._engine().incall
        location = self.whereabouts.of(dialog.id, request)
        if not conference and incall.transfer_refusal(number, location) is not None:
            self._press(keys, number, location)  # the engine refuses it, plays its announcement
            return 403
        self.agent.later(0, partial(self._referred, dialog, keys, number, location))
        return 202

    def _referred(self, dialog: Dialog, keys: str, number: E164, location: Location) -> None:
        if keys == TRANSFER_KEYS:
            self._notify(dialog, "200 OK")
            self._press(keys, number, location)
            return
        refusal = self._press(keys, number, location)
        self._notify(dialog, "200 OK" if refusal is None else "403 Forbidden")

    def _notify(self, dialog: Dialog, status: str) -> None:
        self.agent.request_in(
            dialog,
            "NOTIFY",
            body=f"SIP/2.0 {status}\r\n".encode(),
            content_type=SIPFRAG,
            headers=NOTIFY_HEADERS,
        )

    def _seen(self, dialog: Dialog, request: Request) -> None:
        """The cell ``request`` names, if any, is where the handset of ``dialog``'s leg is."""
        if request.headers.get(HEADER) is not None:
            self.sighted(self._number(dialog), request)

    def sighted(self, number: E164 | None, request: Message) -> None:
        """``request`` comes from ``number``'s handset (the served line of an originating
        INVITE, a leg's in-dialog request, the 18x or 2xx of a leg ringing it): the cell it
        names, if any, is where that handset is now — kept when ``number`` is a fleet
        line's."""
        if number is None or request.headers.get(HEADER) is None:
            return  # most responses: no header, nothing to look up
        where = cell_of(request)
        if where is None or self._engine().directory.by_msisdn(number) is None:
            return
        was = self.sightings.location(number)
        self.sightings.saw(number, self.whereabouts.line_location(where))
        if was.roaming and not self.sightings.location(number).roaming:
            self._engine().came_home(LineCameHome(number))  # no longer roaming

    def _number(self, dialog: Dialog) -> E164 | None:
        leg_id = self._leg_of(dialog.id)
        call = self._engine().call_of_leg(leg_id) if leg_id is not None else None
        leg = call.legs.get(leg_id) if call is not None and leg_id is not None else None
        return leg.number if leg is not None else None
