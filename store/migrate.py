"""Schema migrations (Alembic), run from code: ``migrate(engine)`` brings a store to head.

Every command calls it on start. A store already at head is left alone without a lock; one
that needs work is migrated under the store's "schema" lock, so two first starts at once do
not race to create the same tables (``table activities already exists``).
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from store.db import check_reachable
from store.locks import hold

MIGRATIONS = Path(__file__).with_name("migrations")
# A migration of a big store can take a while; a second start waits for it, then finds the
# schema at head and goes on.
SCHEMA_WAIT_SECONDS = 300.0


def alembic_config(engine: Engine) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def at_head(engine: Engine, cfg: AlembicConfig | None = None) -> bool:
    """Whether the store's schema is the newest this code knows."""
    heads = set(ScriptDirectory.from_config(cfg or alembic_config(engine)).get_heads())
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == heads


def migrate(engine: Engine, revision: str = "head", *, wait: float = SCHEMA_WAIT_SECONDS) -> None:
    """Upgrade the store to ``revision``; safe to call on every start, from many at once.

    A wrong address or a stopped server raises ``StoreError`` saying so, before any lock.
    """
    check_reachable(engine)
    cfg = alembic_config(engine)
    try:
        done = revision == "head" and at_head(engine, cfg)
    except DBAPIError:
        # busy with another start's set-up (a new SQLite file mid-creation): ask under the lock
        done = False
    if done:
        return
    with hold(engine, "schema", wait=wait, what="a schema upgrade"):
        # whoever held the lock before us may have done the work already; upgrade is a no-op then
        command.upgrade(cfg, revision)
