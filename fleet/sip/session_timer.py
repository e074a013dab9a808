"""Session timers (RFC 4028): the Session-Expires and Min-SE values, the interval and refresher
a UAS chooses for its 2xx, and the per-dialog timer that refreshes (the refresher sends a
re-INVITE or UPDATE at half the interval, §10) or ends the session (the other side sends BYE
when no refresh came by the interval minus min(32 s, interval / 3), §10).

Pure code on the scheduler port, so it runs in virtual time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from fleet.sip.headers import Headers
from fleet.sip.transaction_ports import Scheduler, TimerHandle

Refresher = Literal["uac", "uas"]
MIN_SE_FLOOR = 90  # §4: no Min-SE may be lower than 90 s
TIMER = "timer"  # the option tag of the extension


@dataclass(frozen=True, slots=True)
class SessionExpires:
    """``Session-Expires: delta-seconds [;refresher=uac|uas]`` (§4)."""

    interval: int
    refresher: Refresher | None = None

    def __str__(self) -> str:
        suffix = "" if self.refresher is None else f";refresher={self.refresher}"
        return f"{self.interval}{suffix}"


def _delta_and_params(value: str, name: str) -> tuple[int, dict[str, str]]:
    delta, *rest = (part.strip() for part in value.split(";"))
    if not delta.isdigit():
        raise ValueError(f"{name} needs delta-seconds, got {value!r}")
    params: dict[str, str] = {}
    for part in rest:
        key, _, param = part.partition("=")
        params[key.strip().lower()] = param.strip().lower()
    return int(delta), params


def parse_session_expires(value: str) -> SessionExpires:
    interval, params = _delta_and_params(value, "Session-Expires")
    refresher = params.get("refresher")
    if refresher is None:
        return SessionExpires(interval)
    if refresher == "uac":
        return SessionExpires(interval, "uac")
    if refresher == "uas":
        return SessionExpires(interval, "uas")
    raise ValueError(f"refresher must be uac or uas, got {refresher!r}")


def parse_min_se(value: str) -> int:
    return _delta_and_params(value, "Min-SE")[0]


def session_expires_of(headers: Headers) -> SessionExpires | None:
    value = headers.get("Session-Expires")
    return None if value is None else parse_session_expires(value)


def min_se_of(headers: Headers) -> int:
    value = headers.get("Min-SE")
    return MIN_SE_FLOOR if value is None else max(parse_min_se(value), MIN_SE_FLOOR)


def supports_timer(headers: Headers) -> bool:
    tags = {
        tag.strip().lower() for value in headers.get_all("Supported") for tag in value.split(",")
    }
    return TIMER in tags


@dataclass(frozen=True, slots=True)
class SessionTimerConfig:
    """What a UA asks for (``expires``), the least it accepts (``min_se``, §5) and how its
    refreshes go (``refresh_method``: UPDATE or INVITE)."""

    expires: int = 1800
    min_se: int = MIN_SE_FLOOR
    refresh_method: Literal["UPDATE", "INVITE"] = "UPDATE"

    def __post_init__(self) -> None:
        if not MIN_SE_FLOOR <= self.min_se <= self.expires:
            raise ValueError("session timers need 90 <= min_se <= expires")

    def too_small(self, asked: SessionExpires | None) -> bool:
        """§9: an INVITE asking for less than our Min-SE is refused 422."""
        return asked is not None and asked.interval < self.min_se

    def answer(self, request_headers: Headers) -> SessionExpires:
        """§9: the UAS keeps the interval asked (or proposes its own, never below the
        request's Min-SE) and, when the UAC left it open, picks the refresher: the UAC when it
        supports the extension, else itself."""
        asked = session_expires_of(request_headers)
        interval = (
            asked.interval if asked is not None else max(self.expires, min_se_of(request_headers))
        )
        refresher = asked.refresher if asked is not None else None
        if refresher is None:
            refresher = "uac" if supports_timer(request_headers) else "uas"
        return SessionExpires(interval, refresher)


def expiry_margin(interval: float) -> float:
    """§10: the side that does not refresh sends BYE this long before the session expires."""
    return min(32.0, interval / 3)


class SessionTimer:
    """One dialog's session timer: ``refresh`` runs at half the interval when we refresh,
    ``expire`` at the interval minus :func:`expiry_margin` when the other side does;
    :meth:`restart` after every successful refresh (sent or received)."""

    def __init__(
        self,
        scheduler: Scheduler,
        refresh: Callable[[], None],
        expire: Callable[[], None],
    ) -> None:
        self.interval = 0
        self.we_refresh = False
        self.refreshes = 0
        self._scheduler = scheduler
        self._refresh = refresh
        self._expire = expire
        self._handle: TimerHandle | None = None

    def restart(self, interval: int, we_refresh: bool) -> None:
        self.stop()
        self.interval, self.we_refresh = interval, we_refresh
        if we_refresh:
            self._handle = self._scheduler.call_later(interval / 2, self._fire_refresh)
        else:
            self._handle = self._scheduler.call_later(
                interval - expiry_margin(interval), self._expire
            )

    def _fire_refresh(self) -> None:
        self.refreshes += 1
        self._refresh()

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
