"""``crm-pulse auth``: authorize the local application on the portal (app mode, DESIGN.md).

Without ``--code`` it prints the portal's authorize URL and waits for the code: caught by a
small listener on 127.0.0.1 when the browser is sent back there (the application's handler
path, see README), or typed: the code itself or the whole address the browser ended on. With
``--code`` it only exchanges. The code goes to ``portal.oauth_url`` with
``grant_type=authorization_code``; the tokens are kept in the store (a SQLite file made
0600 first) and never printed.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO
from urllib.parse import parse_qs, urlencode, urlsplit

from aiohttp import web
from sqlalchemy.engine import Engine

from app.config import Config, ConfigError, load_config
from app.logs import setup_logging
from app.wiring import http_client
from crm.auth import AuthServerError, exchange_code, portal_key
from crm.errors import BitrixError
from store.db import make_engine
from store.migrate import migrate
from store.oauth_models import Tokens, save_tokens, secure_sqlite_file

REDIRECT_HOST = "127.0.0.1"
REDIRECT_PORT = 8799  # the handler path to enter on the portal: http://127.0.0.1:8799/

NOT_APP = (
    'crm-pulse auth is for app mode: set [portal] auth = "app" with url, client_id and '
    "client_secret (README: app mode)"
)
OPEN_URL = (
    "Open this address in a browser signed in to {portal} as an administrator and allow "
    "access:\n\n  {url}\n"
)
WAITING = (
    "Waiting for the portal to send the browser back to {redirect} ...\n"
    "Or paste the code (or the whole address the browser shows) and press Enter: "
)
PASTE_ONLY = "Paste the code (or the whole address the browser shows) and press Enter: "
NO_LISTENER = "note: {redirect} is busy ({error}); the code has to be pasted"
CAUGHT = "Code received from the browser."
BROWSER_DONE = (
    "<!doctype html><meta charset=utf-8><title>crm-pulse</title>"
    "<p>crm-pulse received the code. Close this tab and look at the terminal.</p>"
)
BROWSER_WRONG = (
    "<!doctype html><meta charset=utf-8><title>crm-pulse</title>"
    "<p>This address has no code for crm-pulse. Open the URL that crm-pulse auth printed.</p>"
)
DONE = (
    "ok: the application is authorized on {portal}; tokens kept in the store ({where}); "
    "scope: {scope}"
)
BAD_CODE = (
    "crm-pulse: the portal refused the code ({detail}). A code lives 30 seconds and works "
    "once: run crm-pulse auth again and use the new one at once"
)
NO_CODE = "crm-pulse: no code given"
FAILED = "crm-pulse: authorization failed: {error}"


def authorize_url(config: Config, state: str, redirect: str | None) -> str:
    query = {"client_id": config.portal.client_id, "state": state}
    if redirect:
        query["redirect_uri"] = redirect
    return f"{config.portal.url.rstrip('/')}/oauth/authorize/?{urlencode(query)}"


def code_from(text: str, state: str) -> str | None:
    """The code in what was typed: a bare code, or an address with ``code=`` (and our state)."""
    text = text.strip()
    if not text:
        return None
    if "code=" not in text:
        return text if "://" not in text and " " not in text else None
    query = parse_qs(urlsplit(text).query if "://" in text else text.lstrip("?"))
    given_state = query.get("state", [state])[0]
    if given_state != state:
        return None
    code = query.get("code", [""])[0]
    return code or None


@dataclass
class _Catch:
    """The code caught by the redirect listener or typed, whichever comes first."""

    state: str
    found: asyncio.Future[str]

    def offer(self, code: str | None) -> bool:
        if code and not self.found.done():
            self.found.set_result(code)
            return True
        return False


def _listener(catch: _Catch) -> web.Application:
    async def back(request: web.Request) -> web.Response:
        query = request.rel_url.query
        code = query.get("code", "")
        if query.get("state") != catch.state or not catch.offer(code):
            return web.Response(text=BROWSER_WRONG, content_type="text/html", status=400)
        return web.Response(text=BROWSER_DONE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/{tail:.*}", back)
    return app


def _read_lines(stdin: TextIO, loop: asyncio.AbstractEventLoop, catch: _Catch) -> None:
    """Typed lines, in a daemon thread (a blocked read never holds the process open)."""
    for line in stdin:
        code = code_from(line, catch.state)
        if code is not None:
            loop.call_soon_threadsafe(catch.offer, code)
            return


async def wait_for_code(
    config: Config,
    out: TextIO,
    stdin: TextIO | None,
    *,
    port: int = REDIRECT_PORT,
    on_url: Callable[[str], None] | None = None,
) -> str:
    """Print the authorize URL and return the code the browser or the user hands back."""
    loop = asyncio.get_running_loop()
    catch = _Catch(secrets.token_urlsafe(16), loop.create_future())
    runner = web.AppRunner(_listener(catch), access_log=None)  # the code is in the query
    await runner.setup()
    redirect: str | None = None
    try:
        try:
            site = web.TCPSite(runner, REDIRECT_HOST, port)
            await site.start()
            bound = runner.addresses[0][1] if runner.addresses else port
            redirect = f"http://{REDIRECT_HOST}:{bound}/"
        except OSError as exc:
            out.write(NO_LISTENER.format(redirect=f"{REDIRECT_HOST}:{port}", error=exc) + "\n")
        url = authorize_url(config, catch.state, redirect)
        out.write(OPEN_URL.format(portal=config.portal.url, url=url) + "\n")
        out.write(WAITING.format(redirect=redirect) if redirect else PASTE_ONLY)
        out.flush()
        if on_url is not None:
            on_url(url)
        if stdin is not None:
            threading.Thread(
                target=_read_lines, args=(stdin, loop, catch), daemon=True, name="auth-stdin"
            ).start()
        code = await catch.found
    finally:
        await runner.cleanup()
    out.write("\n" + CAUGHT + "\n")
    return code


def open_token_store(config: Config) -> Engine:
    """The store, its SQLite file created owner-only before SQLite makes it, migrated."""
    secure_sqlite_file(config.storage.url)
    engine = make_engine(config.storage.url)
    migrate(engine)
    return engine


async def exchange_and_keep(config: Config, engine: Engine, code: str) -> Tokens:
    portal = config.portal
    async with http_client(config) as http:
        tokens = await exchange_code(
            http,
            oauth_url=portal.oauth_url,
            client_id=portal.client_id,
            client_secret=portal.client_secret.get_secret_value(),
            code=code,
        )
    await asyncio.to_thread(save_tokens, engine, portal_key(portal.url), portal.client_id, tokens)
    return tokens


async def authorize(
    config: Config,
    engine: Engine,
    code: str | None,
    *,
    out: TextIO,
    stdin: TextIO | None,
    port: int = REDIRECT_PORT,
    on_url: Callable[[str], None] | None = None,
) -> Tokens:
    if code is None:
        code = await wait_for_code(config, out, stdin, port=port, on_url=on_url)
    return await exchange_and_keep(config, engine, code)


def _where(config: Config) -> str:
    url = config.storage.url
    return url.split("@")[-1] if url.startswith("postgresql") else url


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    setup_logging(config.logging.level)
    if config.portal.auth != "app":
        raise ConfigError(NOT_APP)
    code = args.code.strip() if args.code else None
    if args.code is not None and not code:
        print(NO_CODE, file=sys.stderr)
        return 2
    engine = open_token_store(config)
    try:
        tokens = asyncio.run(authorize(config, engine, code, out=sys.stdout, stdin=sys.stdin))
    except AuthServerError as exc:
        if exc.code.lower() == "invalid_grant":
            print(BAD_CODE.format(detail=exc.description or exc.code), file=sys.stderr)
        else:
            print(FAILED.format(error=exc), file=sys.stderr)
        return 1
    except BitrixError as exc:
        print(FAILED.format(error=exc), file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    scope = tokens.scope or "?"
    print(DONE.format(portal=config.portal.url, where=_where(config), scope=scope))
    return 0
