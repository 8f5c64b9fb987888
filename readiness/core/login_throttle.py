"""The client address django-axes records for login attempts."""

from __future__ import annotations

import ipaddress

from readiness.core.ratelimit import client_ip


def axes_client_ip(request) -> str | None:
    """The address behind our trusted proxies, or None when there is none (e.g. force_login in
    tests): axes stores it in an IP field, which refuses placeholders like "unknown"."""
    address = client_ip(request)
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return None
    return address
