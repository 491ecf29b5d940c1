"""crm-pulse: crm/emulator."""
