"""Realistic IMS INVITEs (as a P-CSCF / S-CSCF / AS would hand them to FleetPBX), written for
these tests: two Vias, Record-Route, P-Asserted-Identity, P-Served-User, History-Info, SDP."""

from __future__ import annotations

SDP = (
    b"v=0\r\n"
    b"o=- 1748502 1748502 IN IP4 198.51.100.20\r\n"
    b"s=-\r\n"
    b"c=IN IP4 198.51.100.20\r\n"
    b"t=0 0\r\n"
    b"m=audio 40012 RTP/AVP 96 8 0 101\r\n"
    b"a=rtpmap:96 AMR-WB/16000\r\n"
    b"a=fmtp:96 mode-change-capability=2;max-red=0\r\n"
    b"a=rtpmap:8 PCMA/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\n"
    b"a=sendrecv\r\n"
)


_LONG_LINES = {
    "@CONTACT@": "Contact: <sip:+33611000001@10.20.0.31:5060;transport=udp>"
    ';+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel";audio',
    "@HISTORY@": "History-Info: <sip:+33611000004@ims.example.net;user=phone>;index=1, "
    "<sip:+33611000004@fleet.example.net;user=phone?Reason=SIP%3Bcause%3D302>;index=1.1",
}


def _message(head: str, body: bytes = SDP) -> bytes:
    for mark, line in _LONG_LINES.items():
        head = head.replace(mark, line)
    return head.replace("\n", "\r\n").replace("@LEN@", str(len(body))).encode() + body


# Mobile-originated call reaching the fleet's application server from the S-CSCF.
TERMINATING = _message(
    """INVITE sip:+33611000004@fleet.example.net;user=phone SIP/2.0
Via: SIP/2.0/UDP scscf1.ims.example.net:5060;branch=z9hG4bK-524287-1---a8e6c0b9f4;rport
Via: SIP/2.0/TCP pcscf2.ims.example.net:5070;received=10.20.0.7;branch=z9hG4bKd7c1.04a1f8e2
Record-Route: <sip:scscf1.ims.example.net:5060;transport=udp;lr>
Record-Route: <sip:pcscf2.ims.example.net:5070;transport=tcp;lr>
Max-Forwards: 68
From: "Monsieur A" <sip:+33611000001@ims.example.net;user=phone>;tag=a73kszlfl
To: <tel:+33611000004>
Call-ID: 3848276298220188511@10.20.0.31
CSeq: 1 INVITE
@CONTACT@
P-Asserted-Identity: "Monsieur A" <sip:+33611000001@ims.example.net;user=phone>, <tel:+33611000001>
P-Served-User: <sip:+33611000004@ims.example.net>;sescase=term;regstate=reg
@HISTORY@
P-Charging-Vector: icid-value=AyretyU0dm+6O2IrT5tAFrbHLso=;orig-ioi=ims.example.net
Allow: INVITE, ACK, CANCEL, BYE, PRACK, UPDATE, OPTIONS, INFO
Supported: 100rel, timer, histinfo
Session-Expires: 1800;refresher=uac
Min-SE: 90
Accept: application/sdp
Content-Type: application/sdp
Content-Length: @LEN@

"""
)

# The same kind of request written by a terse node: compact forms, folded lines, odd spacing.
COMPACT_FOLDED = _message(
    """INVITE sip:2004@fleet.example.net SIP/2.0
v: SIP/2.0/TCP as1.fleet.example.net;branch=z9hG4bK-as1-77,
   SIP/2.0/UDP [2001:db8::5]:5060;branch=z9hG4bK-edge-12;received=2001:db8::5
Record-Route: <sip:[2001:db8::9]:5060;lr>,
 <sip:edge.example.net;lr>
Max-Forwards:   70
f: <sip:+33611000002@ims.example.net>;tag=1928301774
t: "Standard Com"
  <sip:2004@fleet.example.net>
i: a84b4c76e66710@pc33.example.net
CSeq:
 314159 INVITE
m: <sip:+33611000002@[2001:db8::31]:5060;transport=tcp>
P-Asserted-Identity: <sip:+33611000002@ims.example.net>
P-Served-User: <sip:2004@fleet.example.net>;sescase=orig;regstate=unreg
History-Info: <sip:0609182236@fleet.example.net>;index=1,
 <sip:2004@fleet.example.net>;index=1.1;mp=1
k: timer
c: application/sdp
l: @LEN@

"""
)

# A re-INVITE in a dialog (Route set, to-tag), bare LF line ends as a sloppy peer sends them.
REINVITE_BARE_LF = (
    b"INVITE sip:+33611000001@10.20.0.31:5060;transport=udp SIP/2.0\n"
    b"Via: SIP/2.0/UDP fleet.example.net:5060;branch=z9hG4bK-fleet-3\n"
    b"Via: SIP/2.0/UDP b2bua.fleet.example.net;branch=z9hG4bK-b2b-3;rport=5062;received=10.1.1.1\n"
    b"Route: <sip:pcscf2.ims.example.net:5070;transport=tcp;lr>\n"
    b"Max-Forwards: 70\n"
    b"From: <tel:+33611000004>;tag=fleet-9f3a\n"
    b'To: "Monsieur A" <sip:+33611000001@ims.example.net;user=phone>;tag=a73kszlfl\n'
    b"Call-ID: 3848276298220188511@10.20.0.31\n"
    b"CSeq: 2 INVITE\n"
    b"Contact: <sip:fleet.example.net:5060>\n"
    b"Content-Type: application/sdp\n"
    b"Content-Length: " + str(len(SDP.replace(b"sendrecv", b"sendonly"))).encode() + b"\n"
    b"\n" + SDP.replace(b"sendrecv", b"sendonly")
)

CORPUS = {
    "terminating": TERMINATING,
    "compact_folded": COMPACT_FOLDED,
    "reinvite_bare_lf": REINVITE_BARE_LF,
}
