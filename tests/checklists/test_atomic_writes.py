"""A tick, an undo, a waiver and its revocation are one transaction with the state refresh and the
activity entry: when any part fails, none of it is kept."""

from datetime import date, timedelta

import pytest
from django.db import DatabaseError

from readiness.checklists.models import Attestation, ChecklistTemplate, TemplateItem, Waiver
from readiness.checklists.services import records as services
from readiness.checklists.services.applied import checklist_apply
from readiness.teams.models import ActivityEvent as ActivityEntry
from tests.factories import RepositoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manual_item():
    repository = RepositoryFactory()
    template = ChecklistTemplate.objects.create(team=repository.team, slug="t", title="T")
    TemplateItem.objects.create(
        template=template, category_id="c", category_title="C", position=1, key="k", title="K", manual=True
    )
    checklist_apply(repository=repository, template=template)
    return repository


def _fail(**kwargs):
    raise DatabaseError("the state refresh failed")


def test_a_tick_whose_state_refresh_fails_leaves_nothing(manual_item, monkeypatch):
    activity_before = ActivityEntry.objects.count()
    monkeypatch.setattr(services, "checklist_states_refresh", _fail)
    with pytest.raises(DatabaseError):
        services.attestation_record(
            repository=manual_item, template_slug="t", item_key="k", checked=True, user=None
        )
    assert not Attestation.objects.exists()
    assert ActivityEntry.objects.count() == activity_before


def test_a_waiver_whose_activity_entry_fails_is_not_granted(manual_item, monkeypatch, team_member):
    lead = team_member(role="lead", team=manual_item.team).user
    monkeypatch.setattr(services, "activity_record", _fail)
    with pytest.raises(DatabaseError):
        services.waiver_grant(
            repository=manual_item,
            template_slug="t",
            item_key="k",
            reason="later",
            expires_on=date.today() + timedelta(days=30),
            user=lead,
        )
    assert not Waiver.objects.exists()
