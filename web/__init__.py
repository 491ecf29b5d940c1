"""The one web listener of ``crm-pulse run``: portal events, chat webhooks, pages, health."""
