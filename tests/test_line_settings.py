"""Every line setting reaches every place from its description alone (``LINE_SETTINGS``): the
line view and the ``lines`` table, the services (default, type check), the portal's line form,
the OpenAPI document, the API's rendering and PATCH, and — with a service code — the USSD
command. The tests walk ``LINE_SETTINGS``, switches (``bool``) and choices (a ``StrEnum``,
the restriction profile) alike: a new description is covered without a new test."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest
from sqlalchemy import Boolean
from sqlalchemy import Enum as SAEnum
from sqlalchemy.ext.asyncio import AsyncEngine

from featurecodes.catalogue import Catalogue, CatalogueError, Feature
from fleet.core import model
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.linesettings import (
    CALL_WAITING,
    LINE_SETTINGS,
    PABX_OPTION,
    RESTRICTION_PROFILE,
    LineSetting,
    Text,
    UssdAnswers,
)
from fleet.core.values import Actor, Channel, Language, RestrictionProfile
from fleet.db.tables import LineRow
from fleet.services import linequery
from fleet.services.audit import AuditFilter
from fleet.services.container import Services
from portal.openapi import document
from tests.conftest import dump
from tests.test_feature_codes import Ussd, directory, handler, ussd, world
from tests.test_portal import Site, csrf, sign_in, site, text
from tests.test_portal_lines import line_url, services_of
from tests.world import PASSWORD, World

__all__ = ["directory", "handler", "site", "ussd", "world"]  # fixtures shared with those tests

EACH = pytest.mark.parametrize("setting", LINE_SETTINGS, ids=lambda s: s.name)
CODED = [s for s in LINE_SETTINGS if s.service_code is not None]
EACH_CODED = pytest.mark.parametrize("setting", CODED, ids=lambda s: s.name)
LINE_DETAILS = {"id", "fleet_id", "msisdn", "short_number", "employee_name", "email", "language"}
LINE_DETAILS |= {"presented"}  # a reference, not a setting (fleet/core/presented.py)
FREE = 5  # a line of the world in no group: each of its settings may change


def changed(setting: LineSetting[Any], value: Any) -> Any:
    """Another value of the setting: a switch flipped, a choice's next value."""
    if setting.switch:
        return not value
    values = setting.values()
    return values[(values.index(value) + 1) % len(values)]


def as_json(setting: LineSetting[Any], value: Any) -> Any:
    """The value as JSON carries it: a boolean, or the choice's value as a string."""
    return value if setting.switch else str(value)


def wrong_values(setting: LineSetting[Any]) -> tuple[object, ...]:
    """What an untyped caller could pass that is no value of the setting."""
    return ("yes", 1, None) if setting.switch else ("nowhere", 1, None, True)


def expected(setting: LineSetting[Any]) -> str:
    """What the API says a setting takes."""
    if setting.switch:
        return "true or false"
    return "one of " + ", ".join(str(v) for v in setting.values())


# -- the description, the view and the table ------------------------------------------------


def test_the_line_view_holds_the_details_and_one_field_per_setting() -> None:
    names = [f.name for f in fields(model.Line)]
    assert set(names) - LINE_DETAILS == {s.name for s in LINE_SETTINGS}
    assert len(names) == len(LINE_DETAILS) + len(LINE_SETTINGS)


@EACH
def test_each_setting_is_a_typed_column_of_the_lines_table(setting: LineSetting[Any]) -> None:
    column = LineRow.__table__.c[setting.name]
    assert isinstance(column.type, Boolean if setting.switch else SAEnum)
    assert column.type.python_type is setting.type
    assert not column.nullable
    # the routing read selects it among the other tables' columns: its name must stay its own
    others = [c.name for c in linequery._COLUMNS if c.name not in LINE_DETAILS]
    assert others.count(setting.name) == 1


def test_a_description_that_does_not_match_the_line_view_is_refused() -> None:
    label = Text("Sonnerie", "Ring tone")
    with pytest.raises(ValueError, match=r"model\.Line needs a field ring_tone: bool"):
        LineSetting(name="ring_tone", type=bool, default=False, label=label)
    with pytest.raises(ValueError, match="needs a field clir: int"):
        LineSetting(name="clir", type=int, default=0, label=label)
    with pytest.raises(ValueError, match="the default"):
        LineSetting(name="clir", type=bool, default=0, label=label)
    answers = UssdAnswers(on=label, off=label)
    with pytest.raises(ValueError, match="a service code goes with its answers"):
        LineSetting(name="clir", type=bool, default=False, label=label, service_code="31")
    with pytest.raises(ValueError, match="2 or 3 digits"):
        LineSetting(
            name="clir", type=bool, default=False, label=label, service_code="3", answers=answers
        )


def test_a_choice_needs_a_label_for_each_value_and_has_no_service_code() -> None:
    label = Text("Profil", "Profile")
    every = dict(RESTRICTION_PROFILE.choices)
    profile = RestrictionProfile.UNRESTRICTED
    with pytest.raises(ValueError, match="the labels of a StrEnum's values"):
        LineSetting(
            name="restriction_profile", type=RestrictionProfile, default=profile, label=label
        )
    some = {RestrictionProfile.UNRESTRICTED: label}
    with pytest.raises(ValueError, match="a label for each value"):
        LineSetting(
            name="restriction_profile",
            type=RestrictionProfile,
            default=profile,
            label=label,
            choices=some,
        )
    with pytest.raises(ValueError, match="only a switch has a service code"):
        LineSetting(
            name="restriction_profile",
            type=RestrictionProfile,
            default=profile,
            label=label,
            choices=every,
            service_code="33",
            answers=UssdAnswers(on=label, off=label),
        )
    with pytest.raises(ValueError, match="the labels of a StrEnum's values"):
        LineSetting(name="clir", type=bool, default=False, label=label, choices=every)


def test_a_choice_is_read_from_its_value_as_text_and_only_from_it() -> None:
    assert RESTRICTION_PROFILE.parse("national") is RestrictionProfile.NATIONAL
    assert RESTRICTION_PROFILE.parse(RestrictionProfile.VPN) is RestrictionProfile.VPN
    for wrong in ("NATIONAL", "", True, None):
        with pytest.raises(DomainError) as refused:
            RESTRICTION_PROFILE.parse(wrong)
        assert refused.value.code is ErrorCode.SETTING_CHOICE_INVALID
    with pytest.raises(DomainError) as refused:
        CALL_WAITING.parse("true")
    assert refused.value.code is ErrorCode.SETTING_VALUE_INVALID


def test_the_restriction_profile_is_the_managers_and_changes_nothing_by_default() -> None:
    assert not RESTRICTION_PROFILE.employee and RESTRICTION_PROFILE.service_code is None
    assert RESTRICTION_PROFILE.default is RestrictionProfile.UNRESTRICTED
    assert RESTRICTION_PROFILE.values() == tuple(RestrictionProfile)  # the seed's order


# -- the services ---------------------------------------------------------------------------


@EACH
async def test_a_new_line_takes_each_default_and_each_setting_is_changed_by_itself(
    services: Services, actor: Actor, world: World, setting: LineSetting[Any]
) -> None:
    line = await services.lines.create(
        actor, world.fleet.id, msisdn="0611000090", employee_name="Nouvelle"
    )
    assert all(s.of(line) == s.default for s in LINE_SETTINGS)
    new = changed(setting, setting.default)
    other = await services.lines.create(
        actor,
        world.fleet.id,
        msisdn="0611000091",
        employee_name="Autre",
        settings={setting: new},
    )
    assert setting.of(other) == new
    after = await services.lines.update(actor, line.id, settings={setting: new})
    assert setting.of(after) == new
    assert all(s.of(after) == s.of(line) for s in LINE_SETTINGS if s is not setting)
    assert setting.of(await services.lines.get(line.id)) == new
    journal = await services.audit.search(AuditFilter(entity="line", entity_id=str(line.id)))
    entry = journal.items[0]  # the latest: the change of this setting
    assert entry.before is not None and entry.after is not None
    assert entry.before[setting.name] == as_json(setting, setting.default)
    assert entry.after[setting.name] == as_json(setting, new)


@EACH
@pytest.mark.parametrize("value", ["yes", 1, None, "national"], ids=["text", "int", "none", "name"])
async def test_a_setting_of_the_wrong_type_is_refused_and_writes_nothing(
    services: Services,
    actor: Actor,
    world: World,
    engine: AsyncEngine,
    setting: LineSetting[Any],
    value: object,
) -> None:
    before = await dump(engine)
    wrong: Any = {setting: value}  # what an untyped caller could pass (a choice's text too)
    for attempt in (
        services.lines.update(actor, world.line(FREE).id, employee_name="X", settings=wrong),
        services.lines.create(
            actor, world.fleet.id, msisdn="0611000092", employee_name="X", settings=wrong
        ),
    ):
        with pytest.raises(DomainError) as refused:
            await attempt
        code = (
            ErrorCode.SETTING_VALUE_INVALID if setting.switch else ErrorCode.SETTING_CHOICE_INVALID
        )
        assert (refused.value.code, refused.value.field) == (code, setting.name)
        assert setting.name in refused.value.message(Language.EN)
    assert await dump(engine) == before


# -- the portal's line form -------------------------------------------------------------------


@EACH
async def test_each_setting_is_a_labelled_switch_or_select_of_the_line_form(
    site: Site, setting: LineSetting[Any]
) -> None:
    await sign_in(site.client)
    url = line_url(site, FREE)
    for language in Language:
        page = await text(await site.client.get(f"{url}?lang={language.value}"))
        assert f'<label for="{setting.name}">{setting.label(language)}</label>' in page
        if setting.switch:
            assert f'type="checkbox" id="{setting.name}" name="{setting.name}"' in page
        else:
            assert f'<select id="{setting.name}" name="{setting.name}"' in page
            for value, label in setting.choices.items():
                assert f'<option value="{value}"' in page and label(language) in page
        if setting.help is not None:
            assert setting.help(language) in page
    line = await services_of(site).lines.get(site.world.line(FREE).id)
    form = {
        "csrf": await csrf(site.client, url),
        "employee_name": line.employee_name,
        "short_number": line.short_number or "",
        "language": line.language.value,
    }
    wanted = {s: changed(s, s.of(line)) if s is setting else s.of(line) for s in LINE_SETTINGS}
    sent = {s.name: "on" for s, v in wanted.items() if s.switch and v}
    sent |= {s.name: str(v) for s, v in wanted.items() if not s.switch}
    response = await site.client.post(url, data=form | sent, allow_redirects=False)
    assert response.status == 302, await response.text()
    after = await services_of(site).lines.get(line.id)
    assert setting.of(after) == wanted[setting] != setting.of(line)
    assert all(s.of(after) == s.of(line) for s in LINE_SETTINGS if s is not setting)


async def test_a_refused_switch_shows_its_reason_next_to_it(
    site: Site, engine: AsyncEngine
) -> None:
    await sign_in(site.client)
    url = line_url(site, 0)  # a member of the group "Com"
    line = site.world.line(0)
    before = await dump(engine)
    form = {
        "csrf": await csrf(site.client, url),
        "employee_name": line.employee_name,
        "short_number": line.short_number or "",
        "language": "fr",
    }  # no switch ticked: the PABX option off
    response = await site.client.post(url, data=form)
    assert response.status == 400
    page = await text(response)
    reason = page.split(f'id="{PABX_OPTION.name}"')[1].split("</td>")[0]
    assert 'role="alert"' in reason and "Com" in reason
    assert await dump(engine) == before


# -- the REST API -----------------------------------------------------------------------------


@EACH
def test_each_setting_is_in_the_openapi_line_and_patch_schemas(
    setting: LineSetting[Any],
) -> None:
    doc = document()
    schemas = doc["components"]["schemas"]
    patch = doc["paths"]["/api/fleets/{fleet_id}/lines/{line_id}"]["patch"]
    assert patch["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/LineChange"
    }
    for name in ("Line", "LineChange"):
        schema = schemas[name]["properties"][setting.name]
        assert schema["type"] == ("boolean" if setting.switch else "string"), name
        if not setting.switch:
            assert schema["enum"] == [str(v) for v in setting.values()]
    assert schemas["LineChange"]["additionalProperties"] is False
    assert setting.label(Language.EN) in patch["summary"]


async def _token(site: Site) -> dict[str, str]:
    response = await site.client.post("/api/login", json={"login": "chef", "password": PASSWORD})
    return {"Authorization": f"Bearer {(await response.json())['token']}"}


@EACH
async def test_the_api_renders_and_patches_each_setting_and_refuses_a_wrong_value(
    site: Site, engine: AsyncEngine, setting: LineSetting[Any]
) -> None:
    headers = await _token(site)
    fleet, line = site.world.fleet.id, site.world.line(FREE)
    url = f"/api/fleets/{fleet}/lines/{line.id}"
    shown = await (await site.client.get(url, headers=headers)).json()
    assert shown[setting.name] == as_json(setting, setting.of(line))
    page = await (
        await site.client.get(
            f"/api/fleets/{fleet}/lines", params={"q": line.msisdn.national()}, headers=headers
        )
    ).json()
    assert page["items"][0][setting.name] == as_json(setting, setting.of(line))
    new = as_json(setting, changed(setting, setting.of(line)))
    patched = await site.client.patch(url, json={setting.name: new}, headers=headers)
    assert patched.status == 200, await patched.text()
    assert (await patched.json())[setting.name] == new
    before = await dump(engine)
    for wrong in wrong_values(setting):
        refused = await site.client.patch(url, json={setting.name: wrong}, headers=headers)
        problem = await refused.json()
        assert refused.status == 422 and problem["code"] == "invalid_value", problem
        assert problem["field"] == setting.name
        assert problem["detail"] == f"{setting.name}: {expected(setting)}"
    assert await dump(engine) == before


# -- the USSD command --------------------------------------------------------------------------


def test_the_catalogue_maps_each_service_code_to_its_setting() -> None:
    catalogue = Catalogue()
    assert set(catalogue.settings) == {s.service_code for s in CODED}
    for setting in CODED:
        assert setting.service_code is not None and setting.answers is not None
        assert catalogue.feature(setting.service_code) is Feature.LINE_SETTING
        assert catalogue.setting(setting.service_code) == (setting, setting.answers)
        assert setting.service_code in catalogue.codes
    assert {f.value for f in Feature}.isdisjoint(s.name for s in LINE_SETTINGS)


def test_a_setting_code_cannot_be_a_pabx_code_and_a_setting_without_answers_is_no_command() -> None:
    with pytest.raises(CatalogueError, match="service code 55 of call_waiting is taken"):
        Catalogue(settings={"55": CALL_WAITING})
    catalogue = Catalogue(settings={"58": PABX_OPTION})  # a deployment's mistake
    assert catalogue.setting("58") is None and catalogue.feature("58") is None
    assert "58" not in catalogue.codes


@EACH_CODED
async def test_each_setting_code_switches_on_off_and_tells_its_state(
    ussd: Ussd, services: Services, world: World, actor: Actor, setting: LineSetting[bool]
) -> None:
    code, answers = setting.service_code, setting.answers
    assert code is not None and answers is not None
    line = world.line(0)
    assert (await ussd(f"*{code}#")).text == answers.on.fr
    assert setting.of(await services.lines.get(line.id)) is True
    assert (await ussd(f"*#{code}#")).text == answers.on.fr
    assert (await ussd(f"#{code}#")).text == answers.off.fr
    assert setting.of(await services.lines.get(line.id)) is False
    assert (await ussd(f"*#{code}#")).text == answers.off.fr
    assert (await ussd(f"**{code}*0611000002#")).text.startswith("Opération non prise")
    await services.lines.update(actor, line.id, language="en")
    assert (await ussd(f"*{code}#")).text == answers.on.en
    assert (await ussd(f"*#{code}#")).text == answers.on.en
    assert (await ussd(f"#{code}#")).text == answers.off.en
    journal = await services.audit.search(AuditFilter(entity="line", entity_id=str(line.id)))
    entry = journal.items[0]  # the latest: switched off, from the handset
    assert entry.channel is Channel.USSD and entry.after is not None
    assert entry.after[setting.name] is False
