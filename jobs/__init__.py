"""Scheduled work: syncs, team posts, personal alerts, each slot delivered once.

Entry points (``app`` wires them): ``jobs.schedule.build_scheduler(deps)`` for
``crm-pulse run`` and ``jobs.runner.run_job(name, deps, force=..., now=...)`` for
``crm-pulse post``; ``jobs.deps.JobDeps`` is everything they need, ``jobs.delivery`` the
protocol the chat front ends implement. Nothing happens at import time.
"""
