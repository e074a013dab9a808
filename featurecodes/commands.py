"""Supplementary-service commands typed on a handset, carried out through the services
(same rules, same audit journal, channel = USSD). Every outcome is a text to show."""

from __future__ import annotations

from callgroups.codes import CodeKind
from featurecodes import texts
from featurecodes.barring import BarringCommands
from featurecodes.catalogue import FORWARDING_CODES, Catalogue, Feature
from featurecodes.grammar import Procedure, ServiceRequest
from featurecodes.ports import ConfigView
from fleet.core import model
from fleet.core.errors import DomainError, not_found
from fleet.core.linesettings import LineSetting, UssdAnswers
from fleet.core.values import Actor, Channel, ForwardingKind, Language, RingMode
from fleet.services.container import Services

TELEPHONY_SERVICES = {None, "10", "11"}  # all teleservices, telephony

P = Procedure


def actor_for(line: model.Line) -> Actor:
    return Actor(name=line.msisdn.national_digits(), channel=Channel.USSD, line_id=line.id)


class Commands:
    def __init__(self, *, services: Services, view: ConfigView, catalogue: Catalogue) -> None:
        self._services = services
        self._view = view
        self._catalogue = catalogue
        self._barring = BarringCommands(services=services)

    def current(self, line: model.Line) -> model.LineServices:
        """The line with its services as routing sees them now."""
        found = self._view.by_msisdn(line.msisdn)
        if found is None:
            raise not_found("line", line.msisdn.value)
        return found

    async def run(self, line: model.Line, request: ServiceRequest) -> str:
        """Carry out one request from ``line``; domain refusals become their message."""
        return (await self.attempt(line, request))[0]

    async def attempt(self, line: model.Line, request: ServiceRequest) -> tuple[str, bool]:
        """Carry out one request from ``line``: the text to show, and whether the service
        refused it (a domain refusal: its message)."""
        lang = line.language
        try:
            return await self._dispatch(line, request, lang), False
        except DomainError as exc:
            return texts.refusal(lang, exc), True

    async def _dispatch(self, line: model.Line, request: ServiceRequest, lang: Language) -> str:
        feature = self._catalogue.feature(request.code)
        if feature is Feature.FORWARDING:
            return await self._forwarding(line, request, lang)
        setting = self._catalogue.setting(request.code)  # Feature.LINE_SETTING
        if setting is not None:
            return await self._setting(line, request, lang, *setting)
        if feature is Feature.GROUP_MEMBER:
            return await self._group_member(line, request, lang)
        if feature is Feature.GROUP_ADMIN:
            return await self._group_admin(line, request, lang)
        if feature is Feature.INCOMING_LIST:
            return await self._incoming(line, request, lang)
        if feature is Feature.BARRING:
            return await self._barring.run(line, request, actor_for(line))
        if feature is Feature.BARRING_PASSWORD:
            return await self._barring.password(line, request, actor_for(line))
        return texts.text(lang, "unknown_code", text=request.text, menu=self._catalogue.menu)

    # -- forwarding (21, 67, 61, 62, 002, 004) ---------------------------------------------

    async def _forwarding(self, line: model.Line, req: ServiceRequest, lang: Language) -> str:
        kinds = FORWARDING_CODES[req.code]
        if req.sib not in TELEPHONY_SERVICES:
            return texts.text(lang, "basic_service", code=req.sib)
        actor = actor_for(line)
        fwd = self._services.forwarding
        if req.procedure is P.INTERROGATION:
            return self._forwarding_status(line, kinds, lang)
        if req.procedure in (P.REGISTRATION, P.ACTIVATION) and req.sia:
            timer = _timer(req.sic, lang)
            if isinstance(timer, str):
                return timer
            done = []
            for kind in kinds:
                applies = timer if kind is ForwardingKind.NO_REPLY else None
                if applies is None and timer is not None and len(kinds) == 1:
                    applies = timer  # a timer on 21/67/62: let the rule refuse it
                done.append(
                    await fwd.set(actor, line.id, kind, destination=req.sia, no_reply_timer=applies)
                )
            return self._fwd_done(lang, done)
        if req.procedure is P.ACTIVATION:
            done = [await fwd.activate(actor, line.id, kind) for kind in kinds]
            return self._fwd_done(lang, done)
        if req.procedure is P.DEACTIVATION:
            for kind in kinds:
                await fwd.deactivate(actor, line.id, kind)
            return texts.text(lang, "fwd_off", kind=_kinds(lang, kinds))
        if req.procedure is P.ERASURE:
            for kind in kinds:
                await fwd.erase(actor, line.id, kind)
            return texts.text(lang, "fwd_erased", kind=_kinds(lang, kinds))
        return texts.text(lang, "not_supported")  # registration without a number

    def _fwd_done(self, lang: Language, done: list[model.Forwarding]) -> str:
        parts = []
        for rule in done:
            number = texts.forwarded_to(lang, rule)
            name = texts.kind_name(lang, rule.kind, short=len(done) > 1)
            if rule.kind is ForwardingKind.NO_REPLY:
                parts.append(
                    texts.text(
                        lang, "fwd_on_timer", kind=name, number=number, timer=rule.no_reply_timer
                    )
                )
            else:
                parts.append(texts.text(lang, "fwd_on", kind=name, number=number))
        return texts.fit(" ".join(parts))

    def _forwarding_status(
        self, line: model.Line, kinds: tuple[ForwardingKind, ...], lang: Language
    ) -> str:
        rules = {r.kind: r for r in self.current(line).forwardings}
        lines = []
        for kind in kinds:
            rule = rules.get(kind)
            name = texts.kind_name(lang, kind, short=len(kinds) > 1)
            if rule and rule.active and rule.registered:
                where = texts.forwarded_to(lang, rule)
                lines.append(texts.text(lang, "fwd_status_on", kind=name, number=where))
            else:
                lines.append(texts.text(lang, "fwd_status_off", kind=name))
        return texts.fit("\n".join(lines))

    # -- a line setting with a service code (call waiting 43, hidden number 31...) -------------

    async def _setting(
        self,
        line: model.Line,
        req: ServiceRequest,
        lang: Language,
        setting: LineSetting[bool],
        answers: UssdAnswers,
    ) -> str:
        """``*SC#`` switches the setting on, ``#SC#`` off, ``*#SC#`` tells its state; the
        answers are the setting's own."""
        if req.procedure is P.INTERROGATION:
            return texts.fit(answers.answer(setting.of(line))(lang))
        if req.procedure not in (P.ACTIVATION, P.DEACTIVATION) or req.sia:
            return texts.text(lang, "not_supported")
        value = req.procedure is P.ACTIVATION
        await self._services.lines.update(actor_for(line), line.id, settings={setting: value})
        return texts.fit(answers.answer(value)(lang))

    # -- call groups -----------------------------------------------------------------------

    async def _group(
        self, line: model.Line, raw: str | None, lang: Language
    ) -> model.CallGroup | str:
        if not raw:
            return texts.text(lang, "group_unknown", group="?")
        group = self._view.group_in_fleet(line.fleet_id, raw)
        return group if group is not None else texts.text(lang, "group_unknown", group=raw)

    async def _group_member(self, line: model.Line, req: ServiceRequest, lang: Language) -> str:
        code = self._catalogue.group_member
        if req.procedure is P.INTERROGATION:
            if not req.sia:
                groups = self._view.groups_of_line(line.fleet_id, line.id)
                if not groups:
                    return texts.text(lang, "no_groups")
                return texts.fit("\n".join(_own_status(lang, g, line.id) for g in groups))
            group = await self._group(line, req.sia, lang)
            if isinstance(group, str):
                return group
            return _own_status(lang, group, line.id)
        if req.procedure not in (P.ACTIVATION, P.DEACTIVATION):
            return texts.text(lang, "not_supported")
        group = await self._group(line, req.sia, lang)
        if isinstance(group, str):
            return group
        if not req.sib:
            example = f"{req.procedure.value}{code}*{req.sia}*CODE#"
            return texts.text(lang, "group_code_missing", example=example)
        actor = actor_for(line)
        await self._services.codes.check(actor, line.id, group, req.sib, CodeKind.USER)
        connect = req.procedure is P.ACTIVATION
        await self._services.groups.set_connected(actor, group.id, line.id, connect)
        return texts.text(lang, "connected" if connect else "disconnected", group=group.name)

    async def _group_admin(self, line: model.Line, req: ServiceRequest, lang: Language) -> str:
        group = await self._group(line, req.sia, lang)
        if isinstance(group, str):
            return group
        if not req.sib:
            example = f"*#{self._catalogue.group_admin}*{req.sia}*CODE#"
            return texts.text(lang, "group_code_missing", example=example)
        actor = actor_for(line)
        await self._services.codes.check(actor, line.id, group, req.sib, CodeKind.ADMIN)
        if req.procedure is P.INTERROGATION:
            connected = sum(1 for m in group.members if m.connected)
            return texts.text(
                lang,
                "status_group",
                group=group.name,
                connected=connected,
                total=len(group.members),
            )
        if req.procedure is P.DEACTIVATION and not req.sic:
            await self._services.groups.disconnect_all(actor, group.id)
            return texts.text(lang, "all_disconnected", group=group.name)
        if req.procedure not in (P.ACTIVATION, P.DEACTIVATION) or not req.sic:
            return texts.text(lang, "not_supported")
        member = await self._services.lines.find_in_fleet(line.fleet_id, req.sic)
        if member is None:
            return texts.text(lang, "member_unknown", member=req.sic)
        if member.id not in {m.line_id for m in group.members}:
            return texts.text(
                lang, "member_not_in_group", member=member.employee_name, group=group.name
            )
        connect = req.procedure is P.ACTIVATION
        await self._services.groups.set_connected(actor, group.id, member.id, connect)
        key = "member_connected" if connect else "member_disconnected"
        return texts.text(lang, key, member=member.employee_name, group=group.name)

    # -- incoming-call list ----------------------------------------------------------------

    async def _incoming(self, line: model.Line, req: ServiceRequest, lang: Language) -> str:
        incoming = self._services.incoming
        if req.procedure is P.INTERROGATION:
            return self.list_status(line, lang)
        actor = actor_for(line)
        if req.procedure is P.DEACTIVATION and not req.sia:
            await incoming.update(actor, line.id, active=False)
            return texts.text(lang, "list_off")
        if req.procedure is P.ACTIVATION and req.sia in (None, "1", "2"):
            mode = {"1": RingMode.SIMULTANEOUS, "2": RingMode.CASCADE}.get(req.sia or "")
            if mode is None:
                plan = await incoming.update(actor, line.id, active=True)
            else:
                plan = await incoming.update(actor, line.id, active=True, mode=mode)
            return texts.text(lang, "list_on", mode=texts.text(lang, f"mode_{plan.mode.value}"))
        return texts.text(lang, "not_supported")

    def list_status(self, line: model.Line, lang: Language) -> str:
        plan = self.current(line).incoming_list
        if plan is None:
            return texts.text(lang, "list_none")
        return texts.text(
            lang,
            "list_status",
            state=texts.text(lang, "state_on" if plan.active else "state_off"),
            mode=texts.text(lang, f"mode_{plan.mode.value}"),
            entries=", ".join(e.national_digits() for e in plan.entries) or "-",
        )


def _own_status(lang: Language, group: model.CallGroup, line_id: int) -> str:
    member = next((m for m in group.members if m.line_id == line_id), None)
    if member is None:
        return texts.text(lang, "status_member", group=group.name, state="-")
    state = texts.text(lang, "state_connected" if member.connected else "state_disconnected")
    return texts.text(lang, "status_member", group=group.name, state=state)


def _kinds(lang: Language, kinds: tuple[ForwardingKind, ...]) -> str:
    if len(kinds) == 1:
        return texts.kind_name(lang, kinds[0])
    return "/".join(texts.kind_name(lang, k, short=True) for k in kinds)


def _timer(raw: str | None, lang: Language) -> int | str | None:
    """The SIC timer as seconds, None when absent, or the text refusing it."""
    if raw is None:
        return None
    if not raw.isdigit():
        return texts.text(lang, "timer_format", value=raw)
    return int(raw)
