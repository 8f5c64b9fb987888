"""Checklist page benchmark: HTML size and time to usable in headless Chromium, this checkout beside
another (main by default), on the same data.

    .venv/bin/python bench/checklist_page_bench.py [--baseline /work/main | --baseline none] [--loads 7]

For each code tree, a child process (this file with ``--child TREE``, the tree first on sys.path)
migrates a fresh SQLite database in a temporary folder, registers the demo sample service (the
complete template applied, as every new repository), analyses it for real (excerpts, fixes, diffs),
ticks a few manual items, waives one and writes notes, serves the app with a threaded WSGI server
and loads the repository's checklist page ``--loads`` times in Debian's Chromium (Playwright with
``executable_path``), logged in as the team's lead. It prints the HTML size (bytes of the document,
without CSS and JS), the number of items on the page, and the median and worst "usable" time: from
navigation start to the first frame painted after the load event (CSS and htmx loaded, the page laid
out), and how long a failing item's details take to show once opened (they load on demand).
It asserts nothing; docs/benchmarks.md records a run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
USABLE_JS = """() => new Promise(resolve => requestAnimationFrame(() =>
    requestAnimationFrame(() => resolve(performance.now()))))"""


def child(tree: Path, loads: int) -> dict:
    """Seed, serve and measure with the code of ``tree``; returns the figures."""
    sys.path.insert(0, str(tree))
    work = Path(tempfile.mkdtemp(prefix="checklist-bench-"))
    os.environ["TEST_DATABASE_URL"] = f"sqlite:///{work / 'db.sqlite3'}"
    os.environ["READINESS_VAR_DIR"] = str(work / "var")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        import django

        django.setup()
        from django.conf import settings

        settings.ALLOWED_HOSTS = ["*"]
        settings.DEBUG = False
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        url_path, cookie = _seed(tree, work)
        return _measure(url_path, cookie, loads)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _seed(tree: Path, work: Path) -> tuple[str, dict]:
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone

    from readiness.checklists.services import records
    from readiness.pipeline.analysis import analysis_execute
    from readiness.pipeline.registration import repository_register
    from readiness.repos.services import analysis_request
    from readiness.teams.models import Membership, Role, Team

    source = work / "sample-service"
    shutil.copytree(tree / "readiness" / "demo" / "sample-service", source)
    team = Team.objects.create(name="Bench", slug="bench")
    user = get_user_model().objects.create_user("lead")  # logged in by session below
    Membership.objects.create(team=team, user=user, role=Role.LEAD)
    repository = repository_register(team=team, name="sample-service", url=str(source))
    run = analysis_request(repository=repository, user=user)
    analysis_execute(run_id=run.pk)
    slug = repository.checklists.get(primary=True).template.slug
    item = {"repository": repository, "template_slug": slug, "user": user}
    for key in ("circuit-breakers", "production-mode", "input-validation", "backups"):
        records.attestation_record(
            **item, item_key=key, checked=True, evidence_url="https://wiki.example.com/runbook", note=""
        )
    records.waiver_grant(
        **item, item_key="non-root-user", reason="next sprint", expires_on=timezone.localdate() + timedelta(7)
    )
    for key in ("graceful-shutdown", "retry-backoff"):
        records.note_add(**item, item_key=key, text="Covered by the platform team's runbook; see the wiki.")
    client = Client()
    client.force_login(user)
    return f"/t/{team.slug}/r/{repository.slug}/checklists/", {
        "name": "sessionid",
        "value": client.cookies["sessionid"].value,
    }


def _serve():
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(StaticFilesHandler(WSGIHandler()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _measure(url_path: str, cookie: dict, loads: int) -> dict:
    from playwright.sync_api import sync_playwright

    server = _serve()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    times, size, items = [], 0, 0
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_cookies([{**cookie, "url": base}])
            page = context.new_page()
            page.goto(base + url_path)  # warm-up: static files cached, templates compiled
            for _ in range(loads):
                response = page.goto(base + url_path, wait_until="load")
                times.append(page.evaluate(USABLE_JS))
                size = len(response.body())
            items = page.locator("li.item").count()
            opened = _open_details(page)
            height = page.evaluate("document.documentElement.scrollHeight")
            if os.environ.get("BENCH_SCREENSHOT"):  # a picture of the page, to look at
                page.screenshot(
                    path=os.environ["BENCH_SCREENSHOT"],
                    full_page=True,
                    clip={"x": 0, "y": 0, "width": 1280, "height": 2000},
                )
            browser.close()
    finally:
        server.shutdown()
    return {
        "bytes": size,
        "items": items,
        "height_px": height,
        "median_ms": statistics.median(times),
        "max_ms": max(times),
        "details_ms": opened,
    }


def _open_details(page) -> float | None:
    """Milliseconds from opening a failing item to its details shown (None: the page has no lazy rows)."""
    import time

    row = page.locator("li.item-fail").first
    if not row.count() or not row.locator("details[hx-get]").count():
        return None
    started = time.perf_counter()
    row.locator("summary").click()
    row.locator(".item-events").wait_for()
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="/work/main", help="another checkout to measure beside (none)")
    parser.add_argument("--loads", type=int, default=7)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(Path(args.child), args.loads)))
        return 0
    if not os.path.exists(CHROMIUM):
        print("Debian's chromium is not installed: nothing measured")
        return 0
    trees = [("this checkout", CHECKOUT)]
    baseline = Path(args.baseline) if args.baseline != "none" else None
    if baseline and baseline.resolve() != CHECKOUT and (baseline / "readiness").is_dir():
        trees.insert(0, (f"baseline {baseline}", baseline))
    print(f"checklist page, demo sample service, complete template, {args.loads} loads in headless Chromium")
    for label, tree in trees:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(tree), "--loads", str(args.loads)],
            capture_output=True,
            text=True,
            check=False,
        )
        if out.returncode != 0:
            print(f"{label}: failed\n{out.stderr[-3000:]}")
            return 1
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{label:>32}: {r['bytes'] / 1024:7.1f} KB HTML, {r['items']} items, {r['height_px']} px tall, "
            f"usable in {r['median_ms']:.0f} ms median ({r['max_ms']:.0f} ms worst)"
            + (f", an item's details in {r['details_ms']:.0f} ms" if r["details_ms"] is not None else "")
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
