"""Test-only WSGI entry point: readiness.wsgi plus one slow path, to hold a request in flight.

Started by tests/deploy/test_graceful_shutdown.py with the production gunicorn config. The slow
path sleeps, then hands the request to Django as GET /health, so the answer still goes through the
whole middleware stack after gunicorn received SIGTERM. Never imported by the product.
"""

import os
import time
from pathlib import Path
from urllib.parse import parse_qs

from readiness.wsgi import application as django_application

SLOW_PATH = "/__deploy_test__/slow"


def application(environ, start_response):
    if environ.get("PATH_INFO") != SLOW_PATH:
        return django_application(environ, start_response)
    seconds = float(parse_qs(environ.get("QUERY_STRING", "")).get("seconds", ["1"])[0])
    Path(os.environ["DEPLOY_TEST_MARKER_DIR"], "request-started").touch()
    time.sleep(seconds)
    environ["PATH_INFO"] = "/health"
    return django_application(environ, start_response)
