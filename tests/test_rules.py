"""One table per rule of DESIGN §3 and §5: each rule has accepted and rejected cases.
A rejected case must raise its stable error code and write nothing at all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core.errors import DomainError, ErrorCode
from fleet.core.linesettings import PABX_OPTION
from fleet.core.values import Actor, ForwardingKind, Language, NoAnswerAction, RingMode
from fleet.services.container import Services
from tests.conftest import dump
from tests.world import World, build_world

Act = Callable[[Services, Actor, World, Any], Awaitable[object]]
Arrange = Callable[[Services, Actor, World], Awaitable[Any]]


@dataclass(frozen=True)
class Case:
    id: str
    act: Act
    code: ErrorCode | None  # None: accepted
    arrange: Arrange | None = None


async def _nothing(s: Services, a: Actor, w: World) -> None:
    return None


def fwd(
    kind: ForwardingKind, destination: str | None, timer: int | None = None, line: int = 0
) -> Act:
    async def act(s: Services, a: Actor, w: World, _: Any) -> object:
        return await s.forwarding.set(
            a, w.line(line).id, kind, destination=destination, no_reply_timer=timer
        )

    return act


def incoming(entries: list[str], *, active: bool = True, ring: int = 15) -> Act:
    async def act(s: Services, a: Actor, w: World, _: Any) -> object:
        return await s.incoming.save(
            a, w.line(0).id, entries=entries, mode=RingMode.CASCADE, ring_time=ring, active=active
        )

    return act


def group(**overrides: Any) -> Act:
    async def act(s: Services, a: Actor, w: World, _: Any) -> object:
        fields: dict[str, Any] = {
            "number": "0609182236",
            "name": "Com",
            "user_code": "1703",
            "admin_code": "2202",
        }
        fields.update(overrides)
        members = fields.pop("members", None)
        if callable(members):
            fields["members"] = members(w)
        return await s.groups.create(a, w.fleet.id, **fields)

    return act


async def group_with(s: Services, a: Actor, w: World, count: int) -> Any:
    return await s.groups.create(
        a,
        w.fleet.id,
        number="0609182236",
        name="Com",
        user_code="1703",
        admin_code="2202",
        members=[w.line(i).id for i in range(count)],
    )


def add_member(line: Callable[[World], int], count: int = 2) -> tuple[Arrange, Act]:
    async def arrange(s: Services, a: Actor, w: World) -> Any:
        return await group_with(s, a, w, count)

    async def act(s: Services, a: Actor, w: World, g: Any) -> object:
        return await s.groups.add_member(a, g.id, line(w))

    return arrange, act


def line_create(msisdn: str, short: str | None = None, fleet: str = "fleet", **kw: Any) -> Act:
    async def act(s: Services, a: Actor, w: World, _: Any) -> object:
        target = w.fleet if fleet == "fleet" else w.other_fleet
        return await s.lines.create(
            a,
            target.id,
            msisdn=msisdn,
            short_number=short,
            employee_name=kw.pop("name", "Nouveau"),
            **kw,
        )

    return act


E = ErrorCode
FK = ForwardingKind
CASES: list[Case] = [
    # §3 forwarding destinations: 10 digits starting 01–06
    Case("fwd-fixed-01-accepted", fwd(FK.UNCONDITIONAL, "0145678910"), None),
    Case("fwd-mobile-06-accepted", fwd(FK.BUSY, "06 99 88 77 66"), None),
    Case("fwd-e164-french-accepted", fwd(FK.NOT_REACHABLE, "+33612345678"), None),
    Case("fwd-short-number-rejected", fwd(FK.UNCONDITIONAL, "2002"), E.NUMBER_SHORT_NOT_ALLOWED),
    Case(
        "fwd-international-rejected",
        fwd(FK.BUSY, "+44 20 7946 0958"),
        E.NUMBER_INTERNATIONAL_NOT_ALLOWED,
    ),
    Case(
        "fwd-international-00-rejected",
        fwd(FK.BUSY, "0044 20 7946 0958"),
        E.NUMBER_INTERNATIONAL_NOT_ALLOWED,
    ),
    Case(
        "fwd-special-08-rejected", fwd(FK.UNCONDITIONAL, "0899123456"), E.NUMBER_SPECIAL_NOT_ALLOWED
    ),
    Case(
        "fwd-freephone-0800-rejected",
        fwd(FK.UNCONDITIONAL, "0800123456"),
        E.NUMBER_SPECIAL_NOT_ALLOWED,
    ),
    Case("fwd-07-rejected-by-default", fwd(FK.BUSY, "0756123456"), E.NUMBER_PREFIX_NOT_ALLOWED),
    Case("fwd-09-rejected-by-default", fwd(FK.BUSY, "0912345678"), E.NUMBER_PREFIX_NOT_ALLOWED),
    Case("fwd-too-long-rejected", fwd(FK.BUSY, "06123456789"), E.NUMBER_INVALID),
    Case("fwd-letters-rejected", fwd(FK.BUSY, "06ABCDEFGH"), E.NUMBER_INVALID),
    Case("fwd-empty-rejected", fwd(FK.BUSY, ""), E.FORWARDING_DESTINATION_REQUIRED),
    Case("fwd-to-self-rejected", fwd(FK.BUSY, "0611000001"), E.FORWARDING_TO_SELF),
    Case("fwd-unknown-kind-rejected", fwd("always", "0145678910"), E.FORWARDING_KIND_INVALID),  # type: ignore[arg-type]
    # §4 no-reply timer 5–30 s
    Case("timer-5-accepted", fwd(FK.NO_REPLY, "0145678910", 5), None),
    Case("timer-30-accepted", fwd(FK.NO_REPLY, "0145678910", 30), None),
    Case("timer-25-accepted", fwd(FK.NO_REPLY, "0145678910", 25), None),
    Case("timer-4-rejected", fwd(FK.NO_REPLY, "0145678910", 4), E.NO_REPLY_TIMER_INVALID),
    Case("timer-31-rejected", fwd(FK.NO_REPLY, "0145678910", 31), E.NO_REPLY_TIMER_INVALID),
    Case("timer-40-rejected", fwd(FK.NO_REPLY, "0145678910", 40), E.NO_REPLY_TIMER_INVALID),
    Case("timer-on-busy-rejected", fwd(FK.BUSY, "0145678910", 20), E.NO_REPLY_TIMER_NOT_APPLICABLE),
    # PABX option required for the line's services
    Case(
        "fwd-without-pabx-option-rejected",
        lambda s, a, w, _: s.forwarding.set(a, w.plain.id, FK.BUSY, destination="0145678910"),
        E.PABX_OPTION_REQUIRED,
    ),
    Case(
        "list-without-pabx-option-rejected",
        lambda s, a, w, _: s.incoming.save(a, w.plain.id, entries=["0145678910"]),
        E.PABX_OPTION_REQUIRED,
    ),
    # incoming list: ≤ 5 entries, of the VPN, 01–06
    Case(
        "list-5-vpn-entries-accepted",
        incoming(["0611000001", "0145678910", "0611000002", "0611000003", "0611000004"]),
        None,
    ),
    Case(
        "list-6-entries-rejected",
        incoming(
            ["0611000001", "0145678910", "0611000002", "0611000003", "0611000004", "0611000005"]
        ),
        E.LIST_TOO_LONG,
    ),
    Case("list-outside-vpn-rejected", incoming(["0611000001", "0699887766"]), E.NUMBER_NOT_IN_VPN),
    Case("list-other-fleet-line-rejected", incoming(["0622000001"]), E.NUMBER_NOT_IN_VPN),
    Case("list-short-number-rejected", incoming(["2002"]), E.NUMBER_SHORT_NOT_ALLOWED),
    Case(
        "list-duplicate-rejected",
        incoming(["0611000002", "06 11 00 00 02"]),
        E.LIST_DUPLICATE_ENTRY,
    ),
    Case("list-empty-active-rejected", incoming([]), E.LIST_EMPTY),
    Case("list-empty-inactive-accepted", incoming([], active=False), None),
    Case("list-ring-4-rejected", incoming(["0611000002"], ring=4), E.RING_TIME_INVALID),
    Case("list-ring-61-rejected", incoming(["0611000002"], ring=61), E.RING_TIME_INVALID),
    # §3 short numbers: unique in the fleet, fleet length, no leading 0
    Case("short-free-accepted", line_create("0611000060", "2060"), None),
    Case("short-taken-rejected", line_create("0611000060", "2001"), E.SHORT_NUMBER_IN_USE),
    Case(
        "short-taken-by-fixed-rejected",
        line_create("0611000060", "2999"),
        E.SHORT_NUMBER_IN_USE,
        arrange=lambda s, a, w: s.fleets.update_fixed_number(a, w.fixed.id, short_number="2999"),
    ),
    Case(
        "short-same-in-other-fleet-accepted", line_create("0611000060", "2002", fleet="other"), None
    ),
    Case("short-wrong-length-rejected", line_create("0611000060", "20601"), E.SHORT_NUMBER_INVALID),
    Case("short-leading-zero-rejected", line_create("0611000060", "0601"), E.SHORT_NUMBER_INVALID),
    # MSISDN: a mobile number, unique across every fleet
    Case("msisdn-taken-rejected", line_create("0611000001"), E.NUMBER_IN_USE),
    Case("msisdn-taken-other-fleet-rejected", line_create("0622000001"), E.NUMBER_IN_USE),
    Case("msisdn-fixed-rejected", line_create("0145678999"), E.NUMBER_NOT_MOBILE),
    Case(
        "msisdn-international-rejected",
        line_create("+447700900123"),
        E.NUMBER_INTERNATIONAL_NOT_ALLOWED,
    ),
    Case(
        "email-invalid-rejected",
        line_create("0611000060", email="pas-une-adresse"),
        E.EMAIL_INVALID,
    ),
    Case("name-empty-rejected", line_create("0611000060", name="  "), E.EMPLOYEE_NAME_INVALID),
    # fixed numbers of the fleet
    Case(
        "fixed-number-accepted",
        lambda s, a, w, _: s.fleets.add_fixed_number(
            a, w.fleet.id, number="0478123456", label="Lyon", trunk="trunk-siege"
        ),
        None,
    ),
    Case(
        "fixed-number-mobile-rejected",
        lambda s, a, w, _: s.fleets.add_fixed_number(
            a, w.fleet.id, number="0699887766", label="x", trunk="trunk-siege"
        ),
        E.NUMBER_NOT_FIXED,
    ),
    Case(
        "fixed-number-taken-rejected",
        lambda s, a, w, _: s.fleets.add_fixed_number(
            a, w.other_fleet.id, number="0145678910", label="x", trunk="t1"
        ),
        E.NUMBER_IN_USE,
    ),
    Case(
        "fixed-number-bad-trunk-rejected",
        lambda s, a, w, _: s.fleets.add_fixed_number(
            a, w.fleet.id, number="0478123456", label="x", trunk="a b"
        ),
        E.TRUNK_NAME_INVALID,
    ),
    Case(
        "fixed-number-trunk-of-another-fleet-rejected",
        lambda s, a, w, _: s.fleets.add_fixed_number(
            a, w.other_fleet.id, number="0478123456", label="x", trunk="trunk-siege"
        ),
        E.TRUNK_UNKNOWN,
    ),
    Case(
        "fixed-number-moved-to-unknown-trunk-rejected",
        lambda s, a, w, _: s.fleets.update_fixed_number(a, w.fixed.id, trunk="trunk-lyon"),
        E.TRUNK_UNKNOWN,
    ),
    # fleets
    Case(
        "fleet-accepted",
        lambda s, a, w, _: s.fleets.create(a, name="Nouvelle", short_number_length=3),
        None,
    ),
    Case(
        "fleet-length-7-rejected",
        lambda s, a, w, _: s.fleets.create(a, name="N", short_number_length=7),
        E.SHORT_NUMBER_LENGTH_INVALID,
    ),
    Case(
        "fleet-timezone-rejected",
        lambda s, a, w, _: s.fleets.create(a, name="N", timezone="Mars/Olympus"),
        E.TIMEZONE_INVALID,
    ),
    Case(
        "fleet-language-rejected",
        lambda s, a, w, _: s.fleets.create(a, name="N", language="de"),
        E.LANGUAGE_INVALID,
    ),
    Case(
        "fleet-length-change-locked",
        lambda s, a, w, _: s.fleets.update(a, w.fleet.id, short_number_length=5),
        E.SHORT_NUMBER_LENGTH_LOCKED,
    ),
    # §5 groups: at most 10 members
    Case(
        "group-10-members-accepted", group(members=lambda w: [w.line(i).id for i in range(9)]), None
    ),
    Case(
        "group-11-members-rejected",
        group(members=lambda w: [w.line(i).id for i in range(11)]),
        E.GROUP_FULL,
    ),
    Case(
        "group-add-10th-accepted",
        add_member(lambda w: w.line(9).id, 9)[1],
        None,
        add_member(lambda w: w.line(9).id, 9)[0],
    ),
    Case(
        "group-add-11th-rejected",
        add_member(lambda w: w.line(11).id, 10)[1],
        E.GROUP_FULL,
        add_member(lambda w: w.line(11).id, 10)[0],
    ),
    # members are lines of the fleet with the PABX option
    Case(
        "group-member-without-pabx-rejected",
        add_member(lambda w: w.plain.id)[1],
        E.PABX_OPTION_REQUIRED,
        add_member(lambda w: w.plain.id)[0],
    ),
    Case(
        "group-member-other-fleet-rejected",
        add_member(lambda w: w.foreign.id)[1],
        E.GROUP_MEMBER_OTHER_FLEET,
        add_member(lambda w: w.foreign.id)[0],
    ),
    Case(
        "group-member-twice-rejected",
        add_member(lambda w: w.line(0).id)[1],
        E.GROUP_MEMBER_DUPLICATE,
        add_member(lambda w: w.line(0).id)[0],
    ),
    # a line may belong to several groups
    Case(
        "line-in-second-group-accepted",
        group(number="0609182237", name="Autre", members=lambda w: [w.line(0).id]),
        None,
        arrange=lambda s, a, w: group_with(s, a, w, 2),
    ),
    # group number: its own, or the number of one of its members
    Case("group-own-number-accepted", group(number="0609182236"), None),
    Case(
        "group-member-number-accepted",
        group(number="0611000003", members=lambda w: [w.line(2).id]),
        None,
    ),
    Case("group-line-number-adds-member-accepted", group(number="0611000004"), None),
    Case("group-number-without-pabx-rejected", group(number="0611000050"), E.PABX_OPTION_REQUIRED),
    Case("group-number-other-fleet-line-rejected", group(number="0622000001"), E.NUMBER_IN_USE),
    Case("group-number-fixed-taken-rejected", group(number="0145678910"), E.NUMBER_IN_USE),
    Case("group-number-special-rejected", group(number="0899123456"), E.NUMBER_SPECIAL_NOT_ALLOWED),
    Case("group-number-short-rejected", group(number="2001"), E.NUMBER_SHORT_NOT_ALLOWED),
    Case(
        "group-number-other-group-rejected",
        group(name="Doublon"),
        E.NUMBER_IN_USE,
        arrange=lambda s, a, w: group_with(s, a, w, 1),
    ),
    Case(
        "group-renumber-to-non-member-rejected",
        lambda s, a, w, g: s.groups.update(a, g.id, number="0611000009"),
        E.GROUP_NUMBER_NOT_MEMBER,
        arrange=lambda s, a, w: group_with(s, a, w, 2),
    ),
    Case(
        "group-renumber-to-member-accepted",
        lambda s, a, w, g: s.groups.update(a, g.id, number="0611000002"),
        None,
        arrange=lambda s, a, w: group_with(s, a, w, 2),
    ),
    Case(
        "group-number-member-removal-rejected",
        lambda s, a, w, g: s.groups.remove_member(a, g.id, w.line(3).id),
        E.GROUP_NUMBER_MEMBER_REQUIRED,
        arrange=lambda s, a, w: s.groups.create(
            a, w.fleet.id, number="0611000004", name="G", user_code="1111", admin_code="2222"
        ),
    ),
    # codes of 4 digits, different from each other
    Case("group-codes-accepted", group(user_code="0000", admin_code="9999"), None),
    Case("group-code-3-digits-rejected", group(user_code="170"), E.GROUP_CODE_INVALID),
    Case("group-code-5-digits-rejected", group(admin_code="22022"), E.GROUP_CODE_INVALID),
    Case("group-code-letters-rejected", group(user_code="17a3"), E.GROUP_CODE_INVALID),
    Case(
        "group-codes-identical-rejected",
        group(user_code="1703", admin_code="1703"),
        E.GROUP_CODES_IDENTICAL,
    ),
    # queue, delays, distribution
    Case("group-queue-0-accepted", group(queue_size=0), None),
    Case("group-queue-21-rejected", group(queue_size=21), E.GROUP_QUEUE_INVALID),
    Case("group-queue-negative-rejected", group(queue_size=-1), E.GROUP_QUEUE_INVALID),
    Case("group-switchover-12-accepted", group(switchover_delay=12), None),
    Case(
        "group-switchover-4-rejected", group(switchover_delay=4), E.GROUP_SWITCHOVER_DELAY_INVALID
    ),
    Case("group-intercall-30-accepted", group(intercall_delay=30), None),
    Case(
        "group-intercall-601-rejected", group(intercall_delay=601), E.GROUP_INTERCALL_DELAY_INVALID
    ),
    Case("group-max-wait-9-rejected", group(max_queue_wait=9), E.GROUP_MAX_WAIT_INVALID),
    Case("group-distribution-least-active-accepted", group(distribution="least_active"), None),
    Case(
        "group-distribution-unknown-rejected",
        group(distribution="round_robin"),
        E.GROUP_DISTRIBUTION_INVALID,
    ),
    Case("group-name-empty-rejected", group(name=""), E.GROUP_NAME_INVALID),
    Case(
        "group-name-taken-rejected",
        group(number="0609182237", name="com"),
        E.GROUP_NAME_IN_USE,
        arrange=lambda s, a, w: group_with(s, a, w, 1),
    ),
    Case("group-short-number-taken-rejected", group(short_number="2001"), E.SHORT_NUMBER_IN_USE),
    Case("group-short-number-accepted", group(short_number="2500"), None),
    # no-answer rule
    Case(
        "group-no-answer-number-accepted",
        group(no_answer_action=NoAnswerAction.FORWARD_TO_NUMBER, no_answer_number="0145678910"),
        None,
    ),
    Case(
        "group-no-answer-number-missing-rejected",
        group(no_answer_action=NoAnswerAction.FORWARD_TO_NUMBER),
        E.GROUP_NO_ANSWER_INVALID,
    ),
    Case(
        "group-no-answer-number-special-rejected",
        group(no_answer_action=NoAnswerAction.FORWARD_TO_NUMBER, no_answer_number="0899123456"),
        E.NUMBER_SPECIAL_NOT_ALLOWED,
    ),
    Case(
        "group-no-answer-group-missing-rejected",
        group(no_answer_action=NoAnswerAction.FORWARD_TO_GROUP),
        E.GROUP_NO_ANSWER_INVALID,
    ),
    Case(
        "group-no-answer-self-rejected",
        lambda s, a, w, g: s.groups.update(
            a, g.id, no_answer_action=NoAnswerAction.FORWARD_TO_GROUP, no_answer_group_id=g.id
        ),
        E.GROUP_NO_ANSWER_SELF,
        arrange=lambda s, a, w: group_with(s, a, w, 1),
    ),
    Case(
        "group-overflow-target-delete-rejected",
        lambda s, a, w, g: s.groups.delete(a, g.id),
        E.GROUP_IS_OVERFLOW_TARGET,
        arrange=lambda s, a, w: _overflow_pair(s, a, w),
    ),
    # the PABX option cannot be removed from a group member; a group's number line stays
    Case(
        "pabx-off-for-group-member-rejected",
        lambda s, a, w, g: s.lines.update(a, w.line(0).id, settings={PABX_OPTION: False}),
        E.LINE_IN_GROUPS,
        arrange=lambda s, a, w: group_with(s, a, w, 1),
    ),
    Case(
        "pabx-off-for-free-line-accepted",
        lambda s, a, w, _: s.lines.update(a, w.line(5).id, settings={PABX_OPTION: False}),
        None,
    ),
    Case(
        "delete-group-number-line-rejected",
        lambda s, a, w, g: s.lines.delete(a, w.line(3).id),
        E.LINE_IS_GROUP_NUMBER,
        arrange=lambda s, a, w: s.groups.create(
            a, w.fleet.id, number="0611000004", name="G", user_code="1111", admin_code="2222"
        ),
    ),
    # accounts
    Case(
        "manager-accepted",
        lambda s, a, w, _: s.accounts.create_manager(
            a,
            login="chef",
            password="motdepasse-solide",
            display_name="Chef",
            fleet_ids=[w.fleet.id],
        ),
        None,
    ),
    Case(
        "manager-weak-password-rejected",
        lambda s, a, w, _: s.accounts.create_manager(
            a, login="chef", password="court", display_name="Chef", fleet_ids=[w.fleet.id]
        ),
        E.PASSWORD_TOO_WEAK,
    ),
    Case(
        "manager-without-fleet-rejected",
        lambda s, a, w, _: s.accounts.create_manager(
            a, login="chef", password="motdepasse-solide", display_name="Chef", fleet_ids=[]
        ),
        E.ACCOUNT_FLEETS_REQUIRED,
    ),
    Case(
        "login-taken-rejected",
        lambda s, a, w, _: s.accounts.create_employee(
            a, login="Salarie1", password="motdepasse-solide", line_id=w.line(1).id
        ),
        E.LOGIN_IN_USE,
        arrange=lambda s, a, w: s.accounts.create_employee(
            a, login="salarie1", password="motdepasse-solide", line_id=w.line(0).id
        ),
    ),
]


async def _overflow_pair(s: Services, a: Actor, w: World) -> Any:
    target = await group_with(s, a, w, 1)
    await s.groups.create(
        a,
        w.fleet.id,
        number="0609182237",
        name="Débordement",
        user_code="1234",
        admin_code="4321",
        no_answer_action=NoAnswerAction.FORWARD_TO_GROUP,
        no_answer_group_id=target.id,
    )
    return target


def test_every_rule_has_accepted_and_rejected_cases() -> None:
    rejected = {c.code for c in CASES if c.code is not None}
    assert len([c for c in CASES if c.code is None]) >= 20
    assert len(rejected) >= 45
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_rule(case: Case, services: Services, actor: Actor, engine: AsyncEngine) -> None:
    world = await build_world(services, actor)
    context = await (case.arrange or _nothing)(services, actor, world)
    before = await dump(engine)
    if case.code is None:
        await case.act(services, actor, world, context)
        after = await dump(engine)
        assert len(after["audit_journal"]) > len(before["audit_journal"]), "change not audited"
        return
    with pytest.raises(DomainError) as caught:
        await case.act(services, actor, world, context)
    assert caught.value.code is case.code, caught.value
    assert caught.value.message(Language.FR) != caught.value.message(Language.EN)
    assert await dump(engine) == before, "a rejected change wrote something"
