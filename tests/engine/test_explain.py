"""`--explain`'s source lines ship inside the engine and match the built-in checklist templates."""

from readiness.engine.explain_sources import SOURCES
from readiness.engine.registry import all_ids

from .explain_sources import collect


def test_the_shipped_sources_match_the_templates():
    # Stale after a template changed: run `python -m tests.engine.explain_sources`.
    assert collect() == SOURCES


def test_sources_name_registered_checks_and_quote_real_lines():
    assert set(SOURCES) <= set(all_ids())
    for check_id, entries in SOURCES.items():
        assert entries, check_id
        for document, title, _, quote in entries:
            assert document.isdigit() and title and quote, (check_id, document)
