"""``crm-pulse link tv|dashboard|revoke|list``: make, revoke and list TV and dashboard links.

The URL is printed as the last line (DESIGN.md); the token in it is shown only now, the
store keeps its hash. ``--days`` sets the expiry (TV: none by default, dashboard: 30).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlmodel import Session

from app.cmd_report import UsageError, resolve_scope
from app.cmd_sync import open_store
from app.config import Config, load_config, speak
from app.logs import setup_logging
from app.settings import kpi_settings
from app.web_pages import link_url, public_base
from kpi.scope import ScopeError
from store.web_models import LinkKind, LinkScope, create_link, list_links, revoke_link

DEFAULT_DAYS: dict[str, int | None] = {"tv": None, "dashboard": 30}


def token_of(text: str) -> str:
    """The token from a link's URL (``.../tv/TOKEN``, ``.../d/TOKEN/``) or the bare token."""
    path = urlsplit(text.strip()).path if "://" in text else text.strip()
    parts = [p for p in path.split("/") if p]
    return parts[-1] if parts else ""


def _make(config: Config, args: argparse.Namespace, kind: LinkKind) -> int:
    settings = kpi_settings(config)
    days = DEFAULT_DAYS[kind] if args.days is None else args.days
    if days is not None and days < 1:
        print("crm-pulse: --days must be 1 or more", file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    engine = open_store(config)
    try:
        with Session(engine) as session:
            scope = resolve_scope(session, settings, args.employee, args.department)
            if not scope.employees and scope.kind != "employee":
                print(f"note: {scope.name} has no employees yet (run crm-pulse sync)")
            expires = None if days is None else now + timedelta(days=days)
            token = create_link(
                session,
                kind,
                LinkScope(scope.kind, scope.id),
                now=now,
                expires_at=expires,
                created_by="cli",
            )
    except (UsageError, ScopeError) as exc:
        print(f"crm-pulse: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    if not config.web.public_url:
        print(
            "note: [web] public_url is not set; the link uses the listener's own address",
            file=sys.stderr,
        )
    until = "never expires" if expires is None else f"expires {expires:%Y-%m-%d %H:%M} UTC"
    print(f"{kind} link for {scope.kind} {scope.name}: {until}")
    print(link_url(public_base(config), kind, token))
    return 0


def _revoke(config: Config, url: str) -> int:
    engine = open_store(config)
    try:
        with Session(engine) as session:
            link = revoke_link(session, token_of(url), now=datetime.now(UTC))
    finally:
        engine.dispose()
    if link is None:
        print("crm-pulse: no such link (check the URL); nothing revoked", file=sys.stderr)
        return 1
    print(f"revoked: {link.kind} link #{link.id} ({link.scope_kind} {link.scope_id or ''})")
    return 0


def _list(config: Config) -> int:
    engine = open_store(config)
    now = datetime.now(UTC)
    try:
        with Session(engine) as session:
            links = list_links(session)
    finally:
        engine.dispose()
    print(f"{'id':>4}  {'kind':<9} {'scope':<18} {'created':<16} {'state'}")
    for link in links:
        if link.revoked_at is not None:
            state = f"revoked {link.revoked_at:%Y-%m-%d %H:%M}"
        elif link.expires_at is not None and link.expires_at <= now:
            state = f"expired {link.expires_at:%Y-%m-%d %H:%M}"
        elif link.expires_at is not None:
            state = f"live until {link.expires_at:%Y-%m-%d %H:%M}"
        else:
            state = "live, no expiry"
        scope = f"{link.scope_kind} {link.scope_id or ''}".strip()
        print(f"{link.id:>4}  {link.kind:<9} {scope:<18} {link.created_at:%Y-%m-%d %H:%M} {state}")
    return 0


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    speak(config)
    setup_logging(config.logging.level)
    if args.action == "revoke":
        return _revoke(config, args.url)
    if args.action == "list":
        return _list(config)
    kind: LinkKind = "tv" if args.action == "tv" else "dashboard"
    return _make(config, args, kind)
