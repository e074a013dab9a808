"""Shared by the SMPP interoperability and capture tests: a scripted USSD handler, waiting on
conditions, and a free loopback port."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping

from featurecodes.ussd import UssdOp, UssdReply, UssdRequest

MENU = "Renvoi si occupé:\n1 Activer\n2 Désactiver"
GSM_ANSWER = "Renvoi inconditionnel : désactivé"  # é is in GSM 03.38: data_coding 0
CYRILLIC_ANSWER = "Переадресация включена"  # not in GSM 03.38: UCS-2, data_coding 8


class ScriptedHandler:
    """A :class:`featurecodes.ussd.UssdHandler` answering from a table; records each request."""

    def __init__(self, answers: Mapping[str, UssdReply] | None = None) -> None:
        self.requests: list[UssdRequest] = []
        self.answers: dict[str, UssdReply] = {
            "*#21#": UssdReply(GSM_ANSWER),
            "*#100#": UssdReply(MENU, UssdOp.USSR_REQUEST),
            "1": UssdReply(CYRILLIC_ANSWER),
        }
        self.answers.update(answers or {})

    async def handle(self, request: UssdRequest) -> UssdReply:
        self.requests.append(request)
        return self.answers.get(request.text, UssdReply(f"Code inconnu : {request.text}"))


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for servers that cannot take port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
    return port


def leftover_tasks() -> list[asyncio.Task[object]]:
    """The event loop's tasks other than the current one."""
    current = asyncio.current_task()
    return [task for task in asyncio.all_tasks() if task is not current]
