"""Who a company's PBX may present (DESIGN §8, trunk profile; "nobody in"): a call from a trunk
enters the VPN as its caller, so the caller must be one of that trunk's own fixed numbers —
or, for a call the PBX forwards (a desk's forwarding to a mobile), a Diversion or History-Info
entry must name one, the original caller then being anyone. Otherwise an authenticated PBX
could present a fleet's mobile line, or another company's desk, and be served as it."""

from __future__ import annotations

from fleet.core.calls.ports import Directory, FixedTarget
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.trunks import Trunk
from fleet.sip.message import Request
from fleet.sipnet.parties import caller_of, numbers_in


def may_present(invite: Request, trunk: Trunk, policy: NumberPolicy, directory: Directory) -> bool:
    """Whether ``trunk``'s PBX may send this INVITE into its fleet."""
    caller = caller_of(invite, policy)
    candidates = [caller] if caller is not None else []
    for header in ("Diversion", "History-Info"):  # RFC 5806, RFC 7044
        candidates += numbers_in(invite, header, policy)
    return any(_on_trunk(number, trunk, directory) for number in candidates)


def _on_trunk(number: E164, trunk: Trunk, directory: Directory) -> bool:
    target = directory.resolve(number)
    return (
        isinstance(target, FixedTarget)
        and target.fixed.fleet_id == trunk.fleet_id
        and target.fixed.trunk == trunk.name
    )
