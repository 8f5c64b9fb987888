"""Create the demo team, user and repository that `make run` shows, and an administrator for
/admin/ (allowed networks, users). Safe to run again: the passwords are kept under var/."""

import secrets
import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from readiness.pipeline.registration import repository_register
from readiness.repos.models import Repository
from readiness.teams.models import Role, Team
from readiness.teams.services import membership_add, team_create

DEMO_SOURCE = Path(__file__).resolve().parents[3] / "demo" / "sample-service"
GIT_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": "/nonexistent",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Readiness demo",
    "GIT_AUTHOR_EMAIL": "demo@readiness.invalid",
    "GIT_COMMITTER_NAME": "Readiness demo",
    "GIT_COMMITTER_EMAIL": "demo@readiness.invalid",
}


class Command(BaseCommand):
    help = "Create a demo team, a demo user, an administrator (printing both logins) and a demo repository."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="demo")
        parser.add_argument("--admin-username", default="admin")

    def handle(self, *args, username, admin_username, **options):
        var_dir = Path(settings.VAR_DIR)
        var_dir.mkdir(parents=True, exist_ok=True)
        password = self._password(var_dir / "demo-password.txt")
        user = self._user(username, password, email="demo@example.com")
        admin_password = self._password(var_dir / "admin-password.txt")
        self._user(admin_username, admin_password, email="admin@example.com", superuser=True)

        team = Team.objects.filter(slug="demo-team").first() or team_create(name="Demo team")
        membership_add(team=team, user=user, role=Role.LEAD)

        call_command("sync_templates")  # built-in checklists (a new YAML version adds a version)
        repo_dir = var_dir / "demo" / "sample-service"
        self._prepare_git_repository(repo_dir)
        known = Repository.objects.filter(team=team)
        if not (
            known.filter(url=str(repo_dir)).exists() or known.filter(name__iexact="sample-service").exists()
        ):
            repository_register(team=team, name="sample-service", url=str(repo_dir), branch="main")

        self.stdout.write(self.style.SUCCESS("Demo ready."))
        self.stdout.write(f"  Log in at {settings.SITE_URL}/accounts/login/")
        self.stdout.write(f"  username: {username}")
        self.stdout.write(f"  password: {password}")
        self.stdout.write(f"Administrator (allowed networks, users) at {settings.SITE_URL}/admin/")
        self.stdout.write(f"  username: {admin_username}")
        self.stdout.write(f"  password: {admin_password}")

    def _user(self, username: str, password: str, *, email: str, superuser: bool = False):
        User = get_user_model()
        user, created = User.objects.get_or_create(username=username, defaults={"email": email})
        flags = {"is_staff": True, "is_superuser": True} if superuser else {}
        if (
            created
            or not user.check_password(password)
            or any(getattr(user, f) != v for f, v in flags.items())
        ):
            for field, value in flags.items():
                setattr(user, field, value)
            user.set_password(password)
            user.save()
        return user

    def _password(self, path: Path) -> str:
        if path.exists():
            return path.read_text().strip()
        password = secrets.token_urlsafe(12)
        path.write_text(password + "\n")
        path.chmod(0o600)
        return password

    def _prepare_git_repository(self, repo_dir: Path) -> None:
        """Copy the shipped sample into var/ as a git repository, so runs record a commit."""
        if (repo_dir / ".git").exists():
            return
        shutil.copytree(DEMO_SOURCE, repo_dir, dirs_exist_ok=True)
        for args in (
            ["init", "-q", "-b", "main"],
            ["add", "-A"],
            ["commit", "-q", "-m", "Sample service"],
        ):
            result = subprocess.run(["git", *args], cwd=repo_dir, env=GIT_ENV, capture_output=True, text=True)
            if result.returncode != 0:
                raise CommandError(f"git {args[0]} failed in {repo_dir}: {result.stderr.strip()}")
