"""``GET /metrics`` of the service on the simulated network (with the SMSC simulator):
parsed by prometheus-client's own text parser after calls and USSD requests, the counters
are what was done; who may read it; each application its own registry; on the SIP network,
the same read from the SIP exchange and its stack."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from fleet.app import DIRECTORY, GATEWAY, RECORDS, SERVICES, build_app
from fleet.app_keys import CHANGE_FEED, PROCESS_ID
from fleet.app_metrics import METRICS, PROCESS
from fleet.config import ConfigError, load_settings
from fleet.core.values import CallOutcome, SessionCase
from fleet.services.change_stats import ReloadReason as FeedReload
from tests.polling import eventually
from tests.sip.sipp_runner import run_sipp, sipp_binary, start_sipp_uas
from tests.sipnet.sipp_service import sip_service
from tests.test_live_simulator import handset, seed_demo

Client = TestClient[web.Request, web.Application]
ClientFactory = Callable[[web.Application], Awaitable[Client]]
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
SIP_CALLS = 2


async def scrape(client: Client) -> Samples:
    """Every sample of ``/metrics``: (name, sorted labels) -> value."""
    response = await client.get("/metrics")
    assert response.status == 200, await response.text()
    assert response.headers["Content-Type"] == CONTENT_TYPE_LATEST
    samples: Samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


async def service(aiohttp_client: ClientFactory, database_url: str, **settings: Any) -> Client:
    cli = {"database_url": database_url, "simulator": True, **settings}
    return await aiohttp_client(build_app(settings=load_settings(cli=cli, env={})))


async def bound(client: Client) -> None:
    gateway = client.app[GATEWAY]

    async def up() -> bool:
        return gateway.bound

    await eventually(up, what="the SMPP bind")


async def ussd(client: Client, number: str, text: str, *, reply: bool = False) -> dict[str, Any]:
    body = {"from": number, "text": text, "reply": reply}
    response = await client.post("/sim/ussd", json=body)
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def test_metrics_count_the_calls_placed_and_show_the_call_in_progress(
    aiohttp_client: ClientFactory, database_url: str, engine: object
) -> None:
    await seed_demo(aiohttp_client, database_url)
    client = await service(aiohttp_client, database_url)
    before = await scrape(client)
    assert value(before, "fleetpbx_calls_in_progress") == 0
    assert total(before, "fleetpbx_call_attempts_total") == 0
    assert value(before, "fleetpbx_routing_cache_reloads_total", reason="startup") == 1
    fleets = await client.app[SERVICES].fleets.all()
    assert value(before, "fleetpbx_fleets_owned") == len(fleets) >= 1
    assert value(before, "fleetpbx_routing_cache_loaded") == 1

    # answered, then hung up
    dialled = await client.post("/sim/dial", json={"from": "0699000001", "to": "0611000001"})
    assert dialled.status == 201

    async def ringing() -> bool:
        return bool((await handset(client, "06 11 00 00 01"))["ringing"])

    await eventually(ringing)
    assert value(await scrape(client), "fleetpbx_calls_in_progress") == 1
    assert (await client.post("/sim/answer", json={"number": "0611000001"})).status == 200
    await client.post("/sim/hang_up", json={"number": "0699000001"})
    # twice: the caller gives up while it rings
    for _ in range(2):
        await client.post("/sim/dial", json={"from": "0699000001", "to": "0611000003"})

        async def rings() -> bool:
            return bool((await handset(client, "06 11 00 00 03"))["ringing"])

        await eventually(rings)
        await client.post("/sim/hang_up", json={"number": "0699000001"})
    assert await client.app[RECORDS].flush()

    after = await scrape(client)
    assert value(after, "fleetpbx_calls_in_progress") == 0
    attempts = "fleetpbx_call_attempts_total"
    assert total(after, attempts) == 3
    assert total(after, attempts, outcome=CallOutcome.ANSWERED.value) == 1
    assert total(after, attempts, outcome=CallOutcome.ABANDONED.value) == 2
    # each record counted under its own outcome and session case
    for record in client.app[RECORDS].latest:
        assert record.outcome is not None
        labels = {"outcome": record.outcome.value, "session_case": record.session_case.value}
        assert value(after, attempts, **labels) >= 1
    every_case = {(o.value, c.value) for o in CallOutcome for c in SessionCase}
    shown = {(dict(ls)["outcome"], dict(ls)["session_case"]) for (n, ls) in after if n == attempts}
    assert shown == every_case  # the series exist at 0 too, with bounded labels only
    assert value(after, "fleetpbx_call_records_backlog") == 0
    assert value(after, "fleetpbx_call_records_refused") == 0
    assert value(after, "fleetpbx_call_faults_total") == 0
    assert value(after, "fleetpbx_sms_outbox_pending") == 0
    # the process id: the call ids' prefix, in the build info
    process = client.app[PROCESS]
    assert all(r.call_id.startswith(f"{process}-") for r in client.app[RECORDS].latest)
    info = [ls for (n, ls) in after if n == "fleetpbx_build_info"]
    assert len(info) == 1 and ("process", process) in info[0]


async def test_metrics_count_ussd_transactions_and_time_them_by_result(
    aiohttp_client: ClientFactory, database_url: str, engine: object
) -> None:
    await seed_demo(aiohttp_client, database_url)
    client = await service(aiohttp_client, database_url)
    await bound(client)
    before = await scrape(client)
    assert value(before, "fleetpbx_smpp_bound") == 1
    assert value(before, "fleetpbx_ussd_requests_total") == 0

    done = await ussd(client, "0611000001", "**67*0145678910#")
    assert not done["refused"] and not done["menu"]
    refused = await ussd(client, "0611000002", "*55*0609182236*0000#")
    assert refused["refused"]
    menu = await ussd(client, "0611000001", "*700#")
    assert menu["menu"]
    assert (await ussd(client, "0611000001", "0", reply=True))["answer"] == "Au revoir."

    async def answered() -> bool:
        return total(await scrape(client), "fleetpbx_ussd_answers_total", result="sent") == 4

    await eventually(answered, what="4 USSD answers taken by the SMSC")
    after = await scrape(client)
    assert value(after, "fleetpbx_ussd_requests_total") == 4
    assert value(after, "fleetpbx_ussd_answers_total", result="lost") == 0
    duration = "fleetpbx_ussd_request_duration_seconds_count"
    assert value(after, duration, result="final") == 2
    assert value(after, duration, result="refused") == 1
    assert value(after, duration, result="menu") == 1
    assert value(after, duration, result="failed") == 0
    assert value(after, "fleetpbx_ussd_request_duration_seconds_sum", result="final") > 0
    assert value(after, "fleetpbx_ussd_requests_in_flight") == 0
    assert value(after, "fleetpbx_smpp_binds_total", result="bound") >= 1


async def test_metrics_are_refused_to_an_address_metrics_allowed_does_not_name(
    aiohttp_client: ClientFactory, database_url: str, engine: object
) -> None:
    client = await service(aiohttp_client, database_url, metrics_allowed="10.0.0.0/8")
    response = await client.get("/metrics")
    assert response.status == 403
    assert "fleetpbx_" not in await response.text()
    index = await (await client.get("/")).json()
    assert index["endpoints"]["metrics"] == "/metrics"
    # the settings parse it as networks; loopback is the default; a bad one is named
    assert load_settings(cli={}, env={}).metrics_allowed == ("127.0.0.0/8", "::1/128")
    env = {"FLEETPBX_METRICS_ALLOWED": "10.1.2.3, 192.168.0.0/16"}
    assert load_settings(cli={}, env=env).metrics_allowed == ("10.1.2.3/32", "192.168.0.0/16")
    with pytest.raises(ConfigError, match="metrics_allowed"):
        load_settings(cli={}, env={"FLEETPBX_METRICS_ALLOWED": "everyone"})


async def test_each_application_counts_in_a_registry_of_its_own(
    aiohttp_client: ClientFactory, database_url: str, engine: object
) -> None:
    await seed_demo(aiohttp_client, database_url)
    first = await service(aiohttp_client, database_url)
    second = await service(aiohttp_client, database_url)
    assert first.app[PROCESS] != second.app[PROCESS]
    await first.post("/sim/dial", json={"from": "0699000001", "to": "0611000001"})

    async def rings() -> bool:
        return bool((await handset(first, "06 11 00 00 01"))["ringing"])

    await eventually(rings)
    await first.post("/sim/hang_up", json={"number": "0699000001"})
    assert await first.app[RECORDS].flush()
    assert total(await scrape(first), "fleetpbx_call_attempts_total") == 1
    assert total(await scrape(second), "fleetpbx_call_attempts_total") == 0
    assert first.app[DIRECTORY] is not second.app[DIRECTORY]


@pytest.mark.slow
async def test_on_the_sip_network_metrics_count_the_sip_calls_and_read_the_stack(
    database_url: str, engine: object, tmp_path: Path
) -> None:
    sipp = sipp_binary()
    handset = await start_sipp_uas(sipp, "isc_handset_answer", tmp_path, calls=SIP_CALLS)
    try:
        async with sip_service(database_url, handset.port, tmp_path) as running:
            assert await running.ussd("0611000001", "*#21#")  # answered (what: elsewhere)
            (tmp_path / "caller").mkdir()
            caller = await run_sipp(
                sipp,
                "isc_scscf_call",
                running.port,
                tmp_path / "caller",
                calls=SIP_CALLS,
                rate=5,
                limit=1,
                service="+33611000001",
            )
            assert caller.passed(SIP_CALLS), caller.explain()
            callee = await handset.finished()
            assert callee.passed(SIP_CALLS), callee.explain()
            await running.idle()
            assert await running.app[RECORDS].flush()
            got = registry_samples(running.app)
    finally:
        await handset.stop()
    attempts = "fleetpbx_call_attempts_total"
    assert total(got, attempts) == SIP_CALLS
    assert total(got, attempts, outcome=CallOutcome.ANSWERED.value) == SIP_CALLS
    assert value(got, "fleetpbx_calls_in_progress") == 0
    # each call's INVITE and BYE transactions stay alive for their timers (32 s)
    assert value(got, "fleetpbx_sip_server_transactions") >= SIP_CALLS
    assert value(got, "fleetpbx_sip_server_transactions_in_progress") == 0
    assert value(got, "fleetpbx_sip_invites_shed_total", mode="stateless") == 0
    assert value(got, "fleetpbx_sip_overload_shedding") == 0
    assert value(got, "fleetpbx_smpp_bound") == 1
    assert value(got, "fleetpbx_ussd_requests_total") == 1
    assert total(got, "fleetpbx_ussd_request_duration_seconds_count") == 1
    assert value(got, "fleetpbx_fleets_owned") >= 1


def registry_samples(app: web.Application) -> Samples:
    """The samples of the application's registry, read as ``/metrics`` reads them."""
    text = generate_latest(app[METRICS].registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_the_change_listener_s_reloads_and_lags_are_counted_in_metrics(
    aiohttp_client: ClientFactory, database_url: str, engine: object
) -> None:
    client = await service(aiohttp_client, database_url)
    feed = client.app[CHANGE_FEED]
    feed.reloaded(FeedReload.RECONNECTED)
    feed.reloaded(FeedReload.REQUESTED)
    feed.reloaded(FeedReload.REQUESTED)
    feed.lagged(0.004)
    got = await scrape(client)
    reloads = "fleetpbx_routing_cache_reloads_total"
    assert value(got, reloads, reason="reconnect") == 1
    assert value(got, reloads, reason="command") == 2
    assert value(got, "fleetpbx_routing_cache_notification_lag_seconds_count") == 1
    assert feed.reloads[FeedReload.REQUESTED] == 2  # the listener's own count too
    assert client.app[PROCESS] == client.app[PROCESS_ID]  # one id: logs, call ids, NOTIFY
