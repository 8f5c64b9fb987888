"""The catalog: docs/checks.md is generated from the registry, and the registry honours checks.md."""

import re
from pathlib import Path

from readiness.engine.output.catalog import render_catalog_markdown, replace_catalog_block
from readiness.engine.registry import all_checks
from tests.shared_dir import shared_path

REPO = Path(__file__).resolve().parents[2]
CONTRACT = shared_path("checks.md")
ROW = re.compile(
    r"^\| `(?P<id>[a-z_]+\.[a-z_]+)` \| (?P<category>\w+) \| (?P<sources>[^|]*) \| (?P<passes>.*) \|$"
)


def contract_rows() -> dict[str, dict]:
    rows = {}
    for line in CONTRACT.read_text().splitlines():
        match = ROW.match(line)
        if match:
            rows[match["id"]] = match.groupdict()
    assert len(rows) > 40, "the contract's table format changed; update ROW"
    return rows


def test_docs_checks_md_is_up_to_date():
    document = (REPO / "docs" / "checks.md").read_text()
    assert replace_catalog_block(document) == document, (
        "docs/checks.md is out of date: run `python -m readiness catalog --update docs/checks.md`"
    )
    assert render_catalog_markdown() in document


def test_every_contract_id_is_registered():
    registered = {meta.id for meta, _ in all_checks()}
    missing = sorted(set(contract_rows()) - registered)
    assert not missing, f"{len(missing)} ids of shared/checks.md are not registered: {', '.join(missing)}"


def test_registered_metadata_matches_the_contract():
    rows = contract_rows()
    mismatches = []
    for meta, _ in all_checks():
        row = rows.get(meta.id)
        if row is None:
            continue  # checks beyond the catalog are allowed
        sources = tuple(s.strip() for s in row["sources"].split(",") if s.strip() not in ("", "-"))
        soft = row["passes"].startswith("*soft*")
        registered, expected = (meta.category, meta.sources, meta.soft), (row["category"], sources, soft)
        if registered != expected:
            mismatches.append(
                f"{meta.id}: registered (category, sources, soft) {registered}, contract {expected}"
            )
    assert not mismatches, "\n".join(mismatches)


def test_every_check_has_a_title_description_and_fix():
    incomplete = [
        meta.id for meta, _ in all_checks() if not (meta.title and meta.description and meta.remediation)
    ]
    assert not incomplete, f"give these a title, a docstring and a remediation: {incomplete}"
