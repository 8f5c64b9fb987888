"""Applicability conditions evaluated on the engine's facts (pure: no database)."""

import pytest

from readiness.checklists.applicability import applies, describe

FACTS = {
    "stacks": ["python"],
    "dockerfile": True,
    "compose": False,
    "datastores": ["redis"],
    "files": ["render.yaml"],
    "dependencies": {"python": ["chromadb", "flask-login"], "node": []},
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (None, True),
        ({"stack": "python"}, True),
        ({"stack": ["go", "node"]}, False),
        ({"datastore": ["postgres", "redis"]}, True),
        ({"datastore": "postgres"}, False),
        ({"file": "render.yaml"}, True),
        ({"file": ["fly.toml", "Procfile"]}, False),
        ({"dependency": "chromadb"}, True),
        ({"dependency": "Flask_Login"}, True),  # compared as the engine normalises names
        ({"dependency": "qdrant-client"}, False),
        ({"compose": True}, False),
        ({"compose": False, "dockerfile": True}, True),
        ({"stack": "python", "file": "fly.toml"}, False),  # every key must hold
        ({"any": [{"file": "fly.toml"}, {"dependency": "chromadb"}]}, True),
        ({"all": [{"stack": "python"}, {"compose": True}]}, False),
        ({"not": {"stack": "node"}}, True),
        ({"not": {"datastore": "redis"}}, False),
    ],
)
def test_conditions_on_the_facts(condition, expected):
    assert applies(condition, FACTS) is expected


@pytest.mark.parametrize("facts", [None, {}, {"healthchecks": []}])
def test_every_item_applies_while_the_facts_are_unknown(facts):
    """Never analysed, or analysed before the engine reported facts: nothing is hidden on a guess."""
    assert applies({"dependency": "chromadb"}, facts)
    assert applies({"not": {"stack": "python"}}, facts)


def test_conditions_in_words():
    assert describe(None) == "Applies to every repository"
    assert describe({"dependency": "chromadb"}) == "Applies to repositories that depend on chromadb"
    assert (
        describe({"stack": ["python", "node"], "compose": False})
        == "Applies to repositories that are built with Python or Node.js and have no compose file"
    )
    assert describe({"any": [{"file": ["render.yaml", "fly.toml"]}, {"not": {"datastore": "redis"}}]}) == (
        "Applies to repositories that (have a render.yaml or a fly.toml or do not use redis)"
    )
