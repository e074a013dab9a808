"""SIP trunks as data (DESIGN §8): the service's rules, the secret encrypted at rest and
never shown, fixed numbers tied to their fleet's trunks, the state the keepalive sets, the
trunk book the SIP adapter reads; on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from fleet.core import model
from fleet.core.changes import ChangeEvent, TrunkChange
from fleet.core.clock import ManualClock
from fleet.core.errors import ErrorCode
from fleet.core.numbering import NumberPolicy
from fleet.core.trunks import HistoryStyle, TrunkMode, TrunkState, TrunkTransport
from fleet.core.values import Actor, Language
from fleet.db.engine import session_factory
from fleet.db.tables import TrunkRow
from fleet.services.audit import AuditFilter
from fleet.services.base import ServiceContext
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from fleet.services.journal import entry
from fleet.services.trunkbook import CachedTrunkBook
from fleet.services.trunksecrets import SecretBox, SecretKeyError
from fleet.sipnet.trunkbook import TrunkBook
from tests.service_fixtures import fails
from tests.world import World, build_world

SECRET = "s3cret-du-pabx"


@pytest.fixture
async def world(services: Services, actor: Actor) -> World:
    return await build_world(services, actor)


async def registration(services: Services, actor: Actor, world: World) -> model.TrunkView:
    return await services.trunks.add(
        actor,
        world.fleet.id,
        name="trunk-lyon",
        mode="registration",
        username="lyon-pbx",
        realm="fleet.example",
        secret=SECRET,
        transport="tls",
        history="diversion",
    )


# -- the trunk's settings -----------------------------------------------------------------


async def test_a_trunk_is_added_read_changed_listed_and_removed(
    services: Services, actor: Actor, world: World
) -> None:
    added = await registration(services, actor, world)
    trunk = added.trunk
    assert (trunk.mode, trunk.transport, trunk.history) == (
        TrunkMode.REGISTRATION,
        TrunkTransport.TLS,
        HistoryStyle.DIVERSION,
    )
    assert (trunk.host, trunk.username, trunk.realm) == (None, "lyon-pbx", "fleet.example")
    assert added.has_secret and trunk.state is TrunkState.UNKNOWN
    assert await services.trunks.get(trunk.id) == added
    changed = await services.trunks.update(actor, trunk.id, history="both", realm="pbx.example")
    assert (changed.trunk.history, changed.trunk.realm) == (HistoryStyle.BOTH, "pbx.example")
    names = [v.trunk.name for v in await services.trunks.in_fleet(world.fleet.id)]
    assert names == ["trunk-lyon", "trunk-siege"]
    await services.trunks.remove(actor, trunk.id)
    await fails(ErrorCode.NOT_FOUND, services.trunks.get(trunk.id))


async def test_a_static_trunk_keeps_its_pbx_address_normalised(
    services: Services, actor: Actor, world: World
) -> None:
    view = await services.trunks.add(
        actor, world.fleet.id, name="t2", host=" PBX.Example.COM. ", port=5080, transport="tcp"
    )
    assert (view.trunk.host, view.trunk.port, view.has_secret) == ("pbx.example.com", 5080, False)
    v6 = await services.trunks.update(actor, view.trunk.id, host="[2001:db8::0:1]")
    assert v6.trunk.host == "2001:db8::1"


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"host": None}, ErrorCode.TRUNK_HOST_REQUIRED, "host"),
        ({"host": "pbx..example"}, ErrorCode.TRUNK_HOST_INVALID, "host"),
        ({"host": "10.0.0.256"}, ErrorCode.TRUNK_HOST_INVALID, "host"),
        ({"host": "pbx_1.example"}, ErrorCode.TRUNK_HOST_INVALID, "host"),
        ({"port": 0}, ErrorCode.TRUNK_PORT_INVALID, "port"),
        ({"port": 65536}, ErrorCode.TRUNK_PORT_INVALID, "port"),
        ({"mode": "register"}, ErrorCode.TRUNK_VALUE_INVALID, "mode"),
        ({"transport": "sctp"}, ErrorCode.TRUNK_VALUE_INVALID, "transport"),
        ({"history": "all"}, ErrorCode.TRUNK_VALUE_INVALID, "history"),
        ({"username": "pbx"}, ErrorCode.TRUNK_REALM_REQUIRED, "realm"),
        ({"username": "a b", "realm": "r"}, ErrorCode.TRUNK_USERNAME_INVALID, "username"),
        ({"mode": "registration", "host": None}, ErrorCode.TRUNK_CREDENTIALS_REQUIRED, "username"),
        (
            {"mode": "registration", "username": "u", "realm": "r"},
            ErrorCode.TRUNK_CREDENTIALS_REQUIRED,
            "username",
        ),
        ({"name": "a b"}, ErrorCode.TRUNK_NAME_INVALID, "trunk"),
        ({"name": "trunk-siege"}, ErrorCode.TRUNK_NAME_IN_USE, "name"),
        ({"secret": " padded "}, ErrorCode.TRUNK_SECRET_INVALID, "secret"),
    ],
)
async def test_a_trunk_breaking_a_rule_is_refused_and_nothing_is_written(
    services: Services,
    actor: Actor,
    world: World,
    fields: dict[str, object],
    code: ErrorCode,
    field: str,
) -> None:
    given: dict[str, object] = {"name": "t2", "host": "pbx.example.com", **fields}
    error = await fails(code, services.trunks.add(actor, world.fleet.id, **given))  # type: ignore[arg-type]
    assert error.field == field
    assert error.message() and error.message() != error.message(Language.EN)
    assert [v.trunk.name for v in await services.trunks.in_fleet(world.fleet.id)] == ["trunk-siege"]


async def test_a_digest_username_belongs_to_one_trunk_only(
    services: Services, actor: Actor, world: World
) -> None:
    await registration(services, actor, world)
    await fails(
        ErrorCode.TRUNK_USERNAME_IN_USE,
        services.trunks.add(
            actor, world.other_fleet.id, name="t", host="192.0.2.9", username="lyon-pbx", realm="r"
        ),
    )


async def test_another_fleet_may_reuse_a_trunk_name(
    services: Services, actor: Actor, world: World
) -> None:
    view = await services.trunks.add(
        actor, world.other_fleet.id, name="trunk-siege", host="192.0.2.7"
    )
    assert view.trunk.fleet_id == world.other_fleet.id


# -- the secret ---------------------------------------------------------------------------


async def test_the_secret_is_stored_encrypted_and_never_shown(
    services: Services, actor: Actor, world: World, engine: AsyncEngine
) -> None:
    view = await registration(services, actor, world)
    async with session_factory(engine)() as session:
        stored = await session.scalar(select(TrunkRow.secret).where(TrunkRow.id == view.trunk.id))
    assert stored is not None and SECRET not in stored
    assert services.trunks.secrets.open(stored) == SECRET
    journal = await services.audit.search(AuditFilter(entity="trunk"))
    assert journal.items and journal.items[0].after["has_secret"] is True  # type: ignore[index]
    assert all(SECRET not in repr(e.after) and SECRET not in repr(e.before) for e in journal.items)
    assert SECRET not in repr(view)


async def test_storing_a_secret_without_the_key_is_refused_naming_the_setting(
    engine: AsyncEngine, clock: ManualClock, policy: NumberPolicy, actor: Actor
) -> None:
    context = ServiceContext(sessions=session_factory(engine), clock=clock, policy=policy)
    keyless = Services.build(context=context)
    world = await build_world(keyless, actor)
    error = await fails(ErrorCode.TRUNK_SECRET_KEY_MISSING, registration(keyless, actor, world))
    assert "sip_trunk_secret_key" in error.message() and error.field == "secret"
    static = await keyless.trunks.add(actor, world.fleet.id, name="t2", host="192.0.2.3")
    assert not static.has_secret  # a trunk without a secret needs no key


def test_a_malformed_key_is_refused_naming_the_setting() -> None:
    with pytest.raises(SecretKeyError, match="sip_trunk_secret_key"):
        SecretBox(key="not-a-key")


def test_a_secret_sealed_under_another_key_cannot_be_opened() -> None:
    token = SecretBox(key=Fernet.generate_key().decode()).seal(SECRET)
    with pytest.raises(SecretKeyError, match="sip_trunk_secret_key"):
        SecretBox(key=Fernet.generate_key().decode()).open(token)


async def test_clearing_the_secret_of_a_static_trunk(
    services: Services, actor: Actor, world: World
) -> None:
    view = await services.trunks.add(
        actor, world.fleet.id, name="t2", host="192.0.2.3", username="u", realm="r", secret="x"
    )
    assert view.has_secret
    cleared = await services.trunks.update(actor, view.trunk.id, secret=None)
    assert not cleared.has_secret
    registered = await registration(services, actor, world)
    await fails(
        ErrorCode.TRUNK_CREDENTIALS_REQUIRED,
        services.trunks.update(actor, registered.trunk.id, secret=None),
    )


# -- fixed numbers and their trunk --------------------------------------------------------


async def test_a_fixed_number_names_a_trunk_of_its_fleet(
    services: Services, actor: Actor, world: World
) -> None:
    await fails(
        ErrorCode.TRUNK_UNKNOWN,
        services.fleets.add_fixed_number(
            actor, world.fleet.id, number="0478123456", label="Lyon", trunk="trunk-lyon"
        ),
    )
    await registration(services, actor, world)
    fixed = await services.fleets.add_fixed_number(
        actor, world.fleet.id, number="0478123456", label="Lyon", trunk="trunk-lyon"
    )
    moved = await services.fleets.update_fixed_number(actor, fixed.id, trunk="trunk-siege")
    assert moved.trunk == "trunk-siege"


async def test_a_trunk_serving_fixed_numbers_cannot_be_removed_or_renamed(
    services: Services, actor: Actor, world: World
) -> None:
    await services.fleets.add_fixed_number(
        actor, world.fleet.id, number="0145678911", label="Bureau", trunk="trunk-siege"
    )
    siege = (await services.trunks.in_fleet(world.fleet.id))[0]
    error = await fails(ErrorCode.TRUNK_IN_USE, services.trunks.remove(actor, siege.trunk.id))
    assert "01 45 67 89 10, 01 45 67 89 11" in error.message()
    await fails(ErrorCode.TRUNK_IN_USE, services.trunks.update(actor, siege.trunk.id, name="x"))
    kept = await services.trunks.update(actor, siege.trunk.id, name="trunk-siege", port=5070)
    assert kept.trunk.port == 5070


# -- the state, the journal, the routing cache --------------------------------------------


async def test_the_keepalive_state_is_persisted_announced_and_journalled_once(
    services: Services, actor: Actor, world: World, clock: ManualClock
) -> None:
    heard: list[ChangeEvent] = []

    async def listen(events: Sequence[ChangeEvent]) -> None:
        heard.extend(events)

    services.changes.subscribe(listen)
    siege = (await services.trunks.in_fleet(world.fleet.id))[0]
    down = await services.trunks.set_state(siege.trunk.id, TrunkState.OUT_OF_SERVICE)
    assert down is not None and down.state_since == clock.now()
    again = await services.trunks.set_state(siege.trunk.id, TrunkState.OUT_OF_SERVICE)
    assert again == down  # unchanged: nothing written, nothing announced
    assert (await services.trunks.get(siege.trunk.id)).trunk.state is TrunkState.OUT_OF_SERVICE
    assert [e.change for e in heard] == [
        TrunkChange(fleet_id=world.fleet.id, trunk_id=siege.trunk.id, before=siege, after=down)
    ]
    row = entry(heard[0].change)
    assert (row.entity, row.before["state"], row.after["state"]) == (
        "trunk",
        "unknown",
        "out_of_service",
    )
    assert await services.trunks.set_state(10_000, TrunkState.IN_SERVICE) is None


async def test_the_routing_cache_follows_the_trunk_state(
    services: Services, actor: Actor, world: World
) -> None:
    directory = await CachedDirectory.open(services=services)
    try:
        siege = (await services.trunks.in_fleet(world.fleet.id))[0]
        assert directory.trunks.state(world.fleet.id, "trunk-siege") is TrunkState.UNKNOWN
        await services.trunks.set_state(siege.trunk.id, TrunkState.OUT_OF_SERVICE)
        target = directory.resolve(world.fixed.number)
        assert getattr(target, "trunk_state", None) is TrunkState.OUT_OF_SERVICE
        fresh = await CachedDirectory.open(services=services)  # read from the database
        assert fresh.trunks.in_fleet(world.fleet.id) == directory.trunks.in_fleet(world.fleet.id)
        fresh.close()
    finally:
        directory.close()


def test_the_journal_shows_a_trunk_flat_and_a_changed_secret_without_it() -> None:
    from fleet.core.trunks import Trunk

    trunk = Trunk(
        id=3,
        fleet_id=1,
        name="t",
        mode=TrunkMode.STATIC,
        host="192.0.2.1",
        port=None,
        transport=TrunkTransport.UDP,
        username="u",
        realm="r",
    )
    before = model.TrunkView(trunk, has_secret=True, state_since=None)
    after = replace(before, trunk=replace(trunk, port=5070))
    row = entry(
        TrunkChange(fleet_id=1, trunk_id=3, before=before, after=after, secret_changed=True)
    )
    assert row.entity_id == "3"
    assert row.after == {**row.before, "port": 5070, "secret": "changed"}
    assert row.before["has_secret"] is True and "secret" not in row.before


# -- the trunk book the SIP adapter reads -------------------------------------------------


async def test_the_trunk_book_serves_the_sip_adapter_and_follows_changes(
    services: Services, actor: Actor, world: World
) -> None:
    cached = CachedTrunkBook(trunks=services.trunks)
    book: TrunkBook = cached  # the port the SIP side is handed
    services.changes.subscribe(cached.changed)
    await cached.load()
    siege = book.by_name(world.fleet.id, "trunk-siege")
    assert siege is not None and book.by_name(world.other_fleet.id, "trunk-siege") is None
    assert book.by_peer("pbx.taxis.example", 5060) == siege
    assert book.by_peer("pbx.taxis.example", 5061) is None
    lyon = (await registration(services, actor, world)).trunk
    assert book.by_username("lyon-pbx") == lyon and book.secret(lyon.id) == SECRET
    assert book.by_peer("192.0.2.1", 5061) is None  # a registration trunk has no fixed peer
    await services.trunks.update(actor, lyon.id, secret="nouveau")
    assert book.secret(lyon.id) == "nouveau"
    await book.set_state(siege.id, TrunkState.IN_SERVICE)
    assert (await services.trunks.get(siege.id)).trunk.state is TrunkState.IN_SERVICE
    assert book.by_name(world.fleet.id, "trunk-siege") == replace(
        siege, state=TrunkState.IN_SERVICE
    )
    await services.trunks.remove(actor, lyon.id)
    assert book.by_username("lyon-pbx") is None and book.secret(lyon.id) is None
    assert {t.name for t in book.trunks()} == {"trunk-siege"}
    services.changes.unsubscribe(cached.changed)


async def test_the_trunk_book_refuses_to_load_secrets_under_the_wrong_key(
    services: Services, actor: Actor, world: World, engine: AsyncEngine, clock: ManualClock
) -> None:
    await registration(services, actor, world)
    context = ServiceContext(sessions=session_factory(engine), clock=clock, policy=NumberPolicy())
    other = Services.build(
        context=context, trunk_secrets=SecretBox(key=Fernet.generate_key().decode())
    )
    with pytest.raises(SecretKeyError):
        await CachedTrunkBook(trunks=other.trunks).load()


def test_a_malformed_key_setting_is_a_configuration_error() -> None:
    from fleet.config import ConfigError, load_settings

    key = Fernet.generate_key().decode()
    assert load_settings(cli={"sip_trunk_secret_key": key}, env={}).sip_trunk_secret_key == key
    with pytest.raises(ConfigError, match="sip_trunk_secret_key"):
        load_settings(cli={"sip_trunk_secret_key": "abc"}, env={})
