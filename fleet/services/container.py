"""The bundle of use-case services, built once by ``fleet.app``."""

from __future__ import annotations

from dataclasses import dataclass

from callgroups.codes import CodeGuard
from callgroups.service import GroupService
from fleet.services.accounts import AccountService
from fleet.services.audit import AuditService
from fleet.services.barringpw import DEFAULT_PASSWORD, BarringPasswords
from fleet.services.base import ServiceContext
from fleet.services.calls import CallRecordService
from fleet.services.changes import ChangeHub
from fleet.services.contacts import ContactService
from fleet.services.criteria import CriteriaService
from fleet.services.fleetio import FleetIOService
from fleet.services.fleets import FleetService
from fleet.services.forwarding import ForwardingService
from fleet.services.impact import ImpactService
from fleet.services.incoming import IncomingListService
from fleet.services.lines import LineService
from fleet.services.outbox import OutboxService
from fleet.services.passwords import PasswordPool
from fleet.services.phonebook import PhonebookService
from fleet.services.presented import PresentedService
from fleet.services.schedules import ScheduleService
from fleet.services.trunks import TrunkService
from fleet.services.trunksecrets import SecretBox


@dataclass(frozen=True, kw_only=True)
class Services:
    fleets: FleetService
    fleetio: FleetIOService
    trunks: TrunkService
    schedules: ScheduleService
    contacts: ContactService
    phonebook: PhonebookService
    criteria: CriteriaService
    lines: LineService
    presented: PresentedService
    forwarding: ForwardingService
    incoming: IncomingListService
    groups: GroupService
    accounts: AccountService
    audit: AuditService
    calls: CallRecordService
    codes: CodeGuard
    barring: BarringPasswords
    outbox: OutboxService
    impact: ImpactService
    changes: ChangeHub

    @classmethod
    def build(
        cls,
        *,
        context: ServiceContext,
        passwords: PasswordPool | None = None,
        trunk_secrets: SecretBox | None = None,
        barring_default_password: str = DEFAULT_PASSWORD,
    ) -> Services:
        """``passwords``: the pool that hashes and checks passwords (a small one if none);
        ``trunk_secrets``: what encrypts the trunks' secrets (none: storing one is refused);
        ``barring_default_password``: a line's barring password until its user sets one."""
        accounts = AccountService(context=context, passwords=passwords)
        return cls(
            fleets=FleetService(context=context),
            fleetio=FleetIOService(context=context),
            trunks=TrunkService(context=context, secrets=trunk_secrets or SecretBox()),
            schedules=ScheduleService(context=context),
            contacts=ContactService(context=context),
            phonebook=PhonebookService(context=context),
            criteria=CriteriaService(context=context),
            lines=LineService(context=context),
            presented=PresentedService(context=context),
            forwarding=ForwardingService(context=context),
            incoming=IncomingListService(context=context),
            groups=GroupService(context=context),
            accounts=accounts,
            audit=AuditService(context=context),
            calls=CallRecordService(context=context),
            codes=CodeGuard(context=context),
            barring=BarringPasswords(
                context=context,
                passwords=accounts.passwords,
                default=barring_default_password,
            ),
            outbox=OutboxService(context=context),
            impact=ImpactService(context=context),
            changes=context.changes,
        )
