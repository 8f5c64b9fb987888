"""Outbound HTTP for Readiness: the SSRF guard, the guarded client and the batch prober.

Pure Python (no Django): the web app passes its settings in as an ``AddressPolicy``.
"""
