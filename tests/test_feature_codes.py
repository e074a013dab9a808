"""Feature codes typed on a handset, through the USSD handler and the services."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from featurecodes.gsm7 import USSD_GSM7_MAX, USSD_UCS2_MAX, is_gsm7
from featurecodes.handler import FeatureCodeHandler
from featurecodes.ussd import UssdOp, UssdReply, UssdRequest
from fleet.core.clock import ManualClock
from fleet.core.linesettings import CALL_WAITING, PABX_OPTION
from fleet.core.numbering import E164
from fleet.core.values import Actor, Channel, ForwardingKind, RingMode
from fleet.services.audit import AuditFilter
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from tests.exchange import n
from tests.world import World, build_world, code_group

Ussd = Callable[..., Awaitable[UssdReply]]
ME = "0611000001"


@pytest.fixture
async def world(services: Services, actor: Actor) -> World:
    world = await build_world(services, actor)
    await code_group(
        services,
        actor,
        world.fleet.id,
        number="0609182236",
        name="Com",
        short_number="2500",
        members=[world.line(0).id, world.line(1).id],
    )
    return world


@pytest.fixture
async def directory(services: Services) -> AsyncIterator[CachedDirectory]:
    directory = await CachedDirectory.open(services=services)
    yield directory
    directory.close()


@pytest.fixture
def handler(
    services: Services, directory: CachedDirectory, clock: ManualClock
) -> FeatureCodeHandler:
    return FeatureCodeHandler(services=services, view=directory, clock=clock)


@pytest.fixture
def ussd(handler: FeatureCodeHandler, world: World) -> Ussd:
    async def send(
        text: str, *, line: str = ME, op: UssdOp = UssdOp.PSSR_INDICATION, session: int | None = 7
    ) -> UssdReply:
        reply = await handler.handle(UssdRequest(msisdn=n(line), text=text, op=op, session=session))
        fits = len(reply.text) <= (USSD_GSM7_MAX if is_gsm7(reply.text) else USSD_UCS2_MAX)
        assert reply.text and fits, reply.text
        return reply

    return send


async def test_registering_unconditional_forwarding(
    ussd: Ussd, services: Services, world: World
) -> None:
    reply = await ussd("**21*0145678910#")
    assert reply.op is UssdOp.PSSR_RESPONSE
    assert reply.text == "Renvoi immédiat activé vers 01 45 67 89 10."
    rule = (await services.forwarding.of_line(world.line(0).id))[0]
    assert (rule.kind, rule.destination, rule.active) == (
        ForwardingKind.UNCONDITIONAL,
        E164("+33145678910"),
        True,
    )
    entry = (await services.audit.search(AuditFilter(entity="forwarding"))).items[0]
    assert (entry.channel, entry.actor) == (Channel.USSD, "0611000001")


async def test_forwarding_deactivate_interrogate_activate_erase(
    ussd: Ussd, services: Services, world: World
) -> None:
    await ussd("**67*0145678910#")
    assert (await ussd("#67#")).text == "Renvoi sur occupation désactivé."
    assert (await ussd("*#67#")).text == "Renvoi sur occupation : inactif"
    assert (await ussd("*67#")).text == "Renvoi sur occupation activé vers 01 45 67 89 10."
    assert (await ussd("*#67#")).text == "Renvoi sur occupation : actif vers 01 45 67 89 10"
    assert (await ussd("##67#")).text == "Renvoi sur occupation effacé."
    assert await services.forwarding.of_line(world.line(0).id) == ()
    assert "destination" in (await ussd("*67#")).text


@pytest.mark.parametrize(
    ("timer", "answer"),
    [
        ("5", "Renvoi sur non-réponse activé vers 06 11 00 00 07 après 5 s."),
        ("25", "Renvoi sur non-réponse activé vers 06 11 00 00 07 après 25 s."),
        ("30", "Renvoi sur non-réponse activé vers 06 11 00 00 07 après 30 s."),
        ("4", "Le délai de non-réponse doit être compris entre 5 et 30 secondes."),
        ("31", "Le délai de non-réponse doit être compris entre 5 et 30 secondes."),
    ],
)
async def test_no_reply_timer_from_the_handset(ussd: Ussd, timer: str, answer: str) -> None:
    assert (await ussd(f"**61*0611000007**{timer}#")).text == answer


async def test_all_forwardings_at_once(ussd: Ussd, services: Services, world: World) -> None:
    reply = await ussd("**002*0145678910**20#")
    assert reply.text.count("01 45 67 89 10") == 4
    assert len(await services.forwarding.of_line(world.line(0).id)) == 4
    await ussd("##004#")
    kinds = [r.kind for r in await services.forwarding.of_line(world.line(0).id)]
    assert kinds == [ForwardingKind.UNCONDITIONAL]
    assert "Immédiat : actif" in (await ussd("*#002#")).text


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("**21*0899123456#", "numéros spéciaux"),
        ("**21*2002#", "Numéro court non disponible"),
        ("**21*+442079460958#", "internationaux"),
        ("**21*0145678910*16#", "Seule la téléphonie"),
        ("**21*0145678910**20#", "ne s'applique qu'au renvoi sur non-réponse"),
        ("**61*0145678910**2a#", "mal formé"),
        ("**43#", "non prise en charge"),
        ("*999#", "Code inconnu"),
        ("0612345678", "numéro à appeler"),
        ("#", "mal formé"),
        ("**21*0611000001#", "vers elle-même"),
    ],
)
async def test_bad_input_gets_a_clear_answer_and_changes_nothing(
    ussd: Ussd, services: Services, world: World, text: str, fragment: str
) -> None:
    reply = await ussd(text)
    assert fragment in reply.text
    assert reply.final
    assert await services.forwarding.of_line(world.line(0).id) == ()


async def test_call_waiting_and_caller_id_restriction(
    ussd: Ussd, services: Services, world: World
) -> None:
    assert (await ussd("#43#")).text == "Double appel désactivé."
    assert not (await services.lines.get(world.line(0).id)).call_waiting
    assert (await ussd("*#43#")).text == "Double appel désactivé."
    assert (await ussd("*43#")).text == "Double appel activé."
    assert (await ussd("*31#")).text == "Numéro masqué activé."
    assert (await services.lines.get(world.line(0).id)).clir
    assert (await ussd("#31#")).text == "Numéro masqué désactivé."


async def test_members_connect_and_disconnect_with_the_user_code(
    ussd: Ussd, services: Services, world: World
) -> None:
    assert (await ussd("*55*2500*1703#")).text == "Connecté au groupe Com."
    group = await services.groups.get_by_number("0609182236")
    assert group.members[0].connected
    assert (await ussd("*#55*2500#")).text == "Groupe Com : connecté."
    assert (await ussd("#55*0609182236*1703#")).text == "Déconnecté du groupe Com."
    assert (await ussd("*#55#")).text == "Groupe Com : déconnecté."
    assert "code" in (await ussd("*55*2500#")).text
    assert (await ussd("*55*9999*1703#")).text == "Groupe inconnu : 9999."
    outsider = (await ussd("*55*2500*1703#", line="0611000003")).text  # the right code
    assert outsider == "Code incorrect (4 essai(s) restant(s))."  # as if it were wrong


async def test_codes_lock_after_five_wrong_tries_in_fifteen_minutes(
    ussd: Ussd, services: Services, world: World, clock: ManualClock
) -> None:
    answers = [(await ussd("*55*2500*0000#")).text for _ in range(4)]
    assert answers[0] == "Code incorrect (4 essai(s) restant(s))."
    assert answers[3] == "Code incorrect (1 essai(s) restant(s))."
    wrong_admin = (await ussd("*56*2500*0000*2002#")).text  # the administrative code: its own count
    assert wrong_admin == "Code incorrect (4 essai(s) restant(s))."
    assert "bloqués jusqu'à 09:15 UTC" in (await ussd("*55*2500*0000#")).text  # the 5th
    assert "bloqués" in (await ussd("*55*2500*1703#")).text  # even the right code
    journal = await services.audit.search(
        AuditFilter(entity="line", entity_id=str(world.line(0).id))
    )
    assert journal.items[0].after is not None and journal.items[0].after["wrong_codes"] == 5
    assert "bloqués" not in (await ussd("*55*2500*1703#", line="0611000002")).text  # per line
    assert (await ussd("*#56*2500*2202#")).text.startswith("Groupe Com : ")  # per kind of code
    clock.advance(15 * 60 + 1)
    assert (await ussd("*55*2500*1703#")).text == "Connecté au groupe Com."


async def test_the_administrative_code_acts_on_other_members(
    ussd: Ussd, services: Services, world: World
) -> None:
    assert (await ussd("*56*2500*2202*2002#")).text == "Salarié 2 est connecté au groupe Com."
    assert (await ussd("*#56*2500*2202#")).text == "Groupe Com : 1/2 membres connectés."
    assert (await ussd("#56*2500*2202#")).text == "Tous les membres du groupe Com sont déconnectés."
    assert (await ussd("*56*2500*1703*2002#")).text.startswith("Code incorrect")  # user code
    assert (await ussd("*56*2500*2202*2999#")).text == "Membre inconnu : 2999."
    outside = (await ussd("*56*2500*2202*2003#")).text  # a line of the fleet, not a member
    assert outside == "Salarié 3 n'est pas membre du groupe Com."


async def test_the_incoming_list_is_switched_and_its_mode_chosen(
    ussd: Ussd, services: Services, world: World, actor: Actor
) -> None:
    assert "au moins un numéro" in (await ussd("*57#")).text
    await services.incoming.save(
        actor, world.line(0).id, entries=["0611000001", "0145678910"], active=False
    )
    assert (await ussd("*57*2#")).text == "Appels entrants : liste activée (séquentiel)."
    plan = await services.incoming.get(world.line(0).id)
    assert plan is not None and plan.active and plan.mode is RingMode.CASCADE
    assert (await ussd("*#57#")).text == "Liste active (séquentiel) : 0611000001, 0145678910"
    assert (await ussd("#57#")).text == "Appels entrants : liste désactivée."


async def test_lines_without_the_option_or_outside_fleets_are_refused(ussd: Ussd) -> None:
    assert (await ussd("*#21#", line="0611000050")).text == "Service non disponible pour ce numéro."
    assert (await ussd("*#21#", line="0699000001")).text == "Service non disponible pour ce numéro."


async def test_answers_follow_the_line_language(
    ussd: Ussd, services: Services, world: World, actor: Actor
) -> None:
    await services.lines.update(actor, world.line(0).id, language="en")
    assert (
        await ussd("**21*0145678910#")
    ).text == "Unconditional forwarding on, to 01 45 67 89 10."


async def test_the_menu_walks_through_numbered_choices(
    ussd: Ussd, services: Services, world: World, actor: Actor, handler: FeatureCodeHandler
) -> None:
    await services.incoming.save(actor, world.line(0).id, entries=["0611000001"], active=False)
    reply = await ussd("*700#")
    assert reply.op is UssdOp.USSR_REQUEST and "3 Appels entrants" in reply.text
    reply = await ussd("3", op=UssdOp.USSR_CONFIRM)
    assert reply.op is UssdOp.USSR_REQUEST and "4 Séquentiel" in reply.text
    reply = await ussd("9", op=UssdOp.USSR_CONFIRM)
    assert reply.op is UssdOp.USSR_REQUEST and reply.text == "Choix invalide : 9."
    reply = await ussd("4", op=UssdOp.USSR_CONFIRM)
    assert reply.final and reply.text == "Appels entrants : liste activée (séquentiel)."
    assert handler.open_sessions == 0
    # groups: choose the group, then give the code
    await ussd("*700#")
    reply = await ussd("2", op=UssdOp.USSR_CONFIRM)
    assert "1 Com (déconnecté)" in reply.text
    reply = await ussd("1", op=UssdOp.USSR_CONFIRM)
    assert reply.text == "Groupe Com (déconnecté). Code de connexion ?"
    assert (await ussd("1703", op=UssdOp.USSR_CONFIRM)).text == "Connecté au groupe Com."


async def test_a_menu_reply_without_a_session_or_after_the_timeout_is_answered(
    ussd: Ussd, clock: ManualClock
) -> None:
    reply = await ussd("1", op=UssdOp.USSR_CONFIRM)
    assert reply.final and "Session expirée" in reply.text
    await ussd("*700#")
    clock.advance(121)
    assert "Session expirée" in (await ussd("1", op=UssdOp.USSR_CONFIRM)).text
    await ussd("*700#", session=0x0800)
    assert (await ussd("0", op=UssdOp.USSR_CONFIRM, session=0x0802)).text == "Au revoir."


async def test_a_line_changed_elsewhere_is_seen_by_the_next_code(
    ussd: Ussd, services: Services, world: World, actor: Actor
) -> None:
    assert (await ussd("*#43#")).text == "Double appel activé."  # the line is now cached
    await services.lines.update(
        actor, world.line(0).id, settings={CALL_WAITING: False}, language="en"
    )
    assert (await ussd("*#43#")).text == "Call waiting off."
    await services.lines.update(actor, world.line(2).id, settings={PABX_OPTION: False})
    await ussd("*#43#", line="0611000003")
    await services.lines.update(actor, world.line(2).id, settings={PABX_OPTION: True})
    assert (await ussd("*#43#", line="0611000003")).text == "Double appel activé."


async def test_group_and_forwarding_changes_by_the_manager_are_answered_at_once(
    ussd: Ussd, services: Services, world: World, actor: Actor
) -> None:
    assert (await ussd("*#55#", line="0611000003")).text == "Aucun groupe pour cette ligne."
    group = await services.groups.get_by_number("0609182236")
    await services.groups.add_member(actor, group.id, world.line(2).id)
    assert (await ussd("*#55#", line="0611000003")).text == "Groupe Com : déconnecté."
    await services.groups.set_connected(actor, group.id, world.line(2).id, True)
    assert (await ussd("*#55*2500#", line="0611000003")).text == "Groupe Com : connecté."
    await services.groups.update(actor, group.id, name="Compta", short_number="2600")
    assert (await ussd("*#55*2600#", line="0611000003")).text == "Groupe Compta : connecté."
    assert (await ussd("*#55*2500#", line="0611000003")).text == "Groupe inconnu : 2500."
    await services.groups.delete(actor, group.id)
    assert (await ussd("*#55#", line="0611000003")).text == "Aucun groupe pour cette ligne."
    await services.forwarding.set(
        actor, world.line(0).id, ForwardingKind.BUSY, destination="0145678910"
    )
    assert (await ussd("*#67#")).text == "Renvoi sur occupation : actif vers 01 45 67 89 10"


async def test_codes_are_answered_unavailable_until_the_configuration_is_loaded(
    services: Services, clock: ManualClock, world: World
) -> None:
    directory = CachedDirectory(services=services)  # not loaded: the database did not answer
    handler = FeatureCodeHandler(services=services, view=directory, clock=clock)
    request = UssdRequest(msisdn=n(ME), text="*#21#", op=UssdOp.PSSR_INDICATION, session=7)
    assert (await handler.handle(request)).text == "La base de données est indisponible."
    await directory.load_all()
    assert (await handler.handle(request)).text == "Renvoi immédiat : inactif"


async def test_a_refused_code_is_marked_refused_and_a_carried_out_one_is_not(
    ussd: Ussd,
) -> None:
    assert not (await ussd("**21*0145678910#")).refused
    assert not (await ussd("*#21#")).refused  # an interrogation is answered, not refused
    wrong_code = await ussd("*55*0609182236*0000#")
    assert wrong_code.refused and "code" in wrong_code.text.lower()
    assert (await ussd("**21*0899123456#")).refused  # an 08 destination: a domain refusal
    assert (await ussd("*999#")).refused  # no such code
    assert (await ussd("*#21#", line="0699000001")).refused  # not a line of a fleet


async def test_the_menus_forwarding_screen_names_each_type_with_its_state(
    ussd: Ussd, services: Services, world: World, actor: Actor
) -> None:
    reply = await ussd("*700#")
    reply = await ussd("1", op=UssdOp.USSR_CONFIRM)
    assert reply.text.splitlines() == [
        "Immédiat : inactif",
        "Occupation : inactif",
        "Non-réponse : inactif",
        "Injoignable : inactif",
        "1 Tout désactiver",
        "0 Retour",
    ]
    await ussd("0", op=UssdOp.USSR_CONFIRM)
    line = world.line(0).id
    await services.forwarding.set(actor, line, ForwardingKind.BUSY, destination="0145678910")
    await services.forwarding.set(
        actor, line, ForwardingKind.NO_REPLY, destination="0611000002", active=False
    )
    await ussd("*700#")
    reply = await ussd("1", op=UssdOp.USSR_CONFIRM)
    assert reply.text.splitlines()[:4] == [
        "Immédiat : inactif",
        "Occupation : 01 45 67 89 10",
        "Non-réponse : inactif",  # registered but off
        "Injoignable : inactif",
    ]
    assert "- :" not in reply.text
