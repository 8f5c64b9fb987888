"""Fixes computed for the file at hand: each failing finding that has a mechanical fix carries
structured edits (file, line range, replacement text) built from that file's own context.

``registry.attach_fixes`` runs the builders after a scan (``analyze(..., fixes=True)``);
``apply`` merges the edits per file, renders them as a unified diff and writes them safely.
"""

from .model import Edit, Fix

__all__ = ["Edit", "Fix"]
