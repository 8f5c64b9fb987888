"""Checks of this family register themselves with @check (see ../registry.py)."""
