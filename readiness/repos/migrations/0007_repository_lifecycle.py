import django.db.models.functions.text
from django.db import migrations, models


def rename_duplicate_names(apps, schema_editor):
    """Names become unique within a team (whatever the case): a later namesake gets " (2)", " (3)"..."""
    Repository = apps.get_model("repos", "Repository")
    seen: dict[tuple[int, str], int] = {}
    taken = {(r.team_id, r.name.lower()) for r in Repository.objects.only("team_id", "name")}
    for repository in Repository.objects.order_by("team_id", "created_at", "pk").only("team_id", "name"):
        key = (repository.team_id, repository.name.lower())
        seen[key] = seen.get(key, 0) + 1
        if seen[key] == 1:
            continue
        n = seen[key]
        while (repository.team_id, f"{repository.name} ({n})".lower()) in taken:
            n += 1
        repository.name = f"{repository.name} ({n})"[:200]
        taken.add((repository.team_id, repository.name.lower()))
        repository.save(update_fields=["name"])


class Migration(migrations.Migration):
    dependencies = [
        ("repos", "0006_checkresult_fixes"),
        ("teams", "0004_team_timezone"),
    ]

    operations = [
        migrations.AddField(
            model_name="repository",
            name="archived_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(rename_duplicate_names, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="repository",
            constraint=models.UniqueConstraint(
                models.F("team"),
                django.db.models.functions.text.Lower("name"),
                name="repository_name_unique_in_team",
            ),
        ),
    ]
