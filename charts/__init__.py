"""crm-pulse: charts."""
