"""The Digest computation reproduces the published examples exactly: RFC 7616 §3.9.1 (SHA-256 and
MD5) and RFC 2617 §3.5, fed through the client so its header is what the RFC shows."""

from __future__ import annotations

import pytest

from fleet.sip.digest_client import DigestClient, UserSecret
from fleet.sip.digest_compute import MD5, SHA_256, Algorithm, DigestInput, digest_response, user_ha1
from fleet.sip.digest_header import parse_credentials
from fleet.sip.headers import Headers
from fleet.sip.message import Request, Response

RFC7616_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
RFC7616_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
RFC7616_OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        (MD5, "8ca523f5e9506fed4657c9700eebdbec"),
        (SHA_256, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_3_9_1_responses_are_reproduced(algorithm: Algorithm, expected: str) -> None:
    ha1 = user_ha1(algorithm, "Mufasa", "http-auth@example.org", "Circle of Life")
    given = DigestInput(
        algorithm, "GET", "/dir/index.html", RFC7616_NONCE, "auth", "00000001", RFC7616_CNONCE
    )
    assert digest_response(ha1, given) == expected


def test_rfc2617_3_5_response_is_reproduced() -> None:
    ha1 = user_ha1(MD5, "Mufasa", "testrealm@host.com", "Circle Of Life")
    given = DigestInput(
        MD5,
        "GET",
        "/dir/index.html",
        "dcd98b7102dd2f0e8b11d0f600bfb0c093",
        "auth",
        "00000001",
        "0a4f113b",
    )
    assert digest_response(ha1, given) == "6629fae49393a05397450978507c4ef1"


def test_the_client_answers_the_rfc7616_challenges_with_the_rfc_values() -> None:
    response = Response(401, "Unauthorized", Headers())
    for algorithm in ("SHA-256", "MD5"):
        response.headers.add(
            "WWW-Authenticate",
            f'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, '
            f'nonce="{RFC7616_NONCE}", opaque="{RFC7616_OPAQUE}"',
        )
    cnonce = bytes.fromhex("00" * 16)
    client = DigestClient(lambda realm: UserSecret("Mufasa", "Circle of Life"), lambda n: cnonce)
    client_cnonce = cnonce.hex()
    request = Request("GET", "/dir/index.html")
    lines = client.answer(request, response)
    assert lines is not None
    [(name, value)] = lines
    assert name == "Authorization"
    [credentials] = parse_credentials([value])
    assert credentials.algorithm == "SHA-256"  # preferred over MD5
    assert credentials.qop == "auth"  # preferred over auth-int
    assert credentials.nc == "00000001"
    assert credentials.opaque == RFC7616_OPAQUE
    ha1 = user_ha1(SHA_256, "Mufasa", "http-auth@example.org", "Circle of Life")
    given = DigestInput(
        SHA_256, "GET", "/dir/index.html", RFC7616_NONCE, "auth", "00000001", client_cnonce
    )
    assert credentials.response == digest_response(ha1, given)


def test_a_precomputed_ha1_gives_the_same_response_as_the_password() -> None:
    ha1 = user_ha1(MD5, "Mufasa", "http-auth@example.org", "Circle of Life")
    secret = UserSecret("Mufasa", ha1={"MD5": ha1})
    assert secret.ha1_for(MD5, "http-auth@example.org") == ha1
    assert secret.ha1_for(SHA_256, "http-auth@example.org") is None
