"""Renderers of a ScanReport: text for people, JSON for programs, SARIF for code scanning."""
