"""The engine's own schema validator reports what jsonschema reports, on the files it will meet.

jsonschema (a test dependency only) is the reference: for every compose file of the corpus and of
the engine fixtures, and for thousands of deterministic mutations of them (wrong types, unknown
keys, missing keys, bad enum values), both give the same errors: message, keyword and path, and
the same best_match choice, which is what the compose.valid evidence shows.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import jsonschema
import pytest
from jsonschema.exceptions import best_match as reference_best_match

from readiness.engine import compose_schema, safe_yaml
from readiness.engine.config import CONFIG_SCHEMA
from readiness.engine.discover import is_compose_candidate
from readiness.engine.schema_validator import SchemaUnsupported, Validator, best_match
from tests.shared_dir import shared_path

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "engine" / "fixtures"
CORPUS = shared_path("corpus", "awesome-compose")
SCHEMA = json.loads((compose_schema.SCHEMAS / "compose-spec.json").read_text())

ours = Validator(SCHEMA)
reference = jsonschema.Draft202012Validator(SCHEMA)


def compose_documents() -> list[tuple[str, dict]]:
    roots = [FIXTURES, CORPUS]
    documents = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if not (path.is_file() and is_compose_candidate(path.name)):
                continue
            try:
                data = safe_yaml.load(path.read_bytes()).data
            except safe_yaml.YAMLLimitError:  # hostile fixtures: the loader's own tests cover them
                continue
            if isinstance(data, dict):
                documents.append((str(path.relative_to(root.parent)), data))
    return documents


DOCUMENTS = compose_documents()


def described(errors, best) -> list[tuple]:
    """Each top-level error as the engine reads it: best match's path, keyword and message."""
    found = []
    for error in errors:
        chosen = best([error])
        found.append((tuple(chosen.absolute_path), chosen.validator, chosen.message))
    return sorted(found, key=repr)


def assert_same(instance, schema_validator=ours, reference_validator=reference):
    expected = described(reference_validator.iter_errors(instance), reference_best_match)
    actual = described(schema_validator.iter_errors(instance), best_match)
    assert actual == expected


def test_there_are_documents_to_compare():
    assert len(DOCUMENTS) >= 20


@pytest.mark.parametrize(("name", "data"), DOCUMENTS, ids=[name for name, _ in DOCUMENTS])
def test_same_errors_as_jsonschema_on_real_files(name, data):
    assert_same(data)


WRONG_VALUES = [None, True, 7, 1.5, "text", "", [], ["a", "a"], {}, {"x-ext": 1}, {"bogus": 1}, -3]


def mutations(data: dict, rng: random.Random, count: int):
    """Copies of ``data`` with one value replaced, a key added or a key removed somewhere."""
    paths = []

    def walk(node, path):
        paths.append(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, (*path, index))

    walk(data, ())
    for _ in range(count):
        mutated = copy.deepcopy(data)
        path = rng.choice(paths)
        parent = mutated
        for part in path[:-1]:
            parent = parent[part]
        action = rng.randrange(3)
        if path and action == 0:
            parent[path[-1]] = copy.deepcopy(rng.choice(WRONG_VALUES))
        elif path and action == 1 and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            target = parent[path[-1]] if path else mutated
            if isinstance(target, dict):
                target[rng.choice(["bogus", "x-extra", "image", "ports", "deploy", "build"])] = copy.deepcopy(
                    rng.choice(WRONG_VALUES)
                )
        yield mutated


def test_same_errors_as_jsonschema_on_mutated_files():
    rng = random.Random(15)  # deterministic: a failure reproduces
    compared = 0
    for _, data in DOCUMENTS:
        for mutated in mutations(data, rng, 60):
            assert_same(mutated)
            compared += 1
    assert compared >= 1000


@pytest.mark.parametrize(
    "config",
    [
        {"skip": [{"id": "a", "reason": "b", "expires": "2027-01-01"}], "fail_under": 7},
        {"skip": [{"id": "", "reason": "b"}]},
        {"skip": [{"id": "a"}]},
        {"skip": [{"id": "a", "reason": "b", "expires": "soon"}]},
        {"fail_under": 11},
        {"fail_under": "high"},
        {"exclude": ["a"] * 201},
        {"exclude": [""]},
        {"bogus": 1, "other": 2},
        ["a list"],
    ],
)
def test_same_errors_as_jsonschema_on_config_files(config):
    assert_same(config, Validator(CONFIG_SCHEMA), jsonschema.Draft202012Validator(CONFIG_SCHEMA))


@pytest.mark.parametrize(
    "schema",
    [{"type": "string", "format": "email"}, {"properties": {"a": {"if": {}}}}, {"$ref": "other.json#/a"}],
)
def test_a_schema_with_keywords_it_does_not_know_is_refused(schema):
    with pytest.raises(SchemaUnsupported):
        Validator(schema)
