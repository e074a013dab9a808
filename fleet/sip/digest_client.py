"""The UAC side of Digest authentication (RFC 3261 §22.2-22.3, RFC 7616 §3.4, RFC 8760).

A :class:`DigestClient` answers a 401 / 407: for each realm challenged it picks the strongest
challenge it can serve (SHA-512-256 over SHA-256 over MD5, ``qop=auth`` over ``auth-int`` over
none), asks its ``prompt`` for the user's secret once, and returns the ``Authorization`` /
``Proxy-Authorization`` lines the retried request carries. It remembers each realm's nonce, so
later requests reuse it with the nonce count increased, and a ``stale=true`` challenge is answered
with the new nonce without prompting again. A fresh (not stale) challenge for a realm it already
answered means the secret was refused: the prompt is asked again and may give up (None)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fleet.sip.digest_compute import (
    QOP_AUTH,
    QOP_AUTH_INT,
    Algorithm,
    DigestInput,
    algorithm_named,
    digest_response,
    format_nc,
    user_ha1,
)
from fleet.sip.digest_header import Challenge, digest_credentials, parse_challenges
from fleet.sip.message import Request, Response

WWW = ("WWW-Authenticate", "Authorization")
PROXY = ("Proxy-Authenticate", "Proxy-Authorization")


@dataclass(frozen=True, slots=True)
class UserSecret:
    """What the user knows for one realm: a password, or HA1 values computed beforehand, keyed by
    algorithm family (``"MD5"``, ``"SHA-256"``, ``"SHA-512-256"``)."""

    username: str
    password: str | None = None
    ha1: Mapping[str, str] = field(default_factory=dict)

    def ha1_for(self, algorithm: Algorithm, realm: str) -> str | None:
        if self.password is not None:
            return user_ha1(algorithm, self.username, realm, self.password)
        return self.ha1.get(algorithm.family)


Prompt = Callable[[str], UserSecret | None]
"""realm → the user's secret for it, or None to give up."""

RandomBytes = Callable[[int], bytes]


@dataclass(slots=True)
class _Session:
    header: str  # Authorization or Proxy-Authorization
    realm: str
    challenge: Challenge
    algorithm: Algorithm
    qop: str | None
    secret: UserSecret
    ha1: str
    cnonce: str
    nc: int = 0


def usable_qop(challenge: Challenge) -> tuple[bool, str | None]:
    """(usable, qop to answer with): auth first, auth-int next, none for an RFC 2069 challenge."""
    options = challenge.qop_options
    if not options:
        return True, None
    for qop in (QOP_AUTH, QOP_AUTH_INT):
        if qop in options:
            return True, qop
    return False, None


def ranked_challenges(challenges: list[Challenge]) -> dict[str, list[Challenge]]:
    """Digest challenges this client can answer, grouped by realm, strongest first."""
    by_realm: dict[str, list[tuple[int, int, Challenge]]] = {}
    for index, challenge in enumerate(challenges):
        algorithm = algorithm_named(challenge.param("algorithm"))
        realm = challenge.realm
        if not challenge.is_digest or algorithm is None or realm is None or not challenge.nonce:
            continue
        usable, qop = usable_qop(challenge)
        if not usable or (algorithm.session and qop is None):
            continue  # unknown qop only, or -sess without the cnonce qop brings
        by_realm.setdefault(realm, []).append((-algorithm.strength, index, challenge))
    return {realm: [c for *_, c in sorted(found)] for realm, found in by_realm.items()}


class DigestClient:
    """Credentials for requests of one user agent; ``random_bytes`` makes the cnonces."""

    def __init__(self, prompt: Prompt, random_bytes: RandomBytes, *, max_realms: int = 16) -> None:
        self._prompt = prompt
        self._random = random_bytes
        self._max_realms = max_realms
        self._sessions: OrderedDict[tuple[str, str], _Session] = OrderedDict()

    def answer(self, request: Request, response: Response) -> list[tuple[str, str]] | None:
        """The authorization lines for retrying ``request`` after ``response`` (401 or 407), or
        None when no challenge can be answered or the user gives up."""
        if response.status == 401:
            challenge_header, header = WWW
        elif response.status == 407:
            challenge_header, header = PROXY
        else:
            return None
        challenges = parse_challenges(response.headers.get_all(challenge_header), challenge_header)
        ranked = ranked_challenges(challenges)
        if not ranked:
            return None
        for realm, candidates in ranked.items():
            session = self._session_for(header, realm, candidates)
            if session is None:
                return None
            self._sessions[(header, realm)] = session
            self._sessions.move_to_end((header, realm))
        while len(self._sessions) > self._max_realms:
            self._sessions.popitem(last=False)
        return self.authorize(request)

    def authorize(self, request: Request) -> list[tuple[str, str]]:
        """Authorization lines for ``request`` from the nonces already received (the nonce
        count of each goes up by one)."""
        return [(s.header, self._credentials(s, request)) for s in self._sessions.values()]

    def apply(self, request: Request, lines: list[tuple[str, str]]) -> None:
        """Replace the request's authorization lines with ``lines``."""
        request.headers.remove(WWW[1])
        request.headers.remove(PROXY[1])
        for name, value in lines:
            request.headers.add(name, value)

    def _session_for(self, header: str, realm: str, candidates: list[Challenge]) -> _Session | None:
        known = self._sessions.get((header, realm))
        secret: UserSecret | None
        if known is not None and (candidates[0].stale or known.nc == 0):
            secret = known.secret  # new nonce, same secret: no prompt
        else:
            secret = self._prompt(realm)  # first challenge, or the secret was refused
        if secret is None:
            return None
        for challenge in candidates:
            algorithm = algorithm_named(challenge.param("algorithm"))
            assert algorithm is not None  # ranked_challenges kept only known ones
            ha1 = secret.ha1_for(algorithm, realm)
            if ha1 is None:
                continue
            return _Session(
                header,
                realm,
                challenge,
                algorithm,
                usable_qop(challenge)[1],
                secret,
                ha1,
                self._random(16).hex(),
            )
        return None

    def _credentials(self, session: _Session, request: Request) -> str:
        challenge = session.challenge
        nonce = challenge.nonce or ""
        uri = request.request_uri
        session.nc += 1
        nc = format_nc(session.nc)
        given = DigestInput(
            session.algorithm,
            request.method,
            uri,
            nonce,
            session.qop,
            nc,
            session.cnonce,
            request.body,
        )
        params: list[tuple[str, str]] = [
            ("username", session.secret.username),
            ("realm", session.realm),
            ("nonce", nonce),
            ("uri", uri),
            ("response", digest_response(session.ha1, given)),
        ]
        if challenge.param("algorithm") is not None:
            params.append(("algorithm", session.algorithm.name))
        if challenge.opaque is not None:
            params.append(("opaque", challenge.opaque))
        if session.qop is not None:
            params += [("qop", session.qop), ("nc", nc), ("cnonce", session.cnonce)]
        return str(digest_credentials(params))
