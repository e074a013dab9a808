"""In-call keys pressed on a netsim handset (DESIGN §4, §8): the keys travel on the handset's
call towards the service node serving it, as a real network carries them — on the dialog of
the handset's leg's peer, netsim's SIP leg to FleetPBX (its originating visit when the handset
placed the call, its terminating visit when it was called):

- **INFO** ``application/dtmf-relay`` (``Signal=<key>``, ``Duration=160``), one INFO per key,
  each with the handset's P-Access-Network-Info (FleetPBX decides a transfer by where the
  handset is): ``#1`` is the transfer, ``#3`` the conference key, any digits are sent;
- **REFER** (3GPP TS 24.629 ECT, TS 24.147 conference), ``#1`` or ``#3`` only: Refer-To the
  held party (``<tel:+…>``, or an anonymous URI when the handset never knew its number), or
  ``sip:conference@<FleetPBX>`` for the conference key; FleetPBX's NOTIFY (``message/sipfrag``)
  is answered 200 and its status line kept as the handset's REFER outcome.

The call the keys go on is the handset's active call (answered, not held by it; the latest),
else the one it is placing, else a held one. A call straight between two handsets (two outside
numbers: no service node) hears the keys and nothing happens. What the service then does — a
transfer's re-INVITEs, a move onto the media server's conference room — comes back from
FleetPBX by third-party call control, relayed by netsim's legs (:mod:`.sip_legs`,
:mod:`.sipbook`); each handset's screen follows (:mod:`.media_party`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import structlog

from fleet.sip.dialog import Dialog, DialogId, DialogState
from fleet.sip.message import Request, Response
from fleet.sip.transport_types import Peer
from simulators.netsim.agent import NetsimAgent
from simulators.netsim.cells import access_network_info
from simulators.netsim.handset import Handset
from simulators.netsim.handset_leg import HandsetError, HandsetLeg
from simulators.netsim.legs import LegState
from simulators.netsim.sip_legs import SipInLeg, SipOutLeg

log = structlog.get_logger("simulators.netsim.incall")

KEYS = re.compile(r"[0-9*#]{1,32}")
TRANSFER_KEYS, CONFERENCE_KEYS = "#1", "#3"
DTMF_RELAY = "application/dtmf-relay"
KEY_DURATION_MS = 160
SIPFRAG = "message/sipfrag"
ANONYMOUS_URI = "<sip:anonymous@anonymous.invalid>"
ENDED = DialogState.TERMINATED


class KeyMethod(StrEnum):
    INFO = "info"  # application/dtmf-relay, one INFO per key
    REFER = "refer"  # 3GPP ECT (#1) or the conference (#3)


class Reached(StrEnum):
    FLEETPBX = "fleetpbx"  # the service node serving the handset
    HANDSET = "handset"  # a call straight between two handsets: nothing happens


class BadKeys(ValueError):
    """Keys a handset cannot send (not 0-9 * #; by REFER, not #1 nor #3)."""


@dataclass(frozen=True, slots=True)
class Pressed:
    keys: str
    method: KeyMethod
    leg: HandsetLeg  # the handset's call the keys went on
    reached: Reached

    def view(self) -> dict[str, object]:
        return {
            "keys": self.keys,
            "method": self.method.value,
            "leg": self.leg.id,
            "call": self.leg.call.id,
            "reached": self.reached.value,
        }


def check_keys(keys: str, method: KeyMethod) -> str:
    """The keys as sent; raises :class:`BadKeys`."""
    if not KEYS.fullmatch(keys):
        raise BadKeys(f"{keys!r}: 1 to 32 keys among 0-9, * and #")
    if method is KeyMethod.REFER and keys not in (TRANSFER_KEYS, CONFERENCE_KEYS):
        raise BadKeys(f"{keys!r}: by REFER only {TRANSFER_KEYS} or {CONFERENCE_KEYS}")
    return keys


def keyed_leg(handset: Handset) -> HandsetLeg:
    """The handset's call the keys go on; raises :class:`HandsetError` when it has none."""
    legs = [leg for leg in handset.legs if not leg.ended]
    active = [leg for leg in legs if leg.state is LegState.ANSWERED and not leg.on_hold]
    placing = [leg for leg in legs if leg.role == "caller" and leg.state is LegState.RINGING]
    held = [leg for leg in legs if leg.state is LegState.ANSWERED]
    chosen = active or placing or held
    if not chosen:
        raise HandsetError("no call on this handset to send keys in")
    return chosen[-1]


class InCallKeys:
    """Sends the keys of netsim's handsets (on netsim's user agent) and hears FleetPBX's
    NOTIFYs of their REFERs (the UA's in-dialog hook, :meth:`in_dialog`)."""

    def __init__(self, *, ua: NetsimAgent, fleetpbx: Peer) -> None:
        self.ua = ua
        self.fleetpbx = fleetpbx
        self.refer_outcomes: dict[str, str] = {}  # handset (E.164) -> the NOTIFY's status line
        self._refers: dict[DialogId, tuple[Dialog, str]] = {}  # a REFER's dialog, its handset
        # told the E.164 number of a handset whose REFER outcome changed (the console's hub)
        self.changed: Callable[[str], None] = lambda _number: None

    def press(self, handset: Handset, keys: str, method: KeyMethod = KeyMethod.INFO) -> Pressed:
        """Raises :class:`BadKeys`, or :class:`HandsetError` when the handset has no call (or
        its call has no dialog yet); nothing is sent then."""
        keys = check_keys(keys, method)
        leg = keyed_leg(handset)
        peer = leg.peer
        if peer is None or peer.ended:
            raise HandsetError("the call has ended")
        if not isinstance(peer, SipInLeg | SipOutLeg):
            log.info("netsim_keys_heard_by_handset", handset=handset.number.value, keys=keys)
            return Pressed(keys, method, leg, Reached.HANDSET)
        dialog = peer.dialog
        if dialog is None:
            raise HandsetError("the call is not set up yet")
        where = ("P-Access-Network-Info", access_network_info(handset))
        if method is KeyMethod.INFO:
            for key in keys:
                body = f"Signal={key}\r\nDuration={KEY_DURATION_MS}\r\n".encode()
                self.ua.request_in(
                    dialog, "INFO", body=body, content_type=DTMF_RELAY, headers=[where]
                )
        else:
            self._refer(handset, dialog, keys, where)
        log.info(
            "netsim_keys_sent",
            handset=handset.number.value,
            keys=keys,
            method=method.value,
            call=leg.call.id,
        )
        return Pressed(keys, method, leg, Reached.FLEETPBX)

    def _refer(self, handset: Handset, dialog: Dialog, keys: str, where: tuple[str, str]) -> None:
        if keys == CONFERENCE_KEYS:
            host = self.fleetpbx.host
            refer_to = f"<sip:conference@{f'[{host}]' if ':' in host else host}>"
        else:
            refer_to = self._held_party(handset)
        number = handset.number.value
        if self.refer_outcomes.pop(number, None) is not None:
            self.changed(number)
        for dialog_id in [k for k, (d, _) in self._refers.items() if d.state is ENDED]:
            del self._refers[dialog_id]  # dialogs over: no NOTIFY will come
        self._refers[dialog.id] = (dialog, number)

        def final(response: Response | None) -> None:
            status = None if response is None else response.status
            log.info("netsim_refer_answered", handset=number, status=status)
            if response is None or response.status >= 300:  # no NOTIFY follows a refusal
                refused = f"SIP/2.0 {response.status} {response.reason}" if response else None
                self.refer_outcomes[number] = refused or "no answer"
                self._refers.pop(dialog.id, None)
                self.changed(number)

        self.ua.request_followed(
            dialog,
            "REFER",
            final,
            headers=[
                ("Refer-To", refer_to),
                ("Referred-By", f"<tel:{handset.number.value}>"),
                where,
            ],
        )

    @staticmethod
    def _held_party(handset: Handset) -> str:
        held = [leg for leg in handset.legs if not leg.ended and leg.on_hold]
        other = held[-1].other if held else None
        return ANONYMOUS_URI if other is None else f"<tel:{other.value}>"

    # -- FleetPBX's requests in the handsets' dialogs (the UA's in-dialog hook) ------------

    def in_dialog(self, dialog: Dialog, request: Request) -> int:
        """A NOTIFY of a REFER's outcome: 200 and kept; an INFO: 200; a REFER to a handset:
        403 (netsim's handsets are not transferred by the network's REFER)."""
        if request.method == "INFO":
            return 200
        if request.method == "REFER":
            return 403
        referred = self._refers.get(dialog.id)
        if referred is None:
            return 481  # RFC 6665 §4.1.3: no subscription of ours
        number = referred[1]
        content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip()
        if content_type.lower() == SIPFRAG and request.body:
            status = request.body.decode("utf-8", "replace").splitlines()[0].strip()
            self.refer_outcomes[number] = status
            self.changed(number)
        if "terminated" in (request.headers.get("Subscription-State") or ""):
            del self._refers[dialog.id]
        return 200
