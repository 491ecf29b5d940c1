"""crm-pulse: emulator."""
