"""Fixed-window rate limits with counters in Redis, so a limit holds across processes and hosts.

Each (scope, client, window) has one counter: ``INCR`` then ``EXPIRE`` in one MULTI/EXEC. The key
names the window (``now // seconds``), so a counter never needs resetting: it expires with its
window. Limits come from settings as ``(requests, seconds)`` or None (off), read at call time.

Where ``RATE_LIMIT_REDIS_URL`` is empty (``make run``'s embedded mode, whose broker is the file
system) the counters live in this process's memory instead: good enough for one developer's
machine, wrong for several processes or hosts, which is why production sets a Redis URL.

When Redis does not answer, requests are let through and a warning is logged: an outage of the
limiter must not take the API, the webhooks or the login page down with it.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from functools import wraps

import redis
from django.conf import settings
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window ends


class RedisCounters:
    def __init__(self, url: str):
        # Short timeouts: a slow Redis must not hold every request up.
        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def hit(self, key: str, seconds: int) -> int:
        pipe = self.client.pipeline(transaction=True)
        pipe.incr(key)
        pipe.expire(key, seconds + 1)
        count, _ = pipe.execute()
        return int(count)


class MemoryCounters:
    """Only for the embedded mode of ``make run`` (one process group on one machine)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: dict[str, tuple[int, float]] = {}

    def hit(self, key: str, seconds: int) -> int:
        now = time.monotonic()
        with self.lock:
            if len(self.counts) > 10_000:  # drop expired windows now and then
                self.counts = {k: v for k, v in self.counts.items() if v[1] > now}
            count, expires = self.counts.get(key, (0, now + seconds + 1))
            self.counts[key] = (count + 1, expires)
            return count + 1


_backends: dict[str, RedisCounters | MemoryCounters] = {}
_backends_lock = threading.Lock()


def _backend() -> RedisCounters | MemoryCounters:
    url = settings.RATE_LIMIT_REDIS_URL or ""
    with _backends_lock:
        if url not in _backends:
            _backends[url] = RedisCounters(url) if url else MemoryCounters()
        return _backends[url]


def hit(scope: str, ident: str, rate: tuple[int, int] | None, *, now: float | None = None) -> Decision | None:
    """Count one request of ``ident`` in ``scope``; None when the limit is off."""
    if rate is None:
        return None
    limit, seconds = rate
    now = time.time() if now is None else now
    window = int(now // seconds)
    retry_after = max(1, math.ceil((window + 1) * seconds - now))
    key = f"{settings.RATE_LIMIT_KEY_PREFIX}:{scope}:{ident}:{seconds}:{window}"
    try:
        count = _backend().hit(key, seconds)
    except redis.RedisError as exc:
        logger.warning("rate limit counter unavailable, request allowed: %s", exc)
        return Decision(True, limit, limit, retry_after)
    return Decision(count <= limit, limit, max(0, limit - count), retry_after)


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or with RATE_LIMIT_PROXY_COUNT trusted proxies in front,
    the X-Forwarded-For entry the outermost trusted proxy added (earlier entries can be forged)."""
    hops = settings.RATE_LIMIT_PROXY_COUNT
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or "unknown"


def too_many_requests(decision: Decision, *, html: bool = False) -> HttpResponse:
    message = f"Too many requests; try again in {decision.retry_after} s."
    if html:
        # The login form is used from a browser: a short page, not JSON.
        body = f"<!doctype html><title>Too many attempts</title><p>{message}</p>"
        response = HttpResponse(body, status=429)
    else:
        response = JsonResponse({"detail": message, "retry_after": decision.retry_after}, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return response


def rate_limit_by_ip(scope: str, setting: str, *, methods: tuple[str, ...] | None = None, html: bool = False):
    """Limit a view per client address with the rate in settings.<setting>; only ``methods`` count."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if methods is None or request.method in methods:
                decision = hit(scope, client_ip(request), getattr(settings, setting))
                if decision is not None and not decision.allowed:
                    return too_many_requests(decision, html=html)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
