"""What the services put on the change hub: one typed change per change, with its author,
after the commit; journal-only notes (a code lock-out) never."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from callgroups.codes import MAX_FAILURES, CodeKind
from fleet.core.changes import (
    AccountChange,
    ChangeEvent,
    FixedNumberChange,
    ForwardingChange,
    LineChange,
    MemberChange,
    PasswordEvent,
)
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.values import Actor, Channel, ForwardingKind
from fleet.services.audit import AuditFilter
from fleet.services.container import Services
from tests.world import PASSWORD, World, build_world, code_group

HANDSET = Actor(name="0611000001", channel=Channel.USSD)


class Heard:
    def __init__(self) -> None:
        self.events: list[ChangeEvent] = []

    async def __call__(self, events: Sequence[ChangeEvent]) -> None:
        self.events += events

    def take(self) -> list[ChangeEvent]:
        taken, self.events = self.events, []
        return taken


@pytest.fixture
async def world(services: Services, actor: Actor) -> World:
    return await build_world(services, actor)


async def test_each_change_is_published_typed_with_its_author_and_views(
    services: Services, actor: Actor, world: World
) -> None:
    group = await code_group(
        services, actor, world.fleet.id, number="0609182236", name="Com", members=[]
    )
    heard = Heard()
    services.changes.subscribe(heard)
    try:
        rule = await services.forwarding.set(
            HANDSET, world.line(0).id, ForwardingKind.BUSY, destination="0145678910"
        )
        [event] = heard.take()
        assert event == ChangeEvent(
            change=ForwardingChange(
                fleet_id=world.fleet.id,
                line_id=world.line(0).id,
                kind=ForwardingKind.BUSY,
                before=None,
                after=rule,
            ),
            actor=HANDSET,
        )
        before = await services.groups.get(group.id)
        after = await services.groups.add_member(actor, group.id, world.line(1).id)
        [event] = heard.take()
        assert event.change == MemberChange(
            fleet_id=world.fleet.id, group_id=group.id, before=before, after=after
        )
        assert event.change.line_ids == {world.line(1).id}
        await services.lines.delete(actor, world.line(1).id)
        [event] = heard.take()
        assert event.change == LineChange(
            fleet_id=world.fleet.id,
            line_id=world.line(1).id,
            before=world.line(1),
            after=None,
            left_groups=("Com",),
        )
        await services.fleets.remove_fixed_number(actor, world.fixed.id)
        [event] = heard.take()
        assert event.change == FixedNumberChange(
            fleet_id=world.fleet.id, fixed_id=world.fixed.id, before=world.fixed, after=None
        )
        account = await services.accounts.create_employee(
            actor, login="salarie", password=PASSWORD, line_id=world.line(0).id
        )
        await services.accounts.reset_password(actor, account.id, "un-autre-secret")
        [_, event] = heard.take()
        assert event.change == AccountChange(
            fleet_id=world.fleet.id,
            account_id=account.id,
            before=account,
            after=account,
            password=PasswordEvent.RESET,
        )
    finally:
        services.changes.unsubscribe(heard)


async def test_a_refused_change_publishes_nothing(
    services: Services, actor: Actor, world: World
) -> None:
    heard = Heard()
    services.changes.subscribe(heard)
    try:
        with pytest.raises(DomainError):
            await services.forwarding.set(
                actor, world.plain.id, ForwardingKind.BUSY, destination="0145678910"
            )
    finally:
        services.changes.unsubscribe(heard)
    assert heard.events == []


async def test_a_code_lock_out_is_journalled_but_changes_no_configuration(
    services: Services, actor: Actor, world: World
) -> None:
    group = await code_group(
        services, actor, world.fleet.id, number="0609182236", name="Com", members=[]
    )
    heard = Heard()
    services.changes.subscribe(heard)
    try:
        for _ in range(MAX_FAILURES):
            with pytest.raises(DomainError) as caught:
                await services.codes.check(HANDSET, world.line(0).id, group, "0000", CodeKind.ADMIN)
    finally:
        services.changes.unsubscribe(heard)
    assert caught.value.code is ErrorCode.CODE_LOCKED
    assert heard.events == []  # nothing for the routing cache, the accounts or the SMS
    journal = await services.audit.search(
        AuditFilter(entity="line", entity_id=str(world.line(0).id))
    )
    [locked] = [e for e in journal.items if e.actor == HANDSET.name]
    assert locked.after is not None
    assert (locked.after["wrong_codes"], locked.after["kind"], locked.after["group"]) == (
        5,
        "admin",
        "Com",
    )
