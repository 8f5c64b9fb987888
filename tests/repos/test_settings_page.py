import pytest
from django.urls import reverse

from readiness.repos import reachability
from readiness.repos.models import Repository
from tests.factories import MembershipFactory, RepositoryFactory
from tests.sources.gitserver import make_repo

pytestmark = pytest.mark.django_db


def settings_url(repo):
    return reverse("repository_settings", kwargs={"team_slug": repo.team.slug, "repo_slug": repo.slug})


@pytest.fixture
def lead(client):
    member = MembershipFactory(role="lead")
    client.force_login(member.user)
    return member


def test_only_leads_see_settings_and_outsiders_get_404(client):
    engineer = MembershipFactory(role="engineer")
    repo = RepositoryFactory(team=engineer.team)
    client.force_login(engineer.user)
    assert client.get(settings_url(repo)).status_code == 403
    assert client.get(settings_url(RepositoryFactory())).status_code == 404


def test_token_is_stored_encrypted_and_never_shown_back(client, lead, django_capture_on_commit_callbacks):
    repo = RepositoryFactory(team=lead.team)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(settings_url(repo), {"action": "token", "token": "ghp_supersecret123"})
    assert response.status_code == 302
    repo.refresh_from_db()
    assert repo.token_encrypted and "ghp_supersecret123" not in repo.token_encrypted
    page = client.get(settings_url(repo))
    assert b"ghp_supersecret123" not in page.content
    assert b"A token is stored" in page.content


def test_webhook_secret_is_shown_once(client, lead):
    repo = RepositoryFactory(team=lead.team)
    response = client.post(settings_url(repo), {"action": "webhook"})
    repo.refresh_from_db()
    from readiness.core.crypto import decrypt

    secret = decrypt(repo.webhook_secret_encrypted)
    assert secret.encode() in response.content
    assert secret.encode() not in client.get(settings_url(repo)).content


def test_schedule_can_be_changed_and_turned_off(client, lead):
    repo = RepositoryFactory(team=lead.team)
    form = {"action": "schedule", "enabled": "on", "hour": "5", "minute": "30", "day_of_week": "1-5"}
    assert client.post(settings_url(repo), form).status_code == 302
    repo.refresh_from_db()
    assert (repo.schedule.crontab.hour, repo.schedule.crontab.minute) == ("5", "30")
    assert repo.schedule.crontab.day_of_week == "1-5"
    bad = client.post(settings_url(repo), form | {"hour": "25"})
    assert bad.status_code == 400
    client.post(settings_url(repo), {"action": "schedule", "hour": "5", "minute": "0", "day_of_week": "*"})
    repo.refresh_from_db()
    assert repo.schedule is None


def test_reachability_check_reports_ok_and_branch_missing(git_server):
    make_repo(git_server.root, "svc", {"Dockerfile": "FROM scratch\n"})
    repo = RepositoryFactory(url=git_server.url("svc"), branch="main")
    reachability.reachability_check(repository_id=repo.pk)
    repo.refresh_from_db()
    assert repo.reachability == "ok", repo.reachability_message
    Repository.objects.filter(pk=repo.pk).update(branch="nope")
    reachability.reachability_check(repository_id=repo.pk)
    repo.refresh_from_db()
    assert repo.reachability == "failed" and "nope" in repo.reachability_message


def test_reachability_polling_stops_when_the_check_ends(client, lead):
    repo = RepositoryFactory(team=lead.team, reachability="checking")
    url = reverse("repository_reachability", kwargs={"team_slug": repo.team.slug, "repo_slug": repo.slug})
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 200
    Repository.objects.filter(pk=repo.pk).update(reachability="ok", reachability_message="fine")
    done = client.get(url, headers={"HX-Request": "true"})
    assert done.status_code == 286 and b"reachable" in done.content


def test_the_repository_page_says_when_the_source_is_unreachable(client, lead):
    repo = RepositoryFactory(
        team=lead.team, reachability="failed", reachability_message="Branch 'x' is missing"
    )
    url = reverse("repository_detail", kwargs={"team_slug": repo.team.slug, "repo_slug": repo.slug})
    page = client.get(url)
    assert b"unreachable" in page.content and b"Branch &#x27;x&#x27; is missing" in page.content


def test_replacing_a_webhook_secret_asks_first(client, lead):
    from readiness.core.crypto import decrypt

    repo = RepositoryFactory(team=lead.team)
    client.post(settings_url(repo), {"action": "webhook"})  # the first secret: nothing to break
    repo.refresh_from_db()
    first = decrypt(repo.webhook_secret_encrypted)
    ask = client.post(settings_url(repo), {"action": "webhook"})
    assert ask.status_code == 200 and b"Replace the webhook secret?" in ask.content
    assert b'name="confirmed" value="yes"' in ask.content
    repo.refresh_from_db()
    assert decrypt(repo.webhook_secret_encrypted) == first  # unchanged until confirmed
    done = client.post(settings_url(repo), {"action": "webhook", "confirmed": "yes"})
    repo.refresh_from_db()
    second = decrypt(repo.webhook_secret_encrypted)
    assert second != first and second.encode() in done.content


@pytest.mark.django_db(transaction=True)
def test_a_repository_registered_while_the_broker_is_down_is_checked_once_it_is_back(client, tmp_path):
    """The reachability check is an outbox row: a broker outage at registration loses nothing (the
    repository used to stay "checking" for ever: its message was never sent)."""
    import time
    from datetime import timedelta

    from django.utils import timezone

    from readiness.core.models import OutboxMessage, OutboxState
    from readiness.core.outbox import outbox_relay
    from tests.workers import broker_unreachable, running_worker

    member = MembershipFactory(role="lead")
    client.force_login(member.user)
    (tmp_path / "src").mkdir()
    with broker_unreachable():
        response = client.post(
            reverse("team_detail", kwargs={"team_slug": member.team.slug}),
            {"name": "svc", "url": str(tmp_path / "src"), "branch": "main"},
        )
    assert response.status_code == 302
    repo = Repository.objects.get(name="svc")
    assert repo.reachability == "checking"
    row = OutboxMessage.objects.get(dedup_key=f"reachability:{repo.pk}")
    assert row.state == OutboxState.PENDING and row.publishes == 0

    assert outbox_relay(now=timezone.now() + timedelta(seconds=6)) >= 1
    with running_worker("analysis"):
        deadline = time.monotonic() + 60  # a bound, not a speed: 20 s ran out once with every core busy
        while OutboxMessage.objects.get(pk=row.pk).state != OutboxState.DONE:
            assert time.monotonic() < deadline, "the check never ran"
            time.sleep(0.05)
    repo.refresh_from_db()
    assert repo.reachability == "ok" and repo.reachability_message == "The local folder exists."
