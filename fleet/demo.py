"""The demo fleet: the people and settings of the examples in seed 004, ready to try.
The fleet is data (``LINES``, ``FIXED``, ``FORWARDINGS``, ``LISTS``, ``GROUPS``) that
``ensure_demo`` creates through the services (the tests build the same fleet in memory)."""

from __future__ import annotations

from dataclasses import dataclass

from callgroups.screens import GroupInput
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.values import Actor, Channel, DistributionMode, ForwardingKind, RingMode
from fleet.services.container import Services
from fleet.services.lines import NewLine

DEMO_FLEET = "Démo — Taxis Express"
DEMO_ACTOR = Actor(name="demo", channel=Channel.SEED)
MANAGER_LOGIN, MANAGER_PASSWORD = "gestionnaire", "demo-gestionnaire"
EMPLOYEE_LOGIN, EMPLOYEE_PASSWORD = "madame.b", "demo-collaboratrice"

# (MSISDN, short number, name) — the cast of seed 004's examples, plus a taxi desk
LINES = [
    ("0611000001", "2001", "Monsieur A"),
    ("0611000002", "2002", "Madame B"),
    ("0611000003", "2003", "Monsieur C"),
    ("0611000004", "2004", "Madame C"),
    ("0611000005", "2005", "Monsieur D"),
    ("0611000006", "2006", "Assistante de Madame B"),
    ("0611000007", "2007", "Assistant de Madame C"),
    ("0609182236", "2008", "Standard Com"),
    ("0611000011", "2011", "Chauffeur 1"),
    ("0611000012", "2012", "Chauffeur 2"),
    ("0611000013", "2013", "Chauffeur 3"),
    ("0611000014", "2014", "Chauffeur 4"),
]
TRUNK = "trunk-siege"  # the company PBX's SIP trunk (static: the PBX at a fixed address)
TRUNK_HOST = "127.0.0.1"  # where netsim plays the PBX in `fleetpbx demo`
TRUNK_PORT = 5080
FIXED = [
    ("0145678910", "2101", "Fixe de Monsieur A"),
    ("0145678911", "2102", "Fixe de Madame B"),
    ("0145678915", "2105", "Fixe de Monsieur D"),
]


@dataclass(frozen=True)
class DemoForwarding:
    line: str  # the employee's name
    kind: ForwardingKind
    destination: str
    active: bool = True
    no_reply_timer: int | None = None


@dataclass(frozen=True)
class DemoList:
    line: str
    entries: tuple[str, ...]
    mode: RingMode
    ring_time: int


@dataclass(frozen=True)
class DemoGroup:
    number: str
    name: str
    user_code: str
    admin_code: str
    queue_size: int
    switchover_delay: int
    intercall_delay: int
    distribution: DistributionMode
    members: tuple[str, ...]  # employees' names, in order (after the line it is numbered like)
    connected: tuple[str, ...]
    short_number: str | None = None

    def fields(self) -> GroupInput:
        """The group's settings, as the group service takes them."""
        return GroupInput(
            number=self.number,
            name=self.name,
            user_code=self.user_code,
            admin_code=self.admin_code,
            queue_size=self.queue_size,
            switchover_delay=self.switchover_delay,
            intercall_delay=self.intercall_delay,
            distribution=self.distribution.value,
            short_number=self.short_number,
        )


FORWARDINGS = (
    # Monsieur A forgot his mobile: immediate forwarding to his desk (kept off by default)
    DemoForwarding("Monsieur A", ForwardingKind.UNCONDITIONAL, "0145678910", active=False),
    # Madame B: busy forwarding to her desk
    DemoForwarding("Madame B", ForwardingKind.BUSY, "0145678911"),
    # Madame C: after 25 s without answer, to her assistant
    DemoForwarding("Madame C", ForwardingKind.NO_REPLY, "0611000007", no_reply_timer=25),
    # Monsieur D: switched off or out of coverage -> his desk
    DemoForwarding("Monsieur D", ForwardingKind.NOT_REACHABLE, "0145678915"),
)
LISTS = (
    # Madame B: cascade list desk -> mobile -> assistant, 15 s each
    DemoList("Madame B", ("0145678911", "0611000002", "0611000006"), RingMode.CASCADE, 15),
)
GROUPS = (
    # the group of the seed's screen: 0609182236 "Com", 1703 / 2202, queue 1, 12 s, 30 s, linear
    DemoGroup(
        number="0609182236",
        name="Com",
        user_code="1703",
        admin_code="2202",
        queue_size=1,
        switchover_delay=12,
        intercall_delay=30,
        distribution=DistributionMode.LINEAR,
        members=("Monsieur A", "Madame B"),
        connected=("Monsieur A",),
    ),
    DemoGroup(
        number="0611000099",
        name="Taxis",
        user_code="4321",
        admin_code="8765",
        queue_size=3,
        switchover_delay=15,
        intercall_delay=20,
        distribution=DistributionMode.CYCLIC,
        members=("Chauffeur 1", "Chauffeur 2", "Chauffeur 3", "Chauffeur 4"),
        connected=("Chauffeur 1", "Chauffeur 2", "Chauffeur 3"),
        short_number="2099",
    ),
)


@dataclass(frozen=True)
class DemoInfo:
    fleet_id: int
    created: bool


async def ensure_demo(
    services: Services, *, pbx: tuple[str, int] = (TRUNK_HOST, TRUNK_PORT)
) -> DemoInfo:
    """Create the demo fleet once (its company PBX's trunk to ``pbx``, host and port); later
    runs find it and change nothing."""
    for fleet in await services.fleets.all():
        if fleet.name == DEMO_FLEET:
            return DemoInfo(fleet_id=fleet.id, created=False)
    actor = DEMO_ACTOR
    fleet = await services.fleets.create(actor, name=DEMO_FLEET, short_number_length=4)
    lines = await services.lines.create_many(
        actor,
        fleet.id,
        [NewLine(msisdn=m, short_number=s, employee_name=n) for m, s, n in LINES],
    )
    by_name = {line.employee_name: line for line in lines}
    await services.trunks.add(actor, fleet.id, name=TRUNK, host=pbx[0], port=pbx[1])
    for number, short, label in FIXED:
        await services.fleets.add_fixed_number(
            actor, fleet.id, number=number, label=label, trunk=TRUNK, short_number=short
        )
    for rule in FORWARDINGS:
        await services.forwarding.set(
            actor,
            by_name[rule.line].id,
            rule.kind,
            destination=rule.destination,
            active=rule.active,
            no_reply_timer=rule.no_reply_timer,
        )
    for plan in LISTS:
        await services.incoming.save(
            actor,
            by_name[plan.line].id,
            entries=list(plan.entries),
            mode=plan.mode,
            ring_time=plan.ring_time,
        )
    for spec in GROUPS:
        group = await services.groups.create(
            actor,
            fleet.id,
            members=[by_name[name].id for name in spec.members],
            **spec.fields(),
        )
        for name in spec.connected:
            await services.groups.set_connected(actor, group.id, by_name[name].id, True)
    try:
        await services.accounts.create_manager(
            actor,
            login=MANAGER_LOGIN,
            password=MANAGER_PASSWORD,
            display_name="Gestionnaire de flotte",
            fleet_ids=[fleet.id],
        )
        await services.accounts.create_employee(
            actor,
            login=EMPLOYEE_LOGIN,
            password=EMPLOYEE_PASSWORD,
            line_id=by_name["Madame B"].id,
        )
    except DomainError as exc:  # accounts left from an earlier demo database
        if exc.code is not ErrorCode.LOGIN_IN_USE:
            raise
    return DemoInfo(fleet_id=fleet.id, created=True)
