"""Builds the objects the layers below need from the config: the one place that does."""

from __future__ import annotations

import functools
import shlex
from datetime import timedelta

import httpx
from sqlalchemy.engine import Engine

from app.config import Config
from crm.auth import AppAuth, EngineTokenStore, RestAuth, WebhookAuth, portal_key
from crm.client import BitrixClient
from crm.offline import OfflineOptions
from crm.pacing import LeakyBucket
from crm.sync import SyncOptions
from store.db import make_engine


def http_client(config: Config) -> httpx.AsyncClient:
    timeout = config.portal.timeout_seconds
    return httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)))


# The auth_connector of app mode: the portal keeps our own writes out of our offline queue.
APP_CONNECTOR = "crm_pulse"


def reauth_command(config: Config) -> str:
    """The command that authorizes the application again, with this config's path."""
    path = shlex.quote(str(config.path)) if config.path is not None else "PATH"
    return f"crm-pulse auth --config {path}"


@functools.cache
def _token_engine(url: str) -> Engine:
    return make_engine(url)


def portal_auth(config: Config, http: httpx.AsyncClient, engine: Engine | None = None) -> RestAuth:
    """The webhook, or (``portal.auth = "app"``) the application's tokens from the store."""
    portal = config.portal
    if portal.auth != "app":
        return WebhookAuth(portal.webhook_url.get_secret_value())
    store = EngineTokenStore(
        engine or _token_engine(config.storage.url), portal_key(portal.url), portal.client_id
    )
    return AppAuth(
        http,
        url=portal.url,
        client_id=portal.client_id,
        client_secret=portal.client_secret.get_secret_value(),
        store=store,
        oauth_url=portal.oauth_url,
        connector=APP_CONNECTOR,
        command=reauth_command(config),
    )


def bitrix_client(
    config: Config, http: httpx.AsyncClient, engine: Engine | None = None
) -> BitrixClient:
    rate, burst = config.portal.rate
    return BitrixClient(
        http,
        auth=portal_auth(config, http, engine),
        # One request of headroom: the portal starts draining its counter when a request
        # arrives, we when we send it; at exactly the burst that gap drew an odd 503.
        pacer=LeakyBucket(rate=rate, burst=max(1, burst - 1)),
        max_retries=config.portal.max_retries,
    )


def sync_options(config: Config) -> SyncOptions:
    sync = config.sync
    return SyncOptions(
        history_days=sync.history_days,
        overlap=timedelta(minutes=sync.overlap_minutes),
        calls_window=timedelta(days=sync.calls_window_days),
        calls_reread=timedelta(days=sync.calls_reread_days),
        reconcile_every=timedelta(hours=sync.reconcile_hours),
    )


def offline_options(config: Config) -> OfflineOptions:
    """How ``crm.offline.drain_forever`` drains the portal's offline queue (app mode)."""
    return OfflineOptions(
        poll_seconds=config.events.offline_poll_seconds,
        connector=APP_CONNECTOR,
        tz=config.portal.zone,
    )
