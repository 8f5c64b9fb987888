"""Fixes for the compose.* checks (ruamel.yaml round-trip)."""
