"""A TCP proxy between a client under test and its server, to take the server away: ``cut``
ends every connection and stops listening (new connections are refused, as when the server
is down), ``restore`` listens again on the same port.

Its port is outside the ephemeral range (``tests.ports``): nothing takes it while cut."""

from __future__ import annotations

import asyncio
import contextlib

from tests.ports import free_port


class TcpProxy:
    def __init__(self, *, target_host: str, target_port: int, host: str = "127.0.0.1") -> None:
        self._target = (target_host, target_port)
        self._host = host
        self.port = 0  # known once started (a free port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        """Listen on a free port (the same one again after ``cut``); return it."""
        self.port = self.port or free_port(self._host)
        self._server = await asyncio.start_server(self._accepted, self._host, self.port)
        return self.port

    async def restore(self) -> None:
        await self.start()

    def listening(self) -> bool:
        return self._server is not None

    async def cut(self) -> None:
        """Stop listening and end every connection at once (what was in flight is lost)."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        pumps = list(self._pumps)
        for pump in pumps:
            pump.cancel()
        await asyncio.gather(*pumps, return_exceptions=True)

    async def close(self) -> None:
        await self.cut()

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.listening():  # accepted while being cut
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.transport.abort()
            return
        if not self.listening():  # cut while connecting
            writer.transport.abort()
            up_writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            pump = asyncio.get_running_loop().create_task(self._pump(source, sink))
            self._pumps.add(pump)
            pump.add_done_callback(self._pumps.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        """Copy one direction until either side ends; then end both."""
        try:
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(sink)
            sink.transport.abort()
            with contextlib.suppress(ConnectionError, OSError):
                await sink.wait_closed()
