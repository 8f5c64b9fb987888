"""Checklists: production-readiness templates (data in ``builtin/``) and their items' states."""
