"""The call engine's network port over SIP (DESIGN §8, issue 12): :class:`SipNetwork` drives a
:class:`fleet.sip.ua_core.UserAgent` on the service's :class:`fleet.sip.stack.SipStack`."""
