"""The fleets' SIP trunks to their PBXs (DESIGN §8, trunk profile): added, changed and
removed by the fleet's manager (journalled like every change), their state set by the SIP
keepalive (announced on the change hub, so the routing cache treats the fixed numbers of a
trunk out of service as not reachable). The Digest secret is stored encrypted
(``fleet.services.trunksecrets``) and never shown back: views say ``has_secret``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fleet.core import model, rules, trunkrules
from fleet.core.changes import TrunkChange
from fleet.core.errors import DomainError, ErrorCode, not_found
from fleet.core.numbering import E164
from fleet.core.trunks import HistoryStyle, TrunkMode, TrunkState, TrunkTransport
from fleet.core.values import UNSET, Actor, Unset
from fleet.db.tables import FixedNumberRow, TrunkRow
from fleet.services import views
from fleet.services.base import Service, ServiceContext
from fleet.services.lookups import load_fleet
from fleet.services.trunksecrets import SecretBox

KEEPALIVE = Actor.system("sip keepalive")  # who sets a trunk's state


@dataclass(frozen=True, slots=True)
class SealedSecret:
    """A trunk's stored secret, still encrypted (for the trunk cache to open)."""

    trunk_id: int
    token: str


async def require_trunk(session: AsyncSession, fleet_id: int, name: str) -> None:
    """A fixed number may only name a trunk of its fleet."""
    found = await session.scalar(
        select(TrunkRow.id).where(TrunkRow.fleet_id == fleet_id, TrunkRow.name == name)
    )
    if found is None:
        raise DomainError(ErrorCode.TRUNK_UNKNOWN, field="trunk", trunk=name)


class TrunkService(Service):
    def __init__(self, *, context: ServiceContext, secrets: SecretBox) -> None:
        super().__init__(context=context)
        self.secrets = secrets

    async def add(
        self,
        actor: Actor,
        fleet_id: int,
        *,
        name: str,
        mode: str | TrunkMode = TrunkMode.STATIC,
        host: str | None = None,
        port: int | None = None,
        transport: str | TrunkTransport = TrunkTransport.UDP,
        username: str | None = None,
        realm: str | None = None,
        secret: str | None = None,
        history: str | HistoryStyle = HistoryStyle.BOTH,
    ) -> model.TrunkView:
        now = self.now()
        row = TrunkRow(
            fleet_id=fleet_id,
            name=rules.trunk_name(name),
            mode=trunkrules.choice(TrunkMode, mode, field="mode"),
            host=trunkrules.host(host),
            port=trunkrules.port(port),
            transport=trunkrules.choice(TrunkTransport, transport, field="transport"),
            username=trunkrules.credential(username, field="username"),
            realm=trunkrules.credential(realm, field="realm"),
            secret=None,
            history=trunkrules.choice(HistoryStyle, history, field="history"),
            state=TrunkState.UNKNOWN,
            state_since=None,
            created_at=now,
            updated_at=now,
        )
        clear = trunkrules.secret(secret)
        _settle(row, has_secret=clear is not None)
        if clear is not None:
            row.secret = self.secrets.seal(clear)
        async with self.write() as session:
            await load_fleet(session, fleet_id)
            await self._ensure_free(session, row)
            session.add(row)
            await session.flush()
            view = views.trunk(row)
            change = TrunkChange(
                fleet_id=fleet_id, trunk_id=row.id, before=None, after=view, secret_changed=True
            )
            self.record(session, actor, change)
        return view

    async def update(
        self,
        actor: Actor,
        trunk_id: int,
        *,
        name: str | Unset = UNSET,
        mode: str | TrunkMode | Unset = UNSET,
        host: str | Unset | None = UNSET,
        port: int | Unset | None = UNSET,
        transport: str | TrunkTransport | Unset = UNSET,
        username: str | Unset | None = UNSET,
        realm: str | Unset | None = UNSET,
        secret: str | Unset | None = UNSET,
        history: str | HistoryStyle | Unset = UNSET,
    ) -> model.TrunkView:
        """Change what is given (None clears host, port, username, realm, secret)."""
        sealed: str | Unset | None = UNSET
        if not isinstance(secret, Unset):
            clear = trunkrules.secret(secret)
            sealed = self.secrets.seal(clear) if clear is not None else None
        async with self.write() as session:
            row = await self._load(session, trunk_id)
            before = views.trunk(row)
            if not isinstance(name, Unset):
                renamed = rules.trunk_name(name)
                if renamed != row.name:
                    await self._ensure_unused(session, row)
                row.name = renamed
            if not isinstance(mode, Unset):
                row.mode = trunkrules.choice(TrunkMode, mode, field="mode")
            if not isinstance(host, Unset):
                row.host = trunkrules.host(host)
            if not isinstance(port, Unset):
                row.port = trunkrules.port(port)
            if not isinstance(transport, Unset):
                row.transport = trunkrules.choice(TrunkTransport, transport, field="transport")
            if not isinstance(username, Unset):
                row.username = trunkrules.credential(username, field="username")
            if not isinstance(realm, Unset):
                row.realm = trunkrules.credential(realm, field="realm")
            if not isinstance(history, Unset):
                row.history = trunkrules.choice(HistoryStyle, history, field="history")
            if not isinstance(sealed, Unset):
                row.secret = sealed
            _settle(row, has_secret=row.secret is not None)
            await self._ensure_free(session, row)
            row.updated_at = self.now()
            after = views.trunk(row)
            secret_changed = not isinstance(sealed, Unset)
            if after != before or secret_changed:
                change = TrunkChange(
                    fleet_id=row.fleet_id,
                    trunk_id=row.id,
                    before=before,
                    after=after,
                    secret_changed=secret_changed,
                )
                self.record(session, actor, change)
        return after

    async def remove(self, actor: Actor, trunk_id: int) -> None:
        async with self.write() as session:
            row = await self._load(session, trunk_id)
            await self._ensure_unused(session, row)
            before = views.trunk(row)
            await session.delete(row)
            fleet_id = row.fleet_id
            change = TrunkChange(fleet_id=fleet_id, trunk_id=trunk_id, before=before, after=None)
            self.record(session, actor, change)

    async def set_state(
        self, trunk_id: int, state: TrunkState, *, actor: Actor = KEEPALIVE
    ) -> model.TrunkView | None:
        """Record what the keepalive found; nothing when it is the state held. None: the
        trunk was removed meanwhile."""
        async with self.write() as session:
            row = await session.get(TrunkRow, trunk_id)
            if row is None:
                return None
            before = views.trunk(row)
            if row.state is state:
                return before
            row.state = state
            row.state_since = self.now()
            after = views.trunk(row)
            change = TrunkChange(fleet_id=row.fleet_id, trunk_id=row.id, before=before, after=after)
            self.record(session, actor, change)
        return after

    async def get(self, trunk_id: int) -> model.TrunkView:
        async with self.read() as session:
            return views.trunk(await self._load(session, trunk_id))

    async def in_fleet(self, fleet_id: int) -> list[model.TrunkView]:
        async with self.read() as session:
            await load_fleet(session, fleet_id)
            rows = await session.scalars(
                select(TrunkRow).where(TrunkRow.fleet_id == fleet_id).order_by(TrunkRow.name)
            )
            return [views.trunk(r) for r in rows.all()]

    async def all(self) -> list[model.TrunkView]:
        async with self.read() as session:
            rows = await session.scalars(select(TrunkRow).order_by(TrunkRow.id))
            return [views.trunk(r) for r in rows.all()]

    async def sealed_secrets(self, trunk_id: int | None = None) -> list[SealedSecret]:
        """The stored secrets (of one trunk, or of all), still encrypted."""
        query = select(TrunkRow.id, TrunkRow.secret).where(TrunkRow.secret.is_not(None))
        if trunk_id is not None:
            query = query.where(TrunkRow.id == trunk_id)
        async with self.read() as session:
            return [SealedSecret(r.id, r.secret) for r in await session.execute(query)]

    async def _load(self, session: AsyncSession, trunk_id: int) -> TrunkRow:
        row = await session.get(TrunkRow, trunk_id)
        if row is None:
            raise not_found("trunk", trunk_id)
        return row

    async def _ensure_free(self, session: AsyncSession, row: TrunkRow) -> None:
        """The name is the fleet's only one of it; the username no other trunk's."""
        clash = await session.scalar(
            select(TrunkRow.id).where(
                TrunkRow.fleet_id == row.fleet_id, TrunkRow.name == row.name, TrunkRow.id != row.id
            )
        )
        if clash is not None:
            raise DomainError(ErrorCode.TRUNK_NAME_IN_USE, field="name", trunk=row.name)
        if row.username is not None:
            clash = await session.scalar(
                select(TrunkRow.id).where(TrunkRow.username == row.username, TrunkRow.id != row.id)
            )
            if clash is not None:
                raise DomainError(
                    ErrorCode.TRUNK_USERNAME_IN_USE, field="username", username=row.username
                )

    async def _ensure_unused(self, session: AsyncSession, row: TrunkRow) -> None:
        """A trunk that fixed numbers name cannot go (or be renamed away from them)."""
        numbers = (
            await session.scalars(
                select(FixedNumberRow.number)
                .where(FixedNumberRow.fleet_id == row.fleet_id, FixedNumberRow.trunk == row.name)
                .order_by(FixedNumberRow.number)
            )
        ).all()
        if numbers:
            raise DomainError(
                ErrorCode.TRUNK_IN_USE, field="trunk", trunk=row.name, numbers=_national(numbers)
            )


def _national(numbers: Sequence[str]) -> str:
    return ", ".join(E164(n).national() for n in numbers)


def _settle(row: TrunkRow, *, has_secret: bool) -> None:
    """Check the trunk's settings together; a registration trunk's address is learnt
    (none is kept)."""
    if row.mode is TrunkMode.REGISTRATION:
        row.host = None
        row.port = None
    trunkrules.profile(
        trunkrules.Profile(
            mode=row.mode,
            host=row.host,
            username=row.username,
            realm=row.realm,
            has_secret=has_secret,
        )
    )
