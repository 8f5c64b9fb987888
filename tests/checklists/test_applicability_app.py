"""Applicability in the app: built-in conditions stored and kept in step, items that do not apply
hidden on the page (behind a toggle) and left out of scores and levels, on the facts of real runs."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from readiness.checklists.models import AppliedChecklist, ChecklistTemplate, TemplateItem
from readiness.checklists.services import templates as template_services
from readiness.checklists.services.applied import checklist_apply
from readiness.pipeline.analysis import analysis_execute
from readiness.pipeline.registration import repository_register
from readiness.repos.models import AnalysisRun, RunStatus
from tests.checklists.conftest import make_run
from tests.factories import MembershipFactory, RepositoryFactory, TeamFactory, TemplateItemFactory

pytestmark = pytest.mark.django_db
COMPLETE = "production-readiness-complete"


def test_the_builtin_conditions_are_stored_and_kept_in_step():
    template_services.builtin_templates_sync()
    items = TemplateItem.objects.filter(template__slug=COMPLETE, template__is_current=True)
    assert items.get(key="chromadb-persistence-verified").applies_when == {"dependency": "chromadb"}
    assert items.get(key="persistent-disk").applies_when["file"][0] == "render.yaml"
    assert items.get(key="non-root-user").applies_when is None
    # A stored condition that drifted from the YAML (or a version stored before conditions) is
    # put back by the sync command, and the states of repositories using it are computed again.
    repository = RepositoryFactory()
    checklist_apply(repository=repository, template=template_services.template_get_default())
    items.filter(key="chromadb-persistence-verified").update(applies_when=None)
    AppliedChecklist.objects.filter(repository=repository).update(state={})
    call_command("sync_templates", stdout=StringIO())
    assert items.get(key="chromadb-persistence-verified").applies_when == {"dependency": "chromadb"}
    assert AppliedChecklist.objects.get(repository=repository).state["items"]


def test_the_sample_service_sees_the_items_that_concern_it(sample_repo_dir):
    """A real analysis: the demo is a Flask app with Redis in compose, no ChromaDB, no Render."""
    team = TeamFactory()
    repository = repository_register(team=team, name="sample-service", url=str(sample_repo_dir))
    run = AnalysisRun.objects.create(repository=repository)
    analysis_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED, run.error
    state = AppliedChecklist.objects.get(repository=repository).state
    items = state["items"]
    for key in ("chromadb-persistence-verified", "persistent-disk", "platform-secrets", "prebuilt-frontend"):
        assert items[key] == "inapplicable", key
    for key in ("redis-connectivity", "unbuffered-output", "internal-services-private", "backups"):
        assert items[key] == "todo", key
    # With ChromaDB among its requirements, the ChromaDB item applies from the next run on.
    requirements = sample_repo_dir / "requirements.txt"
    requirements.write_text(requirements.read_text() + "chromadb==0.5.0\n")
    (sample_repo_dir / "render.yaml").write_text("services: []\n")
    run = AnalysisRun.objects.create(repository=repository)
    analysis_execute(run_id=run.pk)
    items = AppliedChecklist.objects.get(repository=repository).state["items"]
    assert items["chromadb-persistence-verified"] == "todo" and items["persistent-disk"] == "todo"


@pytest.fixture
def conditional(small_template):
    """The small template plus a manual item about ChromaDB, on a repository without it."""
    team = TeamFactory(slug="payments")
    template = small_template(team)
    TemplateItemFactory(
        template=template,
        key="chroma-persisted",
        title="ChromaDB data survives a restart",
        manual=True,
        level="bronze",
        applies_when={"dependency": "chromadb"},
    )
    repository = RepositoryFactory(team=team, name="api", slug="api")
    checklist_apply(repository=repository, template=template)
    run = make_run(repository, {"dockerfile.non_root_user": "pass", "dockerfile.healthcheck": "pass"})
    return repository, run, MembershipFactory(team=team, role="engineer")


def _refresh(repository, run, facts):
    from readiness.checklists.services.states import checklist_states_refresh

    AnalysisRun.objects.filter(pk=run.pk).update(facts=facts)
    checklist_states_refresh(repository=repository)
    return AppliedChecklist.objects.get(repository=repository)


def test_an_item_that_does_not_apply_is_hidden_left_out_and_explained(client, conditional):
    repository, run, engineer = conditional
    applied = _refresh(repository, run, {"stacks": ["python"], "dependencies": {"python": ["flask"]}})
    assert applied.state["items"]["chroma-persisted"] == "inapplicable"
    # Unticked, the bronze item would hold the repository at no level; it does not apply.
    assert applied.level == "bronze"
    client.force_login(engineer.user)
    page_url = reverse("checklists:repository", kwargs={"team_slug": "payments", "repo_slug": "api"})
    html = client.get(page_url).content.decode()
    assert 'id="item-small-chroma-persisted"' not in html
    assert "Show 1 item that does not apply" in html
    shown = client.get(page_url, {"show": "na"}).content.decode()
    assert 'id="item-small-chroma-persisted"' in shown and 'data-item-status="inapplicable"' in shown
    assert ">does not apply<" in shown
    detail = client.get(
        reverse(
            "checklists:item",
            kwargs={
                "team_slug": "payments",
                "repo_slug": "api",
                "template_slug": "small",
                "item_key": "chroma-persisted",
            },
        ),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "Does not apply</strong> to api" in detail
    assert "Applies to repositories that depend on chromadb." in detail
    # Ticked or not, it does not count; once the repository uses ChromaDB, it applies: to review
    # (coverage beside the score, not a failure) and holding the level.
    before = applied.overall
    manual_before = applied.state["manual"]
    applied = _refresh(repository, run, {"stacks": ["python"], "dependencies": {"python": ["chromadb"]}})
    assert applied.state["items"]["chroma-persisted"] == "todo" and applied.overall == before
    assert applied.state["manual"] == manual_before + 1
    assert applied.level == ""
    assert 'id="item-small-chroma-persisted"' in client.get(page_url).content.decode()


def test_facts_unknown_means_every_item_applies(conditional):
    repository, run, _ = conditional
    applied = _refresh(repository, run, {})  # a run from before the engine reported facts
    assert applied.state["items"]["chroma-persisted"] == "todo"


def test_a_template_page_shows_conditions(client, conditional):
    _repository, _run, engineer = conditional
    client.force_login(engineer.user)
    template = ChecklistTemplate.objects.get(slug="small")
    html = client.get(reverse("checklists:template_detail", args=["payments", template.pk])).content.decode()
    assert "Applies to repositories that depend on chromadb." in html
