"""``fleetpbx netsim``: the operator's network as a process of its own, over real SIP on our
stack (``fleet.sip``), in front of ``fleetpbx serve --network sip``: the IMS core's S-CSCF with
its initial filter criteria (``scscf``), a handset per fleet line and per outside caller
(``handset``, ``handsets``), the media server (``media``) and an HTTP control API
(``control``). Built by ``fleet.cli_netsim`` (the composition root); see README "Network
simulator (netsim)"."""
