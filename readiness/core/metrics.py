"""Prometheus metrics: HTTP requests, Celery tasks, queue lengths and probe results.

Several processes count: gunicorn's workers, Celery's prefork children. With
``PROMETHEUS_MULTIPROC_DIR`` set (docker/gunicorn.conf.py sets it for the web; compose sets it for
the workers) every process writes its values to files there and a scrape sums them, which is
prometheus-client's multiprocess mode. Without it (``make run``, tests) the default registry serves.

The web exposes ``/metrics`` (guarded, see ``scrape_allowed``); a worker with
``WORKER_METRICS_PORT`` set serves its task and probe counters on that port from its main process.
Queue lengths are read from the broker at scrape time, by the web only.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time

from celery import signals
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily

logger = logging.getLogger(__name__)

# Unlabelled metrics create their files at import: the folder must exist by then.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

QUEUES = ("analysis", "probes", "email")
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

HTTP_REQUESTS = Counter(
    "readiness_http_requests_total", "HTTP requests answered.", ["method", "route", "status"]
)
HTTP_DURATION = Histogram(
    "readiness_http_request_duration_seconds",
    "Time to answer an HTTP request, in the Django middleware stack.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASKS = Counter("readiness_celery_tasks_total", "Celery tasks that ended, by final state.", ["task", "state"])
TASK_FAILURES = Counter(
    "readiness_celery_task_failures_total", "Celery tasks that raised.", ["task", "exception"]
)
TASK_DURATION = Histogram(
    "readiness_celery_task_duration_seconds",
    "Time a Celery task ran.",
    ["task"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
PROBE_RESULTS = Counter(
    "readiness_probe_results_total", "Health-endpoint probes by outcome: ok or the error class.", ["outcome"]
)
PROBE_LATENCY = Histogram(
    "readiness_probe_latency_seconds",
    "Latency of answered health-endpoint probes.",
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in METHODS else "OTHER"
    HTTP_REQUESTS.labels(method=method, route=route, status=str(status)).inc()
    HTTP_DURATION.labels(method=method, route=route).observe(seconds)


def observe_probe(*, ok: bool, error_class: str | None = None, latency_ms: float | None = None) -> None:
    """For the probes code: one call per probe result."""
    PROBE_RESULTS.labels(outcome="ok" if ok else (error_class or "error")).inc()
    if latency_ms is not None:
        PROBE_LATENCY.observe(latency_ms / 1000)


# --- Celery tasks (connected when the worker imports this module: CELERY_IMPORTS) -----------------

_started: dict[str, float] = {}


@signals.task_prerun.connect
def _task_prerun(task_id=None, **_):
    _started[task_id] = time.monotonic()


@signals.task_postrun.connect
def _task_postrun(task_id=None, task=None, state=None, **_):
    started = _started.pop(task_id, None)
    name = getattr(task, "name", "unknown")
    TASKS.labels(task=name, state=(state or "unknown").lower()).inc()
    if started is not None:
        TASK_DURATION.labels(task=name).observe(time.monotonic() - started)


@signals.task_failure.connect
def _task_failure(sender=None, exception=None, **_):
    TASK_FAILURES.labels(task=getattr(sender, "name", "unknown"), exception=type(exception).__name__).inc()


@signals.worker_init.connect
def _serve_worker_metrics(**_):
    """In the worker's main process, before the pool forks: serve the children's counters."""
    port = os.environ.get("WORKER_METRICS_PORT")
    if not port:
        return
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        logger.warning("WORKER_METRICS_PORT without PROMETHEUS_MULTIPROC_DIR: pool processes not counted")
    clear_multiprocess_dir()
    start_http_server(int(port), addr=os.environ.get("WORKER_METRICS_ADDR", "0.0.0.0"), registry=_registry())  # noqa: S104
    logger.info("worker metrics on port %s", port)


# --- exposition ---------------------------------------------------------------------------------


def clear_multiprocess_dir() -> None:
    """Files left by a previous run would add old counts to new ones: start from empty."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not folder:
        return
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.unlink(os.path.join(folder, name))


def _registry() -> CollectorRegistry:
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def render(broker_url: str | None) -> tuple[bytes, str]:
    """The text exposition of this service's metrics, plus the queue lengths read now."""
    queues = CollectorRegistry()
    queues.register(QueueLengthCollector(broker_url))
    return generate_latest(_registry()) + generate_latest(queues), CONTENT_TYPE_LATEST


class QueueLengthCollector:
    """Messages waiting in each Celery queue, read from the Redis broker at scrape time."""

    def __init__(self, broker_url: str | None):
        self.broker_url = broker_url

    def collect(self):
        lengths = queue_lengths(self.broker_url)
        up = GaugeMetricFamily("readiness_broker_up", "1 when the broker answered the queue-length read.")
        up.add_metric([], 0 if lengths is None else 1)
        yield up
        gauge = GaugeMetricFamily(
            "readiness_celery_queue_length", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        for queue, length in (lengths or {}).items():
            gauge.add_metric([queue], length)
        yield gauge


def queue_lengths(broker_url: str | None, queues: tuple[str, ...] = QUEUES) -> dict[str, int] | None:
    """LLEN of each queue and its priority sub-queues; None when the broker cannot tell."""
    if not broker_url or not broker_url.startswith(("redis://", "rediss://")):
        return None  # the filesystem broker of `make run` has no cheap count
    import redis

    try:
        client = redis.Redis.from_url(broker_url, socket_timeout=1, socket_connect_timeout=1)
        with client.pipeline(transaction=False) as pipe:
            for queue in queues:
                for key in _priority_keys(queue):
                    pipe.llen(key)
            sizes = pipe.execute()
    except Exception as exc:  # a scrape must never fail because the broker is away
        logger.warning("queue lengths unavailable: %s", type(exc).__name__)
        return None
    steps = len(_priority_keys(""))
    return {queue: sum(sizes[i * steps : (i + 1) * steps]) for i, queue in enumerate(queues)}


def _priority_keys(queue: str) -> list[str]:
    # kombu's Redis transport keeps priorities 3, 6 and 9 in "<queue>\x06\x16<priority>" lists.
    return [queue] + [f"{queue}\x06\x16{priority}" for priority in (3, 6, 9)]


def scrape_allowed(*, authorization: str, remote_addr: str, forwarded: bool, token: str, networks) -> bool:
    """A Bearer token equal to ``token``, or a direct (not proxied) client inside ``networks``."""
    if token and authorization.startswith("Bearer "):
        return hmac.compare_digest(authorization.removeprefix("Bearer ").encode(), token.encode())
    if forwarded or not networks:
        # Through the TLS proxy every client has the proxy's address: never trust it by IP.
        return False
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return False
    return any(address in network for network in networks)
