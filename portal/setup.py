"""Mounting the portal on the application: templates, encrypted session cookies, security
headers, routes."""

from __future__ import annotations

import base64
import secrets
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import setup as setup_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from fleet.services.container import Services
from fleet.services.directory import CachedDirectory
from portal import (
    api,
    api_accounts,
    api_calls,
    api_contacts,
    api_criteria,
    api_fleetio,
    api_groups,
    api_lines,
    api_monitor,
    api_operator,
    api_presented,
    api_schedules,
    api_trunks,
    error_pages,
    etags,
    pages,
    rendering,
)
from portal.security import TRUSTED_PROXIES, portal_input, security_headers, trusted_networks

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")  # the stylesheet (outside /portal/: cacheable)
SESSION_AGE = 8 * 3600


def session_key(configured: str) -> bytes:
    """The 32-byte key of the session cookies (url-safe base64); random when not configured
    (sessions then end with the process)."""
    if not configured:
        return secrets.token_bytes(32)
    key = base64.urlsafe_b64decode(configured.encode())
    if len(key) != 32:
        raise ValueError("session_key: 32 bytes, url-safe base64")
    return key


def setup(
    app: web.Application,
    *,
    key: bytes,
    secure_cookies: bool,
    trusted_proxies: tuple[str, ...] = (),
    region: str = "FR",
) -> None:
    """``secure_cookies``: the service is reached over HTTPS only (directly or through a
    reverse proxy ending TLS): cookies are Secure and responses carry HSTS.
    ``trusted_proxies``: the reverse proxies whose X-Forwarded-For names the client.
    ``region``: the numbering region of the national numbers the pages show."""
    app[TRUSTED_PROXIES] = trusted_networks(trusted_proxies)
    env = aiohttp_jinja2.setup(
        app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape()
    )
    rendering.install(env, region=region)
    app.router.add_static("/static/", STATIC)
    setup_session(
        app,
        EncryptedCookieStorage(
            key,
            cookie_name="fleetpbx_session",
            httponly=True,
            samesite="Lax",
            secure=secure_cookies,
            max_age=SESSION_AGE,
        ),
    )
    app.on_response_prepare.append(security_headers(hsts=secure_cookies))
    app.middlewares.append(error_pages.html_errors)
    app.middlewares.append(portal_input)
    pages.routes(app)
    etags.setup(app)
    api.setup(app, key=key)
    api_lines.setup(app)
    api_groups.setup(app)
    api_calls.setup(app)
    api_trunks.setup(app)
    api_schedules.setup(app)
    api_monitor.setup(app)
    api_presented.setup(app)
    api_contacts.setup(app)
    api_criteria.setup(app)
    api_operator.setup(app)
    api_accounts.setup(app)
    api_fleetio.setup(app)


def attach_services(app: web.Application, services: Services) -> None:
    app[pages.SERVICES] = services


def attach_directory(app: web.Application, directory: CachedDirectory) -> None:
    app[pages.DIRECTORY] = directory
