import pytest
from django.utils import timezone

from readiness.checklists.services.states import checklist_run_finished
from readiness.repos.models import RunStatus
from tests.factories import AnalysisRunFactory, CheckResultFactory, TemplateItemFactory


def make_run(repository, statuses: dict, *, finished_at=None, evidence=None):
    """A succeeded run with the given check statuses, its checklist snapshots and live states."""
    finished_at = finished_at or timezone.now()
    run = AnalysisRunFactory(
        repository=repository, status=RunStatus.SUCCEEDED, finished_at=finished_at, commit_sha="abc1234def"
    )
    for check_id, status in statuses.items():
        CheckResultFactory(
            run=run, check_id=check_id, status=status, evidence=(evidence or {}).get(check_id, [])
        )
    checklist_run_finished(run=run)
    return run


@pytest.fixture
def small_template(db):
    """A team template: two automated items (bronze, silver) and a manual one due every 90 days."""

    def make(team):
        a = TemplateItemFactory(
            template__team=team,
            template__slug="small",
            template__title="Small",
            key="non-root",
            level="bronze",
            checks=["dockerfile.non_root_user"],
            title="Runs as non-root",
        )
        template = a.template
        TemplateItemFactory(
            template=template,
            key="healthcheck",
            level="silver",
            checks=["dockerfile.healthcheck", "compose.healthchecks"],
            combine="any",
            category_id="reliability",
            category_title="Reliability",
            title="Has a healthcheck",
        )
        TemplateItemFactory(
            template=template,
            key="backup-restore",
            level="silver",
            manual=True,
            reattest_days=90,
            category_id="reliability",
            category_title="Reliability",
            title="Backup restore tested",
        )
        return template

    return make
