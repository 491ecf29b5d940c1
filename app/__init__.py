"""Composition root: config, CLI, wiring, start-up and shut-down. Nothing imports app."""
