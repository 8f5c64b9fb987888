"""Loading, validating, dumping and Markdown import/export of checklist templates."""

from __future__ import annotations

import textwrap
import time

import pytest

from readiness.checklists.template_format import (
    Item,
    SourceRef,
    TemplateError,
    load_template,
    load_templates_from,
    template_to_yaml,
    validate_check_ids,
)
from readiness.checklists.template_markdown import (
    MAX_IMPORTED_ITEMS,
    MAX_MARKDOWN_CHARS,
    clean_title,
    slugify,
    template_from_markdown,
    template_to_markdown,
)
from readiness.checklists.template_schema import MAX_TEMPLATE_BYTES, MAX_TITLE_CHARS
from tests.shared_dir import shared_path

SEEDS = shared_path("seeds")

VALID = """\
slug: example
title: Example
version: 2
source: {document: "001", title: Production Optimizations Summary}
description: A small template.
categories:
  - id: security
    title: Security
    items:
      - id: non-root
        title: Non-root container execution
        level: bronze
        source: {document: "001", section: Security, quote: "- ✅ Non-root container execution"}
        checks: [dockerfile.non_root_user]
      - id: backups
        title: Set up backup strategy for persistent volumes
        level: silver
        source:
          - {document: "001", section: Deployment Checklist, quote: "- [ ] Set up backup strategy"}
          - {document: "001", section: Best Practices, quote: "6. **Regular backups** of persistent volumes"}
        manual: true
        reattest_days: 90
        evidence_required: true
        fix: Restore a backup to prove it works.
"""


def _with(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new, 1)


def _error(text: str) -> str:
    with pytest.raises(TemplateError) as info:
        load_template(text)
    return str(info.value)


# --- YAML loading and validation ---------------------------------------------------------------


def test_load_template_builds_the_dataclasses():
    template = load_template(VALID)
    assert (template.slug, template.title, template.version) == ("example", "Example", 2)
    assert template.sources[0].document == "001"
    non_root, backups = template.categories[0].items
    assert non_root == Item(
        id="non-root",
        title="Non-root container execution",
        level="bronze",
        sources=(SourceRef("001", "Security", "- ✅ Non-root container execution"),),
        checks=("dockerfile.non_root_user",),
    )
    assert non_root.automated and non_root.combine == "all"
    assert backups.manual and not backups.automated
    assert (backups.reattest_days, backups.evidence_required) == (90, True)
    assert len(backups.sources) == 2


def test_yaml_round_trip_keeps_everything():
    template = load_template(VALID)
    assert load_template(template_to_yaml(template)) == template


def test_malformed_yaml_names_the_line():
    message = _error("slug: a\ntitle: [unclosed\n")
    assert message.startswith("invalid YAML: line")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("level: bronze", "level: platinum", "categories[0].items[0].level: 'platinum' is not one of"),
        ("version: 2", "version: two", "version: 'two' is not of type 'integer'"),
        ("        level: silver", "        levle: silver", "categories[0].items[1]"),
        ("id: non-root", "id: Non Root", "categories[0].items[0].id"),
        ("checks: [dockerfile.non_root_user]", "checks: [NotAnId]", "categories[0].items[0].checks[0]"),
        ("title: Security", "title: ''", "categories[0].title"),
        ("slug: example\n", "", "'slug' is a required property"),
    ],
)
def test_schema_errors_name_the_offending_key(old, new, expected):
    assert expected in _error(_with(old, new))


def test_a_source_error_names_the_source_and_the_missing_key():
    message = _error(_with('section: Security, quote: "- ✅ Non', 'quote: "- ✅ Non'))
    assert message.startswith("categories[0].items[0].source")
    assert message.endswith("'section' is a required property")


def test_an_item_cannot_be_both_automated_and_manual():
    message = _error(_with("checks: [dockerfile.non_root_user]", "checks: [a.b]\n        manual: true"))
    assert message.startswith("categories[0].items[0]: an item is either automated")


def test_an_item_must_be_automated_or_manual():
    message = _error(_with("        checks: [dockerfile.non_root_user]\n", ""))
    assert message.startswith("categories[0].items[0]: an item is either automated")
    assert message.endswith("'checks' is a required property")


def test_duplicate_item_ids_are_rejected_across_categories():
    text = VALID + (
        "  - id: more\n"
        "    title: More\n"
        "    items:\n"
        "      - {id: backups, title: Again, level: gold, manual: true}\n"
    )
    assert "categories[1].items[0].id: duplicate item id 'backups'" in _error(text)


def test_the_top_level_must_be_a_mapping():
    assert _error("- just\n- a list\n").startswith("(top level):")


def test_aliases_are_refused():
    text = "a: &x [1, 2]\nb: *x\n"
    assert "aliases are not allowed" in _error(text)


@pytest.mark.parametrize("text", ["[" * 500_000, "a: {" * 200_000, "- " * 100 + "x"])
def test_deep_nesting_is_refused_before_it_is_built(text):
    assert "nested deeper than" in _error(text)


def test_size_cap():
    assert "the limit is" in _error("#" * (MAX_TEMPLATE_BYTES + 1))


def test_validate_check_ids_lists_unknown_ids():
    template = load_template(
        _with("checks: [dockerfile.non_root_user]", "checks: [a.b, dockerfile.non_root_user]")
    )
    assert validate_check_ids(template, {"dockerfile.non_root_user"}) == [
        "categories[0].items[0] (non-root): unknown check id 'a.b'"
    ]
    assert validate_check_ids(template, {"a.b", "dockerfile.non_root_user"}) == []


# --- Markdown import -------------------------------------------------------------------------------


def _seed(doc: str) -> str:
    paths = sorted(SEEDS.glob(f"{doc}_*.txt"))
    assert paths, f"seed {doc} not found under {SEEDS}"
    return paths[0].read_text(encoding="utf-8")


def _category(template, title):
    (category,) = [c for c in template.categories if c.title == title]
    return [item.title for item in category.items]


def test_import_of_the_000_production_checklist():
    template = template_from_markdown(_seed("000"), title="PocketPro")
    # The heading is "### ğŸ¯ Production Checklist" (emoji mojibake): stripped from the title.
    assert [c.title for c in template.categories] == ["Production Checklist"]
    assert _category(template, "Production Checklist") == [
        "Environment variables configured",
        "Health endpoint responding",
        "File uploads working",
        "ChromaDB persistence verified",
        "Concierge task decomposition tested",
        "Memory usage under 1GB",
        "Build completes in under 5 minutes",
    ]
    assert all(item.manual and item.level == "bronze" for item in template.items)


def test_import_of_the_001_deployment_checklist_and_feature_lists():
    template = template_from_markdown(_seed("001"), title="Production optimizations")
    assert [c.title for c in template.categories] == [
        "Security",
        "Performance",
        "Reliability",
        "Monitoring",
        "Scalability",
        "Deployment Checklist",
    ]
    checklist = _category(template, "Deployment Checklist")
    assert len(checklist) == 12
    assert checklist[0] == "Set all required environment variables"
    assert checklist[-1] == "Set up backup strategy for persistent volumes"
    assert "Set API_KEY for authentication" in checklist  # underscores inside words survive
    assert _category(template, "Security")[0] == "API key authentication"  # from "- ✅ API key ..."


def test_import_of_the_002_planned_features():
    template = template_from_markdown(_seed("002"), title="CI/CD")
    assert _category(template, "Planned Features") == [
        "Request rate limiting",
        "Redis caching layer",
        "Prometheus metrics",
        "Grafana dashboards",
        "A/B testing framework",
        "Model versioning",
        "Blue-green deployments",
    ]
    # Lines inside code fences are never items or headings.
    assert len(template.items) == 7


def test_import_of_the_003_before_production_list():
    template = template_from_markdown(_seed("003"), title="Collabry")
    before = _category(template, "Before Production")
    assert len(before) == 7
    assert before[0].startswith('Generate secure JWT secrets: node -e "console.log(')  # code marks removed
    assert before[3] == "Configure reverse proxy (Nginx/Cloudflare) with:"
    # Numbered lists with a done mark count too ("1. ✅ Install backend dependencies: ...").
    assert _category(template, "Immediate Actions")[3] == "Verify health checks pass"
    # "❌ Without: ..." is not a done item.
    assert _category(template, "Why Separate Cron Worker?") == [
        "With: Single worker replica = exactly-once job execution",
        "API service can scale independently",
    ]


def test_import_of_the_004_environment_lists():
    template = template_from_markdown(_seed("004"), title="Evaluation")
    assert _category(template, "Production Environment") == [
        "Optimized image caching",
        "BuildKit inline cache enabled",
        "Postgres performance optimized",
        "Multi-stage builds working",
        "All paths portable (no hardcoded users)",
    ]


def test_import_accepts_the_usual_task_list_forms():
    text = textwrap.dedent("""\
        # Ignored document title
        - [ ] Before any heading

        ## 🚀 **Release**
        - [ ] Unticked
        - [x] Ticked
        * [X] Star bullet
        + [ ] Plus bullet
        1. [ ] Numbered
        - ✅ Done mark
        - plain bullet, ignored
        Some prose, ignored.

        ```bash
        - [ ] inside a code block, ignored
        ## not a heading
        ```
        ### Empty heading
        ## C# ##
        - [ ] Closing hashes are not part of the heading
        ### Links and emphasis
        - [ ] Read [the guide](https://example.com) and run `make test` with **care** and *focus*
        - [ ] Same
        - [ ] Same
        """)
    template = template_from_markdown(text, title="Release **checklist**")
    assert template.title == "Release checklist"
    assert template.slug == "release-checklist"
    assert [(c.id, c.title) for c in template.categories] == [
        ("general", "General"),
        ("release", "Release"),
        ("c", "C#"),
        ("links-and-emphasis", "Links and emphasis"),
    ]
    assert [i.title for i in template.categories[1].items] == [
        "Unticked",
        "Ticked",
        "Star bullet",
        "Plus bullet",
        "Numbered",
        "Done mark",
    ]
    links = template.categories[3].items
    assert links[0].title == "Read the guide and run make test with care and focus"
    assert [item.id for item in links[1:]] == ["same", "same-2"]


def test_clean_title_strips_emoji_and_mojibake_but_keeps_words():
    assert clean_title("ğŸ¯ Production Checklist") == "Production Checklist"
    assert (
        clean_title("Quick Start \u011f\u0178\u0192\xe2\u20ac\xe2\u2122\u201a\xef\xb8") == "Quick Start"
    )  # mojibake of an emoji
    assert clean_title("**Phase 3: Dockerfiles** ✅") == "Phase 3: Dockerfiles"
    assert clean_title("Проверка здоровья — готово") == "Проверка здоровья — готово"
    assert clean_title("Price → 5 €") == "Price → 5 €"


def test_slugify_is_ascii_and_bounded():
    assert slugify("Set API_KEY for authentication") == "set-api-key-for-authentication"
    assert slugify("Überprüfung") == "uberprufung"
    assert slugify("检查") == "item"
    assert len(slugify("word " * 50)) <= 60


def test_import_refuses_text_without_items():
    with pytest.raises(TemplateError, match="no checklist items found"):
        template_from_markdown("# Title\n\n## Heading\n\nJust prose.\n- a plain bullet\n", title="x")


def test_import_refuses_huge_text():
    with pytest.raises(TemplateError, match="the limit is"):
        template_from_markdown("- [ ] a\n" * (MAX_MARKDOWN_CHARS // 8 + 1), title="x")


def test_import_refuses_too_many_items():
    with pytest.raises(TemplateError, match="more than"):
        template_from_markdown("- [ ] item\n" * (MAX_IMPORTED_ITEMS + 1), title="x")


@pytest.mark.parametrize(
    "line",
    [
        "## a" + " " * 190_000 + "b",  # a long separator run inside a heading
        "- [ ] x" + " \t" * 95_000 + "y",
        "- [ ] " + "*a " * 63_000,  # emphasis openers without closers
        "- [ ] " + "[" * 190_000,
        "- [ ] [a](" + "](" * 95_000,
    ],
)
def test_import_stays_linear_on_pathological_lines(line):
    # Quadratic patterns took minutes on such lines; linear ones take well under a second.
    started = time.perf_counter()
    template_from_markdown(line + "\n- [ ] ok\n", title="x")
    assert time.perf_counter() - started < 5


def test_import_shortens_overlong_titles():
    template = template_from_markdown("## H\n- [ ] " + "word " * 200, title="x" * 500)
    assert len(template.items[0].title) == MAX_TITLE_CHARS
    assert len(template.title) == MAX_TITLE_CHARS


# --- Markdown export -------------------------------------------------------------------------------


def test_export_round_trips_and_quotes_the_description():
    template = load_template(_with("description: A small template.", "description: '- [ ] not an item'"))
    markdown = template_to_markdown(template)
    assert markdown.startswith("# Example\n\n> - [ ] not an item\n")
    imported = template_from_markdown(markdown, title=template.title)
    assert [c.title for c in imported.categories] == ["Security"]
    assert [i.title for i in imported.items] == [i.title for i in template.items]


def test_template_slugs_in_a_folder_must_be_unique(tmp_path):
    (tmp_path / "a.yml").write_text(VALID)
    (tmp_path / "notes.txt").write_text("not a template")
    assert [t.slug for t in load_templates_from(tmp_path)] == ["example"]  # other files are ignored
    (tmp_path / "b.yml").write_text(VALID)
    with pytest.raises(TemplateError, match=r"^b\.yml: slug: 'example' is used by another template$"):
        load_templates_from(tmp_path)


# --- Applicability conditions ------------------------------------------------------------------

_CONDITION_AT = "        level: silver\n"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (
            "{stack: pythn}",
            "categories[0].items[1].applies_when.stack: one value or a list of them; 'pythn' is not one of",
        ),
        (
            "{stacks: python}",
            "categories[0].items[1].applies_when: 'stacks': not a condition; a condition uses stack,",
        ),
        ("{file: render.yml}", "applies_when.file: one value or a list of them; 'render.yml' is not one of"),
        ("{datastore: [redis, redis]}", "applies_when.datastore: ['redis', 'redis'] has non-unique elements"),
        ("{compose: maybe}", "applies_when.compose: 'maybe' is not of type 'boolean'"),
        ("{}", "categories[0].items[1].applies_when: {} should be non-empty"),
        ("{any: []}", "applies_when.any: [] should be non-empty"),
        ("{not: {dependency: 'bad name'}}", "applies_when.not.dependency"),
        ("{any: [{stack: python}, {sttack: go}]}", "applies_when.any[1]: 'sttack': not a condition"),
        ("chromadb", "categories[0].items[1].applies_when: 'chromadb' is not of type 'object'"),
    ],
)
def test_applicability_errors_name_the_condition_and_what_is_allowed(condition, expected):
    assert expected in _error(_with(_CONDITION_AT, f"{_CONDITION_AT}        applies_when: {condition}\n"))


def test_applicability_conditions_load_and_round_trip():
    condition = "{any: [{file: render.yaml}, {dependency: [chromadb, Flask_Login]}], not: {compose: true}}"
    template = load_template(_with(_CONDITION_AT, f"{_CONDITION_AT}        applies_when: {condition}\n"))
    backups = template.items[1]
    assert backups.applies_when == {
        "any": [{"file": "render.yaml"}, {"dependency": ["chromadb", "Flask_Login"]}],
        "not": {"compose": True},
    }
    assert template.items[0].applies_when is None
    assert load_template(template_to_yaml(template)) == template
    assert "applies_when:" in template_to_yaml(template) and hash(backups)  # still hashable
