"""FleetPBX on SIP with SIPp playing the whole mobile core, captured with tshark: SIPp as UAC is
the S-CSCF (ISC terminating case), SIPp as UAS is the core's side of the fleet's handsets
(``isc_handset_by_number``: which answers each B-leg by its Request-URI and checks its
headers). Three calls, one after the other, each a fresh SIPp UAC run:

- a number FleetPBX does not know gets 404 and no B-leg;
- a busy line forwarding when busy: its handset answers 486, the caller hears 181 (History-Info
  cause=486), and a second B-leg to the forwarding destination carries History-Info with
  cause=486 and Diversion with reason=user-busy; answered, BYE from the caller;
- a fleet line hiding its number by default (CLIR) calls another: the callee's INVITE has
  ``Privacy: id`` and no P-Asserted-Identity.

Wireshark's SIP dissector reads every packet of the session as SIP, with no malformed packet
and no expert warning or error, and every dialog completes: each INVITE has a final response,
each 2xx to an INVITE is ACKed, each confirmed dialog ends with a BYE answered 200. Two more
SIPp calls hide the caller the other ways a core does: ``Privacy: id`` from the S-CSCF, and a
``#31#`` prefix dialled (``%2331%23`` in the Request-URI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.core.values import CallOutcome, ForwardingKind
from tests.memory import World, memory_world
from tests.polling import eventually
from tests.sip.capture import (
    WARNING,
    SipCapture,
    expert_infos,
    malformed,
    not_sip,
    read_sip,
)
from tests.sip.sipp_runner import SippRun, free_port, run_sipp, sipp_binary, start_sipp_uas
from tests.sipnet.sipp_dialogs import b_leg_invites, dialogs, listing
from tests.sipnet.sipp_support import fleetpbx
from tests.sipnet.support import Records
from tests.smpp_tshark import tshark_binary

pytestmark = pytest.mark.slow

BUSY_LINE = "+33611000001"  # forwards to FORWARDED_TO when busy; its handset answers 486
FORWARDED_TO = "+33611000002"
HIDDEN_TO = "+33611000003"
UNKNOWN = "123"
B_LEGS = 3  # 486 on BUSY_LINE, answered on FORWARDED_TO, answered on HIDDEN_TO


HIDING_CALLER = 3  # +33611000004, the caller of isc_scscf_hidden_call


def busy_forwarding_world() -> World:
    """The fleet, its first line forwarding to the second when busy, its fourth line hiding
    its number by default."""
    world = memory_world()
    world.fleets.forward(world.lines[0].id, ForwardingKind.BUSY, "0611000002")
    world.fleets.update_line(world.lines[HIDING_CALLER].id, clir=True)
    return world


def succeeded(run: SippRun, calls: int = 1) -> bool:
    return run.exit_code == 0 and (run.successful, run.failed) == (calls, 0)


async def test_sipp_core_gets_404_busy_forwarding_with_history_and_a_hidden_caller_cleanly(
    tmp_path: Path,
) -> None:
    sipp, tshark = sipp_binary(), tshark_binary()
    handsets = await start_sipp_uas(sipp, "isc_handset_by_number", tmp_path, calls=B_LEGS)
    records = Records()
    pcap = tmp_path / "core.pcapng"
    scscf = {name: free_port() for name in ("unknown", "forwarded", "hidden")}
    try:
        async with fleetpbx(f"127.0.0.1:{handsets.port}", records, busy_forwarding_world()) as (
            port,
            exchange,
        ):
            ports = (port, handsets.port)
            async with SipCapture(tshark, ports=ports, path=pcap) as capture:

                async def scscf_call(name: str, scenario: str, service: str) -> None:
                    media = ("-mp", str(free_port()))
                    extra = ("-p", str(scscf[name]), *media)
                    run = await run_sipp(
                        sipp, scenario, port, tmp_path, service=service, extra=extra
                    )
                    assert succeeded(run), run.explain()

                await scscf_call("unknown", "isc_scscf_unknown_number", UNKNOWN)
                await scscf_call("forwarded", "isc_scscf_forwarded_call", BUSY_LINE)
                await scscf_call("hidden", "isc_scscf_hidden_call", HIDDEN_TO)
                callee = await handsets.finished()
                assert succeeded(callee, B_LEGS), callee.explain()
                await eventually(
                    lambda: exchange.engine.active_calls == 0 and exchange.network.legs == 0,
                    what="every call and leg ended",
                )
                # the last messages of the session: the hidden call's 200s to BYE, both sides
                bye_ok = 'sip.Status-Code == 200 && sip.CSeq.method == "BYE"'
                await capture.wait_for(f"{bye_ok} && udp.dstport == {scscf['hidden']}")
                hidden_leg = f'sip.to.addr contains "{HIDDEN_TO[1:]}"'
                await capture.wait_for(
                    f"{bye_ok} && udp.srcport == {handsets.port} && {hidden_leg}"
                )
    finally:
        await handsets.stop()

    messages = await read_sip(tshark, pcap, ports)
    shown = listing(messages)
    assert await not_sip(tshark, pcap, ports) == [], shown
    assert await malformed(tshark, pcap, ports) == [], shown
    serious = [i for i in await expert_infos(tshark, pcap, ports) if i.severity >= WARNING]
    assert serious == [], "\n".join(map(str, serious))

    calls = dialogs(messages)
    assert {cid: d.problems() for cid, d in calls.items() if d.problems()} == {}, shown
    assert len(calls) == 3 + B_LEGS, shown  # three callers' INVITEs, three B-legs

    legs = b_leg_invites(messages, handsets.port)
    assert [m.value("sip.r-uri") for m in legs] == [
        f"tel:{BUSY_LINE}",
        f"tel:{FORWARDED_TO}",
        f"tel:{HIDDEN_TO}",
    ], shown
    busy, diverted, private = legs
    assert busy.value("sip.History-Info") is None and busy.value("sip.Diversion") is None
    assert "cause=486" in " ".join(diverted.fields.get("sip.History-Info", ())), diverted.fields
    assert "reason=user-busy" in (diverted.value("sip.Diversion") or ""), diverted.fields
    assert private.value("sip.Privacy") == "id", private.fields
    assert private.value("sip.P-Asserted-Identity") is None, private.fields

    to_forwarded_caller = [
        m.status for m in messages if m.dst_port == scscf["forwarded"] and m.cseq_method == "INVITE"
    ]
    assert 181 in to_forwarded_caller, shown
    assert to_forwarded_caller.index(181) < to_forwarded_caller.index(200), shown
    to_unknown_caller = [m.status for m in messages if m.dst_port == scscf["unknown"]]
    assert [status for status in to_unknown_caller if status != 100] == [404], shown

    assert [r.outcome for r in records.items] == [
        CallOutcome.REJECTED,  # the unknown number
        CallOutcome.ANSWERED,  # at the forwarding destination
        CallOutcome.ANSWERED,  # the hidden caller's call
    ], records


async def a_hidden_caller_reaches_the_handset(tmp_path: Path, scenario: str, service: str) -> None:
    """One call of ``scenario`` to ``service``, which must reach HIDDEN_TO's handset with
    ``Privacy: id`` and no P-Asserted-Identity (else the handset answers 500, failing the
    caller's run), answered, BYE from the caller."""
    sipp = sipp_binary()
    handsets = await start_sipp_uas(sipp, "isc_handset_by_number", tmp_path, calls=1)
    records = Records()
    try:
        async with fleetpbx(f"127.0.0.1:{handsets.port}", records) as (port, exchange):
            caller = await run_sipp(sipp, scenario, port, tmp_path, service=service)
            assert succeeded(caller), caller.explain()
            callee = await handsets.finished()
            assert succeeded(callee), callee.explain()
            await eventually(
                lambda: exchange.engine.active_calls == 0 and exchange.network.legs == 0,
                what="every call and leg ended",
            )
    finally:
        await handsets.stop()
    assert [r.outcome for r in records.items] == [CallOutcome.ANSWERED]


async def test_privacy_id_from_the_scscf_hides_the_caller_from_the_handset(
    tmp_path: Path,
) -> None:
    await a_hidden_caller_reaches_the_handset(tmp_path, "isc_scscf_private_call", HIDDEN_TO)


async def test_a_31_prefix_in_the_request_uri_hides_the_caller_from_the_handset(
    tmp_path: Path,
) -> None:
    await a_hidden_caller_reaches_the_handset(tmp_path, "isc_scscf_call", f"%2331%23{HIDDEN_TO}")
