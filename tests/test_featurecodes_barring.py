"""Call barring from the handset (issue 16 item 5; TS 22.030 Annex B, TS 22.088): the five
programs switched with the barring password (``*33*PW#``, ``#33*PW#``, ``*#33#``), the groups'
deactivations (``#330*PW#``, ``#333*PW#``, ``#353*PW#``), the password's change
(``**03*330*OLD*NEW*NEW#``), wrong passwords and their lock. The engine's treatment of a
barred call is ``tests/test_engine_restrictions.py``."""

from __future__ import annotations

from datetime import timedelta

import pytest
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from featurecodes.catalogue import Catalogue, CatalogueError, Feature
from featurecodes.grammar import Procedure, ServiceRequest, UssdString, classify
from fleet.cli import main
from fleet.config import ConfigError, load_settings
from fleet.core.barring import SETTINGS, Barring, active
from fleet.core.clock import ManualClock
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.linesettings import PABX_OPTION
from fleet.core.numbering import NumberPolicy
from fleet.core.values import Actor, Channel
from fleet.db.engine import session_factory
from fleet.db.tables import LineRow
from fleet.services.audit import AuditFilter
from fleet.services.base import ServiceContext
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from tests.conftest import dump
from tests.exchange import n
from tests.test_feature_codes import ME, Ussd, directory, handler, ussd, world
from tests.world import World

__all__ = ["directory", "handler", "ussd", "world"]  # fixtures shared with those tests

NAMES = {
    Barring.BAOC: "appels sortants",
    Barring.BOIC: "internationaux",
    Barring.BOIC_EXHC: "internationaux hors pays",
    Barring.BAIC: "appels entrants",
    Barring.BAIC_ROAM: "entrants en itinérance",
}


def cached(directory: CachedDirectory) -> tuple[Barring, ...]:
    found = directory.by_msisdn(n(ME))
    assert found is not None
    return active(found.line)


async def journal_of(services: Services, world: World) -> list[tuple[Channel, object]]:
    found = await services.audit.search(AuditFilter(entity="line", entity_id=str(world.line(0).id)))
    return [(e.channel, e.after) for e in found.items]


@pytest.mark.parametrize("program", list(Barring))
async def test_each_program_is_activated_asked_and_deactivated_with_the_password(
    ussd: Ussd, services: Services, directory: CachedDirectory, world: World, program: Barring
) -> None:
    code, name = program.value, NAMES[program]
    assert (await ussd(f"*#{code}#")).text == (
        f"Interdiction {code} ({name}) : inactive.\nAucune interdiction active."
    )
    assert (await ussd(f"**{code}*0000#")).text == f"Interdiction {code} ({name}) activée."
    assert cached(directory) == (program,)  # the routing cache knows before the answer
    assert SETTINGS[program].of(await services.lines.get(world.line(0).id)) is True
    assert (await ussd(f"*#{code}#")).text == (
        f"Interdiction {code} ({name}) : active.\nInterdictions actives : {code}."
    )
    assert (await ussd(f"#{code}*0000#")).text == f"Interdiction {code} ({name}) désactivée."
    assert cached(directory) == ()
    assert (await ussd(f"*{code}*0000#")).text == f"Interdiction {code} ({name}) activée."
    entries = await journal_of(services, world)
    assert [channel for channel, _ in entries[:3]] == [Channel.USSD] * 3
    setting = SETTINGS[program].name
    assert [after[setting] for _, after in entries[:3] if isinstance(after, dict)] == [
        True,
        False,
        True,
    ]


async def test_the_groups_deactivate_all_outgoing_or_incoming_programs(
    ussd: Ussd, directory: CachedDirectory
) -> None:
    for code in ("33", "331", "35", "351"):
        await ussd(f"*{code}*0000#")
    assert (await ussd("*#331#")).text == (
        "Interdiction 331 (internationaux) : active.\nInterdictions actives : 33, 331, 35, 351."
    )
    assert (await ussd("#333*0000#")).text == "Interdictions 33, 331, 332 désactivées."
    assert cached(directory) == (Barring.BAIC, Barring.BAIC_ROAM)
    assert (await ussd("#353*0000#")).text == "Interdictions 35, 351 désactivées."
    assert cached(directory) == ()
    await ussd("*33*0000#")
    await ussd("*35*0000#")
    assert (await ussd("#330*0000#")).text == "Interdictions 33, 331, 332, 35, 351 désactivées."
    assert cached(directory) == ()
    assert (await ussd("*330*0000#")).text == "Opération non prise en charge pour ce service."


async def test_a_wrong_password_changes_nothing_and_the_third_locks_the_codes(
    ussd: Ussd,
    services: Services,
    directory: CachedDirectory,
    world: World,
    clock: ManualClock,
) -> None:
    before = await journal_of(services, world)
    first = await ussd("*33*1111#")
    assert first.refused
    assert first.text == "Mot de passe d'interdiction erroné (2 essai(s) restant(s))."
    assert (await ussd("#33*1111#")).text == (
        "Mot de passe d'interdiction erroné (1 essai(s) restant(s))."
    )
    assert cached(directory) == ()
    assert await journal_of(services, world) == before  # nothing changed, nothing journalled
    assert "bloquées jusqu'à 09:15 UTC" in (await ussd("*33*1111#")).text  # the third
    assert "bloquées" in (await ussd("*33*0000#")).text  # even the right one
    assert cached(directory) == ()
    assert "activée" in (await ussd("*33*0000#", line="0611000002")).text  # per line
    clock.advance(15 * 60 + 1)
    assert (await ussd("*33*0000#")).text == "Interdiction 33 (appels sortants) activée."
    assert cached(directory) == (Barring.BAOC,)


async def test_a_right_password_resets_the_count_of_wrong_ones(ussd: Ussd) -> None:
    await ussd("*33*1111#")
    await ussd("*33*1111#")
    assert "activée" in (await ussd("*33*0000#")).text
    assert "2 essai(s)" in (await ussd("#33*1111#")).text


async def test_the_password_is_changed_then_used_and_stored_hashed(
    ussd: Ussd, directory: CachedDirectory, engine: AsyncEngine, world: World
) -> None:
    assert (await ussd("**03*330*0000*1234*1234#")).text == "Mot de passe d'interdiction modifié."
    async with engine.connect() as conn:
        stored = await conn.scalar(
            select(LineRow.barring_password_hash).where(LineRow.id == world.line(0).id)
        )
    assert stored is not None and stored.startswith("$argon2") and "1234" not in stored
    assert "erroné" in (await ussd("*35*0000#")).text  # the default no longer
    assert (await ussd("*35*1234#")).text == "Interdiction 35 (appels entrants) activée."
    assert cached(directory) == (Barring.BAIC,)
    assert (await ussd("**03**1234*5678*5678#")).text == "Mot de passe d'interdiction modifié."
    assert "désactivée" in (await ussd("#35*5678#")).text
    assert "activée" in (await ussd("*35*0000#", line="0611000002")).text  # others: the default


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("**03*330*0000*1234*4321#", "Les deux saisies du nouveau mot de passe"),
        ("**03*330*0000*123*123#", "compte 4 chiffres"),
        ("**03*330*1111*1234*1234#", "erroné (2 essai(s)"),
        ("**03*331*0000*1234*1234#", "non prise en charge"),
        ("*33#", "Mot de passe d'interdiction requis : *33*PW#"),
        ("*33*0000*20#", "Seule la téléphonie"),
        ("##33*0000#", "non prise en charge"),
    ],
)
async def test_bad_barring_codes_get_a_clear_answer_and_change_nothing(
    ussd: Ussd, directory: CachedDirectory, text: str, answer: str
) -> None:
    assert answer in (await ussd(text)).text
    assert cached(directory) == ()
    assert "activée" in (await ussd("*33*0000#")).text  # the password is still the default


async def test_barring_codes_need_the_pabx_option(
    ussd: Ussd, services: Services, world: World, actor: Actor, engine: AsyncEngine
) -> None:
    await services.lines.update(actor, world.line(5).id, settings={PABX_OPTION: False})
    before = await dump(engine)
    for text in ("*33*0000#", "**03*330*0000*1234*1234#", "*33*1111#"):
        assert (
            await ussd(text, line="0611000006")
        ).text == "Service non disponible pour ce numéro."
    assert await dump(engine) == before


async def test_the_deployment_default_password_applies_until_one_is_set(
    engine: AsyncEngine, world: World, clock: ManualClock
) -> None:
    context = ServiceContext(sessions=session_factory(engine), clock=clock, policy=NumberPolicy())
    other = Services.build(context=context, barring_default_password="1357")
    handset = Actor(name="0611000001", channel=Channel.USSD, line_id=world.line(0).id)
    await other.barring.check(handset, world.line(0).id, "1357")
    with pytest.raises(DomainError) as wrong:
        await other.barring.check(handset, world.line(0).id, "0000")
    assert wrong.value.code is ErrorCode.BARRING_PASSWORD_WRONG
    with pytest.raises(DomainError) as invalid:
        Services.build(context=context, barring_default_password="12a4")
    assert invalid.value.code is ErrorCode.BARRING_PASSWORD_INVALID


def test_check_config_shows_the_default_barring_password_and_refuses_a_bad_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert load_settings(env={}).barring_default_password == "0000"
    monkeypatch.setenv("FLEETPBX_BARRING_DEFAULT_PASSWORD", "2468")
    assert main(["check-config"]) == 0
    assert 'barring_default_password = "2468"    # environment' in capsys.readouterr().out
    with pytest.raises(ConfigError, match="barring_default_password"):
        load_settings(env={"FLEETPBX_BARRING_DEFAULT_PASSWORD": "12345"})


def test_the_grammar_reads_the_password_procedure_with_four_fields() -> None:
    parsed = classify("**03*330*0000*1234*1234#", known_codes=Catalogue().codes)
    assert parsed == ServiceRequest(
        procedure=Procedure.REGISTRATION,
        code="03",
        sia="330",
        sib="0000",
        sic="1234",
        sid="1234",
        text="**03*330*0000*1234*1234#",
    )
    assert classify("**21*0611*2*3*4#", known_codes=Catalogue().codes) == UssdString(
        "**21*0611*2*3*4#"
    )  # four fields: only the password's procedure


def test_the_catalogue_knows_the_barring_codes_and_no_pabx_code_may_take_them() -> None:
    catalogue = Catalogue()
    for code in ("33", "331", "332", "35", "351", "330", "333", "353"):
        assert catalogue.feature(code) is Feature.BARRING
        assert code in catalogue.codes
    assert catalogue.feature("03") is Feature.BARRING_PASSWORD
    for code in ("33", "330", "03"):
        with pytest.raises(CatalogueError):
            Catalogue(group_member=code)


async def test_the_password_is_also_changed_with_activation_and_never_reaches_the_logs(
    ussd: Ussd,
) -> None:
    with structlog.testing.capture_logs() as logs:
        assert "modifié" in (await ussd("*03*330*0000*2580*2580#")).text
        assert "activée" in (await ussd("**33*2580#")).text
        assert "désactivée" in (await ussd("#33*2580#")).text
        await ussd("**03**2580*1470*1470#")
        await ussd("*#33#")
    typed = [entry["text"] for entry in logs if entry["event"] == "ussd"]
    assert typed == ["*03*330*<code>#", "**33*<code>#", "#33*<code>#", "**03**<code>#", "*#33#"]
    assert not any(code in repr(logs) for code in ("2580", "1470"))


async def test_the_lock_and_a_new_password_are_journalled_on_channel_ussd_never_the_password(
    ussd: Ussd, services: Services, world: World, clock: ManualClock
) -> None:
    before = await journal_of(services, world)
    until = (clock.now() + timedelta(minutes=15)).isoformat()
    for _ in range(3):
        await ussd("*33*1111#")
    after = await journal_of(services, world)
    assert after[: len(after) - len(before)] == [
        (Channel.USSD, {"barring_locked_until": until, "wrong_passwords": 3})
    ]
    assert "bloquées" in (await ussd("*33*1111#")).text  # locked: nothing more journalled
    assert len(await journal_of(services, world)) == len(before) + 1
    clock.advance(15 * 60 + 1)
    assert "modifié" in (await ussd("**03*330*0000*1234*1234#")).text
    newest = await journal_of(services, world)
    assert newest[0] == (Channel.USSD, {"barring_password": "changed"})
    assert "1234" not in repr(newest) and "argon2" not in repr(newest)
    assert "erroné" in (await ussd("**03*330*0000*5678*5678#")).text  # a wrong old one
    assert len(await journal_of(services, world)) == len(newest), "no change, no entry"


async def test_a_forwarding_from_the_handset_is_refused_while_baoc_is_active(
    ussd: Ussd, services: Services, world: World
) -> None:
    assert "activée" in (await ussd("*33*0000#")).text
    answer = (await ussd("**21*0699000001#")).text
    assert "restriction de tous les appels sortants (33)" in answer
    assert "06 99 00 00 01" in answer
    assert await services.forwarding.of_line(world.line(0).id) == ()
