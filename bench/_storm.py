"""The login storm of ``login_storm``: clients signing in over and over, in a process of
their own (their work must not delay the bench's probes), until the standard input closes;
then one JSON line says what they got.

Half the clients sign in on the portal (the form, with the CSRF token of their session;
after a success the new session's token is read from the login page again), the other half
on the API (``POST /api/login``). Each client sends its next attempt as soon as the previous
one is answered, as an attacker does: no pause, ``Retry-After`` ignored. Each attempt comes
from an address drawn among ``--addresses`` in ``--network`` (sent as X-Forwarded-For: the
service is told to trust the loopback as its reverse proxy), with the right password with
probability ``--right``, otherwise a wrong one. With ``--polite``, a client told to come back
later (429 or 503 with ``Retry-After``) waits that long first, as a well-behaved client does:
the storm is then the sign-ins the service lets through, without the flood of refusals.

    python bench/_storm.py --base URL --login L --password P [--clients 20]
                           [--addresses 1000] [--network 10.1] [--right 0.25] [--seed 42]
                           [--polite]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project's packages first

import argparse
import asyncio
import contextlib
import html
import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp
from _bare import stdin_closed

from fleet.core import errors
from fleet.core.errors import ErrorCode

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
ALERT = re.compile(r'<p class="error" role="alert">(.*?)</p>', re.S)
REFUSALS = (
    ErrorCode.PASSWORD_WRONG,
    ErrorCode.ACCOUNT_LOCKED,
    ErrorCode.LOGIN_THROTTLED,
    ErrorCode.LOGIN_BUSY,
)
TIMEOUT_S = 120.0


def portal_refusal(page: str) -> str:
    """The error code of a refused portal sign-in, from the French message the page shows
    (its text up to its first parameter)."""
    found = ALERT.search(page)
    if found is None:
        return "no message"
    shown = html.unescape(found.group(1)).strip()
    catalogue = errors.catalogue()
    for code in REFUSALS:
        if shown.startswith(catalogue[code][1].split("{", 1)[0]):
            return code.value
    return "other message"


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)  # "portal 401 password_wrong"
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"portal": [], "api": []})
    login_pages: int = 0  # GET /portal/login for a CSRF token (not attempts)
    right_sent: int = 0
    wrong_sent: int = 0
    waited: float = 0.0  # s spent obeying Retry-After (--polite), all clients together


@dataclass
class Client:
    session: aiohttp.ClientSession
    portal: bool
    rng: random.Random
    csrf: str | None = None


class Storm:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.tally = Tally()
        self.stop = asyncio.Event()
        net = args.network
        self.addresses = [f"{net}.{i // 250}.{i % 250 + 1}" for i in range(args.addresses)]

    async def csrf(self, client: Client) -> str:
        async with client.session.get(f"{self.args.base}/portal/login") as response:
            page = await response.text()
        self.tally.login_pages += 1
        found = CSRF.search(page)
        if response.status != 200 or found is None:
            raise RuntimeError(f"login page: status {response.status}")
        return found.group(1)

    async def portal(
        self, client: Client, password: str, headers: dict[str, str]
    ) -> tuple[str, str | None]:
        if client.csrf is None:
            client.csrf = await self.csrf(client)
        form = {"login": self.args.login, "password": password, "csrf": client.csrf}
        url = f"{self.args.base}/portal/login"
        async with client.session.post(
            url, data=form, headers=headers, allow_redirects=False
        ) as response:
            page = await response.text()
        if response.status == 302:
            client.csrf = None  # a new session: its token is on the login page
            return "302 signed_in", None
        return f"{response.status} {portal_refusal(page)}", response.headers.get("Retry-After")

    async def api(
        self, client: Client, password: str, headers: dict[str, str]
    ) -> tuple[str, str | None]:
        body = {"login": self.args.login, "password": password}
        url = f"{self.args.base}/api/login"
        async with client.session.post(url, json=body, headers=headers) as response:
            text = await response.text()
        if response.status == 200:
            return "200 token", None
        try:
            code = json.loads(text).get("code", "no code")
        except ValueError:
            code = "not JSON"
        return f"{response.status} {code}", response.headers.get("Retry-After")

    async def run_client(self, client: Client) -> None:
        kind = "portal" if client.portal else "api"
        attempt = self.portal if client.portal else self.api
        while not self.stop.is_set():
            right = client.rng.random() < self.args.right
            password = self.args.password if right else f"wrong-{client.rng.randrange(10**9)}"
            headers = {"X-Forwarded-For": client.rng.choice(self.addresses)}
            t0 = time.perf_counter()
            retry_after: str | None = None
            try:
                outcome, retry_after = await attempt(client, password, headers)
            except (aiohttp.ClientError, TimeoutError) as error:
                outcome = f"failed {type(error).__name__}"
            self.tally.latencies[kind].append((time.perf_counter() - t0) * 1e3)
            self.tally.outcomes[f"{kind} {outcome}"] += 1
            if right:
                self.tally.right_sent += 1
            else:
                self.tally.wrong_sent += 1
            if self.args.polite and retry_after is not None and retry_after.isdigit():
                await self.pause(float(retry_after))

    async def pause(self, seconds: float) -> None:
        """Waits ``seconds``, or less when the storm is stopped meanwhile."""
        t0 = time.perf_counter()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)
        self.tally.waited += time.perf_counter() - t0

    async def run(self) -> dict[str, object]:
        clients = [
            Client(
                session=aiohttp.ClientSession(
                    cookie_jar=aiohttp.CookieJar(unsafe=True),  # cookies from 127.0.0.1
                    timeout=aiohttp.ClientTimeout(total=TIMEOUT_S),
                ),
                portal=index % 2 == 0,
                rng=random.Random(self.args.seed * 1000 + index),
            )
            for index in range(self.args.clients)
        ]
        cpu0, started = time.process_time(), time.perf_counter()
        try:
            tasks = [asyncio.create_task(self.run_client(c)) for c in clients]
            sys.stdout.write("ready\n")
            sys.stdout.flush()
            await stdin_closed()
            self.stop.set()
            await asyncio.gather(*tasks)
        finally:
            await asyncio.gather(*(c.session.close() for c in clients))
        return {
            "wall": time.perf_counter() - started,
            "cpu": time.process_time() - cpu0,
            "outcomes": dict(self.tally.outcomes),
            "latencies": self.tally.latencies,
            "login_pages": self.tally.login_pages,
            "right_sent": self.tally.right_sent,
            "wrong_sent": self.tally.wrong_sent,
            "waited": self.tally.waited,
        }


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base", required=True, help="the service, e.g. http://127.0.0.1:8080")
    parser.add_argument("--login", required=True)
    parser.add_argument("--password", required=True, help="the account's right password")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--addresses", type=int, default=1000, help="source addresses")
    parser.add_argument("--network", default="10.1", help="first two octets of the addresses")
    parser.add_argument("--right", type=float, default=0.25, help="share of right passwords")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--polite", action="store_true", help="obey Retry-After")
    args = parser.parse_args()
    if args.clients < 1 or not 1 <= args.addresses <= 62_500 or not 0 <= args.right <= 1:
        parser.error("--clients 1+, --addresses 1-62500, --right 0-1")
    return args


if __name__ == "__main__":
    result = asyncio.run(Storm(parse_args()).run())
    sys.stdout.write(json.dumps(result) + "\n")
