"""What the current request tells about its client, for code far from the view (the audit log).

RequestIdMiddleware sets it once per request; outside a request (Celery tasks, management
commands) it is None. Services record the address without each view passing the request down.
"""

from __future__ import annotations

import contextvars
import ipaddress

client_ip_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)


def current_client_ip() -> str | None:
    """The client address of the request being served (behind RATE_LIMIT_PROXY_COUNT proxies), or
    None outside a request or when it is not an IP address (the test client's "unknown")."""
    address = client_ip_var.get()
    if not address:
        return None
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
