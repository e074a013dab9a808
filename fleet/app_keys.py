"""The typed keys of the service's aiohttp application (what the composition root in
:mod:`fleet.app` puts there, what the handlers read)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from featurecodes.notify import Notifier
from fleet import heap
from fleet.config import Settings
from fleet.core.clock import Clock
from fleet.exchange import Exchange
from fleet.exchange.records import CallRecords
from fleet.services.change_listen import ChangeListener
from fleet.services.change_stats import ChangeFeedStats
from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from fleet.services.ownership import OwnershipKeeper
from fleet.services.trunkbook import CachedTrunkBook
from fleet.sip.stack import SipStack
from fleet.sipnet.network import SipNetwork

if TYPE_CHECKING:
    from featurecodes.smpp import UssdGateway

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Clock)
ENGINE = web.AppKey("engine", AsyncEngine)
SERVICES = web.AppKey("services", Services)
DIRECTORY = web.AppKey("directory", CachedDirectory)
CACHE_LOADED = web.AppKey("routing_cache_loaded", asyncio.Event)
HEAP = web.AppKey("heap_guard", heap.HeapGuard)
SIP_EXCHANGE = web.AppKey("sip_exchange", Exchange[SipNetwork])  # on SIP (network sip)
RECORDS = web.AppKey("call_records", CallRecords)
# typed by annotation: the SMPP gateway's modules (aiosmpplib) are imported only with a bind
GATEWAY: web.AppKey[UssdGateway] = web.AppKey("ussd_gateway")
NOTIFIER = web.AppKey("notifier", Notifier)
SIP_STACK = web.AppKey("sip_stack", SipStack)
TRUNK_BOOK = web.AppKey("trunk_book", CachedTrunkBook)  # network sip: the trunks, for the adapter
OWNERS = web.AppKey("fleet_owners", OwnershipKeeper)  # PostgreSQL + SIP: fleets owned
SCHEMA_HEAD = web.AppKey("schema_head", str)  # the migrations' head this code expects
# several processes (issue 15): this process's id in its change notifications, what its
# change listener counted (zeros on SQLite), the listener itself (PostgreSQL only)
PROCESS_ID = web.AppKey("process_id", str)
CHANGE_FEED = web.AppKey("change_feed", ChangeFeedStats)
CHANGE_LISTENER = web.AppKey("change_listener", ChangeListener)
