"""Builds the objects the layers below need from the config: the one place that does."""

from __future__ import annotations

from datetime import timedelta

import httpx

from app.config import Config
from crm.client import BitrixClient
from crm.pacing import LeakyBucket
from crm.sync import SyncOptions


def http_client(config: Config) -> httpx.AsyncClient:
    timeout = config.portal.timeout_seconds
    return httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)))


def bitrix_client(config: Config, http: httpx.AsyncClient) -> BitrixClient:
    rate, burst = config.portal.rate
    return BitrixClient(
        http,
        config.portal.webhook_url.get_secret_value(),
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
