"""Pure rules of call groups (DESIGN §5, seed 004 §5): limits and field checks."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.core import rules as core_rules
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.values import DistributionMode, NoAnswerAction

MAX_MEMBERS = 10  # "Taille maximale du groupe : 10 personnes."
CODE_LENGTH = 4
QUEUE_MIN, QUEUE_MAX = 0, 20
SWITCHOVER_MIN, SWITCHOVER_MAX, SWITCHOVER_DEFAULT = 5, 120, 15
INTERCALL_MIN, INTERCALL_MAX, INTERCALL_DEFAULT = 0, 600, 0
MAX_WAIT_MIN, MAX_WAIT_MAX, MAX_WAIT_DEFAULT = 10, 1800, 120
NAME_MAX = 60


@dataclass(frozen=True, slots=True)
class GroupSettings:
    """Every field of a call group except its number and members, validated."""

    name: str
    user_code: str
    admin_code: str
    queue_size: int = QUEUE_MIN
    switchover_delay: int = SWITCHOVER_DEFAULT
    intercall_delay: int = INTERCALL_DEFAULT
    distribution: DistributionMode = DistributionMode.LINEAR
    max_queue_wait: int = MAX_WAIT_DEFAULT
    no_answer_action: NoAnswerAction = NoAnswerAction.END_WITH_ANNOUNCEMENT


def name(raw: str | None) -> str:
    return core_rules.text(raw, field="name", code=ErrorCode.GROUP_NAME_INVALID, max_len=NAME_MAX)


def code(raw: str | None, *, field: str) -> str:
    value = (raw or "").strip()
    if len(value) != CODE_LENGTH or not value.isascii() or not value.isdigit():
        which = {
            "user_code": ("code de connexion utilisateur", "user connection code"),
            "admin_code": ("code administratif", "administrative code"),
        }[field]
        raise DomainError(
            ErrorCode.GROUP_CODE_INVALID, field=field, which=which[0], which_en=which[1]
        )
    return value


def codes(user_code: str | None, admin_code: str | None) -> tuple[str, str]:
    user = code(user_code, field="user_code")
    admin = code(admin_code, field="admin_code")
    if user == admin:
        raise DomainError(ErrorCode.GROUP_CODES_IDENTICAL, field="admin_code")
    return user, admin


def _bounded(value: int, lo: int, hi: int, *, field: str, error: ErrorCode) -> int:
    if isinstance(value, bool) or not lo <= value <= hi:
        raise DomainError(error, field=field, min=lo, max=hi)
    return value


def queue_size(value: int) -> int:
    return _bounded(
        value, QUEUE_MIN, QUEUE_MAX, field="queue_size", error=ErrorCode.GROUP_QUEUE_INVALID
    )


def switchover_delay(value: int) -> int:
    return _bounded(
        value,
        SWITCHOVER_MIN,
        SWITCHOVER_MAX,
        field="switchover_delay",
        error=ErrorCode.GROUP_SWITCHOVER_DELAY_INVALID,
    )


def intercall_delay(value: int) -> int:
    return _bounded(
        value,
        INTERCALL_MIN,
        INTERCALL_MAX,
        field="intercall_delay",
        error=ErrorCode.GROUP_INTERCALL_DELAY_INVALID,
    )


def max_queue_wait(value: int) -> int:
    return _bounded(
        value,
        MAX_WAIT_MIN,
        MAX_WAIT_MAX,
        field="max_queue_wait",
        error=ErrorCode.GROUP_MAX_WAIT_INVALID,
    )


def distribution(raw: str | DistributionMode) -> DistributionMode:
    try:
        return DistributionMode(raw)
    except ValueError as exc:
        raise DomainError(
            ErrorCode.GROUP_DISTRIBUTION_INVALID, field="distribution", mode=raw
        ) from exc


def no_answer_action(raw: str | NoAnswerAction) -> NoAnswerAction:
    try:
        return NoAnswerAction(raw)
    except ValueError as exc:
        raise DomainError(
            ErrorCode.GROUP_NO_ANSWER_INVALID, field="no_answer_action", detail=str(raw)
        ) from exc


def member_count(count: int) -> None:
    if count > MAX_MEMBERS:
        raise DomainError(ErrorCode.GROUP_FULL, field="members", max=MAX_MEMBERS)
