"""Who a company's PBX may present (DESIGN §8, trunk profile; "nobody in"): a call from a trunk
enters the VPN as its caller, so the caller must be one of that trunk's own fixed numbers —
or, for a call the PBX forwards (a desk's forwarding to a mobile), a Diversion or History-Info
entry must name one, the original caller then being anyone. Otherwise an authenticated PBX
could present a fleet's mobile line, or another company's desk, and be served as it."""

from __future__ import annotations

from collections.abc import Iterator

from fleet.core.calls.ports import Directory, FixedTarget
from fleet.core.numbering import E164, NumberPolicy
from fleet.core.trunks import Trunk
from fleet.sip.message import Request
from fleet.sip.values import parse_name_addr
from fleet.sipnet.parties import caller_of, uri_number


def may_present(invite: Request, trunk: Trunk, policy: NumberPolicy, directory: Directory) -> bool:
    """Whether ``trunk``'s PBX may send this INVITE into its fleet."""
    caller = caller_of(invite, policy)
    candidates = [caller] if caller is not None else []
    candidates += list(_diverting(invite, policy))
    return any(_on_trunk(number, trunk, directory) for number in candidates)


def _on_trunk(number: E164, trunk: Trunk, directory: Directory) -> bool:
    target = directory.resolve(number)
    return (
        isinstance(target, FixedTarget)
        and target.fixed.fleet_id == trunk.fleet_id
        and target.fixed.trunk == trunk.name
    )


def _diverting(invite: Request, policy: NumberPolicy) -> Iterator[E164]:
    """The numbers of the Diversion entries and of the History-Info entries (RFC 5806, 7044)."""
    for header in ("Diversion", "History-Info"):
        for value in invite.headers.get_all(header):
            for part in value.split(","):
                try:
                    uri = parse_name_addr(part.strip(), header).uri
                except ValueError:
                    continue
                text = uri_number(uri)
                number = policy.classify(policy.clean(text))[1] if text else None
                if number is not None:
                    yield number
