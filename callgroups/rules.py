"""Pure rules of call groups (DESIGN §5, seed 004 §5): limits and field checks."""

from __future__ import annotations

from dataclasses import dataclass

from fleet.core import rules as core_rules
from fleet.core.errors import DomainError, ErrorCode
from fleet.core.values import DistributionMode, NoAnswerAction
from fleet.core.voicemail import VoicemailPlatform

MAX_MEMBERS = 10  # "Taille maximale du groupe : 10 personnes."
CODE_LENGTH = 4
QUEUE_MIN, QUEUE_MAX = 0, 20
SWITCHOVER_MIN, SWITCHOVER_MAX, SWITCHOVER_DEFAULT = 5, 120, 15
INTERCALL_MIN, INTERCALL_MAX, INTERCALL_DEFAULT = 0, 600, 0
MAX_WAIT_MIN, MAX_WAIT_MAX, MAX_WAIT_DEFAULT = 10, 1800, 120
NAME_MAX = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class Bounds:
    """The inclusive range of a numeric setting, and the error that refuses a value outside it
    (or a value that is not a number at all: the portal's form says the same)."""

    field: str
    low: int
    high: int
    error: ErrorCode

    def check(self, value: int) -> int:
        if isinstance(value, bool) or not self.low <= value <= self.high:
            raise self.refusal()
        return value

    def refusal(self) -> DomainError:
        return DomainError(self.error, field=self.field, min=self.low, max=self.high)


QUEUE = Bounds(
    field="queue_size", low=QUEUE_MIN, high=QUEUE_MAX, error=ErrorCode.GROUP_QUEUE_INVALID
)
SWITCHOVER = Bounds(
    field="switchover_delay",
    low=SWITCHOVER_MIN,
    high=SWITCHOVER_MAX,
    error=ErrorCode.GROUP_SWITCHOVER_DELAY_INVALID,
)
INTERCALL = Bounds(
    field="intercall_delay",
    low=INTERCALL_MIN,
    high=INTERCALL_MAX,
    error=ErrorCode.GROUP_INTERCALL_DELAY_INVALID,
)
MAX_WAIT = Bounds(
    field="max_queue_wait",
    low=MAX_WAIT_MIN,
    high=MAX_WAIT_MAX,
    error=ErrorCode.GROUP_MAX_WAIT_INVALID,
)
BOUNDS = {bounds.field: bounds for bounds in (QUEUE, SWITCHOVER, INTERCALL, MAX_WAIT)}


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


def queue_size(value: int) -> int:
    return QUEUE.check(value)


def switchover_delay(value: int) -> int:
    return SWITCHOVER.check(value)


def intercall_delay(value: int) -> int:
    return INTERCALL.check(value)


def max_queue_wait(value: int) -> int:
    return MAX_WAIT.check(value)


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
            ErrorCode.GROUP_NO_ANSWER_INVALID,
            field="no_answer_action",
            detail=f"action inconnue « {raw} »",
            detail_en=f"unknown action '{raw}'",
        ) from exc


def no_answer_offered(action: NoAnswerAction, voicemail: VoicemailPlatform) -> NoAnswerAction:
    """The no-answer rule to voicemail (the group's mailbox) needs the deployment's
    voicemail platform (issue 16 item 7)."""
    if action is NoAnswerAction.FORWARD_TO_VOICEMAIL:
        voicemail.require(field="no_answer_action")
    return action


def member_count(count: int) -> None:
    if count > MAX_MEMBERS:
        raise DomainError(ErrorCode.GROUP_FULL, field="members", max=MAX_MEMBERS)
