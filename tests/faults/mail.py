"""The weekly report's send under faults: SMTP down when it is due, then a worker killed -9 in the
middle of the recipients. Every recipient gets the report once."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time

from aiosmtpd.controller import Controller

from tests.faults.stack import Stack, wait_until

RECIPIENTS = 6

SEED = r"""
import json
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from readiness.reports.services import report_send_now
from readiness.teams.models import Role, Team
from readiness.teams.services import membership_add, team_create
User = get_user_model()
team = team_create(name="Faults mail")
# Made long ago: a team's first report covers only its own days, so a new one could not send yet.
Team.objects.filter(pk=team.pk).update(created_at=timezone.now() - timedelta(days=60))
team.refresh_from_db()
lead = None
for n in range(COUNT):
    user = User.objects.create(username=f"mail{n}", email=f"mail{n}@example.com")
    membership_add(team=team, user=user, role=Role.LEAD if n == 0 else Role.ENGINEER)
    lead = lead or user
report = report_send_now(team=team, user=lead)
print(json.dumps({"report": report.pk}))
"""

STATE = r"""
import json
from readiness.reports.models import WeeklyReport
r = WeeklyReport.objects.get(pk=PK)
print(json.dumps({"status": r.status, "attempts": r.attempts, "sent": r.sent_count, "error": r.error}))
"""


class SlowCollector:
    """Accepts every message; waits ``pause_s`` before each recipient, so a kill between two
    recipients lands before the next message is transmitted (never mid-DATA)."""

    def __init__(self, pause_s: float):
        self.pause_s, self.to, self.lock = pause_s, [], threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        await asyncio.sleep(self.pause_s)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.to.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"


def smtp_down_and_crash_mid_send(stack: Stack) -> dict:
    seeded = stack.shell(SEED.replace("COUNT", str(RECIPIENTS)))
    state = lambda: stack.shell(STATE.replace("PK", str(seeded["report"])))  # noqa: E731
    wait_until(lambda: state()["status"] == "retrying", 60, what="first attempt failed (SMTP down)")
    collector = SlowCollector(pause_s=1.0)
    controller = Controller(collector, hostname="127.0.0.1", port=stack.smtp_port)
    controller.start()
    smtp_up = time.monotonic()
    try:
        wait_until(lambda: len(collector.to) >= 2, 150, step=0.05, what="two recipients sent")
        time.sleep(0.3)
        for pid in stack.pool_pids():
            os.kill(pid, signal.SIGKILL)
        killed_at = time.monotonic()
        final = wait_until(lambda: (s := state())["status"] in ("sent", "failed") and s, 120, step=1)
        recovered = time.monotonic() - killed_at
    finally:
        controller.stop()
    per_address = {a: collector.to.count(a) for a in set(collector.to)}
    figures = {
        "recipients": RECIPIENTS,
        "delivered": len(collector.to),
        "duplicates": sum(n - 1 for n in per_address.values()),
        "missing": RECIPIENTS - len(per_address),
        "status": final["status"],
        "attempts": final["attempts"],
        "first_send_after_smtp_up_s": None,
        "recovery_s": round(recovered, 1),
        "smtp_down_then_up_to_sent_s": round(time.monotonic() - smtp_up, 1),
    }
    figures["ok"] = (
        final["status"] == "sent"
        and figures["duplicates"] == 0
        and figures["missing"] == 0
        and recovered < 60
    )
    return figures
