"""The UAS / proxy side of Digest authentication (RFC 3261 §22.1/§22.3, RFC 7616 §3.3/§3.4,
RFC 8760): challenges and the verification of credentials.

Nonces are stateless: ``base64url(timestamp ‖ random ‖ HMAC-SHA-256(secret, realm ‖ timestamp ‖
random))``, so any nonce this server issued is recognised without a table, a forged or altered one
is refused, and its age is known. The only state is replay protection: the highest nonce count
accepted per nonce, for at most ``max_nonces`` nonces. When a nonce is evicted, every nonce
issued no later than it is refused as stale from then on, so forgetting never reopens a replay.
A nonce answered without qop (RFC 2069) is good for one request."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from fleet.sip.digest_client import UserSecret
from fleet.sip.digest_compute import (
    MD5,
    QOP_AUTH,
    QOP_AUTH_INT,
    SHA_256,
    Algorithm,
    DigestInput,
    algorithm_named,
    digest_response,
    parse_nc,
)
from fleet.sip.digest_header import Credentials, digest_challenge, parse_credentials
from fleet.sip.errors import HeaderValueError
from fleet.sip.message import Request

Clock = Callable[[], float]
RandomBytes = Callable[[int], bytes]
Lookup = Callable[[str], UserSecret | None]
"""username → the secret the server holds for it in its realm, None when unknown."""

_STAMP = struct.Struct(">Q")
_RANDOM_SIZE = 12
_MAC_SIZE = 16
_NONCE_SIZE = _STAMP.size + _RANDOM_SIZE + _MAC_SIZE


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of :meth:`DigestServer.verify`.

    ``status`` is 200 (authenticated as ``username``), 401/407 (challenge again, ``stale`` when
    the digest was right but the nonce too old or already used) or 400 (malformed credentials,
    digest uri not the Request-URI). ``reason`` says why, for logs."""

    status: int
    reason: str
    username: str | None = None
    stale: bool = False

    @property
    def ok(self) -> bool:
        return self.status == 200


class DigestServer:
    """Challenges and verifies requests for one realm."""

    def __init__(
        self,
        realm: str,
        secret: bytes,
        clock: Clock,
        random_bytes: RandomBytes,
        *,
        lifetime: float = 300.0,
        algorithms: Iterable[Algorithm] = (SHA_256, MD5),
        qop: tuple[str, ...] = (QOP_AUTH,),
        proxy: bool = False,
        max_nonces: int = 10_000,
    ) -> None:
        self.algorithms = tuple(algorithms)
        if not qop and any(a.session for a in self.algorithms):
            raise ValueError("a -sess algorithm needs qop (its HA1 takes the cnonce)")
        self.realm = realm
        self._secret = secret
        self._clock = clock
        self._random = random_bytes
        self.lifetime = lifetime
        self.qop = qop
        self.proxy = proxy
        self._max_nonces = max_nonces
        self._counts: OrderedDict[str, int] = OrderedDict()  # nonce → highest nc accepted
        self._forgotten_until = -1  # nonces stamped at or before this are refused as stale
        self._opaque = self._mac(b"opaque")[:16].hex()

    @property
    def challenge_header(self) -> str:
        return "Proxy-Authenticate" if self.proxy else "WWW-Authenticate"

    @property
    def credentials_header(self) -> str:
        return "Proxy-Authorization" if self.proxy else "Authorization"

    @property
    def status(self) -> int:
        return 407 if self.proxy else 401

    def challenges(self, *, stale: bool = False) -> list[tuple[str, str]]:
        """One challenge line per algorithm, strongest first, each with a fresh nonce."""
        lines = []
        for algorithm in self.algorithms:
            params = [("realm", self.realm)]
            if self.qop:
                params.append(("qop", ",".join(self.qop)))
            params += [
                ("nonce", self.new_nonce()),
                ("opaque", self._opaque),
                ("algorithm", algorithm.name),
            ]
            if stale:
                params.append(("stale", "true"))
            lines.append((self.challenge_header, str(digest_challenge(params))))
        return lines

    def new_nonce(self) -> str:
        stamp = _STAMP.pack(max(0, int(self._clock() * 1000)))
        signed = stamp + self._random(_RANDOM_SIZE)
        raw = signed + self._signature(signed)
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    def verify(self, request: Request, lookup: Lookup) -> Verdict:
        """Check the request's credentials for this realm (see :class:`Verdict`)."""
        try:
            found = parse_credentials(
                request.headers.get_all(self.credentials_header), self.credentials_header
            )
        except HeaderValueError as exc:
            return Verdict(400, exc.detail)
        mine = [c for c in found if c.is_digest and c.realm == self.realm]
        if not mine:
            return self._again("no credentials for this realm")
        return self._check(request, mine[0], lookup)

    def _check(self, request: Request, given: Credentials, lookup: Lookup) -> Verdict:
        username, nonce, uri, response = given.username, given.nonce, given.uri, given.response
        if username is None or nonce is None or uri is None or response is None:
            return Verdict(400, "incomplete credentials")
        algorithm = algorithm_named(given.param("algorithm"))
        if algorithm is None or algorithm not in self.algorithms:
            return self._again("algorithm not offered")
        if uri != request.request_uri:
            return Verdict(400, "digest uri is not the Request-URI")
        qop, cnonce, nc_text = given.qop, given.cnonce or "", given.nc or ""
        nc = 0
        if self.qop:
            if qop not in self.qop:
                return self._again("qop not offered")
            parsed = parse_nc(nc_text)
            if parsed is None or parsed == 0 or not cnonce:
                return Verdict(400, "bad nc or cnonce")
            nc = parsed
        elif qop is not None:
            return self._again("qop not offered")
        stamp = self._stamp(nonce)
        if stamp is None:
            return self._again("nonce not issued here")
        if given.opaque != self._opaque:
            return self._again("wrong opaque")
        secret = lookup(username)
        ha1 = None if secret is None else secret.ha1_for(algorithm, self.realm)
        if ha1 is None:
            return self._again("unknown user")
        inputs = DigestInput(algorithm, request.method, uri, nonce, qop, nc_text, cnonce)
        if qop == QOP_AUTH_INT:
            inputs = DigestInput(
                algorithm, request.method, uri, nonce, qop, nc_text, cnonce, request.body
            )
        expected = digest_response(ha1, inputs)
        if not hmac.compare_digest(expected.encode("ascii"), response.lower().encode("ascii")):
            return self._again("wrong response")
        now_ms = int(self._clock() * 1000)
        if now_ms - stamp > self.lifetime * 1000 or stamp <= self._forgotten_until:
            return self._again("nonce expired", stale=True)
        if not self._count(nonce, stamp, nc):
            return self._again("nonce count replayed", stale=True)
        return Verdict(200, "authenticated", username=username)

    def _again(self, reason: str, *, stale: bool = False) -> Verdict:
        return Verdict(self.status, reason, stale=stale)

    def _count(self, nonce: str, stamp: int, nc: int) -> bool:
        """Record ``nc`` for ``nonce``; False when it does not exceed the last one accepted
        (a nonce used without qop counts as 0 and cannot be used twice)."""
        last = self._counts.get(nonce)
        if last is not None and nc <= last:
            return False
        self._counts[nonce] = nc
        self._counts.move_to_end(nonce)
        while len(self._counts) > self._max_nonces:
            evicted, _ = self._counts.popitem(last=False)
            evicted_stamp = self._stamp(evicted)
            if evicted_stamp is not None:
                self._forgotten_until = max(self._forgotten_until, evicted_stamp)
        return True

    def _stamp(self, nonce: str) -> int | None:
        """The issue time (ms) of a nonce this server signed, None for any other text."""
        if len(nonce) > 2 * _NONCE_SIZE:
            return None
        try:
            raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
        except (ValueError, TypeError):
            return None
        if len(raw) != _NONCE_SIZE:
            return None
        signed, mac = raw[:-_MAC_SIZE], raw[-_MAC_SIZE:]
        if not hmac.compare_digest(mac, self._signature(signed)):
            return None
        stamp: int = _STAMP.unpack(signed[: _STAMP.size])[0]
        return stamp

    def _signature(self, signed: bytes) -> bytes:
        return self._mac(b"nonce:" + signed)[:_MAC_SIZE]

    def _mac(self, data: bytes) -> bytes:
        key_data = self.realm.encode("utf-8") + b"\x00" + data
        return hmac.new(self._secret, key_data, hashlib.sha256).digest()
