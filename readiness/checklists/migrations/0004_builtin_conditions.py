"""The built-in items' applicability conditions (readiness/checklists/builtin/*.yml, applies_when)."""

from django.db import migrations


def sync(apps, schema_editor):
    from readiness.checklists.services.templates import builtin_templates_sync

    builtin_templates_sync(
        template_model=apps.get_model("checklists", "ChecklistTemplate"),
        item_model=apps.get_model("checklists", "TemplateItem"),
        applied_model=apps.get_model("checklists", "AppliedChecklist"),
    )


class Migration(migrations.Migration):
    dependencies = [("checklists", "0003_templateitem_applies_when")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
