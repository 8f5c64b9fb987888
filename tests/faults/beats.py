"""Two beats for five minutes (a deployment mistake compose.yml warns about): schedules firing
every minute, endpoints probed every 15 s, a weekly report due. Nothing runs twice: one run per
repository and schedule slot, one probe record per endpoint and dispatch, one report per week."""

from __future__ import annotations

import time

from tests.faults.stack import Stack, sample_repo

SEED = r"""
import json
from django.contrib.auth import get_user_model
from readiness.core.models import AllowedNetwork
from readiness.endpoints.services import endpoint_register
from readiness.pipeline.registration import repository_register
from readiness.repos.services import repository_schedule_set
from readiness.teams.models import Role
from readiness.teams.services import membership_add, team_create
team = team_create(name="Faults beats")
user = get_user_model().objects.create(username="beats", email="beats@example.com")
membership_add(team=team, user=user, role=Role.LEAD)
AllowedNetwork.objects.get_or_create(target="127.0.0.1", port=WEBPORT, defaults={"reason": "faults"})
every_minute = {"minute": "*", "hour": "*", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"}
for n in range(5):
    repo = repository_register(team=team, name=f"b{n}", url="URL", branch="main")
    repository_schedule_set(repository=repo, crontab=every_minute)
    endpoint_register(repository=repo, name="web", url="http://127.0.0.1:WEBPORT/health", interval_s=15)
print(json.dumps({"team": team.slug}))
"""

CHECK = r"""
import json
from django.db.models import Count
from readiness.endpoints.models import ProbeRecord
from readiness.repos.models import AnalysisRun
runs = AnalysisRun.objects.filter(repository__team__slug="TEAM")
slots = runs.exclude(schedule_slot=None).values("repository", "schedule_slot").annotate(n=Count("id"))
probes = ProbeRecord.objects.filter(endpoint__repository__team__slug="TEAM").order_by("endpoint", "at")
close = 0
last = {}
for endpoint_id, at in probes.values_list("endpoint_id", "at"):
    if endpoint_id in last and (at - last[endpoint_id]).total_seconds() < 7.5:
        close += 1
    last[endpoint_id] = at
print(json.dumps({
    "runs": runs.count(), "slots": slots.count(), "runs_sharing_a_slot": sum(s["n"] - 1 for s in slots),
    "by_status": dict(runs.values_list("status").annotate(n=Count("id"))),
    "probes": probes.count(), "probes_closer_than_half_an_interval": close,
}))
"""


def two_beats(stack: Stack, minutes: float = 5) -> dict:
    seeded = stack.shell(SEED.replace("URL", sample_repo(stack)).replace("WEBPORT", str(stack.web_port)))
    stack.start("beat")
    stack.start("beat2")
    try:
        time.sleep(minutes * 60)
    finally:
        stack.stop("beat")
        stack.stop("beat2")
    time.sleep(15)  # the last runs and probes finish
    facts = stack.shell(CHECK.replace("TEAM", seeded["team"]))
    expected_probes = 5 * minutes * 60 / 15
    facts["expected_probes_about"] = int(expected_probes)
    facts["ok"] = (
        facts["runs_sharing_a_slot"] == 0
        and facts["probes_closer_than_half_an_interval"] == 0
        and facts["probes"] <= expected_probes + 10
        and facts["slots"] >= 5 * (minutes - 1)
        and not facts["by_status"].get("failed")
    )
    return facts
