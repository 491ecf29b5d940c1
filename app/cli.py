"""The ``crm-pulse`` command: argument parsing and the top-level error messages.

Each sub-command lives in its own module of ``app``; this one only dispatches and turns
known failures into one clear line and an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from app.config import ConfigError
from store.errors import StoreError

Handler = Callable[[argparse.Namespace], int]


def _lang_arg(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--lang", choices=["ru", "en"], help=what)


def _config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("config.toml"),
        help="TOML config file (default ./config.toml); see config.example.toml",
    )


def _contest_parser(sub: Any) -> None:
    """`crm-pulse contest start|list|show|stop` (DESIGN.md "Stable interfaces added")."""
    contest = sub.add_parser("contest", help="start, list, show or stop a contest")
    actions = contest.add_subparsers(dest="action", required=True, metavar="ACTION")
    start = actions.add_parser("start", help="start a contest; prints its id last")
    start.add_argument("--name", required=True, metavar="TEXT")
    start.add_argument("--metric", required=True, metavar="M", help="calls, revenue, points, ...")
    start.add_argument("--start", required=True, metavar="DAY", help="YYYY-MM-DD")
    start.add_argument("--end", required=True, metavar="DAY", help="YYYY-MM-DD, included")
    start.add_argument("--kind", default="top", metavar="top|target|teams")
    start.add_argument("--target", metavar="N", help="the number to reach (kind target)")
    start.add_argument("--department", metavar="ID|NAME", help="one department's tree")
    start.add_argument("--prize", default="", metavar="TEXT")
    contest_list = actions.add_parser("list", help="every contest with its status")
    show = actions.add_parser("show", help="a contest with its standings")
    show.add_argument("id", type=int, metavar="ID")
    stop = actions.add_parser("stop", help="end a contest now")
    stop.add_argument("id", type=int, metavar="ID")
    for action in (start, contest_list, show, stop):
        _config_arg(action)
        action.add_argument("--json", action="store_true", help="print JSON")
    contest.set_defaults(module="app.cmd_contest")


def _link_parser(sub: Any) -> None:
    """`crm-pulse link tv|dashboard|revoke|list` (DESIGN.md "Stable interfaces added")."""
    link = sub.add_parser("link", help="make, revoke or list office TV and dashboard links")
    actions = link.add_subparsers(dest="action", required=True, metavar="ACTION")
    made = []
    for kind, what in (("tv", "the office TV"), ("dashboard", "the web dashboard")):
        make = actions.add_parser(kind, help=f"a link to {what}; prints the URL last")
        make.add_argument("--department", metavar="ID|NAME", help="one department's tree")
        make.add_argument("--employee", metavar="ID|NAME", help="one employee only")
        make.add_argument(
            "--days", type=int, metavar="N", help="expires after N days (TV: never, dashboard: 30)"
        )
        made.append(make)
    revoke = actions.add_parser("revoke", help="revoke a link: it answers 404 from now on")
    revoke.add_argument("url", metavar="URL")
    listed = actions.add_parser("list", help="every link with its scope and state")
    for action in (*made, revoke, listed):
        _config_arg(action)
    link.set_defaults(module="app.cmd_link")


def build_parser() -> argparse.ArgumentParser:  # noqa: PLR0915  (one flat list of commands reads best)
    parser = argparse.ArgumentParser(
        prog="crm-pulse",
        description="Bitrix24 sales figures as chart posts and bot answers.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="the scheduler and the chat front ends, until stopped")
    _config_arg(run)
    run.set_defaults(module="app.cmd_run")

    post = sub.add_parser("post", help="run one scheduled job now")
    post.add_argument(
        "job",
        choices=[
            *("morning", "weekly", "pace", "missed", "overdue", "celebrate"),
            *("contests", "streaks", "badges"),
        ],
    )
    _config_arg(post)
    post.add_argument("--force", action="store_true", help="post even if already posted")
    post.set_defaults(module="app.cmd_post")

    sync = sub.add_parser("sync", help="sync the portal into the store once, then exit")
    _config_arg(sync)
    sync.add_argument("--full", action="store_true", help="re-read the whole history window")
    sync.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="when another sync of the store is running, wait this long for it (default 600)",
    )
    sync.set_defaults(module="app.cmd_sync")

    report = sub.add_parser("report", help="one report to a folder, or as JSON on stdout")
    report.add_argument("name", metavar="NAME", help="rating, coverage, calls, missed, kpi, ...")
    _config_arg(report)
    report.add_argument("--period", default="month", help="today, week, month, ... or A..B")
    report.add_argument("--employee", metavar="ID|NAME")
    report.add_argument("--department", metavar="ID|NAME")
    report.add_argument("--out", type=Path, default=Path("reports-out"))
    report.add_argument("--json", action="store_true", help="print the figures as JSON")
    report.add_argument("--xlsx", action="store_true", help="also write an Excel workbook")
    _lang_arg(report, "captions, charts and the workbook in this language (default: [locale])")
    report.set_defaults(module="app.cmd_report")

    emulator = sub.add_parser("emulator", help="serve the built-in portal emulator")
    emulator.add_argument("--port", type=int, default=8765)
    emulator.add_argument("--seed", type=int, default=1)
    emulator.add_argument("--scale", choices=["small", "medium", "large"], default="small")
    emulator.add_argument(
        "--no-rate-limit", action="store_true", help="answer every request (no 503s)"
    )
    emulator.add_argument("--events-to", metavar="URL", help="POST portal events here")
    emulator.add_argument("--events-token", metavar="T", help="their application_token")
    emulator.add_argument(
        "--events-delay", metavar="MIN-MAX", default="0.5-3", help="seconds (default 0.5-3)"
    )
    _lang_arg(emulator, "the portal's texts (stages, titles, names) in this language")
    emulator.set_defaults(module="app.cmd_emulator")

    demo = sub.add_parser(
        "demo", help="the whole product on the built-in emulator, no configuration needed"
    )
    demo.add_argument("--out", type=Path, default=Path("demo-out"))
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--scale", choices=["small", "medium", "large"], default="small")
    demo.add_argument("--verbose", action="store_true", help="show the log (INFO) on stderr")
    demo.add_argument(
        "--serve", action="store_true", help="then serve the office TV and the dashboard"
    )
    demo.add_argument("--port", type=int, default=8080, help="for --serve (default 8080)")
    _lang_arg(demo, "the portal, the reports and the posts in this language (default ru)")
    demo.set_defaults(module="app.cmd_demo")

    _contest_parser(sub)
    _link_parser(sub)

    auth = sub.add_parser("auth", help="app mode: authorize the local application on the portal")
    _config_arg(auth)
    auth.add_argument("--code", metavar="CODE", help="the authorization code (skips the prompt)")
    auth.set_defaults(module="app.cmd_auth")

    init = sub.add_parser("init", help="write a working config from the portal itself")
    _config_arg(init)
    init.add_argument("--webhook-url", metavar="URL", help="the portal's inbound webhook")
    init.add_argument("--telegram-token", metavar="T", help="the bot's token from @BotFather")
    init.add_argument(
        "--non-interactive", action="store_true", help="ask nothing; take the proposals"
    )
    init.add_argument("--force", action="store_true", help="overwrite an existing config")
    init.set_defaults(module="app.cmd_init")

    check = sub.add_parser("check", help="prove every part of the setup works, one line each")
    _config_arg(check)
    check.set_defaults(module="app.cmd_check")

    plans = sub.add_parser("plans", help="plans to or from an Excel workbook")
    plans.add_argument("action", choices=["export", "import"])
    plans.add_argument("file", type=Path, metavar="FILE.xlsx")
    _config_arg(plans)
    plans.set_defaults(module="app.cmd_plans")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Only the chosen command's module is imported: `sync` need not load matplotlib and
    # aiogram (about 150 MB of a process's memory, and seconds of start-up).
    handler: Handler = importlib.import_module(args.module).run
    try:
        return handler(args)
    except ConfigError as exc:
        print(f"crm-pulse: configuration error:\n{exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"crm-pulse: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error of ours.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("crm-pulse: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        # A database that stopped taking work midway (disk full, read-only, server gone):
        # one line with the fix rather than a traceback; anything else stays a traceback.
        reason = _store_reason(exc)
        if reason is None:
            raise
        print(f"crm-pulse: the store refused: {reason}", file=sys.stderr)
        return 1


def _store_reason(exc: Exception) -> str | None:
    if not type(exc).__module__.startswith("sqlalchemy"):
        return None
    from store.db import explain  # noqa: PLC0415  (SQLAlchemy is loaded already by now)

    return explain(exc)
