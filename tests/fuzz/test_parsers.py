"""Fuzzing the parsers of user-controlled input with Hypothesis. Every input ends in a parsed result
or a typed, user-facing error: never an exception escaping, never the Dockerfile parser's catch-all
("could not be parsed: <ExceptionName>"), which would mean a bug hidden behind a message.

A short run is part of ``make test``; ``make fuzz`` runs 100,000 inputs (HYPOTHESIS_PROFILE=fuzz).
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from readiness.checklists.template_format import TemplateError
from readiness.checklists.template_markdown import template_from_markdown
from readiness.engine.compose import load_compose
from readiness.engine.config import CONFIG_FILE, Config, load_config
from readiness.engine.dockerfile import parse_dockerfile
from readiness.engine.dockerignore import parse_dockerignore

# --- inputs that look like the real thing, so the fuzzer gets past the first line ---------------

INSTRUCTIONS = ["FROM", "RUN", "CMD", "ENTRYPOINT", "COPY", "ADD", "ENV", "ARG", "USER", "WORKDIR",
                "EXPOSE", "HEALTHCHECK", "LABEL", "ONBUILD", "SHELL", "STOPSIGNAL", "VOLUME"]  # fmt: skip
PIECES = ["python:3.12-slim", "AS build", "--from=build", "--mount=type=cache,target=/root/.cache",
          "<<EOF", "EOF", "\\", "`", '["app", "--port", "8000"]', "${VAR:-x}", "$VAR", "--chown=1:1",
          "CMD curl -f http://localhost/health", "NONE", "--interval=5s", "a=b", "'q'", '"', "#", "\t",
          "# syntax=docker/dockerfile:1", "# escape=`", "&&", "||", ";", "|", "=", "\x00", "é"]  # fmt: skip
word = st.one_of(st.sampled_from(PIECES), st.sampled_from(INSTRUCTIONS), st.text(max_size=12))
line = st.lists(word, max_size=8).map(" ".join)
dockerfile_text = st.lists(line, max_size=25).map("\n".join)
raw_bytes = st.one_of(
    st.binary(max_size=600), dockerfile_text.map(lambda t: t.encode("utf-8", "surrogatepass"))
)

yaml_scalar = st.one_of(
    st.sampled_from(
        [
            "image",
            "build",
            "healthcheck",
            "services",
            "x",
            "<<",
            "*a",
            "&a",
            "~",
            "null",
            "yes",
            "'8000:8000'",
            "${PORT:-80}",
            "$$",
            "{",
            "[",
            "- ",
            ": ",
            "\t",
            "0x1F",
            ".inf",
        ]
    ),
    st.text(max_size=10),
    st.integers(),
)


@st.composite
def yaml_documents(draw) -> bytes:
    """Half the time a structured compose-like mapping dumped as YAML, else free text."""
    if draw(st.booleans()):
        leaf = st.one_of(yaml_scalar, st.lists(yaml_scalar, max_size=4))
        tree = st.recursive(
            leaf, lambda children: st.dictionaries(st.text(max_size=12), children, max_size=5), max_leaves=25
        )
        services = st.dictionaries(st.text(min_size=1, max_size=8), tree, max_size=4)
        document = {
            "services": draw(services),
            **draw(st.dictionaries(st.text(max_size=8), tree, max_size=3)),
        }
        return json.dumps(document, default=str).encode()  # JSON is YAML
    text = draw(st.lists(st.lists(yaml_scalar.map(str), max_size=6).map(" ".join), max_size=20))
    return "\n".join(text).encode("utf-8", "surrogatepass")


# --- properties ---------------------------------------------------------------------------------


@given(raw_bytes)
def test_dockerfile_parser_never_raises_nor_hides_a_bug(raw):
    result = parse_dockerfile("Dockerfile", raw)
    assert result.error is None or not result.error.startswith("could not be parsed"), result.error


@given(yaml_documents())
@example(b"0 : ")  # found by make fuzz on 2026-12-07: a number key reached the schema's regexes
@example(b"services:\n  web:\n    image: x\n    environment:\n      1: 2\n")
def test_compose_loader_never_raises(raw):
    compose = load_compose("compose.yaml", raw, None)
    assert compose is not None
    assert compose.error is None or isinstance(compose.error, str)


@given(st.one_of(st.binary(max_size=400), st.lists(line, max_size=15).map(lambda ls: "\n".join(ls).encode(
    "utf-8", "surrogatepass"))))  # fmt: skip
def test_dockerignore_parser_never_raises(raw):
    ignore = parse_dockerignore(".dockerignore", raw)
    assert ignore.error is None or isinstance(ignore.error, str)


CONFIG_ROOT = Path(tempfile.mkdtemp(prefix="readiness-fuzz-config-"))
atexit.register(shutil.rmtree, CONFIG_ROOT, ignore_errors=True)


@given(st.one_of(yaml_documents(), st.binary(max_size=300)))
def test_readiness_yml_is_read_or_ignored_with_a_note(raw):
    (CONFIG_ROOT / CONFIG_FILE).write_bytes(raw)
    config = load_config(CONFIG_ROOT)
    assert isinstance(config, Config)


markdown_line = st.one_of(
    st.builds(
        lambda p, t: p + t,
        st.sampled_from(["- [ ] ", "- [x] ", "* ", "## ", "# ", "- ✅ ", "1. ", "    "]),
        st.text(max_size=30),
    ),
    st.text(max_size=40),
)


@given(st.lists(markdown_line, max_size=40).map("\n".join), st.text(max_size=60))
def test_markdown_template_import_gives_a_template_or_a_template_error(text, title):
    try:
        template = template_from_markdown(text, title=title)
    except TemplateError as exc:
        assert str(exc)
    else:
        assert template.categories


HEADER_NAMES = ["X-Hub-Signature-256", "X-GitHub-Event", "X-GitHub-Delivery", "X-Gitlab-Token",
                "X-Gitlab-Event", "X-Gitlab-Event-UUID", "X-Readiness-Signature", "X-Readiness-Event",
                "Idempotency-Key", "Content-Type"]  # fmt: skip
# Header values as WSGI hands them over: latin-1 text.
header_value = st.one_of(st.text(alphabet=st.characters(max_codepoint=255), max_size=40), st.just("sha256="))


@pytest.mark.django_db
@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # A third of a pure parser's share: each input is a whole request through Django and PostgreSQL.
    max_examples=max(60, settings.default.max_examples // 3),
)
@given(
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES), header_value, max_size=5),
    body=st.one_of(
        st.binary(max_size=300),
        st.dictionaries(st.sampled_from(["ref", "branch", "after", "x"]), yaml_scalar, max_size=3).map(
            lambda d: json.dumps(d, default=str).encode()
        ),
    ),
    sign=st.booleans(),
)
def test_webhook_receiver_answers_every_request_with_a_status(
    client, webhook_repository, headers, body, sign
):
    repository, secret = webhook_repository
    if sign and "X-Hub-Signature-256" in headers:
        headers["X-Hub-Signature-256"] = (
            "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        )
    meta = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
    response = client.post(
        f"/hooks/{repository.webhook_id}/", data=body, content_type="application/json", **meta
    )
    assert response.status_code in (200, 202, 400, 401, 403, 404, 413, 429), response.status_code


@pytest.fixture
def webhook_repository(db, settings):
    from readiness.repos.services import webhook_secret_rotate

    settings.RATE_LIMIT_WEBHOOK = None  # every input reaches the parser
    from tests.factories import RepositoryFactory

    repository = RepositoryFactory(branch="main")
    return repository, webhook_secret_rotate(repository=repository)
