"""Checklist services against the database: sync, applying, runs, ticks, waivers, imports, states."""

from datetime import timedelta

import pytest
from django.utils import timezone

from readiness.checklists.errors import ChecklistError
from readiness.checklists.models import (
    AppliedChecklist,
    Attestation,
    ChecklistSnapshot,
    ChecklistTemplate,
    TemplateItem,
)
from readiness.checklists.selectors.compare import compare_snapshots, compare_status, default_compare_runs
from readiness.checklists.selectors.exports import comparison_markdown
from readiness.checklists.selectors.history import weekly_points
from readiness.checklists.services import templates as template_services
from readiness.checklists.services.applied import checklist_apply, checklist_apply_default
from readiness.checklists.services.records import (
    attestation_record,
    attestation_undo,
    waiver_grant,
    waiver_revoke,
)
from readiness.checklists.services.states import checklist_snapshots_for_run, checklist_states_refresh_expired
from readiness.checklists.services.templates import (
    builtin_templates_sync,
    template_import_markdown,
    template_item_bind,
)
from readiness.checklists.template_format import load_builtin_templates
from readiness.pipeline.analysis import analysis_execute
from readiness.pipeline.registration import repository_register
from readiness.repos.models import AnalysisRun, CheckResult, RunStatus
from tests.checklists.conftest import make_run
from tests.factories import RepositoryFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_builtin_templates_are_loaded_by_the_migration_and_sync_is_idempotent():
    yaml_templates = load_builtin_templates()
    assert ChecklistTemplate.objects.filter(is_builtin=True).count() == len(yaml_templates) == 6
    complete = ChecklistTemplate.objects.get(slug="production-readiness-complete")
    assert complete.title == "Production readiness (complete)"
    yaml_complete = next(t for t in yaml_templates if t.slug == complete.slug)
    assert complete.items.count() == len(yaml_complete.items)
    item = complete.items.get(key="non-root-user")
    assert item.checks == ["dockerfile.non_root_user"] and not item.manual
    assert {s["document"] for s in item.sources} >= {"001", "002", "003"}  # every item keeps its sources
    assert builtin_templates_sync() == 0
    assert ChecklistTemplate.objects.filter(is_builtin=True).count() == 6


def test_a_version_bump_adds_a_version_and_moves_repositories_to_it(monkeypatch):
    repository = RepositoryFactory()
    applied = checklist_apply_default(repository=repository)
    old = applied.template
    bumped = [t for t in load_builtin_templates()]
    bumped = [
        type(t)(**{**t.__dict__, "version": t.version + 1}) if t.slug == old.slug else t for t in bumped
    ]
    monkeypatch.setattr(template_services, "load_builtin_templates", lambda: bumped)
    assert builtin_templates_sync() == 1
    old.refresh_from_db()
    new = ChecklistTemplate.objects.get(slug=old.slug, version=old.version + 1)
    assert new.is_current and not old.is_current
    applied.refresh_from_db()
    assert applied.template == new
    assert builtin_templates_sync() == 0


def test_registering_a_repository_applies_the_complete_template():
    team = TeamFactory()
    repository = repository_register(team=team, name="api", url="https://example.com/api.git")
    applied = AppliedChecklist.objects.get(repository=repository)
    assert applied.primary and applied.template.slug == "production-readiness-complete"
    assert applied.state["items"]  # a state exists from the start: automated items pending
    assert set(applied.state["items"].values()) <= {"pending", "todo"}


def test_analysis_stores_snapshots_states_and_excerpts(sample_repo_dir):
    team = TeamFactory()
    repository = repository_register(team=team, name="sample", url=str(sample_repo_dir))
    run = AnalysisRun.objects.create(repository=repository)
    analysis_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    snapshot = ChecklistSnapshot.objects.get(run=run)
    assert snapshot.data["items"]["non-root-user"] == "fail"
    assert snapshot.overall is not None and snapshot.overall == snapshot.data["overall"]
    applied = AppliedChecklist.objects.get(repository=repository)
    assert applied.overall == snapshot.overall and applied.state["items"] == snapshot.data["items"]
    # The offending lines of the file are kept with the evidence (the work dir is gone by now).
    result = CheckResult.objects.get(run=run, check_id="dockerfile.pip_no_cache")
    excerpt = result.evidence[0]["excerpt"]
    line = result.evidence[0]["line"]
    assert excerpt["start"] <= line
    assert "pip install" in excerpt["lines"][line - excerpt["start"]]


def test_tick_untick_and_undo_append_and_change_the_score(small_template):
    template = small_template(TeamFactory())
    repository = RepositoryFactory(team=template.team)
    user = UserFactory()
    checklist_apply(repository=repository, template=template)
    make_run(
        repository,
        {
            "dockerfile.non_root_user": "pass",
            "dockerfile.healthcheck": "fail",
            "compose.healthchecks": "pass",
        },
    )
    applied = AppliedChecklist.objects.get(repository=repository)
    assert applied.state["items"] == {"non-root": "pass", "healthcheck": "pass", "backup-restore": "todo"}
    # (3 + 2) / (3 + 2): the manual item nobody reviewed yet is left out, and holds the level
    assert applied.overall == 10.0
    assert (applied.state["manual"], applied.state["reviewed"]) == (1, 0)
    assert applied.level == "bronze"

    attestation_record(
        repository=repository, template_slug="small", item_key="backup-restore", checked=True, user=user
    )
    applied.refresh_from_db()
    assert applied.state["items"]["backup-restore"] == "done"
    assert (applied.overall, applied.level) == (10.0, "gold")
    assert applied.state_valid_until is not None  # it falls due in 90 days

    attestation_undo(repository=repository, template_slug="small", item_key="backup-restore", user=user)
    applied.refresh_from_db()
    assert applied.state["items"]["backup-restore"] == "todo"
    assert Attestation.objects.filter(repository=repository).count() == 2  # nothing overwritten


def test_undo_restores_the_previous_attestation_time():
    repository = RepositoryFactory()
    template = ChecklistTemplate.objects.create(team=repository.team, slug="t", title="T")
    TemplateItem.objects.create(
        template=template,
        category_id="c",
        category_title="C",
        position=1,
        key="k",
        title="K",
        manual=True,
        reattest_days=30,
    )
    checklist_apply(repository=repository, template=template)
    first = attestation_record(
        repository=repository, template_slug="t", item_key="k", checked=True, user=None
    )
    attestation_record(repository=repository, template_slug="t", item_key="k", checked=False, user=None)
    undo = attestation_undo(repository=repository, template_slug="t", item_key="k", user=None)
    assert undo.checked and undo.at == first.at and undo.is_undo


def test_manual_items_only_and_evidence_when_required(small_template):
    template = small_template(TeamFactory())
    repository = RepositoryFactory(team=template.team)
    checklist_apply(repository=repository, template=template)
    with pytest.raises(ChecklistError, match="Automated"):
        attestation_record(
            repository=repository, template_slug="small", item_key="non-root", checked=True, user=None
        )
    TemplateItem.objects.filter(key="backup-restore").update(evidence_required=True)
    with pytest.raises(ChecklistError, match="evidence"):
        attestation_record(
            repository=repository, template_slug="small", item_key="backup-restore", checked=True, user=None
        )
    with pytest.raises(ChecklistError, match="not on a checklist"):
        attestation_record(
            repository=repository, template_slug="small", item_key="nope", checked=True, user=None
        )


def test_attestation_falls_due_and_the_stored_state_follows(small_template):
    template = small_template(TeamFactory())
    repository = RepositoryFactory(team=template.team)
    checklist_apply(repository=repository, template=template)
    attestation_record(
        repository=repository, template_slug="small", item_key="backup-restore", checked=True, user=None
    )
    assert checklist_states_refresh_expired(now=timezone.now() + timedelta(days=89)) == 0
    assert checklist_states_refresh_expired(now=timezone.now() + timedelta(days=91)) == 1
    applied = AppliedChecklist.objects.get(repository=repository)
    assert applied.state["items"]["backup-restore"] == "due"


def test_waiver_leaves_the_item_out_and_reverts_on_expiry(small_template):
    template = small_template(TeamFactory())
    repository = RepositoryFactory(team=template.team)
    checklist_apply(repository=repository, template=template)
    make_run(repository, {"dockerfile.non_root_user": "fail", "dockerfile.healthcheck": "pass"})
    applied = AppliedChecklist.objects.get(repository=repository)
    assert applied.overall == 4.0  # 2 / 5 (the manual item nobody reviewed yet is left out)
    today = timezone.localdate()
    waiver_grant(
        repository=repository,
        template_slug="small",
        item_key="non-root",
        reason="base image change next sprint",
        expires_on=today + timedelta(days=3),
        user=None,
    )
    applied.refresh_from_db()
    assert applied.state["items"]["non-root"] == "waived"
    assert applied.overall == 10.0  # 2 / 2: the waived fail leaves the denominator
    assert applied.state["waived"] == 1
    assert checklist_states_refresh_expired(now=timezone.now() + timedelta(days=5)) == 1
    applied.refresh_from_db()
    assert applied.state["items"]["non-root"] == "fail"
    with pytest.raises(ChecklistError, match="past"):
        waiver_grant(
            repository=repository,
            template_slug="small",
            item_key="non-root",
            reason="x",
            expires_on=today - timedelta(days=1),
            user=None,
        )


def test_revoking_a_waiver(small_template):
    template = small_template(TeamFactory())
    repository = RepositoryFactory(team=template.team)
    checklist_apply(repository=repository, template=template)
    make_run(repository, {"dockerfile.non_root_user": "fail"})
    waiver_grant(
        repository=repository,
        template_slug="small",
        item_key="non-root",
        reason="r",
        expires_on=timezone.localdate(),
        user=None,
    )
    assert waiver_revoke(repository=repository, template_slug="small", item_key="non-root", user=None) == 1
    assert AppliedChecklist.objects.get(repository=repository).state["items"]["non-root"] == "fail"


def test_snapshot_of_an_old_run_uses_the_facts_of_its_time(small_template):
    template = small_template(TeamFactory())
    repository = RepositoryFactory(team=template.team)
    checklist_apply(repository=repository, template=template)
    run = make_run(
        repository, {"dockerfile.non_root_user": "pass"}, finished_at=timezone.now() - timedelta(days=2)
    )
    attestation_record(
        repository=repository, template_slug="small", item_key="backup-restore", checked=True, user=None
    )
    ChecklistSnapshot.objects.filter(run=run).delete()
    snapshot = checklist_snapshots_for_run(run=run)[0]
    assert snapshot.data["items"]["backup-restore"] == "todo"  # ticked after that run


def test_import_markdown_then_bind_an_item_to_checks():
    team = TeamFactory()
    markdown = "## Security\n- [ ] Non-root user\n- [x] Secrets in a vault\n\n## Ops\n- ✅ Backups restored\n"
    template = template_import_markdown(team=team, title="Our list", markdown=markdown)
    assert template.team == team and not template.is_builtin
    assert [(i.category_title, i.title, i.manual) for i in template.items.all()] == [
        ("Security", "Non-root user", True),
        ("Security", "Secrets in a vault", True),
        ("Ops", "Backups restored", True),
    ]
    again = template_import_markdown(team=team, title="Our list", markdown=markdown)
    assert again.slug != template.slug  # slugs stay unique in the team
    repository = RepositoryFactory(team=team)
    checklist_apply(repository=repository, template=template)
    make_run(repository, {"dockerfile.non_root_user": "pass"})
    item = template.items.get(title="Non-root user")
    template_item_bind(item=item, checks=["dockerfile.non_root_user"], combine="all", level="silver")
    item.refresh_from_db()
    assert not item.manual and item.level == "silver"
    assert AppliedChecklist.objects.get(repository=repository).state["items"][item.key] == "pass"
    with pytest.raises(ChecklistError):
        template_import_markdown(team=team, title="x", markdown="no items here")


def test_builtin_items_cannot_be_rebound_in_the_browser():
    item = TemplateItem.objects.filter(template__is_builtin=True).first()
    with pytest.raises(ChecklistError, match="YAML"):
        template_item_bind(item=item, checks=[], combine="all", level="gold")


def test_compare_two_runs_gives_the_evaluation_table(small_template):
    template = small_template(TeamFactory())
    repository = RepositoryFactory(team=template.team)
    checklist_apply(repository=repository, template=template)
    now = timezone.now()
    before = make_run(
        repository,
        {"dockerfile.non_root_user": "fail", "dockerfile.healthcheck": "fail"},
        finished_at=now - timedelta(days=8),
    )
    make_run(
        repository,
        {"dockerfile.non_root_user": "pass", "dockerfile.healthcheck": "fail"},
        finished_at=now - timedelta(days=3),
    )
    after = make_run(
        repository, {"dockerfile.non_root_user": "pass", "dockerfile.healthcheck": "pass"}, finished_at=now
    )
    assert default_compare_runs(repository=repository) == (before, after)  # a week earlier
    comparison = compare_snapshots(
        before=ChecklistSnapshot.objects.get(run=before),
        after=ChecklistSnapshot.objects.get(run=after),
        template=template,
    )
    assert [r["title"] for r in comparison["rows"]] == ["Security", "Reliability"]  # the template's order
    rows = {r["title"]: r for r in comparison["rows"]}
    assert (rows["Security"]["before"], rows["Security"]["after"], rows["Security"]["status"]) == (
        0.0,
        10.0,
        "Fixed",
    )
    # The manual item nobody has reviewed counts in neither run: the fixed healthcheck reads Fixed.
    assert (rows["Reliability"]["before"], rows["Reliability"]["after"], rows["Reliability"]["status"]) == (
        0.0,
        10.0,
        "Fixed",
    )
    assert comparison["overall"]["status"] == "Fixed"
    changes = {c["key"]: c for c in comparison["changes"]}
    assert set(changes) == {"non-root", "healthcheck"}
    assert (changes["non-root"]["before"], changes["non-root"]["after"], changes["non-root"]["change"]) == (
        "fail",
        "pass",
        "Fixed",
    )
    md = comparison_markdown(comparison, repository=repository, template=template)
    assert "| Category | Before | After | Status |" in md
    assert "| Security | 0.0/10 | 10.0/10 | Fixed |" in md
    assert "| **Readiness score** | **0.0/10** | **10.0/10** | Fixed |" in md
    assert "- **Runs as non-root** (`dockerfile.non_root_user`), Security: fail → pass (Fixed)" in md


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (None, 5.0, "New"),
        (5.0, 10.0, "Fixed"),
        (5.0, 6.0, "Improved"),
        (6.0, 6.0, "Maintained"),
        (6.0, 5.9, "Regressed"),
        (10.0, 10.0, "Maintained"),
    ],
)
def test_compare_status_words(before, after, expected):
    assert compare_status(before, after) == expected


def test_weekly_points_take_each_weeks_last_score_and_carry_it_forward():
    now = timezone.now()
    points = [
        (now - timedelta(days=90), 1.0),  # older than 12 weeks: ignored
        (now - timedelta(days=83), 1.5),
        (now - timedelta(days=82), 2.0),  # the same week, later: wins
        (now - timedelta(days=75), 3.0),
        (now - timedelta(days=2), 9.0),
    ]
    weekly = weekly_points(points, weeks=12, now=now)
    assert len(weekly) == 12
    assert weekly[:3] == [2.0, 3.0, 3.0] and weekly[10] == 3.0 and weekly[11] == 9.0
    assert weekly_points([], weeks=12, now=now) == [None] * 12


def test_sync_command_gives_older_repositories_the_default_checklist():
    from io import StringIO

    from django.core.management import call_command

    older = RepositoryFactory()  # registered before checklists existed: no checklist
    out = StringIO()
    call_command("sync_templates", stdout=out)
    applied = AppliedChecklist.objects.get(repository=older)
    assert applied.primary and applied.template.slug == "production-readiness-complete"
    assert applied.state_updated_at is not None
    assert "applied to 1 repositories" in out.getvalue()
    call_command("sync_templates", stdout=out)
    assert AppliedChecklist.objects.filter(repository=older).count() == 1
