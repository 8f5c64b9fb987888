"""Store the built-in checklist templates from YAML; a version bump adds a version. Safe to run again."""

from django.core.management.base import BaseCommand

from readiness.checklists.services import builtin_templates_sync


class Command(BaseCommand):
    help = "Load the built-in checklist templates (readiness/checklists/builtin/*.yml) into the database."

    def handle(self, *args, **options):
        added = builtin_templates_sync()
        self.stdout.write(f"Built-in templates: {added} new version(s) stored.")
