"""The REST API fuzzed by schemathesis over HTTP, from the OpenAPI document it serves.

The service runs for real on a free loopback port (an ``AppRunner`` in a thread with its own
event loop) over the test database, holding the world of ``tests/world.py``. For each operation
of ``/api/openapi.json``, as the fleet manager: schemathesis' coverage cases (each boundary,
each kind of invalid value, every undocumented method), then requests drawn by hypothesis,
valid and invalid, with the world's real ids, numbers and edge values mixed in so that they get
past the 404s. Every answer passes every schemathesis check: no 5xx, only documented statuses,
content types and headers, bodies matching the documented schemas, invalid data refused, valid
data never refused as malformed (400). On top of that, every refusal is a problem+json carrying
its own status and writes nothing; without a token, every secured operation answers 401.
Deterministic for CI: derandomized hypothesis, bounded examples, no deadline."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from requests.structures import CaseInsensitiveDict
from schemathesis import GenerationMode
from sqlalchemy import select

from fleet.app import ENGINE, SERVICES, build_app
from fleet.config import load_settings
from fleet.core.schedules import TimeRange, Weekday
from fleet.core.values import Actor, Channel
from fleet.db.engine import create_engine
from fleet.db.tables import AccountRow
from fleet.services.contacts import ContactInput
from portal import api
from portal.openapi import document
from tests.conftest import dump, wipe
from tests.world import PASSWORD, Accounts, build_accounts

T = TypeVar("T")
Case = schemathesis.Case[Any]
APIOperation = schemathesis.APIOperation[Any, Any, Any, Any]
TIMEOUT = 60.0
FUZZ = settings(
    max_examples=40,  # per operation, after its coverage cases (60 operations: a few minutes)
    derandomize=True,  # the same requests on every run: CI fails only on a real change
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
LOGIN_EXAMPLES = 30  # each refused login costs an argon2 hash
# a write compares a snapshot of every table before and after each refusal, and what the
# accepted ones write (journal entries, fleets, lines) makes every later snapshot longer
WRITE_EXAMPLES = 12
LOGOUT, LEAVING, AUTH = "/api/logout", "sortie", "Authorization"
OPERATOR = "operateur"


class LiveService:
    """``build_app`` served on 127.0.0.1 by an ``AppRunner`` in a thread with its own loop."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="api-fuzz", daemon=True)
        self.runner: web.AppRunner | None = None
        self.url = ""
        self.leaving_id = 0
        self.schedule_ids: list[int] = []  # the fleet's schedule, its opposite, another fleet's
        self.contact_ids: list[int] = []  # a contact of the fleet, another fleet's

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(TIMEOUT)

    @property
    def app(self) -> web.Application:
        assert self.runner is not None
        return self.runner.app

    def start(self) -> Accounts:
        self.thread.start()
        return self.run(self._start())

    async def _start(self) -> Accounts:
        await self._wipe()
        app = build_app(settings=load_settings(cli={"database_url": self.database_url}, env={}))
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", 0).start()
        host, port = self.runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        actor = Actor(name="setup", channel=Channel.CLI)
        accounts = await build_accounts(app[SERVICES], actor)
        leaving = await app[SERVICES].accounts.create_manager(
            actor,
            login=LEAVING,
            password=PASSWORD,
            display_name="Signs out",
            fleet_ids=[accounts.world.fleet.id],
        )
        self.leaving_id = leaving.id
        shop = await app[SERVICES].schedules.create(
            actor,
            accounts.world.fleet.id,
            name="Magasin",
            ranges=[TimeRange(day=Weekday.MONDAY, start=540, end=1020)],
            with_opposite=True,
        )
        opposite = await app[SERVICES].schedules.in_fleet(accounts.world.fleet.id)
        elsewhere = await app[SERVICES].schedules.create(
            actor, accounts.world.other_fleet.id, name="Ailleurs"
        )
        self.schedule_ids = [shop.id, *(s.id for s in opposite if s.id != shop.id), elsewhere.id]
        garage = await app[SERVICES].contacts.create(
            actor,
            accounts.world.fleet.id,
            ContactInput(name="Garage", number="0478000001", abbreviated="7001"),
        )
        theirs = await app[SERVICES].contacts.create(
            actor, accounts.world.other_fleet.id, ContactInput(name="Ailleurs", number="0478000002")
        )
        self.contact_ids = [garage.id, theirs.id]
        await app[SERVICES].accounts.create_operator(
            actor, login=OPERATOR, password=PASSWORD, display_name="Operator"
        )
        return accounts

    def leaving_token(self) -> str:
        """A valid token of the manager who signs out (``POST /api/logout`` ends them all)."""
        return self.run(self._leaving_token())

    async def _leaving_token(self) -> str:
        async with self.app[ENGINE].connect() as conn:
            epoch = await conn.scalar(
                select(AccountRow.session_epoch).where(AccountRow.id == self.leaving_id)
            )
        assert isinstance(epoch, str)
        return f"Bearer {api.issue_token(self.app[api.TOKEN_KEY], self.leaving_id, epoch)}"

    async def _wipe(self) -> None:
        engine = create_engine(self.database_url)
        try:
            await wipe(engine)
        finally:
            await engine.dispose()

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        return self.run(dump(self.app[ENGINE]))

    def stop(self) -> None:
        try:
            if self.runner is not None:
                self.run(self.runner.cleanup())
            self.run(self._wipe())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(TIMEOUT)
            self.loop.close()


@dataclass
class Live:
    service: LiveService
    accounts: Accounts
    http: requests.Session
    manager: dict[str, str]  # the Authorization header of the fleet manager "chef"
    operator: dict[str, str]  # the operator's, for the operators' routes that remove nothing


@pytest.fixture(scope="module")
def live(database_url: str) -> Iterator[Live]:
    service = LiveService(database_url)
    try:
        accounts = service.start()
        with requests.Session() as http:
            answer = http.post(
                f"{service.url}/api/login",
                json={"login": "chef", "password": PASSWORD},
                timeout=TIMEOUT,
            )
            assert answer.status_code == 200, answer.text
            token = answer.json()["token"]
            answer = http.post(
                f"{service.url}/api/login",
                json={"login": OPERATOR, "password": PASSWORD},
                timeout=TIMEOUT,
            )
            assert answer.status_code == 200, answer.text
            operator = {"Authorization": f"Bearer {answer.json()['token']}"}
            yield Live(service, accounts, http, {"Authorization": f"Bearer {token}"}, operator)
    finally:
        service.stop()


# values at and beyond the edges of integers (PostgreSQL's 32 and 64 bits, SQLite's 64)
EDGES = [-1, 0, 1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64]
# text the databases cannot store, or that a LIKE pattern could misread
TEXTS = ["\x00", "a\x00b", "%", "_", "\\", " ", "é" * 300]


def _config(live: Live) -> schemathesis.Config:
    """Fuzz dictionaries mixed in with schema-derived values: the world's real ids (also the
    other fleet's, which must stay out of reach), its numbers, and edge values. Entries the
    schema allows are drawn for valid requests, the others for invalid ones."""
    world = live.accounts.world
    lines = [line.id for line in world.lines[:3]] + [world.plain.id, world.foreign.id]
    numbers = [
        "0145678910",  # the fleet's fixed number
        "+33145678910",
        "0611000002",  # another line of the fleet
        "0611000001",
        "2002",  # a short number
        "0899123456",  # a special number
        "0609182236",  # the call group's number
        "+447700900123",
        "",
        *TEXTS,
    ]

    def mix(dictionary: str, probability: float = 0.7) -> dict[str, Any]:
        return {"dictionary": dictionary, "probability": probability}

    return schemathesis.Config.from_dict(
        {
            "base-url": live.service.url,
            "dictionaries": {
                "fleets": {"values": [world.fleet.id, world.other_fleet.id, *EDGES]},
                "lines": {"values": [*lines, *EDGES]},
                "groups": {
                    "values": [live.accounts.group_id, live.accounts.other_group_id, *EDGES]
                },
                "schedules": {"values": [*live.service.schedule_ids, *EDGES]},
                "contacts": {"values": [*live.service.contact_ids, *EDGES]},
                "edges": {"values": [50, 500, 501, *EDGES]},
                "numbers": {"values": numbers},
                "texts": {"values": ["2012", "Salarié", *TEXTS]},
                "logins": {"values": ["chef", "salarie", "", *TEXTS]},
            },
            "parameters": {
                "path.fleet_id": mix("fleets", 0.8),
                "path.line_id": mix("lines", 0.8),
                "path.group_id": mix("groups", 0.8),
                "path.schedule_id": mix("schedules", 0.8),
                "path.contact_id": mix("contacts", 0.8),
                "query.offset": mix("edges", 0.5),
                "query.limit": mix("edges", 0.5),
                "query.q": mix("texts", 0.5),
                "body.destination": mix("numbers"),
                "body.entries[*]": mix("numbers"),
                "body.main_number": mix("numbers"),  # the presented number (issue 16)
                "body.group_id": mix("groups", 0.8),
                "body.numbers[*]": mix("numbers"),
                "body.schedule_id": mix("schedules", 0.8),
                "body.login": mix("logins", 0.5),
                "body.password": mix("texts", 0.3),
            },
            "checks": {
                # a schema-valid request may still break a domain rule (422), name something
                # that does not exist (404) or clash (409), name a version that is not the
                # current one (If-Match: 412), or come from an address with too many wrong
                # passwords (429, a login); never be refused as malformed (400)
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "401", "403", "404", "409", "412", "422", "429"]
                },
                # invalid data is refused; with a stale If-Match the version is checked first
                # (412): refused all the same, and nothing written (checked on every refusal)
                "negative_data_rejection": {
                    "expected-statuses": [
                        "400",
                        "401",
                        "403",
                        "404",
                        "405",
                        "406",
                        "409",
                        "412",
                        "415",
                        "422",
                        "428",
                        "429",
                        "5xx",
                    ]
                },
            },
        }
    )


@pytest.fixture(scope="module")
def api_schema(live: Live) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(
        f"{live.service.url}/api/openapi.json", config=_config(live), timeout=TIMEOUT
    )


# the document's operations, known without the service: one test each
OPERATIONS = [
    (method.upper(), path, operation.get("security") != [])
    for path, item in document()["paths"].items()
    for method, operation in item.items()
]


# the operators' routes fuzzed as the operator: those that remove nothing and leave the
# operator's own token alive (no removal, no new password); the others as the manager (403)
AS_OPERATOR = {
    (method.upper(), path)
    for path, item in document()["paths"].items()
    for method, operation in item.items()
    if "(operators only)" in operation["summary"]
    and method != "delete"
    and not path.endswith("/password")
}


def _headers(live: Live, method: str, path: str) -> dict[str, str]:
    return live.operator if (method.upper(), path) in AS_OPERATOR else live.manager


def each_operation(*, secured_only: bool) -> pytest.MarkDecorator:
    chosen = [(m, p) for m, p, secured in OPERATIONS if secured or not secured_only]
    return pytest.mark.parametrize(("method", "path"), chosen, ids=[f"{m} {p}" for m, p in chosen])


def _own_ids(live: Live, operation: APIOperation) -> dict[str, int]:
    """The operation's path ids on the fleet's own line (a member of the group) and group."""
    world = live.accounts.world
    own = {
        "fleet_id": world.fleet.id,
        "line_id": world.line(0).id,
        "group_id": live.accounts.group_id,
        "schedule_id": live.service.schedule_ids[0],
        "contact_id": live.service.contact_ids[0],
    }
    return {p.name: own[p.name] for p in operation.path_parameters if p.name in own}


def _coverage_cases(
    live: Live, schema: schemathesis.BaseSchema, method: str, path: str
) -> list[Case]:
    """Schemathesis' coverage phase for one operation, as the fleet manager: each boundary,
    each kind of invalid value of each parameter and property, every undocumented method.
    Where it does not test an id itself it names the minimum (1): that becomes the fleet's
    own. The cases without a token are left to the unauthenticated test."""
    operation = schema[path][method]
    generation = schema.config.generation_for(operation=operation, phase="coverage")
    own = _own_ids(live, operation)
    cases = []
    for case in schema.iter_coverage_cases(
        operation, generation_modes=list(GenerationMode), generation_config=generation
    ):
        if "Authorization" not in (case.headers or {}):
            continue
        headers = CaseInsensitiveDict(case.headers)
        headers.update(_headers(live, method, path))
        case.headers = headers
        case.path_parameters = {
            name: own.get(name, value) if value == "1" else value
            for name, value in (case.path_parameters or {}).items()
        }
        cases.append(case)
    return cases


def _fuzzed_cases(
    live: Live,
    schema: schemathesis.BaseSchema,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
) -> Any:
    """Valid and invalid requests for one operation, with these headers as they are; when it
    takes a body or a query, also requests on the fleet's own line and group, so that these
    get past the 404s every time."""
    operation = schema[path][method]
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE, headers=headers),
        operation.as_strategy(GenerationMode.NEGATIVE, headers=headers),
    ]
    if operation.body or list(operation.query):
        strategies += [
            operation.as_strategy(mode, headers=headers, path_parameters=_own_ids(live, operation))
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
    return st.one_of(strategies)


def _exchange(live: Live, case: Case) -> schemathesis.Response:
    """Send the case with every schemathesis check; a refusal must be a problem+json with its
    own status and, but for a wrong password (a failure is counted), must write nothing. A
    sign-out is made by another manager, with a fresh token each time: the fleet manager's
    token must outlive the run."""
    headers: dict[str, Any] = dict(case.headers or {})
    if case.operation.path == LOGOUT and headers.get("Authorization") == live.manager[AUTH]:
        case.headers = CaseInsensitiveDict({**headers, AUTH: live.service.leaving_token()})
    if CaseInsensitiveDict(case.headers or {}).get(AUTH) == live.manager[AUTH]:
        # the manager's own token, given by this test: schemathesis must not take it for one
        # it generated (it does when the operation also has header parameters, If-Match)
        case._has_explicit_auth = True
    writes = case.method.upper() not in ("GET", "HEAD", "OPTIONS")
    before = live.service.snapshot() if writes else None
    response = case.call_and_validate(session=live.http, timeout=TIMEOUT)
    if response.status_code >= 400:
        if case.method.upper() != "HEAD":
            _assert_problem(response)
        if before is not None and case.operation.path != "/api/login":
            assert live.service.snapshot() == before, "a refused request changed the database"
    return response


def _assert_problem(response: schemathesis.Response) -> None:
    assert response.headers.get("content-type", [""])[0].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == response.status_code
    assert problem["code"] and problem["detail"]


def test_the_served_document_lists_the_fuzzed_operations(
    api_schema: schemathesis.BaseSchema,
) -> None:
    served = {
        (method.upper(), path)
        for path, item in api_schema.raw_schema["paths"].items()
        for method in item
    }
    assert served == {(method, path) for method, path, _ in OPERATIONS}


def _examples(method: str, path: str) -> int:
    if path == "/api/login":
        return LOGIN_EXAMPLES
    return FUZZ.max_examples if method.upper() in ("GET", "HEAD") else WRITE_EXAMPLES


@each_operation(secured_only=False)
def test_every_api_operation_survives_fuzzing_without_server_errors(
    live: Live, api_schema: schemathesis.BaseSchema, method: str, path: str
) -> None:
    for case in _coverage_cases(live, api_schema, method, path):
        _exchange(live, case)

    @settings(FUZZ, max_examples=_examples(method, path))
    @given(case=_fuzzed_cases(live, api_schema, method, path, _headers(live, method, path)))
    def fuzz(case: Case) -> None:
        _exchange(live, case)

    fuzz()


@each_operation(secured_only=True)
def test_without_a_token_every_operation_is_refused_with_401_and_writes_nothing(
    live: Live, api_schema: schemathesis.BaseSchema, method: str, path: str
) -> None:
    @settings(FUZZ, max_examples=8)  # each compares a snapshot of every table
    @given(case=_fuzzed_cases(live, api_schema, method, path))
    def fuzz(case: Case) -> None:
        before = live.service.snapshot()
        response = case.call_and_validate(session=live.http, timeout=TIMEOUT)
        assert response.status_code == 401, response.text
        _assert_problem(response)
        assert live.service.snapshot() == before

    fuzz()


# what the generators do not produce: JSON nested past the parser's recursion limit, numbers
# past Python's 4300 digits, text no database stores, more than aiohttp's 1 MiB of body
HOSTILE_BODIES = [
    pytest.param(b"[" * 100_000 + b"]" * 100_000, 400, "invalid_json", id="deep-array"),
    pytest.param(b'{"a":' * 50_000 + b"1" + b"}" * 50_000, 400, "invalid_json", id="deep-object"),
    pytest.param(b'{"no_reply_timer": 1' + b"0" * 5000 + b"}", 400, "invalid_json", id="digits"),
    pytest.param(b"\xff\xfe{}", 400, "invalid_json", id="not-utf8"),
    pytest.param(b'{"destination": "\\ud800"}', 422, "invalid_value", id="lone-surrogate"),
    pytest.param(b'{"destination": "06\\u0000"}', 422, "invalid_value", id="nul"),
    pytest.param(b" " * (1024 * 1024 + 1), 413, "body_too_large", id="too-large"),
]


@pytest.mark.parametrize(("body", "status", "code"), HOSTILE_BODIES)
def test_a_hostile_body_gets_a_problem_and_changes_nothing(
    live: Live, body: bytes, status: int, code: str
) -> None:
    world = live.accounts.world
    url = f"{live.service.url}/api/fleets/{world.fleet.id}/lines/{world.line(0).id}"
    before = live.service.snapshot()
    response = live.http.put(
        f"{url}/forwardings/busy",
        data=body,
        headers={**live.manager, "Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert response.headers["Content-Type"].startswith("application/problem+json")
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert live.service.snapshot() == before


@pytest.mark.parametrize(
    ("path", "status"),
    [("/lines/" + "9" * 5000, 404), ("/lines?offset=" + "9" * 5000, 400), ("/groups/-1", 404)],
)
def test_an_id_or_an_offset_no_database_can_hold_is_refused(
    live: Live, path: str, status: int
) -> None:
    url = f"{live.service.url}/api/fleets/{live.accounts.world.fleet.id}{path}"
    response = live.http.get(url, headers=live.manager, timeout=TIMEOUT)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/problem+json")
