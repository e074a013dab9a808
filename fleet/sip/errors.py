"""Typed errors of the SIP layer."""

from __future__ import annotations


class SipParseError(ValueError):
    """A message, or one of its header values, does not follow the grammar.

    ``status`` and ``reason`` are what a UAS answers to a request that fails this way (400 naming
    the header at fault, 505 for an unknown protocol version); a response that fails to parse is
    dropped silently (``is_response``)."""

    def __init__(
        self,
        reason: str,
        *,
        status: int = 400,
        header: str | None = None,
        is_response: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.header = header
        self.is_response = is_response


class HeaderValueError(SipParseError):
    """A header value (Via, From, CSeq …) is malformed; ``header`` names it."""

    def __init__(self, header: str, detail: str) -> None:
        super().__init__(f"Bad {header} header", header=header)
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"
