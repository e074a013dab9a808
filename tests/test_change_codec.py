"""The wire form of change notifications between processes (issue 15): every change type
comes back equal after a round trip; what does not fit in one notification is split, or
sent as a reference that makes the receivers read it again; a payload that is not ours is
refused, typed. Pure: no database."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import typing
import zlib
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from fleet.core import model
from fleet.core.changes import (
    AccountChange,
    Change,
    ChangeEvent,
    ContactChange,
    CriteriaChange,
    FixedNumberChange,
    FleetChange,
    ForwardingChange,
    GroupChange,
    IncomingListChange,
    LineChange,
    MemberChange,
    PasswordEvent,
    ScheduleChange,
    TrunkChange,
)
from fleet.core.contacts import Contact
from fleet.core.criteria import CallerFilter, Criteria, CriteriaTarget
from fleet.core.numbering import E164
from fleet.core.presented import PresentedKind, PresentedNumber
from fleet.core.schedules import Holiday, Schedule, TimeRange, Weekday
from fleet.core.trunks import HistoryStyle, Trunk, TrunkMode, TrunkState, TrunkTransport
from fleet.core.values import (
    Actor,
    Channel,
    DistributionMode,
    ForwardingKind,
    ForwardingTarget,
    Language,
    NoAnswerAction,
    RingMode,
    Role,
)
from fleet.services.change_codec import (
    MAX_PAYLOAD,
    RELOAD_EVERYTHING,
    NoticeError,
    Reload,
    ReloadScope,
    decode,
    encode,
    reloads,
)

ACTOR = Actor(name="gestionnaire", channel=Channel.API, account_id=7, line_id=None)
SENDER = "host-1a2b3c4d"
FLEET = model.Fleet(
    id=3,
    name="Transports Dupont",
    short_number_length=3,
    language=Language.FR,
    timezone="Europe/Paris",
)
LINE = model.Line(
    id=11,
    fleet_id=3,
    msisdn=E164("+33611000001"),
    short_number="201",
    employee_name="Zoé Müller — « chef »",
    email=None,
    language=Language.FR,
    pabx_option=True,
    call_waiting=False,
    clir=True,
)
FORWARDING = model.Forwarding(
    line_id=11,
    kind=ForwardingKind.NO_REPLY,
    destination=E164("+33145678910"),
    active=True,
    no_reply_timer=20,
)
INCOMING = model.IncomingList(
    line_id=11,
    active=True,
    mode=RingMode.CASCADE,
    ring_time=15,
    entries=(E164("+33611000002"), E164("+33611000003")),
)


def member(line_id: int, *, connected: bool = True, name: str = "Agent") -> model.Member:
    return model.Member(
        line_id=line_id,
        msisdn=E164(f"+336110{line_id:05d}"),
        employee_name=name,
        position=line_id,
        connected=connected,
    )


def group(members: tuple[model.Member, ...] = ()) -> model.CallGroup:
    return model.CallGroup(
        id=5,
        fleet_id=3,
        number=E164("+33611099999"),
        name="Accueil",
        short_number="500",
        user_code="1234",
        admin_code="9876",
        queue_size=4,
        switchover_delay=10,
        intercall_delay=0,
        distribution=DistributionMode.CYCLIC,
        max_queue_wait=60,
        no_answer_action=NoAnswerAction.FORWARD_TO_GROUP,
        no_answer_number=None,
        no_answer_group_id=6,
        members=members,
    )


TRUNK = model.TrunkView(
    trunk=Trunk(
        id=2,
        fleet_id=3,
        name="siège",
        mode=TrunkMode.STATIC,
        host="pbx.example",
        port=5061,
        transport=TrunkTransport.TLS,
        username=None,
        realm=None,
        history=HistoryStyle.DIVERSION,
        state=TrunkState.IN_SERVICE,
    ),
    has_secret=True,
    state_since=datetime(2026, 12, 3, 8, 0, 1, 250000, tzinfo=UTC),
)
ACCOUNT = model.Account(
    id=9,
    login="chef",
    role=Role.MANAGER,
    display_name="Chef",
    language=Language.EN,
    fleet_ids=(3, 4),
    line_id=None,
    active=True,
)

EVERY_CHANGE: list[Change] = [
    FleetChange(fleet_id=3, before=None, after=FLEET),
    FleetChange(fleet_id=3, before=FLEET, after=None),
    LineChange(fleet_id=3, line_id=11, before=LINE, after=None, left_groups=("Accueil", "Nuit")),
    # the presented number (issue 16): the fleet's main number, a line presenting a group
    FleetChange(fleet_id=3, before=FLEET, after=replace(FLEET, main_number=E164("+33145678910"))),
    LineChange(
        fleet_id=3,
        line_id=11,
        before=LINE,
        after=replace(LINE, presented=PresentedNumber.of(PresentedKind.GROUP, 5)),
    ),
    ForwardingChange(
        fleet_id=3, line_id=11, kind=ForwardingKind.NO_REPLY, before=None, after=FORWARDING
    ),
    ForwardingChange(  # to voicemail (issue 16 item 7): the target travels, no number
        fleet_id=3,
        line_id=11,
        kind=ForwardingKind.NO_REPLY,
        before=FORWARDING,
        after=dataclasses.replace(FORWARDING, destination=None, target=ForwardingTarget.VOICEMAIL),
    ),
    IncomingListChange(fleet_id=3, line_id=11, before=None, after=INCOMING),
    GroupChange(fleet_id=3, group_id=5, before=group(), after=group((member(11),))),
    MemberChange(
        fleet_id=3,
        group_id=5,
        before=group((member(11),)),
        after=group((member(11, connected=False), member(12))),
    ),
    FixedNumberChange(
        fleet_id=3,
        fixed_id=4,
        before=None,
        after=model.FixedNumber(
            id=4,
            fleet_id=3,
            number=E164("+33145678910"),
            label="Standard",
            trunk="siège",
            short_number=None,
        ),
    ),
    TrunkChange(fleet_id=3, trunk_id=2, before=TRUNK, after=TRUNK, secret_changed=True),
    ScheduleChange(
        fleet_id=3,
        schedule_id=8,
        before=None,
        after=Schedule(
            id=8,
            fleet_id=3,
            name="non-horaire du magasin",
            ranges=(TimeRange(day=Weekday.MONDAY, start=540, end=1440),),
            holidays=(
                Holiday(
                    label="Noël", first=date(2026, 12, 25), last=date(2026, 12, 26), yearly=True
                ),
            ),
            opposite_of=7,
        ),
    ),
    ContactChange(
        fleet_id=3,
        contact_id=4,
        before=None,
        after=Contact(
            id=4,
            fleet_id=3,
            name="Garage Martin",
            company="Martin & fils",
            number=E164("+33478000001"),
            abbreviated="7001",
            notes="clé « 12 »",
        ),
    ),
    CriteriaChange(
        fleet_id=3,
        target=CriteriaTarget.NO_REPLY,
        line_id=5,
        before=(Criteria(callers=CallerFilter.HIDDEN, active=False),),
        after=(
            Criteria(
                name="Soir",
                schedule_id=8,
                callers=CallerFilter.NUMBERS,
                numbers=(E164("+33699000001"), E164("+41781234567")),
            ),
        ),
    ),
    CriteriaChange(
        fleet_id=3,
        target=CriteriaTarget.GROUP,
        group_id=6,
        before=(),
        after=(Criteria(schedule_id=8),),
    ),
    AccountChange(
        fleet_id=None, account_id=9, before=ACCOUNT, after=ACCOUNT, password=PasswordEvent.RESET
    ),
]


@pytest.mark.parametrize("change", EVERY_CHANGE, ids=lambda c: type(c).__name__)
def test_every_change_type_comes_back_equal_after_a_round_trip(change: Change) -> None:
    events = [ChangeEvent(change=change, actor=ACTOR)]
    [payload] = encode(events, sender=SENDER, sent_at=1764748800.25)
    notice = decode(payload)
    assert notice.events == tuple(events)
    assert notice.sender == SENDER
    assert notice.sent_at == 1764748800.25
    assert notice.reloads == ()


def test_a_transaction_of_several_changes_is_one_notification_in_order() -> None:
    # one change of each type, in order (a rule's criteria, a list since issue 16 item 2,
    # brought every sample together just over one payload)
    first: dict[type, Change] = {}
    for change in EVERY_CHANGE:
        first.setdefault(type(change), change)
    events = [ChangeEvent(change=c, actor=ACTOR) for c in first.values()]
    assert len(events) >= 10
    [payload] = encode(events, sender=SENDER, sent_at=1.0)
    assert len(payload.encode()) < MAX_PAYLOAD
    assert decode(payload).events == tuple(events)


def test_changes_beyond_one_payload_are_split_in_order_each_under_the_limit() -> None:
    events = [ChangeEvent(change=c, actor=ACTOR) for c in EVERY_CHANGE]
    payloads = encode(events, sender=SENDER, sent_at=1.0, limit=2000)
    assert len(payloads) > 1
    assert all(len(p.encode()) < 2000 for p in payloads)
    assert tuple(e for p in payloads for e in decode(p).events) == tuple(events)


def test_a_change_larger_than_a_payload_travels_compressed_and_comes_back_equal() -> None:
    crowd = tuple(member(n, name=f"Jean-Baptiste Dupont {n}") for n in range(1, 150))
    big = MemberChange(fleet_id=3, group_id=5, before=group(crowd[1:]), after=group(crowd))
    events = [ChangeEvent(change=big, actor=ACTOR)]
    [payload] = encode(events, sender=SENDER, sent_at=1.0)
    assert len(payload.encode()) < MAX_PAYLOAD
    assert isinstance(json.loads(payload)["c"][0], str)  # deflated
    assert decode(payload).events == tuple(events)


def noise(n: int) -> str:
    """A name that does not compress (deterministic)."""
    return hashlib.sha256(str(n).encode()).hexdigest()


def test_a_change_too_large_to_send_becomes_a_reference_to_read_its_fleet_again() -> None:
    crowd = tuple(member(n, name=noise(n)) for n in range(1, 120))
    big = MemberChange(fleet_id=3, group_id=5, before=group(crowd[1:]), after=group(crowd))
    small = ForwardingChange(
        fleet_id=3, line_id=11, kind=ForwardingKind.BUSY, before=None, after=FORWARDING
    )
    events = [ChangeEvent(change=big, actor=ACTOR), ChangeEvent(change=small, actor=ACTOR)]
    payloads = encode(events, sender=SENDER, sent_at=1.0)
    assert all(len(p.encode()) < MAX_PAYLOAD for p in payloads)
    notices = [decode(p) for p in payloads]
    assert [e for n in notices for e in n.events] == [events[1]]
    assert [r for n in notices for r in n.reloads] == [Reload(ReloadScope.FLEET, 3)]


def test_an_account_too_large_to_send_becomes_a_reference_to_that_account() -> None:
    many = model.Account(
        id=9,
        login="chef",
        role=Role.MANAGER,
        display_name="Chef",
        language=Language.EN,
        fleet_ids=tuple(range(1, 3000)),
        line_id=None,
        active=True,
    )
    change = AccountChange(fleet_id=1, account_id=9, before=ACCOUNT, after=many)
    [payload] = encode([ChangeEvent(change=change, actor=ACTOR)], sender=SENDER, sent_at=1.0)
    assert decode(payload).reloads == (Reload(ReloadScope.ACCOUNT, 9),)


def test_very_many_changes_become_one_reference_per_fleet_touched() -> None:
    events = [
        ChangeEvent(
            change=LineChange(fleet_id=fleet, line_id=n, before=None, after=LINE), actor=ACTOR
        )
        for fleet in (3, 4)
        for n in range(400)
    ]
    [payload] = encode(events, sender=SENDER, sent_at=1.0)
    notice = decode(payload)
    assert notice.events == ()
    assert notice.reloads == (Reload(ReloadScope.FLEET, 3), Reload(ReloadScope.FLEET, 4))


def test_changes_in_too_many_fleets_become_one_reload_of_everything() -> None:
    events = [
        ChangeEvent(change=FleetChange(fleet_id=n, before=None, after=FLEET), actor=ACTOR)
        for n in range(1, 400)
    ]
    [payload] = encode(events, sender=SENDER, sent_at=1.0)
    assert decode(payload).reloads == (RELOAD_EVERYTHING,)


def test_a_reload_request_decodes_as_reload_everything() -> None:
    notice = decode(reloads([RELOAD_EVERYTHING], sender="cli-x", sent_at=2.5))
    assert notice.reloads == (RELOAD_EVERYTHING,)
    assert notice.events == ()
    assert notice.sender == "cli-x"


def test_no_change_no_notification() -> None:
    assert encode([], sender=SENDER, sent_at=1.0) == []


BOMB = base64.b64encode(zlib.compress(b"[" + b" " * (2 << 20) + b"]", 9)).decode()


@pytest.mark.parametrize(
    "payload",
    [
        "",
        "not json",
        "[]",
        '{"v":999,"p":"x","t":1,"c":[],"r":[]}',
        '{"v":1,"t":1,"c":[],"r":[]}',
        '{"v":1,"p":"x","t":1,"c":[["NoSuchChange",{},{}]],"r":[]}',
        '{"v":1,"p":"x","t":1,"c":[["FleetChange",{"fleet_id":"3","before":null,'
        '"after":null},{"name":"a","channel":"api"}]],"r":[]}',
        '{"v":1,"p":"x","t":1,"c":[["FleetChange",{"fleet_id":3,"before":null,"after":null,'
        '"extra":1},{"name":"a","channel":"api"}]],"r":[]}',
        '{"v":1,"p":"x","t":1,"c":[["FleetChange",{"fleet_id":3,"before":null,"after":null},'
        '{"name":"a","channel":"telepathy"}]],"r":[]}',
        '{"v":1,"p":"x","t":1,"c":[],"r":[["fleet"]]}',
        '{"v":1,"p":"x","t":1,"c":[],"r":[["all",3]]}',
        '{"v":1,"p":"x","t":1,"c":[],"r":[["planet",3]]}',
        '{"v":1,"p":"x","t":1,"c":["not base64!"],"r":[]}',
        '{"v":1,"p":"x","t":1,"c":["bm90IGRlZmxhdGVk"],"r":[]}',
        '{"v":1,"p":"x","t":1,"c":["' + BOMB + '"],"r":[]}',
    ],
)
def test_a_payload_that_is_not_a_valid_notice_is_refused(payload: str) -> None:
    with pytest.raises(NoticeError):
        decode(payload)


def test_the_payload_is_compact_json_naming_the_change_type() -> None:
    change = ForwardingChange(
        fleet_id=3, line_id=11, kind=ForwardingKind.NO_REPLY, before=None, after=FORWARDING
    )
    [payload] = encode([ChangeEvent(change=change, actor=ACTOR)], sender=SENDER, sent_at=1.0)
    data = json.loads(payload)
    assert data["c"][0][0] == "ForwardingChange"
    assert data["c"][0][1]["after"]["destination"] == "+33145678910"
    assert ", " not in payload and ": " not in payload


def test_the_round_trip_covers_every_change_type() -> None:
    assert {type(c) for c in EVERY_CHANGE} == set(typing.get_args(Change))
