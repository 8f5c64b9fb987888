# The time zone moves from the report schedule to the team (its weeks are the team's).

from django.db import migrations


def schedule_timezone_to_team(apps, schema_editor):
    ReportSchedule = apps.get_model("reports", "ReportSchedule")
    Team = apps.get_model("teams", "Team")
    for team_id, timezone in ReportSchedule.objects.values_list("team_id", "timezone"):
        Team.objects.filter(pk=team_id).update(timezone=timezone)


def team_timezone_to_schedule(apps, schema_editor):
    ReportSchedule = apps.get_model("reports", "ReportSchedule")
    for schedule in ReportSchedule.objects.select_related("team"):
        schedule.timezone = schedule.team.timezone
        schedule.save(update_fields=["timezone"])


class Migration(migrations.Migration):

    dependencies = [
        ("reports", "0001_initial"),
        ("teams", "0004_team_timezone"),
    ]

    operations = [
        migrations.RunPython(schedule_timezone_to_team, team_timezone_to_schedule),
        migrations.RemoveField(model_name="reportschedule", name="timezone"),
    ]
