"""SQLAlchemy mapping of the configuration domain (the durable records in ``tables_records``).
Schema changes go through Alembic."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fleet.core.presented import PresentedKind
from fleet.core.trunks import HistoryStyle, TrunkMode, TrunkState, TrunkTransport
from fleet.core.values import (
    CodeKind,
    DistributionMode,
    ForwardingKind,
    ForwardingTarget,
    Language,
    NoAnswerAction,
    RestrictionProfile,
    RingMode,
    Role,
)
from fleet.db.tables_base import NUMBER, Base
from fleet.db.tables_contacts import ContactRow
from fleet.db.tables_criteria import CriteriaRow
from fleet.db.tables_owners import FleetOwnerRow
from fleet.db.tables_records import AuditRow, CallEventRow, CallRecordRow, OutboxRow
from fleet.db.tables_schedules import ScheduleHolidayRow, ScheduleRangeRow, ScheduleRow
from fleet.db.types import UTCDateTime, enum_type

# The durable records' rows live in tables_records; importing them here puts them in
# ``Base.metadata`` for whoever imports this module (migrations, tests).
__all__ = [
    "AuditRow",
    "Base",
    "CallEventRow",
    "CallRecordRow",
    "ContactRow",
    "CriteriaRow",
    "FleetOwnerRow",
    "OutboxRow",
    "ScheduleHolidayRow",
    "ScheduleRangeRow",
    "ScheduleRow",
]


class FleetRow(Base):
    __tablename__ = "fleets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    short_number_length: Mapped[int] = mapped_column(Integer)
    language: Mapped[Language] = mapped_column(enum_type(Language))
    timezone: Mapped[str] = mapped_column(String(64))
    main_number: Mapped[str | None] = mapped_column(String(NUMBER))  # presented number "main"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LineRow(Base):
    __tablename__ = "lines"
    __table_args__ = (
        UniqueConstraint("fleet_id", "short_number"),
        Index("ix_lines_fleet_name", "fleet_id", "employee_name", "id"),  # the lines page
        # the lines page's search, "…term…" anywhere (PostgreSQL's pg_trgm; migration 0010)
        *(
            Index(
                f"ix_lines_{column}_trgm",
                column,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            ).ddl_if(dialect="postgresql")
            for column in ("employee_name", "msisdn", "short_number")
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fleet_id: Mapped[int] = mapped_column(ForeignKey("fleets.id", ondelete="CASCADE"), index=True)
    msisdn: Mapped[str] = mapped_column(String(NUMBER), unique=True)
    short_number: Mapped[str | None] = mapped_column(String(8))
    employee_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[Language] = mapped_column(enum_type(Language))
    pabx_option: Mapped[bool] = mapped_column(Boolean)
    call_waiting: Mapped[bool] = mapped_column(Boolean)
    clir: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    dnd: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    dnd_vpn_exempt: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # the presented number of its outgoing calls (fleet/core/presented.py; migration 0015)
    presented_kind: Mapped[PresentedKind] = mapped_column(
        enum_type(PresentedKind),
        default=PresentedKind.LINE,
        server_default=PresentedKind.LINE.value,
    )
    presented_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_groups.id", ondelete="SET NULL", name="fk_lines_presented_group")
    )
    restriction_profile: Mapped[RestrictionProfile] = mapped_column(
        enum_type(RestrictionProfile),
        default=RestrictionProfile.UNRESTRICTED,
        server_default=RestrictionProfile.UNRESTRICTED.value,
    )
    barring_all_outgoing: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    barring_outgoing_international: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    barring_outgoing_international_ex_home: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    barring_all_incoming: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    barring_incoming_roaming: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # the employee may choose the presented number on the user portal (migration 0020)
    presented_user_choice: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true()
    )
    # the handset's barring password (argon2; None: the deployment's default) and its
    # wrong attempts in a row, locked until ``barring_locked_until`` (migration 0019)
    barring_password_hash: Mapped[str | None] = mapped_column(String(255))
    barring_password_failures: Mapped[int] = mapped_column(
        Integer, default=0, server_default=text("0")
    )
    barring_locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    forwardings: Mapped[list[ForwardingRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="ForwardingRow.kind"
    )
    incoming_list: Mapped[IncomingListRow | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    memberships: Mapped[list[MemberRow]] = relationship(
        back_populates="line", cascade="all, delete-orphan", passive_deletes=True
    )


class FixedNumberRow(Base):
    __tablename__ = "fixed_numbers"
    __table_args__ = (UniqueConstraint("fleet_id", "short_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fleet_id: Mapped[int] = mapped_column(ForeignKey("fleets.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(NUMBER), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    trunk: Mapped[str] = mapped_column(String(64))
    short_number: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class TrunkRow(Base):
    """A SIP trunk to a company's PBX; its Digest secret is stored encrypted (Fernet)."""

    __tablename__ = "trunks"
    __table_args__ = (UniqueConstraint("fleet_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fleet_id: Mapped[int] = mapped_column(ForeignKey("fleets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    mode: Mapped[TrunkMode] = mapped_column(enum_type(TrunkMode))
    host: Mapped[str | None] = mapped_column(String(253))
    port: Mapped[int | None] = mapped_column(Integer)
    transport: Mapped[TrunkTransport] = mapped_column(enum_type(TrunkTransport))
    username: Mapped[str | None] = mapped_column(String(64), unique=True)
    realm: Mapped[str | None] = mapped_column(String(64))
    secret: Mapped[str | None] = mapped_column(String(512))  # Fernet token
    history: Mapped[HistoryStyle] = mapped_column(enum_type(HistoryStyle))
    state: Mapped[TrunkState] = mapped_column(enum_type(TrunkState))
    state_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ForwardingRow(Base):
    __tablename__ = "forwardings"
    __table_args__ = (UniqueConstraint("line_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("lines.id", ondelete="CASCADE"))
    kind: Mapped[ForwardingKind] = mapped_column(enum_type(ForwardingKind))
    destination: Mapped[str | None] = mapped_column(String(NUMBER))
    active: Mapped[bool] = mapped_column(Boolean)
    no_reply_timer: Mapped[int | None] = mapped_column(Integer)
    # a number (``destination``) or the line's voicemail (issue 16 item 7; migration 0017)
    target: Mapped[ForwardingTarget] = mapped_column(
        enum_type(ForwardingTarget),
        default=ForwardingTarget.NUMBER,
        server_default=ForwardingTarget.NUMBER.value,
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IncomingListRow(Base):
    __tablename__ = "incoming_lists"

    line_id: Mapped[int] = mapped_column(
        ForeignKey("lines.id", ondelete="CASCADE"), primary_key=True
    )
    active: Mapped[bool] = mapped_column(Boolean)
    mode: Mapped[RingMode] = mapped_column(enum_type(RingMode))
    ring_time: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    entries: Mapped[list[IncomingEntryRow]] = relationship(
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="IncomingEntryRow.position",
    )


class IncomingEntryRow(Base):
    __tablename__ = "incoming_list_entries"
    __table_args__ = (
        UniqueConstraint("line_id", "position"),
        UniqueConstraint("line_id", "number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("incoming_lists.line_id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(NUMBER))


class GroupRow(Base):
    __tablename__ = "call_groups"
    __table_args__ = (
        UniqueConstraint("fleet_id", "name"),
        UniqueConstraint("fleet_id", "short_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fleet_id: Mapped[int] = mapped_column(ForeignKey("fleets.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(NUMBER), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    short_number: Mapped[str | None] = mapped_column(String(8))
    user_code: Mapped[str] = mapped_column(String(4))
    admin_code: Mapped[str] = mapped_column(String(4))
    queue_size: Mapped[int] = mapped_column(Integer)
    switchover_delay: Mapped[int] = mapped_column(Integer)
    intercall_delay: Mapped[int] = mapped_column(Integer)
    distribution: Mapped[DistributionMode] = mapped_column(enum_type(DistributionMode))
    max_queue_wait: Mapped[int] = mapped_column(Integer)
    no_answer_action: Mapped[NoAnswerAction] = mapped_column(enum_type(NoAnswerAction))
    no_answer_number: Mapped[str | None] = mapped_column(String(NUMBER))
    no_answer_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("call_groups.id", ondelete="RESTRICT")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    members: Mapped[list[MemberRow]] = relationship(
        back_populates="group",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="MemberRow.position",
    )


class MemberRow(Base):
    __tablename__ = "group_members"
    __table_args__ = (
        Index("ix_group_members_line_id", "line_id"),
        UniqueConstraint("group_id", "position"),
    )

    group_id: Mapped[int] = mapped_column(
        ForeignKey("call_groups.id", ondelete="CASCADE"), primary_key=True
    )
    line_id: Mapped[int] = mapped_column(
        ForeignKey("lines.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer)
    connected: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    group: Mapped[GroupRow] = relationship(back_populates="members")
    line: Mapped[LineRow] = relationship(back_populates="memberships")


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    display_name: Mapped[str] = mapped_column(String(100))
    language: Mapped[Language] = mapped_column(enum_type(Language))
    line_id: Mapped[int | None] = mapped_column(
        ForeignKey("lines.id", ondelete="CASCADE"), index=True
    )
    active: Mapped[bool] = mapped_column(Boolean)
    # every session and API token carries it; a new one ends them all (sign-out, password,
    # disabling): random, so an account id reused after a deletion matches no old session
    session_epoch: Mapped[str] = mapped_column(String(32))
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    fleets: Mapped[list[AccountFleetRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class AccountFleetRow(Base):
    __tablename__ = "account_fleets"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    fleet_id: Mapped[int] = mapped_column(
        ForeignKey("fleets.id", ondelete="CASCADE"), primary_key=True
    )


class CodeGuardRow(Base):
    """The lock-out's turnstile for one (line, group, kind of code): every check of such a
    code takes this row first, with an upsert (a row lock on PostgreSQL, the database's
    write lock on SQLite), so checks of the same code from the same line run one after the
    other, in every process, and the count of failures they read is the true one."""

    __tablename__ = "code_guards"

    line_id: Mapped[int] = mapped_column(
        ForeignKey("lines.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(
        ForeignKey("call_groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    kind: Mapped[CodeKind] = mapped_column(enum_type(CodeKind), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginSourceRow(Base):
    """Wrong passwords from one source address (any account, known or not): past a few,
    each attempt from it must wait a growing delay (``not_before``)."""

    __tablename__ = "login_sources"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)  # also the attempts being verified
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginLockRow(Base):
    """Wrong passwords for one login from one source address: after five, that address is
    locked out of that login (and only that one) for a while. Keyed by the login's digest
    (``loginguard.login_key``), whether an account has that login or not, so an attacker
    cannot tell a login that exists from one that does not by how it is refused."""

    __tablename__ = "login_locks"

    login_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)  # also the attempts being verified
    last_failure_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CodeFailureRow(Base):
    """A wrong code (or a right one from a line that may not use it) typed from a line for
    one group's code of one kind (for the lock-out; kept while it lies in the window)."""

    __tablename__ = "code_failures"
    __table_args__ = (
        ForeignKeyConstraint(
            ["line_id", "group_id", "kind"],
            ["code_guards.line_id", "code_guards.group_id", "code_guards.kind"],
            ondelete="CASCADE",
        ),
        Index("ix_code_failures_guard_at", "line_id", "group_id", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(Integer)
    group_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[CodeKind] = mapped_column(enum_type(CodeKind))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
