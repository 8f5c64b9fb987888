"""Store the built-in checklist templates from YAML; a version bump adds a version. Safe to run again.

Also gives every repository without a checklist the default one (repositories registered before the
checklists existed) and computes states that were never computed, or whose template's applicability
conditions changed.
"""

from django.core.management.base import BaseCommand
from django.db.models import Q

from readiness.checklists.models import AppliedChecklist
from readiness.checklists.services.applied import checklist_apply_default
from readiness.checklists.services.states import checklist_states_refresh
from readiness.checklists.services.templates import builtin_conditions_sync, builtin_templates_sync
from readiness.repos.models import Repository


class Command(BaseCommand):
    help = "Load the built-in checklist templates (readiness/checklists/builtin/*.yml) into the database."

    def handle(self, *args, **options):
        # Conditions change in place (stored versions keep their rows): the states of the
        # repositories using a changed template are computed again below.
        changed = builtin_conditions_sync()
        added = builtin_templates_sync()
        self.stdout.write(f"Built-in templates: {added} new version(s) stored.")
        bare = Repository.objects.filter(checklists__isnull=True)
        applied = 0
        for repository in bare.iterator():
            checklist_apply_default(repository=repository)
            applied += 1
        stale = AppliedChecklist.objects.filter(
            Q(state_updated_at__isnull=True) | Q(template_id__in=changed)
        ).values("repository_id")
        never = Repository.objects.filter(pk__in=stale)
        refreshed = 0
        for repository in never.iterator():
            checklist_states_refresh(repository=repository)
            refreshed += 1
        self.stdout.write(
            f"Default checklist applied to {applied} repositories; {refreshed} states computed."
        )
