"""A bare aiohttp handler in a process of its own: ``GET /`` answers "ok" and does nothing
else. ``login_storm`` probes it beside the service, at the same rate and in the same phases,
so that what the machine does to any aiohttp process (other processes taking the cores, the
argon2 threads among them) shows apart from what the service's own event loop does.

    python bench/_bare.py PORT

It serves on 127.0.0.1:PORT until its standard input closes (the bench ends, or dies)."""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web


async def ok(_request: web.Request) -> web.Response:
    return web.Response(text="ok")


async def stdin_closed() -> None:
    """Returns once the standard input reaches its end."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.read(4096):
        pass


async def serve(port: int) -> None:
    app = web.Application()
    app.router.add_get("/", ok)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        await stdin_closed()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(serve(int(sys.argv[1])))
