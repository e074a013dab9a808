"""Stream framing (TCP/TLS): whatever the chunking, the same messages come out."""

from __future__ import annotations

import pytest

from fleet.sip.errors import SipParseError
from fleet.sip.framing import (
    BadContentLength,
    BodyTooLarge,
    FramingError,
    FramingLimits,
    HeaderSectionTooLarge,
    MissingContentLength,
    StreamFramer,
)
from fleet.sip.message import Request, parse_message
from tests.sip.ims import CORPUS

STREAM = b"".join(CORPUS[name] for name in sorted(CORPUS))
EXPECTED = [parse_message(CORPUS[name]) for name in sorted(CORPUS)]
PING = b"\r\n\r\n"


def test_the_stream_split_at_every_byte_boundary_gives_the_same_messages() -> None:
    for cut in range(len(STREAM) + 1):
        framer = StreamFramer()
        out = framer.feed(STREAM[:cut]) + framer.feed(STREAM[cut:])
        assert out == EXPECTED, cut
        assert framer.pending == 0


def test_the_stream_fed_one_byte_at_a_time_gives_the_same_messages() -> None:
    framer = StreamFramer()
    out = []
    for i in range(len(STREAM)):
        out += framer.feed(STREAM[i : i + 1])
    assert out == EXPECTED


def test_several_messages_in_one_chunk_come_out_in_order() -> None:
    framer = StreamFramer()
    assert framer.feed(STREAM + STREAM[:10]) == EXPECTED
    assert framer.pending == 10


def test_crlf_keepalives_between_messages_are_skipped_and_counted() -> None:
    first, second = CORPUS["terminating"], CORPUS["compact_folded"]
    data = PING + first + PING + PING + second + b"\r\n"
    framer = StreamFramer()
    out = []
    for i in range(len(data)):  # pings split across chunks still count
        out += framer.feed(data[i : i + 1])
    assert out == [parse_message(first), parse_message(second)]
    assert framer.keepalives == 3
    assert framer.pending == 0


def test_a_header_section_over_the_limit_is_refused_before_its_end_arrives() -> None:
    framer = StreamFramer(FramingLimits(max_header_bytes=200))
    with pytest.raises(HeaderSectionTooLarge):
        framer.feed(CORPUS["terminating"][:300])


def test_a_complete_header_section_over_the_limit_is_refused() -> None:
    framer = StreamFramer(FramingLimits(max_header_bytes=1000))
    with pytest.raises(HeaderSectionTooLarge):
        framer.feed(CORPUS["terminating"])


def test_a_body_over_the_limit_is_refused_as_soon_as_its_length_is_known() -> None:
    framer = StreamFramer(FramingLimits(max_body_bytes=100))
    head = CORPUS["terminating"].partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
    with pytest.raises(BodyTooLarge):
        framer.feed(head)


def test_a_stream_message_without_content_length_cannot_be_framed() -> None:
    data = CORPUS["terminating"].replace(b"Content-Length: ", b"X-Length: ")
    framer = StreamFramer()
    with pytest.raises(MissingContentLength) as raised:
        framer.feed(data)
    assert raised.value.status == 400
    with pytest.raises(MissingContentLength):  # the stream stays broken
        framer.feed(b"")


@pytest.mark.parametrize("value", [b"-1", b"12x", b"99999999999", b"5\r\nl: 5"])
def test_a_malformed_or_repeated_content_length_breaks_the_stream(value: bytes) -> None:
    head = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: " + value + b"\r\n\r\n"
    with pytest.raises(BadContentLength):
        StreamFramer().feed(head)


def test_a_folded_compact_content_length_frames_the_body() -> None:
    data = b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nL:\r\n 3\r\n\r\nabcOPT"
    framer = StreamFramer()
    (message,) = framer.feed(data)
    assert isinstance(message, Request) and message.body == b"abc"
    assert framer.pending == 3


def test_a_framed_but_malformed_message_comes_out_as_its_error_and_the_stream_goes_on() -> None:
    bad = b"OPTIONS sip:a@b SIP/9.0\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n"
    framer = StreamFramer()
    error, message = framer.feed(bad + CORPUS["terminating"])
    assert isinstance(error, SipParseError) and error.status == 505
    assert message == parse_message(CORPUS["terminating"])


def test_bare_lf_messages_are_framed_too() -> None:
    framer = StreamFramer()
    data = CORPUS["reinvite_bare_lf"]
    assert framer.feed(data + data) == [parse_message(data)] * 2


def test_framing_errors_are_sip_parse_errors() -> None:
    assert issubclass(FramingError, SipParseError)
