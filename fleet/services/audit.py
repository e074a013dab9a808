"""Reading the audit journal (written by every service on every change)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from fleet.core import model
from fleet.core.values import Channel
from fleet.db.tables import AuditRow
from fleet.services import views
from fleet.services.base import Service

PAGE_MAX = 500


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditFilter:
    fleet_id: int | None = None
    entity: str | None = None
    entity_id: str | None = None
    actor: str | None = None
    channel: Channel | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditService(Service):
    async def search(
        self, where: AuditFilter, *, offset: int = 0, limit: int = 100
    ) -> model.Page[model.AuditEntry]:
        """Newest first."""
        offset, limit = max(0, offset), max(1, min(limit, PAGE_MAX))
        query = select(AuditRow)
        if where.fleet_id is not None:
            query = query.where(AuditRow.fleet_id == where.fleet_id)
        if where.entity:
            query = query.where(AuditRow.entity == where.entity)
        if where.entity_id:
            query = query.where(AuditRow.entity_id == where.entity_id)
        if where.actor:
            query = query.where(AuditRow.actor == where.actor)
        if where.channel:
            query = query.where(AuditRow.channel == where.channel)
        if where.since:
            query = query.where(AuditRow.at >= where.since)
        if where.until:
            query = query.where(AuditRow.at < where.until)
        async with self.read() as session:
            total = await session.scalar(select(func.count()).select_from(query.subquery()))
            rows = await session.scalars(
                query.order_by(AuditRow.at.desc(), AuditRow.id.desc()).offset(offset).limit(limit)
            )
            return model.Page(
                items=tuple(views.audit_entry(r) for r in rows.all()),
                total=int(total or 0),
                offset=offset,
                limit=limit,
            )
