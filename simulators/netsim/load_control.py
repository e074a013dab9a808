"""netsim's load runs from the outside: ``POST /load`` starts one (the traffic model in JSON),
``GET /load`` shows the current or last one (its progress, then its summary), ``DELETE
/load`` stops it; and ``fleetpbx netsim --load`` (the options are added here, the command
composed in ``fleet.cli_netsim``), which runs one at start and stops when it is done.

The feature codes' hook (:data:`FeatureDialler`) is ``Loads.feature_codes``: None until
netsim has a USSD gateway (attempts of that kind are then counted as not available)."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import fields
from typing import Any

from aiohttp import web

from simulators.http import BadRequest, json_body, problem
from simulators.netsim.control import NETSIM
from simulators.netsim.load_model import BadModel, TrafficModel
from simulators.netsim.load_runner import FeatureDialler, LoadOptions, LoadRun, RunState

MODEL_FIELDS = {f.name: f.type for f in fields(TrafficModel)}
OPTION_FIELDS = {f.name for f in fields(LoadOptions)} - {"model"}


class LoadBusy(Exception):
    """A load run is in progress already."""


class Loads:
    """netsim's load runs: the current or last one."""

    def __init__(self, *, feature_codes: FeatureDialler | None = None) -> None:
        self.feature_codes = feature_codes
        self.run: LoadRun | None = None
        self._done: asyncio.Future[LoadRun] | None = None

    def start(self, app: web.Application, options: LoadOptions) -> LoadRun:
        if self.run is not None and self.run.state is not RunState.DONE:
            raise LoadBusy
        netsim = app[NETSIM]
        done: asyncio.Future[LoadRun] = asyncio.get_running_loop().create_future()

        def finished(run: LoadRun) -> None:
            if not done.done():
                done.set_result(run)

        run = LoadRun(
            netsim=netsim,
            scheduler=netsim.scscf.ua.scheduler,
            options=options,
            feature_codes=self.feature_codes,
            on_done=finished,
            measure=time.perf_counter,
        )
        self.run, self._done = run, done
        run.start()
        return run

    async def finished(self) -> LoadRun:
        assert self._done is not None, "no load run started"
        return await self._done

    def stop(self) -> None:
        if self.run is not None:
            self.run.stop()


LOADS = web.AppKey("netsim_loads", Loads)


def options_of(body: dict[str, Any]) -> LoadOptions:
    """A load run's options from a JSON object (the model's fields and the run's); raises
    BadRequest."""
    model: dict[str, Any] = {}
    options: dict[str, Any] = {}
    for name, value in body.items():
        if name not in MODEL_FIELDS and name not in OPTION_FIELDS:
            raise BadRequest("invalid_field", f"{name}: no such parameter of a load run")
        wanted = str if name == "feature_code" else (int if name == "seed" else float)
        if wanted is str and not isinstance(value, str):
            raise BadRequest("invalid_field", f"{name}: a string")
        if wanted is not str and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise BadRequest("invalid_field", f"{name}: a number")
        if wanted is int and not isinstance(value, int):
            raise BadRequest("invalid_field", f"{name}: a whole number")
        (model if name in MODEL_FIELDS else options)[name] = value
    try:
        return LoadOptions(model=TrafficModel(**model), **options)
    except BadModel as exc:
        raise BadRequest("invalid_load", str(exc)) from None


def _json(data: object, status: int = 200) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type="application/json")


async def start_load(request: web.Request) -> web.Response:
    try:
        options = options_of(await json_body(request))
        run = request.app[LOADS].start(request.app, options)
    except BadRequest as exc:
        return problem(exc)
    except BadModel as exc:  # the fleets have no line
        return problem(BadRequest("invalid_load", str(exc), 409))
    except LoadBusy:
        return problem(BadRequest("load_running", "a load run is in progress", 409))
    return _json(run.view(), 202)


async def show_load(request: web.Request) -> web.Response:
    run = request.app[LOADS].run
    if run is None:
        return problem(BadRequest("no_load", "no load run yet", 404))
    return _json(run.view())


async def stop_load(request: web.Request) -> web.Response:
    loads = request.app[LOADS]
    if loads.run is None:
        return problem(BadRequest("no_load", "no load run yet", 404))
    loads.stop()
    return _json(loads.run.view())


async def _stopped_at_shutdown(app: web.Application) -> AsyncIterator[None]:
    yield
    app[LOADS].stop()


def add_load_routes(app: web.Application) -> None:
    app[LOADS] = Loads()
    app.cleanup_ctx.append(_stopped_at_shutdown)
    app.router.add_post("/load", start_load)
    app.router.add_get("/load", show_load)
    app.router.add_delete("/load", stop_load)


# -- fleetpbx netsim --load ----------------------------------------------------------------


def load_options_of(args: argparse.Namespace) -> LoadOptions:
    """The ``--load-…`` options as a load run's; raises BadModel."""
    model = TrafficModel(
        **{name: getattr(args, f"load_{name}") for name in MODEL_FIELDS if name != "feature_code"}
    )
    return LoadOptions(model=model)


async def serve_and_load(
    app: web.Application, *, host: str, port: int, options: LoadOptions
) -> dict[str, object]:
    """Serve ``app`` (its control API on ``host:port``), run one load, return its summary."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        loads = app[LOADS]
        loads.start(app, options)
        run = await loads.finished()
        return run.view()
    finally:
        await runner.cleanup()
