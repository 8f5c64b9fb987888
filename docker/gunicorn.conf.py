"""Gunicorn settings for the web container: ``gunicorn -c docker/gunicorn.conf.py readiness.wsgi``.

Every knob comes from the environment (docker/.env.example documents each). On SIGTERM gunicorn
stops accepting, lets in-flight requests finish for ``graceful_timeout`` seconds, then exits 0;
compose's ``stop_grace_period`` for the web is longer, so Docker's SIGKILL never cuts a request.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from gunicorn import glogging

# The repository root (/app in the image), so `readiness` imports however gunicorn was started.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from readiness.core.logging import logging_config


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    try:
        return int(raw) if raw.strip() else default
    except ValueError:
        message = f"Configuration error: {name}={raw!r} is not valid; expected a whole number."
        raise SystemExit(message) from None


bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# gthread: threads keep a slow request from blocking a whole process (see docs/deploy.md, sizing).
worker_class = "gthread"
workers = _int("WEB_CONCURRENCY", 3)
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then, so a slow leak cannot grow forever; jitter avoids all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
# The heartbeat file lives in memory: a container's overlay filesystem can stall it.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
# X-Forwarded-Proto from the TLS proxy makes request.is_secure() true (secure cookies, CSRF).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Never the app before fork: each worker opens its own database connections.
preload_app = False
# Gunicorn 27 opens a control socket under $HOME by default; nothing here uses it.
control_socket_disable = True

# Logs: JSON lines (or plain with LOG_FORMAT=plain), one access line per request, on stderr.
# Gunicorn sends "Server: gunicorn" without a version, which the catalog's server-header check accepts.
_log_format = os.environ.get("LOG_FORMAT", "json").strip().lower()
loglevel = os.environ.get("LOG_LEVEL", "INFO").lower()
accesslog = "-"
errorlog = "-"
logconfig_dict = logging_config(fmt=_log_format, level=loglevel.upper())


class JsonAccessLogger(glogging.Logger):
    """One structured access line per request, with the request and user ids the Django
    middleware (readiness/core/middleware.py) left in the WSGI environ."""

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        method, path = environ.get("REQUEST_METHOD", "-"), environ.get("PATH_INFO", "-")
        fields = {
            "method": method,
            "path": path,
            "query": environ.get("QUERY_STRING") or None,
            "status": int(status),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "bytes": getattr(resp, "sent", None),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "request_id": environ.get("readiness.request_id"),
            "user_id": environ.get("readiness.user_id"),
        }
        self.access_log.info("%s %s %s", method, path, status, extra=fields)


logger_class = JsonAccessLogger

# Metrics: each worker process writes its counters here and /metrics sums them (prometheus
# multiprocess mode). Set before any worker imports prometheus_client.
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="readiness-prometheus-")


def on_starting(server):
    from readiness.core.metrics import clear_multiprocess_dir

    clear_multiprocess_dir()


def post_worker_init(worker):
    # Import the URLconf and every view now, not on the first request (about a second here).
    from django.urls import get_resolver

    worker.log.debug("%d URL patterns loaded", len(get_resolver().url_patterns))


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    # The folder made above for this master goes with it (a restart makes a new one).
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
