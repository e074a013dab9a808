"""Client ↔ server Digest exchanges in injected time: every algorithm with and without qop, the
refusals (wrong password, replayed nonce count, digest uri ≠ Request-URI, forged nonce, unknown
user) and the stale-nonce path, which retries without asking for the password again."""

from __future__ import annotations

import random

import pytest

from fleet.sip.digest_client import DigestClient, UserSecret
from fleet.sip.digest_compute import (
    MD5,
    MD5_SESS,
    SHA_256,
    SHA_256_SESS,
    SHA_512_256,
    Algorithm,
    user_ha1,
)
from fleet.sip.digest_header import parse_challenges, parse_credentials
from fleet.sip.digest_server import DigestServer, Verdict
from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response

REALM = "fleet.example.net"
USERS = {"alice": "s3cret"}


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


class Prompt:
    def __init__(self, password: str = "s3cret") -> None:
        self.password = password
        self.asked: list[str] = []

    def __call__(self, realm: str) -> UserSecret | None:
        self.asked.append(realm)
        return UserSecret("alice", self.password)


def lookup(username: str) -> UserSecret | None:
    password = USERS.get(username)
    return None if password is None else UserSecret(username, password)


def make_server(clock: Clock, **options: object) -> DigestServer:
    return DigestServer(REALM, b"server secret", clock, random.Random(1).randbytes, **options)  # type: ignore[arg-type]


def make_client(prompt: Prompt) -> DigestClient:
    return DigestClient(prompt, random.Random(2).randbytes)


def request(uri: str = "sip:bob@fleet.example.net", body: bytes = b"") -> Request:
    return Request("INVITE", uri, Headers([("CSeq", "1 INVITE")]), body)


def challenge_response(server: DigestServer, *, stale: bool = False) -> Response:
    return Response(server.status, "Unauthorized", Headers(server.challenges(stale=stale)))


def authorize(
    client: DigestClient, server: DigestServer, req: Request, *, stale: bool = False
) -> None:
    lines = client.answer(req, challenge_response(server, stale=stale))
    assert lines is not None
    client.apply(req, lines)


@pytest.mark.parametrize(
    ("algorithm", "qop"),
    [
        (algorithm, qop)
        for algorithm in (MD5, MD5_SESS, SHA_256, SHA_256_SESS, SHA_512_256)
        for qop in (("auth",), ("auth-int",), ())
        if qop or not algorithm.session
    ],
)
def test_round_trip_authenticates_for_every_algorithm_with_and_without_qop(
    algorithm: Algorithm, qop: tuple[str, ...]
) -> None:
    clock = Clock()
    server = make_server(clock, algorithms=[algorithm], qop=qop)
    req = request(body=b"v=0\r\n")
    authorize(make_client(Prompt()), server, req)
    [credentials] = parse_credentials(req.headers.get_all("Authorization"))
    assert credentials.algorithm == algorithm.name
    assert credentials.qop == (qop[0] if qop else None)
    assert server.verify(req, lookup) == Verdict(200, "authenticated", username="alice")


def test_the_server_offers_sha256_before_md5_and_the_client_picks_sha256() -> None:
    server = make_server(Clock())
    challenges = parse_challenges(v for _, v in server.challenges())
    assert [c.algorithm for c in challenges] == ["SHA-256", "MD5"]
    req = request()
    authorize(make_client(Prompt()), server, req)
    [credentials] = parse_credentials(req.headers.get_all("Authorization"))
    assert credentials.algorithm == "SHA-256"
    assert server.verify(req, lookup).ok


def test_a_client_holding_only_an_md5_ha1_falls_back_to_the_md5_challenge() -> None:
    server = make_server(Clock())
    ha1 = user_ha1(MD5, "alice", REALM, "s3cret")
    client = DigestClient(
        lambda realm: UserSecret("alice", ha1={"MD5": ha1}), random.Random(3).randbytes
    )
    req = request()
    authorize(client, server, req)
    [credentials] = parse_credentials(req.headers.get_all("Authorization"))
    assert credentials.algorithm == "MD5"
    assert server.verify(req, lookup).ok


def test_a_proxy_challenges_with_407_and_reads_proxy_authorization() -> None:
    server = make_server(Clock(), proxy=True)
    response = challenge_response(server)
    assert response.status == 407 and "Proxy-Authenticate" in response.headers
    req = request()
    lines = make_client(Prompt()).answer(req, response)
    assert lines is not None and [name for name, _ in lines] == ["Proxy-Authorization"]
    make_client(Prompt()).apply(req, lines)
    assert server.verify(req, lookup).ok


def test_no_credentials_get_a_fresh_challenge_not_stale() -> None:
    verdict = make_server(Clock()).verify(request(), lookup)
    assert (verdict.status, verdict.stale) == (401, False)


def test_a_wrong_password_is_refused_without_stale() -> None:
    server = make_server(Clock())
    req = request()
    authorize(make_client(Prompt("wrong")), server, req)
    assert server.verify(req, lookup) == Verdict(401, "wrong response")


def test_an_unknown_user_is_refused() -> None:
    server = make_server(Clock())
    req = request()
    client = DigestClient(lambda realm: UserSecret("mallory", "x"), random.Random(4).randbytes)
    authorize(client, server, req)
    assert server.verify(req, lookup) == Verdict(401, "unknown user")


def test_a_replayed_nonce_count_is_refused_and_a_higher_one_accepted() -> None:
    server = make_server(Clock())
    client = make_client(Prompt())
    first = request()
    authorize(client, server, first)
    assert server.verify(first, lookup).ok
    assert server.verify(first, lookup) == Verdict(401, "nonce count replayed", stale=True)
    second = request()
    client.apply(second, client.authorize(second))
    [credentials] = parse_credentials(second.headers.get_all("Authorization"))
    assert credentials.nc == "00000002"
    assert server.verify(second, lookup).ok
    assert not server.verify(first, lookup).ok  # a lower count after a higher one


def test_a_nonce_used_without_qop_is_good_for_one_request_only() -> None:
    server = make_server(Clock(), qop=())
    req = request()
    authorize(make_client(Prompt()), server, req)
    assert server.verify(req, lookup).ok
    assert server.verify(req, lookup).stale


def test_a_digest_uri_other_than_the_request_uri_is_a_bad_request() -> None:
    server = make_server(Clock())
    signed = request("sip:bob@fleet.example.net")
    authorize(make_client(Prompt()), server, signed)
    moved = request("sip:carol@fleet.example.net")
    moved.headers = signed.headers
    assert server.verify(moved, lookup) == Verdict(400, "digest uri is not the Request-URI")


def test_credentials_for_another_method_do_not_verify() -> None:
    server = make_server(Clock())
    signed = request()
    authorize(make_client(Prompt()), server, signed)
    bye = Request("BYE", signed.request_uri, signed.headers)
    assert server.verify(bye, lookup) == Verdict(401, "wrong response")


def test_a_tampered_nonce_is_refused_as_not_issued_here() -> None:
    clock = Clock()
    server = make_server(clock)
    line = server.challenges()[0][1]
    nonce = parse_challenges([line])[0].nonce
    assert nonce is not None
    forged = nonce[:-2] + ("AA" if nonce[-2:] != "AA" else "BB")
    response = Response(
        401, "Unauthorized", Headers([("WWW-Authenticate", line.replace(nonce, forged))])
    )
    req = request()
    client = make_client(Prompt())
    lines = client.answer(req, response)
    assert lines is not None
    client.apply(req, lines)
    assert server.verify(req, lookup) == Verdict(401, "nonce not issued here")
    other_secret = DigestServer(REALM, b"another secret", clock, random.Random(1).randbytes)
    genuine = request()
    authorize(make_client(Prompt()), server, genuine)
    assert other_secret.verify(genuine, lookup) == Verdict(401, "nonce not issued here")


def test_an_expired_right_digest_is_stale_and_the_client_retries_without_prompt() -> None:
    clock = Clock()
    server = make_server(clock, lifetime=60.0)
    prompt = Prompt()
    client = make_client(prompt)
    req = request()
    authorize(client, server, req)
    assert server.verify(req, lookup).ok
    clock.now += 61
    later = request()
    client.apply(later, client.authorize(later))
    verdict = server.verify(later, lookup)
    assert verdict == Verdict(401, "nonce expired", stale=True)
    authorize(client, server, later, stale=verdict.stale)
    assert server.verify(later, lookup).ok
    assert prompt.asked == [REALM]  # the password was asked for once


def test_an_expired_nonce_with_a_wrong_digest_is_not_stale() -> None:
    clock = Clock()
    server = make_server(clock, lifetime=60.0)
    req = request()
    authorize(make_client(Prompt("wrong")), server, req)
    clock.now += 61
    assert server.verify(req, lookup) == Verdict(401, "wrong response")


def test_a_fresh_challenge_after_credentials_were_sent_asks_for_the_password_again() -> None:
    server = make_server(Clock())
    prompt = Prompt("wrong")
    client = make_client(prompt)
    req = request()
    authorize(client, server, req)
    assert not server.verify(req, lookup).ok
    prompt.password = "s3cret"
    authorize(client, server, req)
    assert server.verify(req, lookup).ok
    assert prompt.asked == [REALM, REALM]


def test_the_client_gives_up_when_the_prompt_does() -> None:
    client = DigestClient(lambda realm: None, random.Random(5).randbytes)
    assert client.answer(request(), challenge_response(make_server(Clock()))) is None


def test_the_client_ignores_unusable_challenges() -> None:
    headers = Headers(
        [
            ("WWW-Authenticate", 'Digest realm="r", nonce="n", algorithm=SHA-1'),
            ("WWW-Authenticate", 'Digest realm="r", nonce="n", qop="auth-conf"'),
            ("WWW-Authenticate", 'Digest realm="r", nonce="n", algorithm=MD5-sess'),
            ("WWW-Authenticate", "Basic realm=r"),
        ]
    )
    client = make_client(Prompt())
    assert client.answer(request(), Response(401, "Unauthorized", headers)) is None


def test_forgotten_nonces_are_refused_as_stale_so_eviction_never_reopens_a_replay() -> None:
    clock = Clock()
    server = make_server(clock, max_nonces=2)
    used: list[Request] = []
    for _ in range(3):
        clock.now += 1
        req = request()
        authorize(make_client(Prompt()), server, req)
        assert server.verify(req, lookup).ok
        used.append(req)
    assert server.verify(used[0], lookup) == Verdict(401, "nonce expired", stale=True)


def test_an_algorithm_the_server_did_not_offer_is_refused() -> None:
    server = make_server(Clock(), algorithms=[SHA_256])
    req = request()
    authorize(make_client(Prompt()), make_server(Clock(), algorithms=[MD5]), req)
    assert server.verify(req, lookup) == Verdict(401, "algorithm not offered")


def test_a_response_without_qop_is_refused_when_qop_was_offered() -> None:
    server = make_server(Clock())
    req = request()
    authorize(make_client(Prompt()), make_server(Clock(), qop=()), req)
    assert server.verify(req, lookup) == Verdict(401, "qop not offered")


def test_a_sess_algorithm_without_qop_is_refused_as_server_configuration() -> None:
    with pytest.raises(ValueError, match="-sess"):
        make_server(Clock(), algorithms=[SHA_256_SESS], qop=())


def test_auth_int_covers_the_body() -> None:
    server = make_server(Clock(), qop=("auth-int",))
    req = request(body=b"v=0\r\n")
    authorize(make_client(Prompt()), server, req)
    altered = Request(req.method, req.request_uri, req.headers, b"v=1\r\n")
    assert server.verify(altered, lookup) == Verdict(401, "wrong response")
    assert server.verify(req, lookup).ok
