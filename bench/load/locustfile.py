"""Locust scenario for bench/load/run.py: members reading the dashboard, repository, checklist and
compare pages of the 2,000-repository data set (bench/dashboard_bench.py). The session cookie comes
from LOAD_SESSION (run.py logs the bench user in); requests are named per page for the figures."""

import os
import random

from locust import FastHttpUser, between, task

REPOS = int(os.environ.get("LOAD_REPOS", "2000"))
# Seconds each user waits between pages, "MIN,MAX" (run.py --wait).
WAIT_MIN, WAIT_MAX = (float(part) for part in os.environ.get("LOAD_WAIT", "0.5,1.5").split(","))
TEAM = "bench"


def _repo() -> str:
    return f"service-{random.randrange(REPOS):05d}"  # noqa: S311 - load, not security


class Member(FastHttpUser):
    # FastHttpUser (geventhttpclient), not HttpUser (requests): the load generator shares the two
    # cores it measures, and costs several times less CPU per request this way.
    wait_time = between(WAIT_MIN, WAIT_MAX)
    default_headers = {"Cookie": f"sessionid={os.environ.get('LOAD_SESSION', '')}"}

    @task(3)
    def dashboard(self):
        page = random.randint(1, max(1, REPOS // 25))  # noqa: S311
        self.client.get(f"/t/{TEAM}/dashboard/?page={page}", name="dashboard")

    @task(3)
    def repository(self):
        self.client.get(f"/t/{TEAM}/r/{_repo()}/", name="repository")

    @task(3)
    def checklist(self):
        self.client.get(f"/t/{TEAM}/r/{_repo()}/checklists/", name="checklist")

    @task(1)
    def compare(self):
        self.client.get(f"/t/{TEAM}/r/{_repo()}/compare/", name="compare")
