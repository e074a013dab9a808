"""The USSD menu (a short code opening numbered choices): forwarding, call groups and the
incoming-call list. Each screen is a class; a session remembers the current one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from callgroups.codes import CodeKind
from featurecodes import texts
from featurecodes.commands import Commands, actor_for
from featurecodes.ports import ConfigView
from fleet.core import model
from fleet.core.errors import DomainError
from fleet.core.values import ForwardingKind, Language, RingMode
from fleet.services.container import Services


@dataclass(frozen=True)
class Screen:
    """What to show and, for a menu, the screen that reads the user's reply."""

    text: str
    next: Menu | None = None


class Menu(Protocol):
    async def reply(self, ctx: MenuContext, choice: str) -> Screen: ...


@dataclass(frozen=True)
class MenuContext:
    line: model.Line
    services: Services
    view: ConfigView
    commands: Commands

    @property
    def lang(self) -> Language:
        return self.line.language


async def top(ctx: MenuContext) -> Screen:
    return Screen(texts.text(ctx.lang, "menu_top"), TopMenu())


class TopMenu:
    async def reply(self, ctx: MenuContext, choice: str) -> Screen:
        if choice == "0":
            return Screen(texts.text(ctx.lang, "menu_bye"))
        if choice == "1":
            return await ForwardingMenu.show(ctx)
        if choice == "2":
            return await GroupsMenu.show(ctx)
        if choice == "3":
            return await ListMenu.show(ctx)
        return _bad(ctx, choice, self)


class ForwardingMenu:
    @staticmethod
    async def show(ctx: MenuContext) -> Screen:
        """Each of the four types by name, with its destination when on, "inactif" when off."""
        rules = {r.kind: r for r in ctx.commands.current(ctx.line).forwardings}
        status = []
        for kind in ForwardingKind:
            rule = rules.get(kind)
            name = texts.kind_name(ctx.lang, kind, short=True)
            if rule is not None and rule.active and rule.registered:
                number = texts.forwarded_to(ctx.lang, rule)
                status.append(texts.text(ctx.lang, "fwd_status_short", kind=name, number=number))
            else:
                status.append(texts.text(ctx.lang, "fwd_status_off", kind=name))
        summary = "\n".join(status)
        return Screen(texts.text(ctx.lang, "menu_fwd", status=summary), ForwardingMenu())

    async def reply(self, ctx: MenuContext, choice: str) -> Screen:
        if choice == "0":
            return await top(ctx)
        if choice == "1":
            try:
                await ctx.services.forwarding.disable_all(actor_for(ctx.line), ctx.line.id)
            except DomainError as exc:
                return Screen(texts.refusal(ctx.lang, exc))
            return Screen(
                texts.text(
                    ctx.lang, "fwd_off", kind="Renvois" if ctx.lang is Language.FR else "Forwarding"
                )
            )
        return _bad(ctx, choice, self)


@dataclass(frozen=True)
class GroupsMenu:
    group_ids: tuple[int, ...] = ()

    @staticmethod
    async def show(ctx: MenuContext) -> Screen:
        groups = ctx.view.groups_of_line(ctx.line.fleet_id, ctx.line.id)
        if not groups:
            return Screen(texts.text(ctx.lang, "no_groups"))
        choices = []
        for index, group in enumerate(groups[:8], start=1):
            member = next(m for m in group.members if m.line_id == ctx.line.id)
            state = "state_connected" if member.connected else "state_disconnected"
            choices.append(f"{index} {group.name} ({texts.text(ctx.lang, state)})")
        return Screen(
            texts.text(ctx.lang, "menu_groups", choices="\n".join(choices)),
            GroupsMenu(tuple(g.id for g in groups[:8])),
        )

    async def reply(self, ctx: MenuContext, choice: str) -> Screen:
        if choice == "0":
            return await top(ctx)
        if not choice.isdigit() or not 1 <= int(choice) <= len(self.group_ids):
            return _bad(ctx, choice, self)
        group = ctx.view.group(self.group_ids[int(choice) - 1])
        members = group.members if group else ()
        member = next((m for m in members if m.line_id == ctx.line.id), None)
        if group is None or member is None:  # the group or the membership went meanwhile
            return await GroupsMenu.show(ctx)
        state = texts.text(
            ctx.lang, "state_connected" if member.connected else "state_disconnected"
        )
        return Screen(
            texts.text(ctx.lang, "menu_group_code", group=group.name, state=state),
            GroupCodePrompt(group.id, connect=not member.connected),
        )


@dataclass(frozen=True)
class GroupCodePrompt:
    group_id: int
    connect: bool

    async def reply(self, ctx: MenuContext, choice: str) -> Screen:
        group = ctx.view.group(self.group_id)
        if group is None:
            return await GroupsMenu.show(ctx)
        actor = actor_for(ctx.line)
        try:
            await ctx.services.codes.check(actor, ctx.line.id, group, choice, CodeKind.USER)
            await ctx.services.groups.set_connected(actor, group.id, ctx.line.id, self.connect)
        except DomainError as exc:
            return Screen(texts.refusal(ctx.lang, exc))
        key = "connected" if self.connect else "disconnected"
        return Screen(texts.text(ctx.lang, key, group=group.name))


class ListMenu:
    @staticmethod
    async def show(ctx: MenuContext) -> Screen:
        status = ctx.commands.list_status(ctx.line, ctx.lang)
        return Screen(texts.text(ctx.lang, "menu_list", status=status), ListMenu())

    async def reply(self, ctx: MenuContext, choice: str) -> Screen:
        if choice == "0":
            return await top(ctx)
        actor = actor_for(ctx.line)
        incoming = ctx.services.incoming
        try:
            if choice == "1":
                plan = await incoming.update(actor, ctx.line.id, active=True)
            elif choice == "2":
                await incoming.update(actor, ctx.line.id, active=False)
                return Screen(texts.text(ctx.lang, "list_off"))
            elif choice in ("3", "4"):
                mode = RingMode.SIMULTANEOUS if choice == "3" else RingMode.CASCADE
                plan = await incoming.update(actor, ctx.line.id, active=True, mode=mode)
            else:
                return _bad(ctx, choice, self)
        except DomainError as exc:
            return Screen(texts.refusal(ctx.lang, exc))
        mode_name = texts.text(ctx.lang, f"mode_{plan.mode.value}")
        return Screen(texts.text(ctx.lang, "list_on", mode=mode_name))


def _bad(ctx: MenuContext, choice: str, menu: Menu) -> Screen:
    """An invalid choice: say so and stay on the same screen."""
    return Screen(texts.text(ctx.lang, "menu_bad_choice", choice=choice[:10]), menu)
