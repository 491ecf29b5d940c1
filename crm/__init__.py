"""crm-pulse: crm."""
