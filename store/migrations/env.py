"""Alembic environment: the engine comes from store.migrate, never from a URL in a file."""

from alembic import context
from sqlmodel import SQLModel

import store.bot_models  # noqa: F401  (the chat front ends' tables)
import store.game_models  # noqa: F401  (contests, badges, streak records)
import store.jobs_models  # noqa: F401  (the delivery ledger and the leader lease)
import store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
import store.oauth_models  # noqa: F401  (app mode: OAuth tokens, the offline drain)
import store.plan_models  # noqa: F401  (plans set by heads, channel costs)
import store.web_models  # noqa: F401  (links to the office TV and the dashboard)

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
