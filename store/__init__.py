"""The SQL store: tables, engine, sessions, upserts and migrations. Imports nothing of ours."""
