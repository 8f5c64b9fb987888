"""The outbound-address policy shared by repository fetches and health probes.

Administrators allow internal networks in the admin (AllowedNetwork rows); the product's own
database, broker and SMTP hosts are always denied, whatever the allow rules say.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from readiness.core.models import AllowedNetwork
from readiness.probes.guard import AddressPolicy, AllowRule

# A service URL without a port means the scheme's default; deny that port, not the whole host
# (a bare "localhost" entry would block every local port and make allow rules useless).
DEFAULT_PORTS = {
    "postgres": 5432,
    "postgresql": 5432,
    "pgsql": 5432,
    "mysql": 3306,
    "redis": 6379,
    "rediss": 6379,
    "amqp": 5672,
    "amqps": 5671,
    "smtp": 25,
}


def _host_port(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = parts.port or DEFAULT_PORTS.get(parts.scheme.split("+")[0])
    return f"{host}:{port}" if port else host


def own_service_hosts() -> list[str]:
    """host[:port] of our database, broker and SMTP server: never a probe or fetch target."""
    entries = []
    for url in (settings.DATABASE_URL, settings.CELERY_BROKER_URL):
        entry = _host_port(url)
        if entry:
            entries.append(entry)
    if getattr(settings, "EMAIL_HOST", ""):
        entries.append(f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}")
    return entries


def address_policy() -> AddressPolicy:
    rules = [
        AllowRule(target=rule.target, port=rule.port, reason=rule.reason, added_by=rule.added_by)
        for rule in AllowedNetwork.objects.all()
    ]
    return AddressPolicy(allow=rules, hard_deny=own_service_hosts() + list(settings.EGRESS_HARD_DENY))
