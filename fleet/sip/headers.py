"""The ordered header list of a message: canonical names (compact forms expanded, RFC 3261
§7.3.3), case-insensitive look-up, several lines per name kept in order."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar, cast

from fleet.sip.shared_text import SharedText
from fleet.sip.values import split_list

T = TypeVar("T")

_CANONICAL_NAMES = [
    "Accept",
    "Accept-Contact",
    "Accept-Encoding",
    "Accept-Language",
    "Accept-Resource-Priority",
    "Alert-Info",
    "Allow",
    "Allow-Events",
    "Authentication-Info",
    "Authorization",
    "Call-ID",
    "Call-Info",
    "Contact",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-Type",
    "CSeq",
    "Date",
    "Error-Info",
    "Event",
    "Expires",
    "Feature-Caps",
    "From",
    "Geolocation",
    "History-Info",
    "Identity",
    "Identity-Info",
    "In-Reply-To",
    "Join",
    "Max-Breadth",
    "Max-Forwards",
    "MIME-Version",
    "Min-Expires",
    "Min-SE",
    "Organization",
    "P-Access-Network-Info",
    "P-Asserted-Identity",
    "P-Asserted-Service",
    "P-Associated-URI",
    "P-Called-Party-ID",
    "P-Charging-Function-Addresses",
    "P-Charging-Vector",
    "P-Early-Media",
    "P-Preferred-Identity",
    "P-Preferred-Service",
    "P-Served-User",
    "P-Visited-Network-ID",
    "Path",
    "Priority",
    "Privacy",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Proxy-Require",
    "RAck",
    "Reason",
    "Record-Route",
    "Refer-To",
    "Referred-By",
    "Reject-Contact",
    "Replaces",
    "Reply-To",
    "Request-Disposition",
    "Require",
    "Resource-Priority",
    "Retry-After",
    "Route",
    "RSeq",
    "Security-Client",
    "Security-Server",
    "Security-Verify",
    "Server",
    "Service-Route",
    "Session-Expires",
    "Session-ID",
    "SIP-ETag",
    "SIP-If-Match",
    "Subject",
    "Subscription-State",
    "Supported",
    "Target-Dialog",
    "Timestamp",
    "To",
    "Unsupported",
    "User-Agent",
    "User-to-User",
    "Via",
    "Warning",
    "WWW-Authenticate",
]

_COMPACT = {
    "a": "Accept-Contact",
    "b": "Referred-By",
    "c": "Content-Type",
    "d": "Request-Disposition",
    "e": "Content-Encoding",
    "f": "From",
    "i": "Call-ID",
    "j": "Reject-Contact",
    "k": "Supported",
    "l": "Content-Length",
    "m": "Contact",
    "o": "Event",
    "r": "Refer-To",
    "s": "Subject",
    "t": "To",
    "u": "Allow-Events",
    "v": "Via",
    "x": "Session-Expires",
    "y": "Identity",
}

# lower-case name as received → canonical name
CANONICAL: dict[str, str] = {name.lower(): name for name in _CANONICAL_NAMES}
CANONICAL.update(_COMPACT)

# Headers whose value is a comma-separated list (RFC 3261 §7.3.1); others are never split.
LIST_HEADERS = frozenset(
    name.lower()
    for name in [
        "Accept",
        "Accept-Contact",
        "Accept-Encoding",
        "Accept-Language",
        "Alert-Info",
        "Allow",
        "Allow-Events",
        "Call-Info",
        "Contact",
        "Content-Encoding",
        "Content-Language",
        "Error-Info",
        "History-Info",
        "In-Reply-To",
        "P-Asserted-Identity",
        "P-Associated-URI",
        "P-Charging-Function-Addresses",
        "P-Preferred-Identity",
        "Path",
        "Privacy",
        "Proxy-Require",
        "Reason",
        "Record-Route",
        "Reject-Contact",
        "Request-Disposition",
        "Require",
        "Route",
        "Security-Client",
        "Security-Server",
        "Security-Verify",
        "Service-Route",
        "Supported",
        "Unsupported",
        "Via",
        "Warning",
    ]
)


def canonical_name(name: str) -> str:
    """The canonical spelling of a header name; unknown names are kept as given."""
    return CANONICAL.get(name.lower(), name)


class Headers:
    """Header lines in order, each ``(canonical name, value)``; values are unfolded and stripped.

    ``get`` / ``get_all`` give raw values; ``values`` splits list headers on commas (outside
    quotes and ``<>``) across all their lines.

    Typed values parsed from the lines (``message.via`` …) are kept by :meth:`cached` until
    a line of their header changes: ``add``, ``set`` and ``remove`` forget those.

    The index holds each header's values as a tuple, not a list: a tuple of strings is one
    object the garbage collector stops tracking, where a list stays tracked, and a message has
    ten or more headers; thousands of messages are kept alive by calls in progress."""

    __slots__ = ("_index", "_items", "_packed", "_typed")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = []
        self._index: dict[str, tuple[str, ...]] = {}
        self._typed: dict[str, object] = {}
        self._packed: tuple[str, str] | None = None
        for name, value in items:
            self.add(name, value)

    @classmethod
    def _trusted(cls, items: list[tuple[str, str]], index: dict[str, tuple[str, ...]]) -> Headers:
        headers = cls.__new__(cls)
        headers._items = items
        headers._index = index
        headers._typed = {}
        headers._packed = None
        return headers

    def pack(self) -> None:
        """Keep the lines as two strings (names, values), with no index and no typed value,
        until they are next read or changed (then unpacked, transparently): for a message a
        call keeps for its whole life and seldom reads again (the INVITE and the 2xx of an
        answered call), two strings in place of a list, a dict, a tuple per line and the
        parsed values. Nothing is packed when a name or a value holds a line break (they
        could not be split back)."""
        if self._packed is not None:
            return
        items = self._items
        if not items:
            return
        names, values = zip(*items, strict=True)
        lines = len(items) - 1
        names_text, values_text = "\n".join(names), "\n".join(values)
        if names_text.count("\n") != lines or values_text.count("\n") != lines:
            return
        self._packed = (_shared_names(names_text), values_text)
        del self._items, self._index
        self._typed = _PACKED_TYPED
        self.__class__ = _PackedHeaders  # this class keeps the interpreter's fast attribute reads

    @property
    def packed(self) -> bool:
        """Whether the lines are packed (:meth:`pack`) right now."""
        return self._packed is not None

    def cached(self, key: str, make: Callable[[Headers], T]) -> T:
        """``make(self)``, computed once until the lines change (a raised error is not kept).

        ``key`` is the index key (lower-case canonical name) of the header ``make`` reads
        (``top_via``: the top Via): a change to that header forgets it. The value must be
        immutable or copied by the caller, since later calls return the same object."""
        typed = self._typed
        if key in typed:
            return cast(T, typed[key])
        value = typed[key] = make(self)
        return value

    def forget_typed(self) -> None:
        """Let go of every typed value kept (parsed again if asked for): for headers kept long
        and seldom read, such as a final response waiting for retransmissions."""
        if self._typed:
            self._typed = {}

    def _forget(self, key: str) -> None:
        """Typed values read from the header of index key ``key`` are parsed again."""
        typed = self._typed
        if typed:
            typed.pop(key, None)
            if key == "via":
                typed.pop("top_via", None)

    def add(self, name: str, value: str) -> None:
        name = canonical_name(name.strip())
        key = name.lower()
        self._forget(key)
        self._items.append((name, value))
        index = self._index
        index[key] = (*index.get(key, ()), value)

    def get(self, name: str) -> str | None:
        """The first value of ``name`` (any spelling, compact form included)."""
        found = self._index.get(_key(name))
        return found[0] if found else None

    def get_all(self, name: str) -> list[str]:
        """Every line's value of ``name``, in order."""
        return list(self._index.get(_key(name), ()))

    def count(self, name: str) -> int:
        return len(self._index.get(_key(name), ()))

    def values(self, name: str) -> list[str]:
        """All values of a list header, split on commas outside quotes and ``<>``."""
        key = _key(name)
        lines = self._index.get(key, ())
        if key not in LIST_HEADERS:
            return list(lines)
        if len(lines) == 1:
            return split_list(lines[0], name, canonical_name)
        out: list[str] = []
        for line in lines:
            out.extend(split_list(line, name, canonical_name))
        return out

    def set(self, name: str, value: str) -> None:
        """Replace the first line of ``name`` in place, drop its other lines; append if absent."""
        name = canonical_name(name.strip())
        key = name.lower()
        self._forget(key)
        if key not in self._index:
            self.add(name, value)
            return
        items: list[tuple[str, str]] = []
        done = False
        for item in self._items:
            if item[0].lower() == key:
                if not done:
                    items.append((name, value))
                    done = True
            else:
                items.append(item)
        self._items = items
        self._index[key] = (value,)

    def with_first_line(self, name: str, value: str) -> Headers | None:
        """A copy with ``value`` in place of the first line of ``name``: the other lines, their
        order and the typed values of the other headers kept (not re-read line by line: a
        request's top Via is rewritten this way on every send and every receipt). None when
        there is no such line. This object is left as it is."""
        key = _key(name)
        lines = self._index.get(key)
        if not lines:
            return None
        items = self._items.copy()
        for at, (line_name, _) in enumerate(items):
            if line_name.lower() == key:
                items[at] = (line_name, value)
                break
        index = self._index.copy()
        index[key] = (value, *lines[1:])
        copy = Headers._trusted(items, index)
        typed = self._typed
        if typed:
            copy._typed = typed.copy()
            copy._forget(key)
        return copy

    def remove(self, name: str) -> None:
        key = _key(name)
        self._forget(key)
        if self._index.pop(key, None) is not None:
            self._items = [item for item in self._items if item[0].lower() != key]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _key(name) in self._index

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return self._items == other._items

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class _PackedHeaders(Headers):
    """Headers packed by :meth:`Headers.pack`: the first read of their lines unpacks them and
    gives them back their class. Only this class has ``__getattr__`` (a class with one does not
    get the interpreter's specialised attribute reads, and headers are read all the time)."""

    __slots__ = ()

    def cached(self, key: str, make: Callable[[Headers], T]) -> T:
        if self._typed is _PACKED_TYPED:
            self._typed = {}
        return super().cached(key, make)

    def __getattr__(self, name: str) -> object:
        """``_items`` and ``_index``: unpacked on first use."""
        packed = self._packed
        if packed is None or name not in ("_items", "_index"):
            raise AttributeError(name)
        items = list(zip(packed[0].split("\n"), packed[1].split("\n"), strict=True))
        index: dict[str, tuple[str, ...]] = {}
        for line_name, value in items:
            key = line_name.lower()
            same = index.get(key)
            index[key] = (value,) if same is None else (*same, value)
        self._items, self._index, self._packed = items, index, None
        if self._typed is _PACKED_TYPED:
            self._typed = {}
        object.__setattr__(self, "__class__", Headers)
        return items if name == "_items" else index


# Packed headers keep no typed value: they share this empty dict (never written to: a packed
# header's ``cached`` and its unpacking give it a dict of its own first).
_PACKED_TYPED: dict[str, object] = {}

# The names of packed headers, one string per distinct sequence of names: a peer sends the same
# headers in the same order message after message.
_shared_names = SharedText()

# any spelling asked for → its index key (names come from code: a few dozen; bounded all the same)
_KEYS: dict[str, str] = {}
_MAX_KEYS = 4096


def _key(name: str) -> str:
    key = _KEYS.get(name)
    if key is not None:
        return key
    lower = name.lower()
    canonical = CANONICAL.get(lower)
    key = lower if canonical is None else canonical.lower()
    if len(_KEYS) < _MAX_KEYS:
        _KEYS[name] = key
    return key
