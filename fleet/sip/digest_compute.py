"""The Digest computation (RFC 7616 §3.4.1-3.4.3, RFC 8760 for SIP): algorithms by name, A1/A2,
the session variants and the ``response`` value. Pure functions over text; hex digests out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

QOP_AUTH = "auth"
QOP_AUTH_INT = "auth-int"


@dataclass(frozen=True, slots=True)
class Algorithm:
    """A Digest algorithm: ``name`` as written on the wire, its hash, and the ``-sess`` flag."""

    name: str
    hash_name: str  # hashlib name
    family: str  # the name without -sess: the key of a precomputed HA1
    session: bool
    strength: int  # higher is preferred by a client

    def h(self, data: str | bytes) -> str:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        return hashlib.new(self.hash_name, raw).hexdigest()

    def kd(self, secret: str, data: str) -> str:
        return self.h(f"{secret}:{data}")


MD5 = Algorithm("MD5", "md5", "MD5", False, 1)
MD5_SESS = Algorithm("MD5-sess", "md5", "MD5", True, 1)
SHA_256 = Algorithm("SHA-256", "sha256", "SHA-256", False, 2)
SHA_256_SESS = Algorithm("SHA-256-sess", "sha256", "SHA-256", True, 2)
SHA_512_256 = Algorithm("SHA-512-256", "sha512_256", "SHA-512-256", False, 3)
SHA_512_256_SESS = Algorithm("SHA-512-256-sess", "sha512_256", "SHA-512-256", True, 3)

ALGORITHMS: dict[str, Algorithm] = {
    a.name.lower(): a for a in (MD5, MD5_SESS, SHA_256, SHA_256_SESS, SHA_512_256, SHA_512_256_SESS)
}


def algorithm_named(name: str | None) -> Algorithm | None:
    """The algorithm ``name`` denotes (case-insensitive; absent means MD5), None when unknown."""
    if name is None:
        return MD5
    return ALGORITHMS.get(name.strip().lower())


def user_ha1(algorithm: Algorithm, username: str, realm: str, password: str) -> str:
    """H(username:realm:password): what a server may store in place of the password."""
    return algorithm.h(f"{username}:{realm}:{password}")


def session_ha1(algorithm: Algorithm, ha1: str, nonce: str, cnonce: str) -> str:
    """HA1 of a ``-sess`` algorithm, from the user's HA1."""
    return algorithm.h(f"{ha1}:{nonce}:{cnonce}")


def request_ha2(algorithm: Algorithm, method: str, uri: str, qop: str | None, body: bytes) -> str:
    if qop == QOP_AUTH_INT:
        return algorithm.h(f"{method}:{uri}:{algorithm.h(body)}")
    return algorithm.h(f"{method}:{uri}")


@dataclass(frozen=True, slots=True)
class DigestInput:
    """Everything ``response`` depends on besides the secret."""

    algorithm: Algorithm
    method: str
    uri: str
    nonce: str
    qop: str | None = None  # None: RFC 2069 compatibility
    nc: str = ""
    cnonce: str = ""
    body: bytes = b""


def digest_response(ha1: str, given: DigestInput) -> str:
    """The ``response`` value for a user whose (non-session) HA1 is ``ha1``."""
    algorithm = given.algorithm
    if algorithm.session:
        ha1 = session_ha1(algorithm, ha1, given.nonce, given.cnonce)
    ha2 = request_ha2(algorithm, given.method, given.uri, given.qop, given.body)
    if given.qop is None:
        return algorithm.kd(ha1, f"{given.nonce}:{ha2}")
    return algorithm.kd(ha1, f"{given.nonce}:{given.nc}:{given.cnonce}:{given.qop}:{ha2}")


def format_nc(count: int) -> str:
    """The nonce count on the wire: eight hex digits."""
    return f"{count:08x}"


def parse_nc(text: str) -> int | None:
    """The nonce count, None when it is not eight hex digits."""
    if len(text) != 8 or not all(ch in "0123456789abcdefABCDEF" for ch in text):
        return None
    return int(text, 16)
