"""crm-pulse: kpi."""
