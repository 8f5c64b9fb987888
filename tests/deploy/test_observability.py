"""Request ids, structured log lines, the guarded /metrics endpoint and the queue-length reader."""

from __future__ import annotations

import io
import json
import logging
import logging.config
import subprocess
import sys
import uuid
from ipaddress import ip_network

import pytest
import redis
from django.contrib.auth.models import AnonymousUser
from django.test import Client, RequestFactory
from django.utils.functional import SimpleLazyObject

from readiness.core import metrics
from readiness.core.logging import ContextFilter, logging_config, request_id_var
from readiness.core.middleware import loaded_user_id
from tests.deploy.processes import ROOT, base_env, redis_database
from tests.factories import UserFactory

QUEUE_TEST_REDIS = redis_database(13)
QUEUE_NAMES = ("analysis", "probes", "email")


def test_a_sane_request_id_is_kept_and_a_bad_one_replaced():
    client = Client()
    assert client.get("/health", HTTP_X_REQUEST_ID="proxy-id-42")["X-Request-ID"] == "proxy-id-42"
    replaced = client.get("/health", HTTP_X_REQUEST_ID="bad id\r\nSet-Cookie: x")["X-Request-ID"]
    assert len(replaced) == 32 and replaced.isalnum()
    assert client.get("/health")["X-Request-ID"] != client.get("/health")["X-Request-ID"]


def test_the_user_id_is_recorded_only_when_the_request_loaded_the_user():
    user = UserFactory.build(pk=41)
    request = RequestFactory().get("/")
    request.user = SimpleLazyObject(lambda: user)
    # Not loaded yet: reading it would cost /health a session and database query.
    assert loaded_user_id(request) is None
    assert request.user.is_authenticated  # a view loads it
    assert loaded_user_id(request) == 41
    request.user = SimpleLazyObject(AnonymousUser)
    request.user.is_authenticated  # noqa: B018 - load it
    assert loaded_user_id(request) is None
    # Through the stack: an anonymous /health leaves no user id for the access log.
    assert Client().get("/health").wsgi_request.META["readiness.user_id"] is None


def _json_logger(name: str) -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    config = logging_config(fmt="json", level="INFO")
    config["handlers"]["console"]["stream"] = stream
    config.pop("root")
    config["loggers"] = {name: {"handlers": ["console"], "level": "INFO", "propagate": False}}
    logging.config.dictConfig(config)
    return logging.getLogger(name), stream


def test_a_log_line_is_one_json_object_with_the_request_id():
    logger, stream = _json_logger("deploy_test.json")
    token = request_id_var.set("req-7")
    try:
        logger.warning("something %s", "happened", extra={"repository": 3})
    finally:
        request_id_var.reset(token)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    line = json.loads(lines[0])
    assert line["message"] == "something happened" and line["level"] == "WARNING"
    assert line["request_id"] == "req-7" and line["repository"] == 3 and "time" in line


def test_celery_lines_carry_the_task_id_and_name():
    record = logging.LogRecord(
        "celery.app.trace", logging.INFO, __file__, 1, "Task %(name)s[%(id)s] succeeded", None, None
    )
    record.args = {"id": "abc", "name": "repos.analysis_run"}
    ContextFilter().filter(record)
    assert (record.task_id, record.task_name) == ("abc", "repos.analysis_run")


@pytest.mark.parametrize("value", ["json", "JSON", "plain"])
def test_log_format_is_read_strictly(value):
    env = base_env(LOG_FORMAT=value, DJANGO_SETTINGS_MODULE="readiness.settings")
    code = "from django.conf import settings; print(settings.LOG_FORMAT)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.stdout.strip() == value.lower(), out.stderr
    bad = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "LOG_FORMAT": "xml"},
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "LOG_FORMAT" in bad.stderr


def test_metrics_are_not_public_by_default(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", []
    assert Client().get("/metrics").status_code == 404


def test_metrics_need_the_token(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "s3cret-token", []
    client = Client()
    client.get("/health")
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'readiness_http_requests_total{method="GET",route="health",status="200"}' in body
    assert "readiness_broker_up 1.0" in body  # the test broker is the real Redis


def test_metrics_allowed_networks_trust_direct_clients_only(settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", [ip_network("127.0.0.0/8")]
    client = Client(REMOTE_ADDR="127.0.0.1")
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    assert Client(REMOTE_ADDR="10.0.0.5").get("/metrics").status_code == 403


def test_queue_lengths_count_every_priority_list():
    # Names of our own: another run of the suite may share this Redis.
    analysis, probes, email = (f"deploy-test-{uuid.uuid4().hex}-{name}" for name in QUEUE_NAMES)
    client = redis.Redis.from_url(QUEUE_TEST_REDIS)
    try:
        client.rpush(analysis, "m1", "m2")
        client.rpush(f"{analysis}\x06\x169", "m3")
        client.rpush(probes, "m4")
        lengths = metrics.queue_lengths(QUEUE_TEST_REDIS, (analysis, probes, email))
        assert lengths == {analysis: 3, probes: 1, email: 0}
    finally:
        client.delete(analysis, f"{analysis}\x06\x169", probes)


def test_queue_lengths_tolerate_a_broker_that_is_away():
    assert metrics.queue_lengths("redis://127.0.0.1:1/0") is None
    assert metrics.queue_lengths("filesystem://") is None
