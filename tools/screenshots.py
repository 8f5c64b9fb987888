"""Take the README's screenshots from the demo, at 1280 px, with Debian's Chromium.

    make screenshots                     # or: .venv/bin/python tools/screenshots.py [--out DIR] [--keep]

In a throwaway directory (never the checkout's var/): migrate an SQLite database, run
``manage.py seed_demo`` (the demo team, user and sample-service of ``make run``), add a few more
demo repositories made from the same sample with a history of commits, analyse each commit with the
real pipeline (the runs are then dated back a few weeks apart, so the trend has points), start
``runserver`` and photograph the pages with Playwright into ``docs/screenshots/``:

dashboard.png, repository.png, checklist.png, compare.png, fix-diff.png, activity.png, waivers.png.

Nothing here runs in the test suite; the browser tests write their own screenshots to tmp_path.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
WIDTH = 1280
TEAM = "demo-team"
MARKER = ".readiness-screenshots"
GIT_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/nonexistent",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Readiness demo",
    "GIT_AUTHOR_EMAIL": "demo@readiness.invalid",
    "GIT_COMMITTER_NAME": "Readiness demo",
    "GIT_COMMITTER_EMAIL": "demo@readiness.invalid",
}

# The fixes a team makes to the sample over the weeks, file by file (the edits are replacements
# of the whole file). Each demo repository is the sample plus a list of (weeks ago, message, edits).
DOCKERIGNORE = ".git\n.venv\n__pycache__/\n*.pyc\n.env\n"
DOCKERFILE_SLIM = """\
FROM python:3.12.7-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home app
USER app
EXPOSE 5000
CMD ["python", "app.py"]
"""
DOCKERFILE_HEALTHY = DOCKERFILE_SLIM.replace(
    "EXPOSE 5000\n",
    'EXPOSE 5000\nHEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request as u;'
    " u.urlopen('http://127.0.0.1:5000/health')\"\n",
)
DOCKERFILE_FULL = """\
FROM python:3.12
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
CMD ["python", "app.py"]
"""
COMPOSE_HEALTHY = """\
services:
  web:
    build: .
    ports:
      - "5000:5000"
    environment:
      SECRET_KEY: ${SECRET_KEY:?set SECRET_KEY}
      REDIS_URL: redis://cache:6379/0
    depends_on:
      cache:
        condition: service_healthy
    restart: unless-stopped
  cache:
    image: redis:7.4.1
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 10s
    restart: unless-stopped
"""
HISTORIES = {
    "checkout-api": [
        (9, "Sample service", {}),
        (6, "Add a .dockerignore", {".dockerignore": DOCKERIGNORE}),
        (3, "Slim, pinned base image; run as a user", {"Dockerfile": DOCKERFILE_SLIM}),
        (
            0,
            "Health checks, restart policies, no secret in compose",
            {
                "Dockerfile": DOCKERFILE_HEALTHY,
                "docker-compose.yml": COMPOSE_HEALTHY,
            },
        ),
    ],
    "payments-worker": [
        (8, "Worker from the sample", {".dockerignore": DOCKERIGNORE, "Dockerfile": DOCKERFILE_HEALTHY}),
        (4, "Compose health checks", {"docker-compose.yml": COMPOSE_HEALTHY}),
        (
            0,
            "Quick fix for the release: back to the full image",
            {
                "Dockerfile": DOCKERFILE_FULL,
            },
        ),
    ],
    "inventory-sync": [
        (5, "Sync job from the sample", {".dockerignore": DOCKERIGNORE}),
        (1, "Pinned base image", {"Dockerfile": DOCKERFILE_SLIM}),
    ],
}


def throwaway_dir() -> Path:
    """The demo's var/ directory: /tmp/readiness-demo (a stable name, since the repositories'
    paths show on the pages), emptied first if an earlier run left it; a fresh temporary
    directory when something else owns that name."""
    path = Path(tempfile.gettempdir()) / "readiness-demo"
    if (path / MARKER).exists():
        shutil.rmtree(path)
    if path.exists():
        return Path(tempfile.mkdtemp(prefix="readiness-demo-"))
    path.mkdir()
    (path / MARKER).write_text("made by tools/screenshots.py; removed when it ends\n")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(var_dir: Path, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "CELERY_", "READINESS_"))}
    env.update(
        DEBUG="true",
        DJANGO_SETTINGS_MODULE="readiness.settings",
        READINESS_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{var_dir / 'readiness.sqlite3'}",
        READINESS_ALLOW_LOCAL_SOURCES="true",
        SITE_URL=f"http://127.0.0.1:{port}",
        LOG_LEVEL="WARNING",
    )
    return env


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True)


# --- inside Django (python tools/screenshots.py --seed) -------------------------------------------


def seed() -> None:
    """Demo repositories with a history, analysed by the real pipeline, dated back week by week."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from datetime import date, timedelta

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from readiness.checklists.models import ChecklistSnapshot
    from readiness.checklists.services.records import waiver_grant
    from readiness.endpoints.models import Endpoint, State
    from readiness.pipeline.analysis import analysis_execute
    from readiness.pipeline.management.commands.seed_demo import DEMO_SOURCE
    from readiness.pipeline.registration import repository_register
    from readiness.repos.models import AnalysisRun, Repository
    from readiness.repos.services import analysis_request
    from readiness.teams.models import Role, Team
    from readiness.teams.services import membership_add, team_create

    team = Team.objects.get(slug=TEAM)
    user = get_user_model().objects.get(username="demo")
    membership_add(team=team_create(name="Platform team"), user=user, role=Role.ENGINEER)  # the switcher
    now = timezone.now()

    def analyse(repository, weeks_ago: int) -> None:
        run = analysis_request(repository=repository, user=user)
        analysis_execute(run_id=run.pk)
        when = now - timedelta(weeks=weeks_ago, hours=3)
        AnalysisRun.objects.filter(pk=run.pk).update(
            queued_at=when, started_at=when, finished_at=when + timedelta(seconds=4)
        )
        ChecklistSnapshot.objects.filter(run_id=run.pk).update(taken_at=when + timedelta(seconds=4))

    root = Path(settings.VAR_DIR) / "demo"
    for name, history in HISTORIES.items():
        repo_dir = root / name
        shutil.copytree(DEMO_SOURCE, repo_dir)
        git(repo_dir, "init", "-q", "-b", "main")
        repository = repository_register(team=team, name=name, url=str(repo_dir), actor=user)
        for weeks_ago, message, edits in history:
            for path, text in edits.items():
                (repo_dir / path).write_text(text)
            git(repo_dir, "add", "-A")
            git(repo_dir, "commit", "-q", "--allow-empty", "-m", message)
            analyse(repository, weeks_ago)

    sample = Repository.objects.get(team=team, slug="sample-service")
    analyse(sample, 2)
    analyse(sample, 0)
    repository_register(team=team, name="search-gateway", url=str(root / "search-gateway"), actor=user)

    def endpoint(repository_name: str, name: str, url: str, state: str) -> None:
        Endpoint.objects.create(
            repository=Repository.objects.get(team=team, name=repository_name),
            name=name,
            url=url,
            next_probe_at=now + timedelta(days=365),
            state=state,
            state_since=now - timedelta(hours=2),
            last_probe_at=now - timedelta(minutes=1),
        )

    endpoint("checkout-api", "checkout /healthz", "https://checkout.example.com/healthz", State.UP)
    endpoint("checkout-api", "checkout /ready", "https://checkout.example.com/ready", State.UP)
    endpoint("payments-worker", "worker /health", "https://payments.example.com/health", State.DOWN)
    endpoint("inventory-sync", "sync /health", "https://inventory.example.com/health", State.UNKNOWN)

    inventory = Repository.objects.get(team=team, name="inventory-sync")
    applied = inventory.checklists.filter(primary=True).select_related("template").first()
    failing = [
        key for key, status in (applied.state.get("items") or {}).items() if status in ("fail", "warn")
    ]
    failing.sort(key=lambda key: ("log" not in key, key))  # a log rotation item, if one fails
    if failing:
        waiver_grant(
            repository=inventory,
            template_slug=applied.template.slug,
            item_key=failing[0],
            reason="The hosts rotate container logs (journald); the compose file follows in Q1.",
            expires_on=date.today() + timedelta(days=30),
            user=user,
        )


# --- the browser ------------------------------------------------------------------------------


def photograph(base: str, password: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    saved = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": WIDTH, "height": 900}, device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Username").fill("demo")
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state()

        def shot(name: str, path: str, *, full_page: bool = False, element: str | None = None) -> None:
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            target = out / f"{name}.png"
            if element:
                node = page.locator(element).first
                node.scroll_into_view_if_needed()
                node.screenshot(path=str(target))
            else:
                page.screenshot(path=str(target), full_page=full_page)
            saved.append(target)

        team = f"/t/{TEAM}"
        shot("dashboard", f"{team}/dashboard/", full_page=True)
        shot("repository", f"{team}/r/sample-service/")
        shot("checklist", f"{team}/r/sample-service/checklists/")
        shot("compare", f"{team}/r/checkout-api/compare/", full_page=True)
        # The first automatic fix, opened, on the repository page.
        page.goto(f"{base}{team}/r/sample-service/")
        page.locator("details.autofix").first.evaluate("d => d.open = true")
        autofix = page.locator("details.autofix").first
        autofix.scroll_into_view_if_needed()
        autofix.screenshot(path=str(out / "fix-diff.png"))
        saved.append(out / "fix-diff.png")
        shot("activity", f"{team}/activity/")
        shot("waivers", f"{team}/waivers/")
        browser.close()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway directory and print it")
    parser.add_argument(
        "--var-dir", type=Path, help="an empty directory for the demo's var/ (default: /tmp/readiness-demo)"
    )
    parser.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed:
        seed()
        return 0
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 2
    python = sys.executable
    var_dir = args.var_dir or throwaway_dir()
    var_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = environment(var_dir, port)
    server = None
    try:
        manage = [python, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True)
        subprocess.run([*manage, "seed_demo"], env=env, check=True, capture_output=True)
        subprocess.run([python, __file__, "--seed"], env=env, check=True)
        server = subprocess.Popen(
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/health", timeout=1)  # noqa: S310 (our own http server)
                break
            except OSError:
                time.sleep(0.2)
        password = (var_dir / "demo-password.txt").read_text().strip()
        for path in photograph(base, password, args.out):
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        if args.keep:
            print(f"kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
