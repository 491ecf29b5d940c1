"""``crm-pulse check``: every part of a setup proven before the first post, one line each.

Each line starts with ok, warn or fail, then what was found, then the fix. Exit 0 when
nothing failed, 1 otherwise. A config that cannot be read is itself a failed line.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from datetime import UTC, datetime

from app.config import ConfigError, load_config
from app.setup_checks import Line, all_lines

INIT_FIX = "crm-pulse init --config PATH writes one from the portal"


def run(args: argparse.Namespace) -> int:
    # The checks report every failure in their own line; library warnings would only repeat it.
    logging.basicConfig(level=logging.ERROR)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        fix = "edit the key named" if args.config.exists() else INIT_FIX
        for problem in str(exc).splitlines():
            print(Line("fail", f"config: {problem}", fix).render())
        return 1
    print(Line("ok", f"config {args.config} valid").render())
    lines = asyncio.run(all_lines(config, datetime.now(tz=UTC)))
    for line in lines:
        print(line.render(), flush=True)
    return 1 if any(line.status == "fail" for line in lines) else 0
