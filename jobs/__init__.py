"""crm-pulse: jobs."""
