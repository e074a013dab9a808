"""The REST API's presented number (issue 16 item 4): the fleet's main number and a line's
choice, read and set by the manager; refusals are problems that write nothing; the line's
resource shows its choice."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import dump
from tests.test_api import Api, rest

__all__ = ["rest"]


def urls(rest: Api, line: int = 0) -> tuple[str, str]:
    fleet = rest.world.fleet.id
    return (
        f"/api/fleets/{fleet}/main-number",
        f"/api/fleets/{fleet}/lines/{rest.world.line(line).id}/presented",
    )


async def test_the_manager_sets_the_main_number_then_a_line_presents_it(rest: Api) -> None:
    main, presented = urls(rest)
    response = await rest.client.put(
        main, json={"main_number": "01 45 67 89 10"}, headers=rest.headers
    )
    assert response.status == 200, await response.text()
    assert await response.json() == {"main_number": "+33145678910", "national": "01 45 67 89 10"}
    assert (await (await rest.client.get(main, headers=rest.headers)).json())["main_number"] == (
        "+33145678910"
    )
    response = await rest.client.put(presented, json={"kind": "main"}, headers=rest.headers)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert (body["kind"], body["group_id"]) == ("main", None)
    assert {"kind": "main", "group_id": None, "number": "+33145678910"} in body["choices"]
    line = await (
        await rest.client.get(presented.removesuffix("/presented"), headers=rest.headers)
    ).json()
    assert line["presented"] == {"kind": "main", "group_id": None}


async def test_a_line_presents_a_group_it_belongs_to(rest: Api) -> None:
    _, presented = urls(rest, 0)
    body = await (await rest.client.get(presented, headers=rest.headers)).json()
    groups = [c for c in body["choices"] if c["kind"] == "group"]
    assert groups, body
    choice = {"kind": "group", "group_id": groups[0]["group_id"]}
    response = await rest.client.put(presented, json=choice, headers=rest.headers)
    assert response.status == 200, await response.text()
    assert (await response.json())["group_id"] == groups[0]["group_id"]


async def test_refused_choices_are_problems_writing_nothing(rest: Api, engine: AsyncEngine) -> None:
    main, presented = urls(rest, 11)
    before = await dump(engine)
    cases = [
        (main, {"main_number": "0699887766"}, 422, "main_number_not_in_fleet"),
        (main, {"main_number": 12}, 422, "invalid_value"),
        (main, {}, 422, "invalid_value"),
        (presented, {"kind": "main"}, 409, "presented_no_main_number"),
        (presented, {"kind": "group", "group_id": rest.group_id}, 409, "presented_not_a_member"),
        (presented, {"kind": "group", "group_id": rest.other_group_id}, 404, "not_found"),
        (presented, {"kind": "group"}, 422, "invalid_value"),
        (presented, {"kind": "line", "group_id": rest.group_id}, 422, "invalid_value"),
        (presented, {"kind": "secret"}, 422, "presented_choice_invalid"),
    ]
    for url, body, status, code in cases:
        response = await rest.client.put(url, json=body, headers=rest.headers)
        assert response.status == status, (body, await response.text())
        assert (await response.json())["code"] == code, body
    assert await dump(engine) == before
