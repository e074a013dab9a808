"""What a failed ``submit_sm`` means for the message: the gateway's errors, and the table that
sorts SMPP 3.4's ``command_status`` values (§5.1.3) into failures the outbox acts on
(:class:`featurecodes.ussd.SmsFailure`):

- **permanent**: the SMSC refuses this very PDU and would refuse it again (the destination,
  the source, a field or a parameter is wrong): the message is dead-lettered at once;
- **temporary**: this attempt failed but a later one may pass (the SMSC is busy, throttles,
  has an internal error, or did not answer in time — it may even have taken the message):
  tried again after a growing delay, dead-lettered after a bounded number of attempts;
- **unavailable**: nothing was submitted, or the SMSC no longer sees us bound: the bind is
  at fault, not the message; it waits for the next bind without counting an attempt.

A status outside SMPP 3.4's list (reserved values, vendor codes 0x400–0x4FF) is temporary:
the attempts limit still ends its retries.
"""

from __future__ import annotations

from featurecodes.smpp import pdus
from featurecodes.smpp.pdus import Status
from featurecodes.ussd import SmsFailure, SmsNotSent

_P, _T, _U = SmsFailure.PERMANENT, SmsFailure.TEMPORARY, SmsFailure.UNAVAILABLE

SUBMIT_STATUSES: dict[int, SmsFailure] = {
    Status.ESME_RINVMSGLEN: _P,  # message length is invalid
    Status.ESME_RINVCMDLEN: _P,  # command length is invalid (our PDU: the same next time)
    Status.ESME_RINVCMDID: _P,  # the SMSC does not take submit_sm at all
    Status.ESME_RINVBNDSTS: _U,  # incorrect bind status: the SMSC does not see us bound
    Status.ESME_RALYBND: _U,  # already bound (a bind answer, not a submit_sm one)
    Status.ESME_RINVPRTFLG: _P,  # invalid priority flag
    Status.ESME_RINVREGDLVFLG: _P,  # invalid registered delivery flag
    Status.ESME_RSYSERR: _T,  # system error of the SMSC
    Status.ESME_RINVSRCADR: _P,  # invalid source address
    Status.ESME_RINVDSTADR: _P,  # invalid destination address
    Status.ESME_RINVMSGID: _T,  # message id is invalid (not a submit_sm answer)
    Status.ESME_RBINDFAIL: _U,  # bind failed
    Status.ESME_RINVPASWD: _U,  # invalid password
    Status.ESME_RINVSYSID: _U,  # invalid system id
    Status.ESME_RCANCELFAIL: _T,  # cancel_sm failed (not a submit_sm answer)
    Status.ESME_RREPLACEFAIL: _T,  # replace_sm failed (not a submit_sm answer)
    Status.ESME_RMSGQFUL: _T,  # message queue full
    Status.ESME_RINVSERTYP: _P,  # invalid service type
    Status.ESME_RINVNUMDESTS: _P,  # invalid number of destinations
    Status.ESME_RINVDLNAME: _P,  # invalid distribution list name
    Status.ESME_RINVDESTFLAG: _P,  # destination flag is invalid
    Status.ESME_RINVSUBREP: _P,  # invalid "submit with replace" request
    Status.ESME_RINVESMCLASS: _P,  # invalid esm_class field data
    Status.ESME_RCNTSUBDL: _P,  # cannot submit to distribution list
    Status.ESME_RSUBMITFAIL: _T,  # submit_sm or submit_multi failed
    Status.ESME_RINVSRCTON: _P,  # invalid source address TON
    Status.ESME_RINVSRCNPI: _P,  # invalid source address NPI
    Status.ESME_RINVDSTTON: _P,  # invalid destination address TON
    Status.ESME_RINVDSTNPI: _P,  # invalid destination address NPI
    Status.ESME_RINVSYSTYP: _P,  # invalid system_type field
    Status.ESME_RINVREPFLAG: _P,  # invalid replace_if_present flag
    Status.ESME_RINVNUMMSGS: _P,  # invalid number of messages
    Status.ESME_RTHROTTLED: _T,  # throttling error: we exceeded the allowed message limits
    Status.ESME_RINVSCHED: _P,  # invalid scheduled delivery time
    Status.ESME_RINVEXPIRY: _P,  # invalid message validity period
    Status.ESME_RINVDFTMSGID: _P,  # predefined message invalid or not found
    Status.ESME_RX_T_APPN: _T,  # ESME receiver temporary app error
    Status.ESME_RX_P_APPN: _P,  # ESME receiver permanent app error
    Status.ESME_RX_R_APPN: _P,  # ESME receiver reject message error
    Status.ESME_RQUERYFAIL: _T,  # query_sm failed (not a submit_sm answer)
    Status.ESME_RINVOPTPARSTREAM: _P,  # error in the optional part of the PDU body
    Status.ESME_ROPTPARNOTALLWD: _P,  # optional parameter not allowed
    Status.ESME_RINVPARLEN: _P,  # invalid parameter length
    Status.ESME_RMISSINGOPTPARAM: _P,  # expected optional parameter missing
    Status.ESME_RINVOPTPARAMVAL: _P,  # invalid optional parameter value
    Status.ESME_RDELIVERYFAILURE: _T,  # delivery failure
    Status.ESME_RUNKNOWNERR: _T,  # unknown error
}
"""What each error status of SMPP 3.4 (§5.1.3) means for a refused ``submit_sm``."""


def submit_failure(status: int) -> SmsFailure:
    """The failure a ``submit_sm`` refused with ``status`` is (temporary when unknown)."""
    return SUBMIT_STATUSES.get(status, SmsFailure.TEMPORARY)


class GatewayError(SmsNotSent):
    """An SMS was not accepted now (``failure`` says whether and when to try again)."""


class NotBound(GatewayError):
    """No transceiver bind is up (or it went down before the SMSC answered)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, SmsFailure.UNAVAILABLE)


class SubmitTimeout(GatewayError):
    """The SMSC did not acknowledge in time (it may still deliver: a retry can duplicate)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, SmsFailure.TEMPORARY)


class SubmitRefused(GatewayError):
    """The SMSC answered the ``submit_sm`` with an error status (or a ``generic_nack``)."""

    def __init__(self, status: int) -> None:
        super().__init__(f"submit_sm refused: {pdus.status_name(status)}", submit_failure(status))
        self.status = status
