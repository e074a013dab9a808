"""The call engine's wiring: the one place that builds the engine with its ports (network
adapter, timers, directory, recorder, event log) and the call groups it reaches, for
``serve``, ``demo``, ``simulate``, the tests and the benches; real time on the event loop
and the structlog event sink of production. Scenarios (``fleet.exchange.scenarios``, YAML and
the simulators' runner) are imported by what plays them only, not by ``serve``."""

from fleet.exchange.build import Exchange, build_exchange, build_sip_exchange

__all__ = ["Exchange", "build_exchange", "build_sip_exchange"]
