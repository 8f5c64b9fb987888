"""The source documents' lines shipped with the built-in templates (tools/ship_sources.py): every
item's quote is there under its section, the copies are verbatim, and items show them."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from readiness.checklists.sources import shipped_documents, source_excerpt
from readiness.checklists.template_format import load_builtin_templates
from tests.shared_dir import shared_path

REPO = Path(__file__).resolve().parents[2]
SEEDS = shared_path("seeds")
sys.path.insert(0, str(REPO / "tools"))
from ship_sources import sections_of  # noqa: E402


def _cited():
    for template in load_builtin_templates():
        for item in template.items:
            for source in item.sources:
                yield template, item, source


def test_every_builtin_item_source_is_shipped_with_its_section_and_the_quoted_line_marked():
    for template, item, source in _cited():
        excerpt = source_excerpt(document=source.document, section=source.section, quote=source.quote)
        assert excerpt is not None, f"{template.slug}/{item.id}: run tools/ship_sources.py"
        assert excerpt["title"] and excerpt["section"] == source.section
        quoted = next(line["text"] for line in excerpt["lines"] if line["quoted"])
        assert quoted.strip() == source.quote.strip()


def test_only_cited_sections_are_shipped():
    cited = {(s.document, s.section) for _, _, s in _cited()}
    for document in shipped_documents().values():
        for section in document.sections:
            assert (document.id, section.heading) in cited, (document.id, section.heading)


def test_the_shipped_lines_are_the_documents_own():
    for document in shipped_documents().values():
        (path,) = sorted(SEEDS.glob(f"{document.id}_*.txt"))
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for section in document.sections:
            start = section.line - 1
            assert list(section.lines) == lines[start : start + len(section.lines)], section.heading
        # ...and whole sections, as the generator cuts them.
        whole = {(s["heading"], s["line"]): s["lines"] for s in sections_of(text)}
        for section in document.sections:
            assert list(section.lines) == whole[(section.heading, section.line)]


def test_nothing_in_the_package_reads_the_shared_folder():
    # (Comments may name ../shared/checks.md as the catalog's origin; code must not open it.)
    pattern = re.compile(r"READINESS_SHARED_DIR|\bseeds\b|[\"']shared[\"']")
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "readiness").rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_a_team_template_citing_its_own_document_shows_the_quote_without_lines():
    assert source_excerpt(document="handbook", section="Backups", quote="Restore monthly") is None


@pytest.mark.django_db
def test_an_items_details_show_the_document_the_section_and_its_lines(client):
    from readiness.checklists.services import applied, templates
    from tests.factories import MembershipFactory, RepositoryFactory

    templates.builtin_templates_sync()
    membership = MembershipFactory(role="viewer")
    repository = RepositoryFactory(team=membership.team, name="api", slug="api")
    template = templates.template_get_default()
    applied.checklist_apply(repository=repository, template=template)
    client.force_login(membership.user)

    kwargs = {"team_slug": repository.team.slug, "repo_slug": "api"}
    page = client.get(reverse("checklists:repository", kwargs=kwargs)).content.decode()
    assert f'id="item-{template.slug}-non-root-user"' in page and "Source:" not in page  # loaded when opened
    html = client.get(
        reverse(
            "checklists:item", kwargs={**kwargs, "template_slug": template.slug, "item_key": "non-root-user"}
        ),
        HTTP_HX_REQUEST="true",
    ).content.decode()
    html = f'<li id="item-{template.slug}-non-root-user">{html}</li>'

    item = html[html.index(f'id="item-{template.slug}-non-root-user"') :]
    item = item[: item.index("</li>")]
    assert "doc 001" not in item
    assert (
        "Source: Production Optimizations Summary, “Security”: <q>- ✅ Non-root container execution</q>"
        in item
    )
    quoted = re.findall(r'<span class="ln quoted"><span class="n">(\d+)</span> ([^<]*)</span>', item)
    assert ("", "") not in quoted and any("Non-root container execution" in text for _, text in quoted)
