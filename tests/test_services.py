"""The service contract: what each use case does, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core import model
from fleet.core.clock import ManualClock
from fleet.core.errors import DomainError, ErrorCode, ErrorKind
from fleet.core.linesettings import CALL_WAITING
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.values import (
    Actor,
    AuditAction,
    CallEventKind,
    CallOutcome,
    Channel,
    DistributionMode,
    ForwardingKind,
    Language,
    RingMode,
    SessionCase,
)
from fleet.db.engine import create_engine, session_factory
from fleet.db.tables import AccountRow, LoginLockRow
from fleet.services.audit import AuditFilter
from fleet.services.base import ServiceContext
from fleet.services.container import Services
from fleet.services.loginguard import login_key
from tests.world import World, build_world, code_group

SOURCE = "192.0.2.1"  # the address the sign-ins come from


@pytest.fixture
async def world(services: Services, actor: Actor) -> World:
    return await build_world(services, actor)


# -- fleets and lines --------


async def test_fleet_is_created_read_updated_and_listed(services: Services, actor: Actor) -> None:
    fleet = await services.fleets.create(
        actor,
        name="  ACME   Transports ",
        short_number_length=3,
        language="en",
        timezone="Europe/Brussels",
    )
    assert fleet.name == "ACME Transports"
    assert (fleet.short_number_length, fleet.language) == (3, Language.EN)
    assert await services.fleets.get(fleet.id) == fleet
    renamed = await services.fleets.update(actor, fleet.id, name="ACME", timezone="Europe/Paris")
    assert (renamed.name, renamed.timezone, renamed.short_number_length) == (
        "ACME",
        "Europe/Paris",
        3,
    )
    assert [f.id for f in await services.fleets.all([fleet.id])] == [fleet.id]


async def test_deleting_a_fleet_deletes_its_lines_groups_and_numbers(
    services: Services, actor: Actor, world: World
) -> None:
    await code_group(
        services,
        actor,
        world.fleet.id,
        number="0609182236",
        name="Com",
        members=[world.line(0).id],
    )
    await services.fleets.delete(actor, world.fleet.id)
    with pytest.raises(DomainError) as caught:
        await services.lines.get(world.line(0).id)
    assert caught.value.kind is ErrorKind.NOT_FOUND
    assert await services.fleets.all() == [world.other_fleet]
    # the number is free again
    again = await services.fleets.create(actor, name="Reprise")
    await services.lines.create(actor, again.id, msisdn="0611000001", employee_name="Retour")


async def test_line_is_stored_in_e164_and_found_by_any_spelling(
    services: Services, world: World
) -> None:
    line = world.line(0)
    assert line.msisdn == E164("+33611000001")
    assert line.msisdn.national() == "06 11 00 00 01"
    for spelling in ("0611000001", "06 11 00 00 01", "+33 6 11 00 00 01", "0033611000001"):
        assert (await services.lines.get_by_msisdn(spelling)).id == line.id
    assert (await services.lines.find_in_fleet(world.fleet.id, "2001")) == line
    assert (await services.lines.find_in_fleet(world.fleet.id, "06.11.00.00.01")) == line
    assert await services.lines.find_in_fleet(world.other_fleet.id, "0611000001") is None


async def test_line_language_defaults_to_the_fleet_language(
    services: Services, actor: Actor
) -> None:
    fleet = await services.fleets.create(actor, name="English Co", language="en")
    line = await services.lines.create(actor, fleet.id, msisdn="0677000001", employee_name="Ann")
    assert line.language is Language.EN
    assert line.pabx_option and line.call_waiting


async def test_line_update_changes_only_given_fields_and_none_clears(
    services: Services, actor: Actor, world: World
) -> None:
    line = await services.lines.update(actor, world.line(0).id, email="a@example.fr")
    assert line.email == "a@example.fr"
    line = await services.lines.update(
        actor, line.id, employee_name="Nouveau Nom", settings={CALL_WAITING: False}
    )
    assert (line.email, line.employee_name, line.call_waiting) == (
        "a@example.fr",
        "Nouveau Nom",
        False,
    )
    line = await services.lines.update(actor, line.id, email=None, short_number=None)
    assert (line.email, line.short_number) == (None, None)
    # the short number is free again for another line
    other = await services.lines.update(actor, world.line(1).id, short_number="2001")
    assert other.short_number == "2001"


async def test_line_search_pages_through_a_fleet(services: Services, world: World) -> None:
    page = await services.lines.search(world.fleet.id, offset=0, limit=5)
    assert (page.total, len(page.items)) == (13, 5)
    rest = await services.lines.search(world.fleet.id, offset=10, limit=5)
    assert len(rest.items) == 3
    names = [line.employee_name for line in page.items + rest.items]
    assert names == sorted(names)
    assert (await services.lines.search(world.fleet.id, search="sans opt")).total == 1
    assert (await services.lines.search(world.fleet.id, search="2012")).items[
        0
    ].short_number == "2012"
    by_number = await services.lines.search(world.fleet.id, search="06 11 00 00 07")
    assert [line.id for line in by_number.items] == [world.line(6).id]
    assert (await services.lines.search(world.fleet.id, search="zz%_")).total == 0


async def test_deleting_a_line_removes_its_services_and_memberships(
    services: Services, actor: Actor, world: World
) -> None:
    line = world.line(1)
    await services.forwarding.set(actor, line.id, ForwardingKind.BUSY, destination="0145678910")
    await services.incoming.save(actor, line.id, entries=["0611000002", "0145678910"])
    group = await code_group(
        services,
        actor,
        world.fleet.id,
        number="0609182236",
        name="Com",
        members=[world.line(0).id, line.id],
    )
    await services.lines.delete(actor, line.id)
    assert [m.line_id for m in (await services.groups.get(group.id)).members] == [world.line(0).id]
    assert await services.forwarding.of_line(line.id) == ()
    assert await services.incoming.get(line.id) is None
    entry = (await services.audit.search(AuditFilter(entity="line", entity_id=str(line.id)))).items[
        0
    ]
    assert entry.action is AuditAction.DELETE
    assert entry.before is not None and entry.before["left_groups"] == ["Com"]


# -- forwarding --------


async def test_forwarding_is_registered_deactivated_reactivated_and_erased(
    services: Services, actor: Actor, world: World
) -> None:
    line = world.line(3)
    rule = await services.forwarding.set(
        actor, line.id, ForwardingKind.NO_REPLY, destination="06 11 00 00 07", no_reply_timer=25
    )
    assert (rule.active, rule.destination, rule.no_reply_timer) == (True, E164("+33611000007"), 25)
    off = await services.forwarding.deactivate(actor, line.id, ForwardingKind.NO_REPLY)
    assert off is not None and not off.active and off.destination == rule.destination
    on = await services.forwarding.activate(actor, line.id, ForwardingKind.NO_REPLY)
    assert on == rule
    await services.forwarding.erase(actor, line.id, ForwardingKind.NO_REPLY)
    assert await services.forwarding.of_line(line.id) == ()
    with pytest.raises(DomainError) as caught:
        await services.forwarding.activate(actor, line.id, ForwardingKind.NO_REPLY)
    assert caught.value.code is ErrorCode.FORWARDING_DESTINATION_REQUIRED


async def test_no_reply_timer_defaults_to_20_seconds(
    services: Services, actor: Actor, world: World
) -> None:
    rule = await services.forwarding.set(
        actor, world.line(0).id, ForwardingKind.NO_REPLY, destination="0145678910"
    )
    assert rule.no_reply_timer == 20


async def test_turning_all_forwarding_off_keeps_the_destinations(
    services: Services, actor: Actor, world: World
) -> None:
    line = world.line(0)
    for kind in ForwardingKind:
        await services.forwarding.set(actor, line.id, kind, destination="0145678910")
    rules = await services.forwarding.disable_all(actor, line.id)
    assert len(rules) == 4
    assert all(not r.active and r.destination == E164("+33145678910") for r in rules)


async def test_a_widened_policy_accepts_07_and_09_without_code_changes(
    engine: AsyncEngine, clock: ManualClock, actor: Actor, services: Services
) -> None:
    world = await build_world(services, actor)
    wide = NumberPolicy(allowed_prefixes=("01", "02", "03", "04", "05", "06", "07", "09"))
    context = ServiceContext(sessions=session_factory(engine), clock=clock, policy=wide)
    widened = Services.build(context=context)
    rule = await widened.forwarding.set(
        actor, world.line(0).id, ForwardingKind.BUSY, destination="0756123456"
    )
    assert rule.destination == E164("+33756123456")
    rule = await widened.forwarding.set(
        actor, world.line(0).id, ForwardingKind.UNCONDITIONAL, destination="0912345678"
    )
    assert rule.destination == E164("+33912345678")


# -- incoming lists --------


async def test_incoming_list_keeps_its_order_and_is_replaced_whole(
    services: Services, actor: Actor, world: World
) -> None:
    line = world.line(1)
    saved = await services.incoming.save(
        actor,
        line.id,
        entries=["01 45 67 89 10", "0611000002", "0611000006"],
        mode=RingMode.CASCADE,
        ring_time=15,
    )
    assert saved.entries == (E164("+33145678910"), E164("+33611000002"), E164("+33611000006"))
    assert (saved.mode, saved.ring_time, saved.active) == (RingMode.CASCADE, 15, True)
    replaced = await services.incoming.save(
        actor, line.id, entries=["0611000006", "0611000002"], mode="simultaneous"
    )
    assert replaced.entries == (E164("+33611000006"), E164("+33611000002"))
    assert await services.incoming.get(line.id) == replaced


async def test_incoming_list_can_be_switched_off_and_on_keeping_entries(
    services: Services, actor: Actor, world: World
) -> None:
    line = world.line(1)
    saved = await services.incoming.save(actor, line.id, entries=["0611000002"])
    off = await services.incoming.disable(actor, line.id)
    assert off is not None and not off.active and off.entries == saved.entries
    on = await services.incoming.update(actor, line.id, active=True, mode=RingMode.CASCADE)
    assert on.active and on.mode is RingMode.CASCADE and on.entries == saved.entries
    assert await services.incoming.disable(actor, world.line(5).id) is None


# -- call groups --------


async def test_group_has_every_field_of_the_manager_screen(
    services: Services, actor: Actor, world: World
) -> None:
    group = await code_group(
        services,
        actor,
        world.fleet.id,
        number="0609182236",
        name="Com",
        queue_size=1,
        switchover_delay=12,
        intercall_delay=30,
        distribution=DistributionMode.LINEAR,
        short_number="2500",
        max_queue_wait=90,
        members=[world.line(0).id, world.line(1).id],
    )
    assert (group.number.national_digits(), group.name, group.user_code, group.admin_code) == (
        "0609182236",
        "Com",
        "1703",
        "2202",
    )
    assert (group.queue_size, group.switchover_delay, group.intercall_delay) == (1, 12, 30)
    assert (group.distribution, group.short_number, group.max_queue_wait) == (
        DistributionMode.LINEAR,
        "2500",
        90,
    )
    assert [m.position for m in group.members] == [1, 2]
    assert not group.any_connected  # legend: no member connected
    assert await services.groups.get_by_number("06 09 18 22 36") == group


async def test_members_connect_and_disconnect_and_the_legend_follows(
    services: Services, actor: Actor, world: World
) -> None:
    group = await code_group(
        services,
        actor,
        world.fleet.id,
        number="0609182236",
        name="Com",
        members=[world.line(0).id, world.line(1).id],
    )
    group = await services.groups.set_connected(actor, group.id, world.line(1).id, True)
    assert group.any_connected
    assert [m.connected for m in group.members] == [False, True]
    group = await services.groups.disconnect_all(actor, group.id)
    assert not group.any_connected
    with pytest.raises(DomainError) as caught:
        await services.groups.set_connected(actor, group.id, world.line(5).id, True)
    assert caught.value.code is ErrorCode.NOT_A_MEMBER


async def test_a_group_numbered_like_a_line_takes_it_as_first_member(
    services: Services, actor: Actor, world: World
) -> None:
    group = await services.groups.create(
        actor,
        world.fleet.id,
        number="0611000004",
        name="Accueil",
        user_code="1111",
        admin_code="2222",
        members=[world.line(0).id],
    )
    assert [m.line_id for m in group.members] == [world.line(3).id, world.line(0).id]
    services_of_line = await services.lines.services("0611000004")
    assert [g.group_name for g in services_of_line.groups] == ["Accueil"]


async def test_members_are_removed_and_reordered_with_positions_kept_dense(
    services: Services, actor: Actor, world: World
) -> None:
    ids = [world.line(i).id for i in range(4)]
    group = await code_group(
        services,
        actor,
        world.fleet.id,
        number="0609182236",
        name="Com",
        members=ids,
    )
    group = await services.groups.remove_member(actor, group.id, ids[1])
    assert [(m.line_id, m.position) for m in group.members] == [
        (ids[0], 1),
        (ids[2], 2),
        (ids[3], 3),
    ]
    group = await services.groups.reorder(actor, group.id, [ids[3], ids[0], ids[2]])
    assert [m.line_id for m in group.members] == [ids[3], ids[0], ids[2]]
    group = await services.groups.add_member(actor, group.id, ids[1], connected=True)
    assert group.members[-1].line_id == ids[1] and group.members[-1].position == 4


async def test_group_settings_and_codes_change(
    services: Services, actor: Actor, world: World
) -> None:
    group = await services.groups.create(
        actor, world.fleet.id, number="0609182236", name="Com", user_code="1703", admin_code="2202"
    )
    group = await services.groups.update(
        actor, group.id, distribution="cyclic", queue_size=3, switchover_delay=20, name="Commercial"
    )
    assert (group.distribution, group.queue_size, group.switchover_delay, group.name) == (
        DistributionMode.CYCLIC,
        3,
        20,
        "Commercial",
    )
    group = await services.groups.change_codes(actor, group.id, user_code="4444", admin_code="5555")
    assert (group.user_code, group.admin_code) == ("4444", "5555")
    with pytest.raises(DomainError):
        await services.groups.update(actor, group.id, admin_code="4444")
    assert (await services.groups.get(group.id)).admin_code == "5555"


async def test_a_line_in_several_groups_sees_them_all(
    services: Services, actor: Actor, world: World
) -> None:
    for number, name in (("0609182236", "Com"), ("0609182237", "Taxis")):
        await services.groups.create(
            actor,
            world.fleet.id,
            number=number,
            name=name,
            user_code="1703",
            admin_code="2202",
            members=[world.line(0).id],
        )
    groups = await services.groups.groups_of_line(world.line(0).id)
    assert [g.name for g in groups] == ["Com", "Taxis"]
    assert [g.name for g in await services.groups.in_fleet(world.fleet.id)] == ["Com", "Taxis"]


async def test_the_groups_table_counts_members_without_loading_them(
    services: Services, actor: Actor, world: World
) -> None:
    com = await code_group(
        services,
        actor,
        world.fleet.id,
        number="0609182236",
        name="Com",
        members=[world.line(0).id, world.line(1).id],
    )
    await services.groups.create(
        actor,
        world.fleet.id,
        number="0609182237",
        name="Aucun",
        user_code="1111",
        admin_code="2222",
    )
    await services.groups.set_connected(actor, com.id, world.line(1).id, True)
    table = await services.groups.table(world.fleet.id)
    assert [(r.group.name, r.members, r.connected, r.any_connected) for r in table.items] == [
        ("Aucun", 0, 0, False),
        ("Com", 2, 1, True),
    ]
    assert table.total == 2
    full = await services.groups.get(com.id)
    assert table.items[1].group == dataclasses.replace(full, members=())
    second = await services.groups.table(world.fleet.id, offset=1, limit=1)
    assert [r.group.name for r in second.items] == ["Com"] and second.total == 2
    assert (await services.groups.table(world.other_fleet.id)).items == ()
    with pytest.raises(DomainError) as caught:
        await services.groups.table(999_999)
    assert caught.value.code is ErrorCode.NOT_FOUND


async def test_concurrent_additions_never_exceed_ten_members(
    services: Services, actor: Actor, world: World
) -> None:
    group = await code_group(
        services,
        actor,
        world.fleet.id,
        number="0609182236",
        name="Com",
        members=[world.line(i).id for i in range(9)],
    )
    results = await asyncio.gather(
        services.groups.add_member(actor, group.id, world.line(9).id),
        services.groups.add_member(actor, group.id, world.line(10).id),
        return_exceptions=True,
    )
    assert len((await services.groups.get(group.id)).members) <= 10
    assert any(not isinstance(r, BaseException) for r in results)
    for result in results:
        if isinstance(result, BaseException):
            assert isinstance(result, DomainError)
            assert result.code in {ErrorCode.GROUP_FULL, ErrorCode.CONFLICT}


# -- a line with all its services --------


async def test_line_services_bring_forwarding_list_and_groups(
    services: Services, actor: Actor, world: World
) -> None:
    line = world.line(1)
    await services.forwarding.set(actor, line.id, ForwardingKind.BUSY, destination="0145678910")
    await services.incoming.save(
        actor, line.id, entries=["0145678910", "0611000002"], mode="cascade"
    )
    await code_group(
        services,
        actor,
        world.fleet.id,
        number="0609182236",
        name="Com",
        members=[line.id],
    )
    loaded = await services.lines.services("+33611000002")
    assert loaded.line == line
    busy = loaded.forwarding(ForwardingKind.BUSY)
    assert busy is not None and busy.destination == E164("+33145678910")
    assert loaded.forwarding(ForwardingKind.UNCONDITIONAL) is None
    assert loaded.incoming_list is not None and loaded.incoming_list.mode is RingMode.CASCADE
    assert [(g.group_name, g.connected) for g in loaded.groups] == [("Com", False)]
    assert await services.lines.services_by_id(line.id) == loaded
    with pytest.raises(DomainError) as caught:
        await services.lines.services("0699999999")
    assert caught.value.code is ErrorCode.NOT_FOUND


# -- accounts --------


async def test_passwords_are_argon2_hashed_and_checked(
    services: Services, actor: Actor, world: World, engine: AsyncEngine
) -> None:
    account = await services.accounts.create_manager(
        actor,
        login="Chef.Flotte",
        password="un-mot-de-passe",
        display_name="Chef",
        fleet_ids=[world.fleet.id, world.other_fleet.id],
    )
    assert account.login == "chef.flotte" and account.fleet_ids == (
        world.fleet.id,
        world.other_fleet.id,
    )
    async with session_factory(engine)() as session:
        row = await session.scalar(select(AccountRow).where(AccountRow.id == account.id))
        assert row is not None and row.password_hash.startswith("$argon2id$")
    signed = await services.accounts.sign_in("CHEF.flotte", "un-mot-de-passe", source=SOURCE)
    assert signed.account.id == account.id
    with pytest.raises(DomainError) as caught:
        await services.accounts.sign_in("chef.flotte", "mauvais", source=SOURCE)
    assert caught.value.code is ErrorCode.PASSWORD_WRONG
    with pytest.raises(DomainError):
        await services.accounts.sign_in("inconnu", "un-mot-de-passe", source=SOURCE)
    async with session_factory(engine)() as session:
        locks = (
            await session.scalars(select(LoginLockRow).where(LoginLockRow.address == SOURCE))
        ).all()
        counted = {lock.login_key: lock.failures for lock in locks}
        assert counted == {login_key("chef.flotte"): 1, login_key("inconnu"): 1}
    audit = await services.audit.search(AuditFilter(entity="account"))
    assert all("argon2" not in str(e.after) for e in audit.items)


async def test_employee_account_is_tied_to_one_line_and_changes_its_password(
    services: Services, actor: Actor, world: World
) -> None:
    account = await services.accounts.create_employee(
        actor, login="salarie1", password="premier-secret", line_id=world.line(0).id
    )
    assert (account.line_id, account.fleet_ids, account.display_name) == (
        world.line(0).id,
        (world.fleet.id,),
        "Salarié 1",
    )
    with pytest.raises(DomainError):
        await services.accounts.change_password(
            actor,
            account.id,
            old_password="faux-secret",
            new_password="second-secret",
            source=SOURCE,
        )
    await services.accounts.change_password(
        actor,
        account.id,
        old_password="premier-secret",
        new_password="second-secret",
        source=SOURCE,
    )
    signed = await services.accounts.sign_in("salarie1", "second-secret", source=SOURCE)
    assert signed.account.id == account.id
    assert [a.login for a in await services.accounts.in_fleet(world.fleet.id)] == ["salarie1"]


# -- audit journal and time --------


async def test_every_change_is_journalled_with_actor_channel_before_and_after(
    services: Services, world: World, clock: ManualClock
) -> None:
    ussd = Actor(name="0611000001", channel=Channel.USSD)
    clock.advance(60)
    await services.forwarding.set(
        ussd, world.line(0).id, ForwardingKind.BUSY, destination="0145678910"
    )
    await services.forwarding.set(
        ussd, world.line(0).id, ForwardingKind.BUSY, destination="0611000002"
    )
    page = await services.audit.search(AuditFilter(fleet_id=world.fleet.id, channel=Channel.USSD))
    assert page.total == 2
    latest, first = page.items
    assert (first.action, first.before, first.actor) == (AuditAction.CREATE, None, "0611000001")
    assert latest.action is AuditAction.UPDATE
    assert latest.before is not None and latest.before["destination"] == "+33145678910"
    assert latest.after is not None and latest.after["destination"] == "+33611000002"
    assert latest.at == clock.now() and latest.at.tzinfo is not None
    since = await services.audit.search(
        AuditFilter(fleet_id=world.fleet.id, since=clock.now() - timedelta(seconds=1))
    )
    assert since.total == 2


async def test_call_records_round_trip_with_events_and_aware_times(
    services: Services, world: World, clock: ManualClock
) -> None:
    start = clock.now()
    record = model.CallRecord(
        call_id="call-1",
        fleet_id=world.fleet.id,
        caller="+33145678910",
        called="+33611000004",
        offered_at=start,
        answered_at=start + timedelta(seconds=25),
        released_at=start + timedelta(seconds=90),
        outcome=CallOutcome.ANSWERED,
        events=(
            model.CallEvent(seq=1, at=start, kind=CallEventKind.OFFERED, to_number="+33611000004"),
            model.CallEvent(
                seq=2,
                at=start + timedelta(seconds=25),
                kind=CallEventKind.FORWARDED,
                forwarding_kind=ForwardingKind.NO_REPLY,
                from_number="+33611000004",
                to_number="+33611000007",
                detail={"timer": 25},
            ),
        ),
    )
    await services.calls.save(record)
    loaded = await services.calls.get("call-1")
    assert loaded == record
    assert loaded.offered_at.tzinfo is not None and loaded.offered_at.utcoffset() == timedelta(0)
    await services.calls.save(
        model.CallRecord(
            call_id="call-2",
            fleet_id=world.fleet.id,
            caller="+33611000001",
            called="+33611000002",
            offered_at=start.astimezone(UTC) + timedelta(minutes=5),
            outcome=CallOutcome.BUSY,
        )
    )
    log = await services.calls.search(fleet_id=world.fleet.id, number="+33611000004")
    assert [r.call_id for r in log.items] == ["call-1"]
    assert (await services.calls.search(fleet_id=world.fleet.id)).items[0].call_id == "call-2"


async def test_each_visit_of_a_call_is_stored_and_each_line_logs_the_call_once(
    services: Services, world: World, clock: ManualClock
) -> None:
    start = clock.now()
    a, b = "+33611000001", "+33611000002"

    def visit(call_id: str, case: SessionCase, correlation: str | None) -> model.CallRecord:
        return model.CallRecord(
            call_id=call_id,
            fleet_id=world.fleet.id,
            caller=a,
            called=b,
            offered_at=start + timedelta(seconds=len(call_id)),
            outcome=CallOutcome.ANSWERED,
            session_case=case,
            correlation_id=correlation,
            caller_network_id=f"{call_id}-a@192.0.2.1",
            callee_network_id=f"{call_id}-b@192.0.2.10",
        )

    orig = visit("orig", SessionCase.ORIGINATING, "icid-1")
    term = visit("term", SessionCase.TERMINATING, "icid-1")
    alone = visit("orig-alone", SessionCase.ORIGINATING, "icid-2")  # B's visit never came
    old = visit("old-terminating", SessionCase.TERMINATING, None)  # before SIP: no twin
    assert await services.calls.save_many([orig, term, alone, old]) == 4
    assert await services.calls.get("orig") == orig
    assert await services.calls.get("term") == term

    def logged(page: model.Page[model.CallRecord]) -> set[str]:
        return {r.call_id for r in page.items}

    a_log = await services.calls.search(fleet_id=world.fleet.id, number=a)
    b_log = await services.calls.search(fleet_id=world.fleet.id, number=b)
    assert logged(a_log) == {"orig", "orig-alone", "old-terminating"}
    assert logged(b_log) == {"term", "orig-alone", "old-terminating"}
    assert (a_log.total, b_log.total) == (3, 3)


async def test_an_unreachable_database_is_a_domain_error(
    clock: ManualClock, policy: NumberPolicy, actor: Actor
) -> None:
    engine = create_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        context = ServiceContext(sessions=session_factory(engine), clock=clock, policy=policy)
        with pytest.raises(DomainError) as caught:
            await Services.build(context=context).fleets.create(actor, name="X")
        assert caught.value.code is ErrorCode.DATABASE_UNAVAILABLE
        assert caught.value.kind is ErrorKind.UNAVAILABLE
    finally:
        await engine.dispose()


async def test_an_account_locks_after_five_wrong_passwords_from_an_address_for_fifteen_minutes(
    services: Services, actor: Actor, world: World, clock: ManualClock
) -> None:
    await services.accounts.create_employee(
        actor, login="salarie1", password="premier-secret", line_id=world.line(0).id
    )
    for _ in range(5):
        with pytest.raises(DomainError) as caught:
            await services.accounts.sign_in("salarie1", "faux", source=SOURCE)
        assert caught.value.code is ErrorCode.PASSWORD_WRONG
    with pytest.raises(DomainError) as caught:
        await services.accounts.sign_in("salarie1", "premier-secret", source=SOURCE)
    assert caught.value.code is ErrorCode.ACCOUNT_LOCKED
    journal = await services.audit.search(AuditFilter(entity="account"))
    assert journal.items[0].after is not None and "locked_until" in journal.items[0].after
    clock.advance(15 * 60 + 1)
    signed = await services.accounts.sign_in("salarie1", "premier-secret", source=SOURCE)
    assert signed.account.login == "salarie1"


async def test_an_account_read_again_after_any_change_of_it_or_its_fleets(
    services: Services, actor: Actor, world: World
) -> None:
    manager = await services.accounts.create_manager(
        actor,
        login="chef2",
        password="un-mot-de-passe",
        display_name="C2",
        fleet_ids=[world.fleet.id],
    )
    assert (await services.accounts.get(manager.id)).fleet_ids == (world.fleet.id,)
    await services.accounts.set_fleets(actor, manager.id, [world.fleet.id, world.other_fleet.id])
    assert set((await services.accounts.get(manager.id)).fleet_ids) == {
        world.fleet.id,
        world.other_fleet.id,
    }
    await services.fleets.delete(actor, world.other_fleet.id)
    assert (await services.accounts.get(manager.id)).fleet_ids == (world.fleet.id,)
    await services.accounts.delete(actor, manager.id)
    with pytest.raises(DomainError):
        await services.accounts.get(manager.id)


async def test_two_changes_creating_the_same_forwarding_at_once_both_land(
    services: Services, actor: Actor, world: World
) -> None:
    line_id = world.line(0).id
    results = await asyncio.gather(
        *(
            services.forwarding.set(
                actor, line_id, ForwardingKind.BUSY, destination=number, active=True
            )
            for number in ("0145678910", "0145678911", "0145678912", "0145678913")
        ),
        return_exceptions=True,
    )
    assert all(not isinstance(r, BaseException) for r in results), results
    [rule] = await services.forwarding.of_line(line_id)
    assert rule.kind is ForwardingKind.BUSY and rule.active


async def test_two_saves_of_one_incoming_list_at_once_both_land(
    services: Services, actor: Actor, world: World
) -> None:
    line_id = world.line(0).id
    lists = (["0611000002"], ["0611000003", "0611000004"], ["0611000005"], ["0611000006"])
    results = await asyncio.gather(
        *(services.incoming.save(actor, line_id, entries=entries) for entries in lists),
        return_exceptions=True,
    )
    assert all(not isinstance(r, BaseException) for r in results), results
    plan = await services.incoming.get(line_id)
    assert plan is not None and [e.national_digits() for e in plan.entries] in [
        list(entries) for entries in lists
    ]
