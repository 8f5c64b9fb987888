"""The built-in templates: valid, bound to real check ids, and traceable to real lines of the seeds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from readiness.checklists.template_format import (
    Template,
    load_builtin_templates,
    load_template,
    template_to_yaml,
    validate_check_ids,
)
from readiness.checklists.template_markdown import clean_title, template_from_markdown, template_to_markdown
from tests.shared_dir import shared_path

REPO = Path(__file__).resolve().parents[2]
SHARED = shared_path()
SEED_IDS = ("000", "001", "002", "003", "004")
COMPLETE_SLUG = "production-readiness-complete"

# A catalog row: | `dockerfile.multi_stage` | build | 001, 003, 004 | ...
_CATALOG_ROW = re.compile(r"^\|\s*`([a-z0-9_.]+)`\s*\|\s*([a-z]+)\s*\|", re.MULTILINE)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)(?:\s+#+)?\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


def _normalise(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def catalog() -> dict[str, str]:
    """Check id -> category, from the tables of checks.md."""
    path = shared_path("checks.md")
    rows = dict(_CATALOG_ROW.findall(path.read_text(encoding="utf-8")))
    assert len(rows) > 40, "the catalog regex no longer matches checks.md"
    return rows


@pytest.fixture(scope="module")
def seed_lines() -> dict[str, list[tuple[str, str | None]]]:
    """Per seed: (normalised line, the heading it sits under), skipping nothing, headings fence-aware."""
    seeds = {}
    for doc in SEED_IDS:
        paths = sorted((SHARED / "seeds").glob(f"{doc}_*.txt"))
        assert paths, f"seed {doc} not found under {SHARED / 'seeds'}"
        lines, heading, in_fence = [], None, False
        for line in paths[0].read_text(encoding="utf-8").splitlines():
            if _FENCE.match(line):
                in_fence = not in_fence
            elif not in_fence and (match := _HEADING.match(line)):
                heading = clean_title(match.group(1))
            lines.append((_normalise(line), heading))
        seeds[doc] = lines
    return seeds


@pytest.fixture(scope="module")
def templates() -> dict[str, Template]:
    return {template.slug: template for template in load_builtin_templates()}


def _per_document(templates: dict[str, Template]) -> list[Template]:
    return [t for slug, t in templates.items() if slug != COMPLETE_SLUG]


def test_one_template_per_seed_plus_the_complete_one(templates):
    per_document = _per_document(templates)
    assert sorted(t.sources[0].document for t in per_document) == list(SEED_IDS)
    assert all(len(t.sources) == 1 for t in per_document)
    assert COMPLETE_SLUG in templates
    assert [ref.document for ref in templates[COMPLETE_SLUG].sources] == list(SEED_IDS)


def test_every_template_round_trips_through_yaml(templates):
    for template in templates.values():
        assert load_template(template_to_yaml(template)) == template


def test_check_ids_are_in_the_catalog(templates, catalog):
    for template in templates.values():
        assert validate_check_ids(template, set(catalog)) == [], template.slug


def test_item_ids_are_unique_slugs(templates):
    for template in templates.values():
        ids = [item.id for item in template.items]
        assert len(ids) == len(set(ids)), template.slug


def test_every_item_quotes_a_line_of_its_seed_under_its_section(templates, seed_lines):
    for template in templates.values():
        documents = {ref.document for ref in template.sources}
        for item in template.items:
            assert item.sources, f"{template.slug}/{item.id} has no source"
            for source in item.sources:
                assert source.document in documents, f"{template.slug}/{item.id}: {source.document}"
                quote = _normalise(source.quote)
                headings = {heading for line, heading in seed_lines[source.document] if line == quote}
                assert headings, f"{template.slug}/{item.id}: not a line of {source.document}: {quote!r}"
                assert source.section in headings, f"{template.slug}/{item.id}: {source.section!r}"


def test_every_item_is_either_automated_or_manual(templates):
    for template in templates.values():
        for item in template.items:
            assert item.automated != item.manual, f"{template.slug}/{item.id}"


def test_the_complete_template_holds_every_item_of_the_others(templates):
    complete = templates[COMPLETE_SLUG]
    for template in _per_document(templates):
        for item in template.items:
            # Merging by meaning keeps every source, the kind and every check of each merged item
            # (one line can back several items, e.g. "Non-root user, health checks, layer caching").
            merged = [
                c
                for c in complete.items
                if set(item.sources) <= set(c.sources)
                and c.automated == item.automated
                and set(item.checks) <= set(c.checks)
            ]
            assert len(merged) == 1, f"{template.slug}/{item.id} is in {len(merged)} complete items"
            assert merged[0].level == item.level, f"{template.slug}/{item.id} -> {merged[0].id}"


def test_the_complete_template_has_only_merged_sources(templates):
    per_document = {source for t in _per_document(templates) for item in t.items for source in item.sources}
    complete = templates[COMPLETE_SLUG]
    assert {source for item in complete.items for source in item.sources} == per_document


def test_the_complete_template_is_grouped_by_check_category(templates, catalog):
    complete = templates[COMPLETE_SLUG]
    assert [c.id for c in complete.categories] == [
        "security",
        "reliability",
        "performance",
        "build",
        "operations",
    ]
    for category in complete.categories:
        for item in category.items:
            if item.automated:
                assert category.id in {catalog[check] for check in item.checks}, item.id


def test_a_check_carries_the_same_level_everywhere(templates):
    levels: dict[tuple[str, ...], set[str]] = {}
    for template in templates.values():
        for item in template.items:
            if item.automated:
                levels.setdefault(tuple(sorted(item.checks)), set()).add(item.level)
    assert {checks: lvls for checks, lvls in levels.items() if len(lvls) > 1} == {}


@pytest.mark.parametrize(
    ("check_id", "level"),
    [
        ("dockerfile.non_root_user", "bronze"),
        ("health.liveness_up", "bronze"),
        ("compose.redis_auth", "bronze"),
        ("compose.persistent_volumes", "bronze"),
        ("compose.log_rotation", "silver"),
        ("ci.security_scan", "silver"),
        ("dockerignore.excludes_caches", "gold"),
        ("dockerfile.buildkit_cache", "gold"),
    ],
)
def test_levels_follow_the_documented_rule(templates, check_id, level):
    bound = [item for t in templates.values() for item in t.items if check_id in item.checks]
    assert bound, f"no item is bound to {check_id}"
    assert {item.level for item in bound} == {level}


def test_manual_items_that_decay_ask_for_reattestation(templates):
    complete = {item.id: item for item in templates[COMPLETE_SLUG].items}
    assert complete["backups"].reattest_days == 90
    assert complete["backups"].evidence_required
    assert complete["security-updates"].reattest_days == 30


def test_markdown_export_imports_back_with_titles_and_categories(templates):
    for template in templates.values():
        imported = template_from_markdown(template_to_markdown(template), title=template.title)
        assert imported.title == template.title
        assert [(c.title, [i.title for i in c.items]) for c in imported.categories] == [
            (c.title, [i.title for i in c.items]) for c in template.categories
        ]


def test_the_docs_table_matches_the_templates(templates):
    # | `000-single-container-flask.yml` | `single-container-flask` | 32 | 12 | 20 |
    row = re.compile(r"^\| `([\w.-]+\.yml)` \| `([\w-]+)` \| (\d+) \| (\d+) \| (\d+) \|$", re.MULTILINE)
    documented = {
        slug: (file, int(total), int(automated), int(manual))
        for file, slug, total, automated, manual in row.findall((REPO / "docs/checklists.md").read_text())
    }
    files = {
        load_template(p.read_text()).slug: p.name
        for p in (REPO / "readiness/checklists/builtin").glob("*.yml")
    }
    actual = {
        slug: (files[slug], len(t.items), sum(i.automated for i in t.items), sum(i.manual for i in t.items))
        for slug, t in templates.items()
    }
    assert documented == actual


def test_the_template_modules_import_no_django():
    # The Django app stores templates; loading and converting them must not need Django.
    package = REPO / "readiness/checklists"
    for name in ("template_schema.py", "template_format.py", "template_markdown.py"):
        source = (package / name).read_text()
        assert not re.search(r"^\s*(from|import)\s+django\b", source, re.MULTILINE), name


def test_items_about_one_stack_or_platform_say_when_they_apply(templates):
    """ChromaDB and hosting-platform (Render.com) items show only where they concern the repository,
    and a merged item carries the same condition in every template."""
    complete = templates[COMPLETE_SLUG]
    by_id = {item.id: item for item in complete.items}
    assert by_id["chromadb-persistence-verified"].applies_when == {"dependency": "chromadb"}
    for key in ("persistent-disk", "platform-secrets", "platform-health-check"):
        assert "render.yaml" in by_id[key].applies_when["file"], key
    assert by_id["redis-connectivity"].applies_when == {"datastore": ["redis", "valkey", "keydb"]}
    assert by_id["non-root-user"].applies_when is None  # the practices every service needs: no condition
    about = re.compile(r"chroma|render\.com|redis|google sheets", re.IGNORECASE)
    mentions = [i for i in complete.items if about.search(i.title)]
    assert all(i.applies_when for i in mentions if i.manual and i.id != "shared-cache"), mentions
    for template in _per_document(templates):
        for item in template.items:
            (merged,) = [
                c
                for c in complete.items
                if set(item.sources) <= set(c.sources)
                and c.automated == item.automated
                and set(item.checks) <= set(c.checks)
            ]
            assert item.applies_when == merged.applies_when, f"{template.slug}/{item.id} -> {merged.id}"
