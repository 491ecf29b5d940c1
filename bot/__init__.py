"""crm-pulse: bot."""
