"""The service's ``UssdHandler``: who is asking, what they typed, and the answer to show.

Only lines with the PABX option may use feature codes; a line changes only itself unless
it gives the group's administrative code. Every bad input gets a clear answer. Who is
asking and what they ask about is read from the routing cache (``ConfigView``); changes go
through the services, whose committed changes update that cache before they return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog

from featurecodes import grammar, texts
from featurecodes.catalogue import BARRING_CODES, PASSWORD_CODE, Catalogue
from featurecodes.commands import Commands
from featurecodes.menu import GroupCodePrompt, Menu, MenuContext, Screen, top
from featurecodes.ports import ConfigView
from featurecodes.ussd import UssdOp, UssdReply, UssdRequest
from fleet.core import model
from fleet.core.clock import Clock
from fleet.core.errors import DomainError, ErrorCode, ErrorKind
from fleet.core.values import Language
from fleet.services.container import Services

SESSION_TIMEOUT = timedelta(seconds=120)
MAX_SESSIONS = 10_000
MASK = "<code>"
PASSWORDED = BARRING_CODES | {PASSWORD_CODE}  # their fields hold the barring password

log = structlog.get_logger("featurecodes")


@dataclass
class _Session:
    menu: Menu
    line_id: int
    touched: datetime


class FeatureCodeHandler:
    def __init__(
        self,
        *,
        services: Services,
        view: ConfigView,
        clock: Clock,
        catalogue: Catalogue | None = None,
        session_timeout: timedelta = SESSION_TIMEOUT,
    ) -> None:
        self._services = services
        self._view = view
        self._clock = clock
        self._catalogue = catalogue or Catalogue()
        self._commands = Commands(services=services, view=view, catalogue=self._catalogue)
        self._timeout = session_timeout
        self._sessions: dict[tuple[str, int | None], _Session] = {}

    @property
    def catalogue(self) -> Catalogue:
        return self._catalogue

    async def handle(self, request: UssdRequest) -> UssdReply:
        bound = log.bind(line=request.msisdn.value, op=int(request.op))
        parsed = (  # classified once, for the answer and for the log; a menu reply is not
            None
            if request.op is UssdOp.USSR_CONFIRM
            else grammar.classify(request.text, known_codes=self._catalogue.codes)
        )
        logged = self._loggable(request, parsed)
        try:
            reply = await self._handle(request, parsed)
        except DomainError as exc:
            if exc.kind is ErrorKind.UNAVAILABLE:
                bound.error("ussd_unavailable", code=exc.code.value)
            reply = UssdReply(texts.refusal(Language.FR, exc), refused=True)
        bound.info("ussd", text=logged, final=reply.final)
        return reply

    def _loggable(self, request: UssdRequest, parsed: grammar.Parsed | None) -> str:
        """What the log may say the handset typed: a group's code never reaches the logs,
        neither in a ``*55*group*code#`` string nor typed at the menu's code prompt, nor
        does a barring password (``*33*PW#``, ``**03*330*OLD*NEW*NEW#``)."""
        if request.op is UssdOp.USSR_CONFIRM:
            session = self._sessions.get(self._key(request))
            return (
                MASK
                if session is not None and isinstance(session.menu, GroupCodePrompt)
                else request.text
            )
        if isinstance(parsed, grammar.ServiceRequest) and parsed.code in PASSWORDED:
            if parsed.code == PASSWORD_CODE:  # **03*330*<code>#: the area, no password
                return f"{parsed.procedure.value}{parsed.code}*{parsed.sia or ''}*{MASK}#"
            if parsed.sia:  # *33*<code>#
                return f"{parsed.procedure.value}{parsed.code}*{MASK}#"
        secret = (self._catalogue.group_member, self._catalogue.group_admin)
        if isinstance(parsed, grammar.ServiceRequest) and parsed.code in secret and parsed.sib:
            fields = [parsed.sia or "", MASK, parsed.sic or ""]
            while fields and not fields[-1]:
                fields.pop()
            return f"{parsed.procedure.value}{parsed.code}*{'*'.join(fields)}#"
        return request.text

    @staticmethod
    def _key(request: UssdRequest) -> tuple[str, int | None]:
        # its_session_info: the dialogue number in the high octet, a sequence below it
        return (request.msisdn.value, request.session >> 8 if request.session is not None else None)

    async def _handle(self, request: UssdRequest, parsed: grammar.Parsed | None) -> UssdReply:
        """``parsed``: the request classified, None for a reply to a menu."""
        if not self._view.loaded:
            raise DomainError(ErrorCode.DATABASE_UNAVAILABLE)
        found = self._view.by_msisdn(request.msisdn)
        if found is None:
            return UssdReply(texts.text(Language.FR, "unknown_line"), refused=True)
        line = found.line
        lang = line.language
        if not line.pabx_option:
            return UssdReply(texts.text(lang, "unknown_line"), refused=True)
        key = self._key(request)
        self._expire()
        if parsed is None:  # a reply to the menu: nothing to classify
            session = self._sessions.pop(key, None)
            if session is None:
                return UssdReply(
                    texts.text(lang, "menu_expired", menu=self._catalogue.menu), refused=True
                )
            screen = await session.menu.reply(self._context(line), request.text.strip())
            return self._show(key, line, screen)
        if isinstance(parsed, grammar.ServiceRequest):
            answer, refused = await self._commands.attempt(line, parsed)
            return UssdReply(answer, refused=refused)
        if isinstance(parsed, grammar.UssdString):
            if parsed.text == self._catalogue.menu:
                return self._show(key, line, await top(self._context(line)))
            return UssdReply(
                texts.text(lang, "unknown_code", text=parsed.text, menu=self._catalogue.menu),
                refused=True,
            )
        if isinstance(parsed, grammar.PlainCall):
            return UssdReply(texts.text(lang, "plain_call"), refused=True)
        if parsed.reason is grammar.GrammarReason.EMPTY:  # sent with nothing typed
            empty = texts.text(lang, "empty_code", menu=self._catalogue.menu)
            return UssdReply(empty, refused=True)
        return UssdReply(texts.text(lang, "malformed", text=parsed.text[:40]), refused=True)

    def _context(self, line: model.Line) -> MenuContext:
        return MenuContext(
            line=line, services=self._services, view=self._view, commands=self._commands
        )

    def _show(self, key: tuple[str, int | None], line: model.Line, screen: Screen) -> UssdReply:
        if screen.next is None:
            return UssdReply(screen.text)
        if len(self._sessions) >= MAX_SESSIONS:
            oldest = min(self._sessions, key=lambda k: self._sessions[k].touched)
            del self._sessions[oldest]
        self._sessions[key] = _Session(menu=screen.next, line_id=line.id, touched=self._clock.now())
        return UssdReply(screen.text, op=UssdOp.USSR_REQUEST)

    def _expire(self) -> None:
        limit = self._clock.now() - self._timeout
        for key in [k for k, s in self._sessions.items() if s.touched < limit]:
            del self._sessions[key]

    @property
    def open_sessions(self) -> int:
        return len(self._sessions)
