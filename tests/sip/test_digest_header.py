"""Parsing and serialising challenges and credentials: escapes, commas inside quotes, several
challenges per line and per message, unknown schemes and parameters, RFC 4475 ``regaut01``."""

from __future__ import annotations

from pathlib import Path

import pytest

from fleet.sip.digest_compute import MD5, SHA_256_SESS, algorithm_named
from fleet.sip.digest_header import (
    digest_challenge,
    digest_credentials,
    parse_challenges,
    parse_credentials,
)
from fleet.sip.errors import HeaderValueError
from fleet.sip.message import Request, parse_message

TORTURE_DIR = Path(__file__).resolve().parent / "rfc4475"


def test_escaped_quotes_and_commas_inside_quotes_stay_in_the_value() -> None:
    [challenge] = parse_challenges([r'Digest realm="a \"b\", c\\d", nonce="x,y=z", qop="auth"'])
    assert challenge.realm == 'a "b", c\\d'
    assert challenge.nonce == "x,y=z"
    assert challenge.qop_options == ("auth",)


def test_one_line_carries_several_challenges_of_several_schemes() -> None:
    line = (
        'Digest realm="r1", nonce="n1", algorithm=SHA-256, '
        "Digest realm=r2,nonce=n2 , Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==, Negotiate"
    )
    found = parse_challenges([line])
    assert [(c.scheme, c.realm, c.token68) for c in found] == [
        ("Digest", "r1", None),
        ("Digest", "r2", None),
        ("Basic", None, "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
        ("Negotiate", None, None),
    ]
    assert found[0].algorithm == "SHA-256"
    assert found[1].algorithm == "MD5"


def test_several_header_lines_give_their_challenges_in_order() -> None:
    found = parse_challenges(['Digest realm="a", nonce="1"', 'Digest realm="b", nonce="2"'])
    assert [c.realm for c in found] == ["a", "b"]


def test_parameter_names_are_case_insensitive_and_unknown_ones_are_kept() -> None:
    [challenge] = parse_challenges(['DIGEST Realm="r", NONCE=abc, Stale=TRUE, x-vendor="v 1"'])
    assert challenge.is_digest
    assert challenge.realm == "r"
    assert challenge.nonce == "abc"
    assert challenge.stale
    assert challenge.param("x-vendor") == "v 1"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("md5", "MD5"),
        ("Md5-Sess", "MD5-sess"),
        ("sha-256", "SHA-256"),
        ("SHA-256-SESS", "SHA-256-sess"),
    ],
)
def test_algorithm_names_are_case_insensitive(name: str, expected: str) -> None:
    algorithm = algorithm_named(name)
    assert algorithm is not None and algorithm.name == expected


def test_an_absent_algorithm_means_md5_and_an_unknown_one_is_none() -> None:
    assert algorithm_named(None) is MD5
    assert algorithm_named("SHA-1") is None
    assert algorithm_named("sha-256-sess") is SHA_256_SESS


def test_a_challenge_survives_serialise_then_parse() -> None:
    challenge = digest_challenge(
        [
            ("realm", 'odd "realm", really'),
            ("qop", "auth,auth-int"),
            ("nonce", "abc"),
            ("algorithm", "SHA-256"),
            ("stale", "true"),
        ]
    )
    text = str(challenge)
    assert 'qop="auth,auth-int"' in text
    assert "algorithm=SHA-256" in text and "stale=true" in text
    assert parse_challenges([text]) == [challenge]


def test_credentials_write_qop_nc_and_algorithm_as_tokens_and_the_rest_quoted() -> None:
    credentials = digest_credentials(
        [
            ("username", "alice"),
            ("realm", "r"),
            ("nonce", "n"),
            ("uri", "sip:bob@example.com"),
            ("response", "abc"),
            ("algorithm", "MD5"),
            ("qop", "auth"),
            ("nc", "00000001"),
            ("cnonce", "c"),
        ]
    )
    text = str(credentials)
    assert text == (
        'Digest username="alice", realm="r", nonce="n", uri="sip:bob@example.com", '
        'response="abc", algorithm=MD5, qop=auth, nc=00000001, cnonce="c"'
    )
    assert parse_credentials([text]) == [credentials]


@pytest.mark.parametrize(
    "line",
    [
        'Digest realm="unterminated',
        'realm="no scheme"',
        'Digest realm="a", realm="twice"',
        'Digest realm="a" nonce="no comma"',
        "",
        'Digest realm=bad"value',
    ],
)
def test_malformed_lines_raise_a_header_error_naming_the_header(line: str) -> None:
    with pytest.raises(HeaderValueError) as caught:
        parse_credentials([line], "Proxy-Authorization")
    assert caught.value.header == "Proxy-Authorization"


def test_rfc4475_regaut01_authorization_with_an_unknown_scheme_parses() -> None:
    message = parse_message((TORTURE_DIR / "regaut01.dat").read_bytes())
    assert isinstance(message, Request)
    [credentials] = parse_credentials(message.headers.get_all("Authorization"))
    assert credentials.scheme == "NoOneKnowsThisScheme"
    assert not credentials.is_digest
    assert credentials.params == (("opaque-data", "here"),)
