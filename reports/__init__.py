"""crm-pulse: reports."""
