"""netsim's SMSC / USSD gateway: the SMSC simulator (``simulators.smsc``, SMPP 3.4) run in
netsim's process, FleetPBX bound to it as its ESME. A handset that dials a GSM MMI/USSD string
(``**21*N#``, ``*#21#``, ``*55*G*CODE#``, ``*700#``…) sends it as USSD instead of placing a call;
what FleetPBX answers shows on the handset's screen (the last answer, and the menu when one is
open), and a reply answers an open menu. The SMS FleetPBX submits land in the handsets'
inboxes. The resource (``smsc_resource``) lives in the aiohttp ``cleanup_ctx``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

import structlog
from aiohttp import web

from featurecodes.grammar import GrammarError, PlainCall, classify
from simulators.netsim.handset import Handset
from simulators.smppwire import MAX_PAYLOAD, ShortMessage, encode_text
from simulators.smsc import NoMenu, SmscSimulator, UssdRejected

log = structlog.get_logger("simulators.netsim.smsc")

KEPT_PDUS = 200  # the SMSC's latest submit_sm and responses kept (for debugging)
SHOWN_SMS = 5  # the latest SMS a handset's view shows (all of them: GET /handsets/{n}/sms)


@dataclass(frozen=True, slots=True)
class SmscSettings:
    host: str = "127.0.0.1"
    port: int = 2775  # 0: a free one (logged, and in GET /healthz)
    system_id: str = "fleetpbx"  # what FleetPBX binds with (its smpp_system_id)
    password: str = ""  # and its smpp_password
    answer_timeout: float = 30.0  # how long a handset waits for FleetPBX's USSD answer


class UssdState(StrEnum):
    WAITING = "waiting"  # sent, no answer yet
    MENU = "menu"  # FleetPBX answered with a menu (op 2): a reply is expected
    ANSWERED = "answered"  # a final answer (op 17): the dialogue is over
    FAILED = "failed"  # no answer: no bind, refused by the ESME, or timed out


class UssdProblem(StrEnum):
    """Why a USSD request was refused or failed (the control API's problem codes)."""

    INVALID_USSD = "invalid_ussd"  # a */#…# string that is no MMI or USSD string
    INVALID_TEXT = "invalid_text"  # a menu reply that SMPP cannot carry, or empty
    NO_MENU = "no_menu"  # a reply from a handset that shows no menu
    IN_PROGRESS = "ussd_in_progress"  # the handset still waits for an answer
    HANDSET_UNREACHABLE = "handset_unreachable"  # switched off or out of coverage
    SMSC_OFF = "smsc_off"  # netsim runs without its SMSC (``--no-smpp``)
    NOT_BOUND = "smsc_not_bound"  # FleetPBX is not bound to the SMSC
    REJECTED = "ussd_rejected"  # FleetPBX refused the deliver_sm
    TIMEOUT = "ussd_timeout"  # no answer within the SMSC's answer timeout


class UssdError(Exception):
    def __init__(self, problem: UssdProblem, detail: str) -> None:
        super().__init__(detail)
        self.problem, self.detail = problem, detail


@dataclass(slots=True)
class UssdScreen:
    """What a handset's screen shows of its last USSD dialogue."""

    dialled: str  # the string that opened the dialogue
    sent: str  # what was sent last (the dialled string, or a menu reply)
    state: UssdState = UssdState.WAITING
    text: str = ""  # FleetPBX's last answer
    refused: bool = False  # FleetPBX said it refused the request (its 0x1401 parameter)
    error: str = ""  # why it failed (state FAILED)

    def view(self) -> dict[str, object]:
        return {
            "dialled": self.dialled,
            "sent": self.sent,
            "state": self.state.value,
            "text": self.text,
            "menu": self.text if self.state is UssdState.MENU else None,
            "refused": self.refused,
            "error": self.error or None,
        }


def ussd_string(dialled: str) -> str | None:
    """The USSD/MMI string a handset sends for ``dialled`` (blanks removed), or None for a
    number to call. A string starting with ``*`` or ``#`` and ending with ``#`` is USSD or a
    supplementary-service request (TS 22.030): ``**21*N#``, ``#21#``, ``*#21#``, ``*55*G*C#``,
    ``*700#``; a ``#31#N`` / ``*31#N`` call stays a call. Raises :class:`UssdError` for such a
    string that is neither (``*#``, ``##``, letters…)."""
    text = "".join(dialled.split())
    if not (text[:1] in ("*", "#") and text.endswith("#")):
        return None
    parsed = classify(text)
    if isinstance(parsed, PlainCall):
        return None
    if isinstance(parsed, GrammarError):
        reason = parsed.reason.value.replace("_", " ")
        raise UssdError(UssdProblem.INVALID_USSD, f"{dialled!r}: no USSD string ({reason})")
    return text


def reply_text(raw: object) -> str:
    """A menu reply as typed: a non-empty text SMPP can carry (a number is taken as text)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str) or not raw.strip():
        raise UssdError(UssdProblem.INVALID_TEXT, 'text: the reply to the menu, e.g. "1"')
    text = raw.strip()
    try:
        _coding, encoded = encode_text(text)
    except (UnicodeError, ValueError):
        raise UssdError(UssdProblem.INVALID_TEXT, "text: characters SMPP cannot carry") from None
    if len(encoded) > MAX_PAYLOAD:
        raise UssdError(UssdProblem.INVALID_TEXT, f"text: at most {MAX_PAYLOAD} octets")
    return text


class UssdGatewaySim:
    """The handsets' side of the SMSC: their USSD dialogues and their SMS inboxes."""

    def __init__(self, *, smsc: SmscSimulator) -> None:
        self.smsc = smsc
        self._screens: dict[str, UssdScreen] = {}  # by the handset's E.164 number
        # told the E.164 number of a handset whose USSD screen changed (the console's hub)
        self.changed: Callable[[str], None] = lambda _number: None
        # told when the SMSC's state changed: a bind, a link ended, a misbehaviour switched
        self.smsc_changed: Callable[[], None] = lambda: None

    def screen(self, handset: Handset) -> UssdScreen | None:
        return self._screens.get(handset.number.value)

    def inbox(self, handset: Handset) -> list[ShortMessage]:
        """The SMS FleetPBX submitted to the handset, oldest first."""
        return list(self.smsc.inbox.get(handset.number.value, ()))

    async def dial(self, handset: Handset, text: str) -> UssdScreen:
        """The handset sends ``text`` (a :func:`ussd_string`) and waits for the answer."""
        self._check(handset)
        screen = UssdScreen(dialled=text, sent=text)
        self._screens[handset.number.value] = screen
        self.changed(handset.number.value)
        await self._exchange(handset, screen, self.smsc.ussd(handset.number.value, text))
        return screen

    async def reply(self, handset: Handset, text: str) -> UssdScreen:
        """The handset answers the menu it shows with ``text``."""
        screen = self._screens.get(handset.number.value)
        if screen is not None and screen.state is UssdState.WAITING:
            self._check(handset)  # still waiting: in progress
        if screen is None or screen.state is not UssdState.MENU:
            raise UssdError(UssdProblem.NO_MENU, f"no menu is shown on {handset.national}")
        self._check(handset)
        screen.sent, screen.state, screen.refused = text, UssdState.WAITING, False
        self.changed(handset.number.value)
        await self._exchange(handset, screen, self.smsc.reply(handset.number.value, text))
        return screen

    def _check(self, handset: Handset) -> None:
        if not handset.state.reachable:
            raise UssdError(
                UssdProblem.HANDSET_UNREACHABLE,
                f"{handset.national} is {handset.state.value}: it cannot send USSD",
            )
        screen = self._screens.get(handset.number.value)
        if screen is not None and screen.state is UssdState.WAITING:
            raise UssdError(
                UssdProblem.IN_PROGRESS, f"{handset.national} still waits for an answer"
            )

    async def _exchange(
        self, handset: Handset, screen: UssdScreen, sending: Awaitable[str]
    ) -> None:
        try:
            await self._answered(handset, screen, sending)
        finally:
            self.changed(handset.number.value)

    async def _answered(
        self, handset: Handset, screen: UssdScreen, sending: Awaitable[str]
    ) -> None:
        problem: UssdProblem | None = None
        try:
            screen.text = await sending
        except ConnectionError as exc:
            problem, detail = UssdProblem.NOT_BOUND, f"FleetPBX is not bound to the SMSC ({exc})"
        except UssdRejected as exc:
            problem, detail = UssdProblem.REJECTED, f"FleetPBX refused the USSD request ({exc})"
        except NoMenu as exc:
            problem, detail = UssdProblem.NO_MENU, str(exc)
        except TimeoutError:
            problem, detail = UssdProblem.TIMEOUT, "no answer from FleetPBX in time"
        if problem is not None:
            screen.state, screen.error, screen.text = UssdState.FAILED, detail, ""
            log.info("netsim_ussd_failed", dialled=screen.dialled, problem=problem.value)
            raise UssdError(problem, detail)
        shown = self.smsc.screens.get(handset.number.value)  # answered to "+33…"
        last = shown[-1] if shown else None
        screen.refused = bool(last and last.refused)
        screen.state = UssdState.MENU if last is not None and last.op == 2 else UssdState.ANSWERED
        self._forget(handset.number.value)

    def _forget(self, key: str) -> None:
        """Keep the SMSC's records from growing in a long run (load, thousands of handsets):
        the handset's last screen, the latest PDUs (the inboxes are kept whole)."""
        screens = self.smsc.screens.get(key)
        if screens:
            del screens[:-1]
        for kept in (self.smsc.submits, self.smsc.responses):
            del kept[:-KEPT_PDUS]

    # -- views ----------------------------------------------------------------------------

    def handset_view(self, handset: Handset) -> dict[str, object]:
        """What the handset's view shows of USSD and SMS (netsim's view hook)."""
        screen = self.screen(handset)
        inbox = self.smsc.inbox.get(handset.number.value, ())
        return {
            "ussd": screen.view() if screen is not None else None,
            "sms": [sms_view(m) for m in inbox[-SHOWN_SMS:]],
            "sms_count": len(inbox),
        }

    def health(self) -> dict[str, object]:
        return {"port": self.smsc.port, "bound": self.smsc.bound}


def sms_view(message: ShortMessage) -> dict[str, object]:
    return {"from": message.source, "text": message.text}


SMSC_GATEWAY = web.AppKey("netsim_smsc_gateway", UssdGatewaySim)


def smsc_resource(
    settings: SmscSettings, *, attach: Callable[[web.Application, UssdGatewaySim], None]
) -> Callable[[web.Application], AsyncIterator[None]]:
    """The SMSC in the ``cleanup_ctx``: started (its port logged), ``attach`` given the
    gateway (netsim's view hook), stopped at the end."""

    async def resource(app: web.Application) -> AsyncIterator[None]:
        smsc = SmscSimulator(
            system_id=settings.system_id,
            password=settings.password,
            host=settings.host,
            port=settings.port,
            answer_timeout=settings.answer_timeout,
        )
        await smsc.start()
        gateway = UssdGatewaySim(smsc=smsc)
        app[SMSC_GATEWAY] = gateway
        attach(app, gateway)
        log.info("netsim_smsc_listening", smpp_host=settings.host, smpp_port=smsc.port)
        try:
            yield
        finally:
            await smsc.stop()

    return resource


def gateway_of(app: web.Application) -> UssdGatewaySim:
    gateway = app.get(SMSC_GATEWAY)
    if gateway is None:
        raise UssdError(UssdProblem.SMSC_OFF, "netsim runs without its SMSC (--no-smpp)")
    return gateway


def smpp_health(app: web.Application) -> dict[str, object] | None:
    gateway = app.get(SMSC_GATEWAY)
    return gateway.health() if gateway is not None else None
