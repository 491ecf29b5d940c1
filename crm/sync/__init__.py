"""The sync from the portal into the store: ``run_sync(client, engine, options)``."""

from crm.sync.engine import EntityCounts, SyncOptions, SyncReport, run_sync

__all__ = ["EntityCounts", "SyncOptions", "SyncReport", "run_sync"]
