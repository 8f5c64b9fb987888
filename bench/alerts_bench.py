"""Alerts benchmark: 1,000 events across 100 teams, delivered to local receivers.

    .venv/bin/python bench/alerts_bench.py [--teams 100] [--repos 5]

Makes a fresh PostgreSQL database ``readiness_alerts_bench`` on the test server
(BENCH_ALERTS_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/readiness_alerts_bench) with
``--teams`` teams of ``--repos`` repositories; each team has two channels, a signed JSON webhook and
a Mattermost (through Apprise), both pointing at HTTP receivers on 127.0.0.1 that the allowed-network
rule opens (every request goes through the SSRF guard). Each repository gets two events (a score
drop and a newly failing check): 100 x 5 x 2 = 1,000 events.

Phase 1 records them the way the pipeline does (one ``alert_events_record`` call per repository,
each event once more to show the dedup costs nothing new). Phase 2 plays the worker: every due
outbox row ``alerts.send`` is claimed and run through the task (``@outbox_task``: claim, send, mark
done), twice each to show a redelivered message sends nothing. The grouping window is 0 here, so a
repository's two events go out as one message per channel: 1,000 messages in all.

Prints the time and queries per event of both phases and the messages the receivers got; asserts
every delivery sent and exactly one request per (channel, repository). The broker is not used: the
bench publishes nothing and runs the task functions itself.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from postgres import recreate_database  # noqa: E402  (bench/postgres.py)

DATABASE_URL = os.environ.get(
    "BENCH_ALERTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/readiness_alerts_bench"
)
os.environ["TEST_DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
SECRET = "bench-signing-secret-0123456789"  # noqa: S105 - a bench receiver's key


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.paths: list[str] = []
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.paths.append(self.path)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format, *args):
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--repos", type=int, default=5)
    args = parser.parse_args()

    recreate_database(DATABASE_URL)
    import logging

    import django

    django.setup()
    logging.getLogger("apprise").setLevel(logging.WARNING)
    logging.getLogger("readiness.core.outbox").setLevel(logging.WARNING)  # "taken": the duplicates
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from readiness.alerts import services
    from readiness.alerts.models import AlertDelivery, AlertSettings, DeliveryStatus
    from readiness.alerts.tasks import alert_send_task
    from readiness.core import outbox
    from readiness.core.models import AllowedNetwork, OutboxMessage, OutboxState
    from readiness.repos.models import Repository
    from readiness.teams.models import Team

    call_command("migrate", verbosity=0)
    outbox._publish_after_commit = lambda message: None  # no broker: this process is the worker

    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    port = receiver.server_address[1]
    AllowedNetwork.objects.create(target="127.0.0.1", port=port, reason="bench receivers")

    print(f"seeding {args.teams} teams x {args.repos} repositories, 2 channels each ...", flush=True)
    repositories = []
    for t in range(args.teams):
        team = Team.objects.create(name=f"Team {t}", slug=f"ab-{t}")
        AlertSettings.objects.create(team=team, group_window_s=0)
        services.channel_create(
            team=team,
            name="hook",
            kind="webhook",
            url=f"http://127.0.0.1:{port}/hook/{t}",
            secret=SECRET,
            events=["score_drop", "check_fails"],
        )
        services.channel_create(
            team=team,
            name="chat",
            kind="mattermost",
            url=f"mmost://127.0.0.1:{port}/chat{t}",
            events=["score_drop", "check_fails"],
        )
        for r in range(args.repos):
            repositories.append(
                Repository.objects.create(team=team, name=f"svc-{t}-{r}", slug=f"svc-{r}", url="/x")
            )

    def events_of(repository):
        now = timezone.now()
        base = {"team_id": repository.team_id, "repository_id": repository.pk, "happened_at": now}
        details = [{"title": "Image declares a HEALTHCHECK", "fix": "Add HEALTHCHECK CMD curl -f /health"}]
        return [
            services.NewEvent(
                **base,
                kind="score_drop",
                subject="score",
                ref="run:1",
                title="score 8.0 → 6.5",
                data={
                    "summary": "score 8.0 → 6.5 on main",
                    "old": 8.0,
                    "new": 6.5,
                    "details": details,
                    "url": "http://localhost:8000/t/x/r/y/runs/1/",
                },
            ),
            services.NewEvent(
                **base,
                kind="check_fails",
                subject="dockerfile.healthcheck",
                ref="run:1",
                title="newly fails: Image declares a HEALTHCHECK",
                data={"summary": "Newly failing: Image declares a HEALTHCHECK", "details": details},
            ),
        ]

    batches = [events_of(repository) for repository in repositories]
    total_events = sum(len(b) for b in batches)
    connection.queries_log.clear()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured:
        for batch in batches:
            services.alert_events_record(events=batch)
        for batch in batches:  # again: a second beat or a retried task records nothing
            assert services.alert_events_record(events=batch) == []
    record_s = time.perf_counter() - started
    record_queries = len(captured)

    rows = list(
        OutboxMessage.objects.filter(task="alerts.send", state=OutboxState.PENDING).values_list("pk", "args")
    )
    latencies = []
    started = time.perf_counter()
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        for pk, task_args in rows:
            one = time.perf_counter()
            alert_send_task(*task_args, outbox_id=pk)
            latencies.append(time.perf_counter() - one)
            alert_send_task(*task_args, outbox_id=pk)  # a redelivered message: taken, nothing sent
    deliver_s = time.perf_counter() - started
    deliver_queries = len(captured)

    sent = AlertDelivery.objects.filter(status=DeliveryStatus.SENT).count()
    assert sent == total_events * 2, f"{sent} of {total_events * 2} deliveries sent"
    assert len(receiver.paths) == len(rows) == len(repositories) * 2, (len(receiver.paths), len(rows))
    receiver.shutdown()
    print(
        f"{total_events} events, {args.teams} teams x {args.repos} repositories, 2 channels each "
        "(signed webhook, Mattermost via Apprise), PostgreSQL, receivers on 127.0.0.1 through the SSRF guard"
    )
    print(
        f"record: {record_s:.2f} s ({record_s / total_events * 1000:.2f} ms and "
        f"{record_queries / total_events:.1f} queries per event, each event recorded twice)"
    )
    print(
        f"deliver: {len(receiver.paths)} messages ({sent} deliveries) in {deliver_s:.2f} s "
        f"({deliver_s / total_events * 1000:.2f} ms and "
        f"{deliver_queries / total_events:.1f} queries per event; "
        f"per message median {statistics.median(latencies) * 1000:.1f} ms, "
        f"max {max(latencies) * 1000:.1f} ms; each message delivered twice by the broker)"
    )
    print(
        f"total: {(record_s + deliver_s):.2f} s for {total_events} events; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    connection.close()


if __name__ == "__main__":
    main()
