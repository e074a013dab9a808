"""The wire form of the changes one process announces to the others (PostgreSQL ``NOTIFY``,
``fleet.services.change_notify``): compact JSON, one notification per committed transaction
when it fits, typed values again on the receiving side.

A notification (``Notice``) carries the sending process's id (a process skips its own), the
wall time at which it was staged (the receiver measures the lag), the changes with their
authors, and reloads (``Reload``): a change whose encoding would not fit in a notification
(PostgreSQL refuses payloads of 8000 bytes or more) travels compressed (zlib, base64: a
large group's member lists before and after shrink several times), and when even that does
not fit, as a reference instead — "read fleet N again", "read account X again" — and a
transaction of very many changes (an import) as the list of fleets to read again.
``fleetpbx cache reload`` sends "read everything again".

Every value is encoded from its dataclass fields and decoded by its type hints (enums by
value, ``E164`` as its string, dates and datetimes in ISO form, tuples as lists); a payload
that does not decode raises ``NoticeError`` (the receiver then reads everything again)."""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import json
import types
import typing
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, Union

from fleet.core.changes import AccountChange, Change, ChangeEvent
from fleet.core.numbering import E164
from fleet.core.values import Actor

VERSION = 1
MAX_PAYLOAD = 7999  # bytes: PostgreSQL's NOTIFY takes less than 8000 by default
MAX_NOTICES = 8  # per transaction; beyond, the fleets touched are read again instead
MAX_RELOADS = 64  # references per transaction; beyond, everything is read again
MAX_INFLATED = 1 << 20  # bytes: a compressed change is refused beyond

_CHANGE_TYPES: dict[str, type[Any]] = {t.__name__: t for t in typing.get_args(Change)}


class NoticeError(ValueError):
    """A notification that is not one of ours, or not of this version."""


class ReloadScope(enum.StrEnum):
    FLEET = "fleet"  # a fleet's routing (and the accounts, the trunks)
    ACCOUNT = "account"  # one account
    EVERYTHING = "all"  # every cache, from the database


@dataclass(frozen=True, slots=True)
class Reload:
    scope: ReloadScope
    id: int | None = None  # the fleet's or the account's; None for everything

    def __post_init__(self) -> None:
        if (self.id is None) != (self.scope is ReloadScope.EVERYTHING):
            raise ValueError(f"a {self.scope.value} reload needs an id, and only it")


RELOAD_EVERYTHING = Reload(ReloadScope.EVERYTHING)


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """One notification: what a process committed (or asks every process to reload)."""

    sender: str
    sent_at: float  # seconds since the epoch, as the sender staged it
    events: tuple[ChangeEvent, ...] = ()
    reloads: tuple[Reload, ...] = ()


def reference(change: Change) -> Reload:
    """What a receiver reads again in place of a change too large to send."""
    if isinstance(change, AccountChange):
        return Reload(ReloadScope.ACCOUNT, change.account_id)
    fleet_id = change.fleet_id
    return RELOAD_EVERYTHING if fleet_id is None else Reload(ReloadScope.FLEET, fleet_id)


# -- encoding --------------------------------------------------------------------------------


def encode(
    events: Sequence[ChangeEvent], *, sender: str, sent_at: float, limit: int = MAX_PAYLOAD
) -> list[str]:
    """The payloads announcing ``events`` (in order), each under ``limit`` bytes."""
    head = _size(_packed(sender, sent_at, [], []))
    payloads: list[str] = []
    batch: list[str] = []
    size = head
    refs: list[Reload] = []
    for event in events:
        plain = _dumps(_event(event))
        item = plain if head + _size(plain) < limit else _compressed(plain)
        if head + _size(item) >= limit:
            refs.append(reference(event.change))
            continue
        grows = _size(item) + (1 if batch else 0)  # and a comma
        if size + grows >= limit:
            payloads.append(_packed(sender, sent_at, batch, []))
            batch, size, grows = [], head, _size(item)
            if len(payloads) >= MAX_NOTICES:  # too many to send one by one (an import)
                refs = [reference(e.change) for e in events]
                payloads, batch = [], []
                break
        batch.append(item)
        size += grows
    if batch:
        payloads.append(_packed(sender, sent_at, batch, []))
    unique = list(dict.fromkeys(refs))
    if len(unique) > MAX_RELOADS:
        unique = [RELOAD_EVERYTHING]
    if unique:
        payloads.append(reloads(unique, sender=sender, sent_at=sent_at))
    return payloads


def reloads(wanted: Sequence[Reload], *, sender: str, sent_at: float) -> str:
    """A payload asking every process to read these again."""
    refs = [_dumps([r.scope.value, r.id] if r.id is not None else [r.scope.value]) for r in wanted]
    return _packed(sender, sent_at, [], refs)


def _packed(sender: str, sent_at: float, items: list[str], refs: list[str]) -> str:
    return (
        f'{{"v":{VERSION},"p":{_dumps(sender)},"t":{_dumps(sent_at)},'
        f'"c":[{",".join(items)}],"r":[{",".join(refs)}]}}'
    )


def _compressed(item: str) -> str:
    """A change's encoding, deflated, as a JSON string (in its place in the list)."""
    return _dumps(base64.b64encode(zlib.compress(item.encode(), 9)).decode("ascii"))


def _inflated(item: str) -> Any:
    try:
        deflated = base64.b64decode(item, validate=True)
        inflater = zlib.decompressobj()
        raw = inflater.decompress(deflated, MAX_INFLATED)
    except (binascii.Error, zlib.error) as exc:
        raise ValueError(f"a compressed change that does not inflate: {exc}") from exc
    if inflater.unconsumed_tail or not inflater.eof:
        raise ValueError("a compressed change too large or cut short")
    return json.loads(raw)


def _size(text: str) -> int:
    return len(text.encode())


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _event(event: ChangeEvent) -> list[Any]:
    return [type(event.change).__name__, _plain(event.change), _plain(event.actor)]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, E164):
        return value.value
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"cannot encode {type(value).__name__}")


# -- decoding --------------------------------------------------------------------------------


def decode(payload: str) -> Notice:
    """The notice of a payload; ``NoticeError`` when it is not a valid one."""
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise NoticeError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise NoticeError("not a change notification of this version")
    sender, sent_at = data.get("p"), data.get("t")
    changes, refs = data.get("c"), data.get("r")
    if not isinstance(sender, str) or not isinstance(sent_at, int | float):
        raise NoticeError("no sender or time")
    if not isinstance(changes, list) or not isinstance(refs, list):
        raise NoticeError("no changes or reloads")
    try:
        events = tuple(_decode_event(item) for item in changes)
        wanted = tuple(_decode_reload(item) for item in refs)
    except (TypeError, ValueError, KeyError) as exc:
        raise NoticeError(f"undecodable: {exc}") from exc
    return Notice(sender=sender, sent_at=float(sent_at), events=events, reloads=wanted)


def _decode_event(item: Any) -> ChangeEvent:
    if isinstance(item, str):  # compressed
        item = _inflated(item)
    if not isinstance(item, list) or len(item) != 3 or not isinstance(item[0], str):
        raise ValueError("a change is [type, change, actor]")
    kind = _CHANGE_TYPES.get(item[0])
    if kind is None:
        raise ValueError(f"unknown change {item[0]!r}")
    return ChangeEvent(change=_typed(kind, item[1]), actor=_typed(Actor, item[2]))


def _decode_reload(item: Any) -> Reload:
    if not isinstance(item, list) or not 1 <= len(item) <= 2:
        raise ValueError("a reload is [scope] or [scope, id]")
    ident = item[1] if len(item) == 2 else None
    return Reload(ReloadScope(item[0]), _typed(int, ident) if ident is not None else None)


@cache
def _hints(cls: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _typed(hint: Any, value: Any) -> Any:
    """``value`` (decoded JSON) as the type ``hint`` names; ``TypeError`` when it is not."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            try:
                return _typed(option, value)
            except (TypeError, ValueError):
                continue
        raise TypeError(f"{value!r} is none of {hint}")
    if origin is tuple:
        args = typing.get_args(hint)
        if not isinstance(value, list) or len(args) != 2 or args[1] is not Ellipsis:
            raise TypeError(f"expected a list for {hint}")
        return tuple(_typed(args[0], v) for v in value)
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError(f"expected a boolean, not {value!r}")
        return value
    if hint is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"expected an integer, not {value!r}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise TypeError(f"expected a string, not {value!r}")
        return value
    if hint is datetime:
        return datetime.fromisoformat(_typed(str, value))
    if hint is date:
        return date.fromisoformat(_typed(str, value))
    if hint is E164:
        return E164(_typed(str, value))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise TypeError(f"expected an object for {hint.__name__}")
        hints = _hints(hint)
        fields = {f.name for f in dataclasses.fields(hint)}
        if not value.keys() <= fields:
            raise TypeError(f"unknown fields of {hint.__name__}: {sorted(value.keys() - fields)}")
        return hint(**{name: _typed(hints[name], v) for name, v in value.items()})
    raise TypeError(f"cannot decode {hint}")
