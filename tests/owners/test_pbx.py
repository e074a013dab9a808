"""Calls a company's PBX places on its trunk belong to the trunk's fleet (issue 15): with two
``fleetpbx serve --network sip`` processes, the PBX's INVITE reaching the process that does
not own its fleet is redirected (302) to the owner — whatever number it dials, a line of the
other process's fleet included — and the owner serves it; its record is the owner's."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.netsim.processes import with_services
from tests.owners.cluster import ACTOR, NUMBERS, cluster
from tests.owners.test_kamailio import owner_processes
from tests.owners.test_takeover import TAKEOVER_WITHIN, balanced
from tests.owners.uac import Caller
from tests.polling import eventually

DESK = "+33145678910"  # the fixed number of fleet 1 on the PBX's trunk


async def test_a_pbxs_call_is_redirected_to_its_trunks_fleet_owner_who_serves_it(
    tmp_path: Path,
) -> None:
    async with cluster(tmp_path) as c, Caller() as pbx:

        async def trunk(services: Any) -> None:  # the PBX: a static trunk of fleet 1
            await services.trunks.add(
                ACTOR, c.fleets[0], name="trunk-siege", host="127.0.0.1", port=pbx.port
            )
            await services.fleets.add_fixed_number(
                ACTOR, c.fleets[0], number="01 45 67 89 10", label="Accueil", trunk="trunk-siege"
            )

        await with_services(c.url, trunk, {})
        for _ in range(2):
            await c.started(c.start())
        owners = await balanced(c)
        owner = c.by_name(owners[c.fleets[0]])
        other = c.by_name(owners[c.fleets[1]])
        # the PBX dials a line of fleet 2 at fleet 2's owner: still fleet 1's call (503 until
        # that process's round has seen the owner's address)
        redirected = await pbx.call(NUMBERS[1], other.sip, caller=DESK)
        deadline = time.monotonic() + TAKEOVER_WITHIN
        while redirected.final.status == 503 and time.monotonic() < deadline:
            redirected = await pbx.call(NUMBERS[1], other.sip, caller=DESK)
        assert redirected.final.status == 302, redirected.final.raw
        contact = redirected.final.header("contact")
        assert f"sip:{NUMBERS[1]}@127.0.0.1:{owner.sip};user=phone" in contact, contact

        answered = await pbx.call(NUMBERS[1], owner.sip, caller=DESK)
        assert answered.final.status == 200, answered.final.raw
        assert answered.bye is not None and answered.bye.status == 200

        process = (await owner_processes(c))[c.fleets[0]]

        async def recorded() -> bool:
            return any(network == answered.call_id for _, network in await c.records())

        await eventually(recorded, every=0.2, what="the PBX call's record")
        [served] = [cid for cid, net in await c.records() if net == answered.call_id]
        assert served.rsplit("-", 1)[0] == process
