"""Channels and delivery: encrypted URLs, Send test, each kind's exact request through the SSRF
guard, one delivery per event under duplicate triggers, grouping, retries and the failure path."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from readiness.alerts import services
from readiness.alerts.models import AlertDelivery, AlertEvent, Channel, DeliveryStatus
from readiness.alerts.tasks import alert_send_task
from readiness.core.crypto import decrypt
from readiness.core.models import OutboxMessage, OutboxState
from readiness.teams.models import ActivityEvent
from tests.alerts.conftest import DISCORD_HOST, SLACK_HOST, TEAMS_HOST

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-the-hmac-0123"


def event(
    team, repository, *, subject="score", ref="run-1", kind="score_drop", title="score 8.0 → 6.5", **data
):
    return services.NewEvent(
        team_id=team.pk,
        repository_id=repository.pk,
        kind=kind,
        subject=subject,
        ref=ref,
        title=title,
        happened_at=timezone.now(),
        data={
            "summary": title,
            "old": 8.0,
            "new": 6.5,
            "details": [
                {"title": "Image declares a HEALTHCHECK", "fix": "Add HEALTHCHECK CMD curl -f /health"}
            ],
            "url": "http://testserver/t/ops/r/payments/checklists/",
            **data,
        },
    )


def webhook(team, receiver, **kwargs) -> Channel:
    return services.channel_create(
        team=team,
        name=kwargs.pop("name", "ops-hook"),
        kind="webhook",
        url=receiver.url("/hook"),
        secret=SECRET,
        events=kwargs.pop("events", ["score_drop", "check_fails", "endpoint_down", "endpoint_up"]),
        **kwargs,
    )


def send_due(channel, repository, *, later_s=0):
    """What the worker does when the group's outbox row comes due."""
    return services.alert_send(
        channel_id=channel.pk, repository_id=repository.pk, now=timezone.now() + timedelta(seconds=later_s)
    )


# --- channels -----------------------------------------------------------------------------------


def test_a_lead_adds_a_channel_whose_url_is_stored_encrypted_and_never_shown(
    client, team_setup, receiver, allow_local
):
    team, lead, _ = team_setup
    client.force_login(lead)
    url = receiver.url("/hooks/very-secret-token")
    response = client.post(
        reverse("alerts:list", kwargs={"team_slug": team.slug}),
        {
            "name": "ops",
            "kind": "webhook",
            "url": url,
            "secret": SECRET,
            "events": ["score_drop"],
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    channel = Channel.objects.get(team=team)
    assert "very-secret-token" not in channel.url_encrypted and decrypt(channel.url_encrypted) == url
    assert decrypt(channel.secret_encrypted) == SECRET
    assert channel.url_hint == f"http://127.0.0.1:{receiver.port}/…"
    page = client.get(reverse("alerts:list", kwargs={"team_slug": team.slug})).content.decode()
    assert "very-secret-token" not in page and SECRET not in page and channel.url_hint in page
    edit = client.get(reverse("alerts:edit", kwargs={"team_slug": team.slug, "channel_id": channel.pk}))
    assert "very-secret-token" not in edit.content.decode()
    assert ActivityEvent.objects.filter(team=team, verb="alert_channel.added").exists()


def test_an_internal_mattermost_needs_an_allowed_network(team_setup, receiver):
    team, _, _ = team_setup
    with pytest.raises(Exception) as refused:
        services.channel_create(
            team=team,
            name="mm",
            kind="mattermost",
            url=f"mmost://127.0.0.1:{receiver.port}/tok3n",
            events=["score_drop"],
        )
    assert "loopback" in str(refused.value) and "administrator can allow it" in str(refused.value)
    from readiness.core.models import AllowedNetwork

    AllowedNetwork.objects.create(target="127.0.0.1", reason="internal chat")
    channel = services.channel_create(
        team=team,
        name="mm",
        kind="mattermost",
        url=f"mmost://127.0.0.1:{receiver.port}/tok3n",
        events=["score_drop"],
    )
    assert "tok3n" not in channel.url_hint


def test_a_url_of_the_wrong_kind_is_refused(team_setup):
    team, _, _ = team_setup
    with pytest.raises(Exception, match="not a Slack URL"):
        services.channel_create(team=team, name="x", kind="slack", url="https://example.com/hook", events=[])
    with pytest.raises(Exception, match="at least 16"):
        services.channel_create(
            team=team, name="x", kind="webhook", url="https://example.com/h", secret="short", events=[]
        )


def test_editing_without_a_url_keeps_the_stored_one(team_setup, receiver, allow_local):
    team, lead, _ = team_setup
    channel = webhook(team, receiver)
    stored = channel.url_encrypted
    services.channel_update(channel=channel, name="renamed", events=["endpoint_down"], actor=lead)
    channel.refresh_from_db()
    assert (
        channel.url_encrypted == stored and channel.name == "renamed" and channel.events == ["endpoint_down"]
    )


# --- send test --------------------------------------------------------------------------------


def test_send_test_posts_a_signed_webhook_and_shows_the_answer(client, team_setup, receiver, allow_local):
    team, lead, _ = team_setup
    channel = webhook(team, receiver)
    receiver.answers = [(200, b"thanks")]
    client.force_login(lead)
    response = client.post(
        reverse("alerts:test", kwargs={"team_slug": team.slug, "channel_id": channel.pk}), follow=True
    )
    assert "accepted the test message. HTTP 200: thanks" in response.content.decode()
    (request,) = receiver.requests
    assert request["path"] == "/hook"
    expected = "sha256=" + hmac.new(SECRET.encode(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Readiness-Signature-256"] == expected
    assert request["headers"]["Content-Type"] == "application/json"
    payload = json.loads(request["body"])
    assert payload["title"] == "Readiness: test message for ops-hook"
    assert payload["team"] == {"name": "Ops", "slug": "ops"} and payload["events"] == []
    channel.refresh_from_db()
    assert channel.last_test_ok is True and channel.last_test_answer == "HTTP 200: thanks"


def test_send_test_shows_a_refusal(client, team_setup, receiver, allow_local):
    team, lead, _ = team_setup
    channel = webhook(team, receiver)
    receiver.answers = [(404, b"no_such_hook")]
    answer = services.channel_send_test(channel=channel, actor=lead)
    assert not answer.ok and answer.summary() == "HTTP 404: no_such_hook"


def test_the_guard_refuses_a_webhook_whose_host_is_no_longer_allowed(team_setup, receiver, allow_local):
    team, lead, _ = team_setup
    channel = webhook(team, receiver)
    allow_local.delete()
    answer = services.channel_send_test(channel=channel, actor=lead)
    assert not answer.ok and answer.summary().startswith("Refused by the outbound guard: address 127.0.0.1")
    assert receiver.requests == []


# --- each kind's request ------------------------------------------------------------------------


def test_slack_gets_block_kit_through_apprise_and_the_guard(team_setup, vendors):
    team, _, repository = team_setup
    channel = services.channel_create(
        team=team,
        name="slack",
        kind="slack",
        url="https://hooks.slack.com/services/T000/B000/XXXXXXXX",
        events=["score_drop"],
    )
    services.alert_events_record(events=[event(team, repository)])
    assert send_due(channel, repository, later_s=200).sent == 1
    (request,) = vendors[SLACK_HOST].requests
    assert request["path"] == "/services/T000/B000/XXXXXXXX"
    assert request["headers"]["Host"] == f"{SLACK_HOST}:{vendors[SLACK_HOST].port}"
    payload = json.loads(request["body"])
    blocks = payload["attachments"][0]["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "payments: score 8.0 → 6.5", "emoji": True},
    }
    assert blocks[1]["type"] == "section" and blocks[1]["text"]["type"] == "mrkdwn"
    assert blocks[1]["text"]["text"] == (
        "*score 8.0 → 6.5*\n• Image declares a HEALTHCHECK: _Add HEALTHCHECK CMD curl -f /health_\n"
        "<http://testserver/t/ops/r/payments/checklists/|Open in Readiness>"  # Apprise's mrkdwn
    )


def test_teams_gets_an_adaptive_card(team_setup, vendors):
    team, _, repository = team_setup
    channel = services.channel_create(
        team=team,
        name="teams",
        kind="teams",
        url=f"workflow://{TEAMS_HOST}:443/abc123/sig456",
        events=["score_drop"],
    )
    services.alert_events_record(events=[event(team, repository)])
    assert send_due(channel, repository, later_s=200).sent == 1
    (request,) = vendors[TEAMS_HOST].requests
    assert request["path"].startswith("/workflows/abc123/triggers/manual/paths/invoke")
    card = json.loads(request["body"])["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    texts = [block.get("text") for block in card["content"]["body"]]
    assert "payments: score 8.0 → 6.5" in texts
    assert any("Image declares a HEALTHCHECK" in (t or "") for t in texts)


def test_mattermost_on_an_allowed_internal_host(team_setup, receiver, allow_local):
    team, _, repository = team_setup
    channel = services.channel_create(
        team=team,
        name="mm",
        kind="mattermost",
        url=f"mmost://127.0.0.1:{receiver.port}/tok3n",
        events=["score_drop"],
    )
    services.alert_events_record(events=[event(team, repository)])
    assert send_due(channel, repository, later_s=200).sent == 1
    (request,) = receiver.requests
    assert request["path"] == "/hooks/tok3n"
    payload = json.loads(request["body"])
    assert payload["text"].startswith("payments: score 8.0 → 6.5")
    assert "**score 8.0 → 6.5**" in payload["text"] and payload["username"] == "Readiness"


def test_email_goes_through_the_smtp_server(team_setup, smtp_server):
    team, _, repository = team_setup
    channel = services.channel_create(
        team=team,
        name="mail",
        kind="email",
        url="oncall@example.com, lead@example.com",
        events=["score_drop"],
    )
    assert channel.url_hint == "o…@example.com, l…@example.com"
    services.alert_events_record(events=[event(team, repository)])
    assert send_due(channel, repository, later_s=200).sent == 1
    (message,) = smtp_server.messages
    assert message["Subject"] == "payments: score 8.0 → 6.5"
    assert message["To"] == "oncall@example.com, lead@example.com"
    body = message.get_content()
    assert "Image declares a HEALTHCHECK (fix: Add HEALTHCHECK CMD curl -f /health)" in body
    assert "http://testserver/t/ops/r/payments/checklists/" in body


# --- exactly once, grouping, retries --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_one_delivery_per_event_under_duplicate_triggers(team_setup, receiver, allow_local):
    team, _, repository = team_setup
    channel = webhook(team, receiver)
    # Two beats (or a retried task) record the same event: one row, one delivery.
    assert len(services.alert_events_record(events=[event(team, repository)])) == 1
    assert services.alert_events_record(events=[event(team, repository)]) == []
    assert AlertEvent.objects.count() == 1 and AlertDelivery.objects.count() == 1
    row = OutboxMessage.objects.get(dedup_key=f"alert-send:{channel.pk}:{repository.pk}")
    # Due when the group's window ends.
    assert abs((row.available_at - AlertDelivery.objects.get().due_at).total_seconds()) < 1
    past = timezone.now() - timedelta(seconds=1)  # the window has passed
    OutboxMessage.objects.filter(pk=row.pk).update(available_at=past)
    AlertDelivery.objects.update(due_at=past)
    # The broker delivers the message twice (a redelivery after a lost ack): one request.
    alert_send_task(channel.pk, repository.pk, outbox_id=row.pk)
    alert_send_task(channel.pk, repository.pk, outbox_id=row.pk)
    assert len(receiver.requests) == 1
    row.refresh_from_db()
    assert row.state == OutboxState.DONE
    assert AlertDelivery.objects.get().status == DeliveryStatus.SENT
    # And the sweep finds nothing left to ask for.
    assert services.alerts_sweep(now=timezone.now() + timedelta(hours=1)) == 0


def test_a_burst_of_one_repository_is_one_message(team_setup, receiver, allow_local):
    team, _, repository = team_setup
    channel = webhook(team, receiver)
    services.alert_events_record(events=[event(team, repository)])
    services.alert_events_record(
        events=[
            event(
                team,
                repository,
                kind="check_fails",
                subject="dockerfile.healthcheck",
                title="a check newly fails",
            )
        ]
    )
    deliveries = list(AlertDelivery.objects.order_by("id"))
    assert (
        len(deliveries) == 2 and deliveries[0].due_at == deliveries[1].due_at
    )  # the second joined the first
    assert send_due(channel, repository).sent == 0  # the window has not passed
    assert send_due(channel, repository, later_s=121).sent == 2
    assert len(receiver.requests) == 1
    payload = receiver.json()
    assert payload["title"] == "payments: 2 alerts"
    assert [e["kind"] for e in payload["events"]] == ["score_drop", "check_fails"]
    assert payload["repository"] == {"name": "payments", "slug": "payments"}


def test_a_channel_gets_only_its_events_and_repositories(team_setup, receiver, allow_local):
    team, _, repository = team_setup
    other = type(repository).objects.create(team=team, name="search", slug="search", url="/x")
    webhook(team, receiver, name="only-search", repositories=[other], events=["score_drop"])
    webhook(team, receiver, name="only-endpoints", events=["endpoint_down"])
    services.alert_events_record(events=[event(team, repository)])
    assert AlertDelivery.objects.count() == 0


def test_a_server_error_is_retried_with_backoff_then_fails_for_good(
    client, team_setup, receiver, allow_local
):
    team, lead, repository = team_setup
    channel = webhook(team, receiver)
    receiver.answers = [(503, b"busy")]
    services.alert_events_record(events=[event(team, repository)])
    delivery = AlertDelivery.objects.get()
    later = 121
    for attempt in range(1, services.MAX_ATTEMPTS):
        outcome = send_due(channel, repository, later_s=later)
        delivery.refresh_from_db()
        ceiling = min(services.RETRY_MAX_S, services.RETRY_BASE_S * 2 ** (attempt - 1))
        assert ceiling / 2 <= outcome.retry_in <= ceiling
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == attempt
        assert delivery.answer == "HTTP 503: busy"
        row = OutboxMessage.objects.get(dedup_key=f"alert-send:{channel.pk}:{repository.pk}")
        assert row.state == OutboxState.PENDING and row.available_at > timezone.now()
        later = (delivery.due_at - timezone.now()).total_seconds() + 1
    outcome = send_due(channel, repository, later_s=later)
    delivery.refresh_from_db()
    assert outcome.failed == 1 and delivery.status == DeliveryStatus.FAILED
    assert len(receiver.requests) == services.MAX_ATTEMPTS
    entry = ActivityEvent.objects.get(team=team, verb="alert.failed")
    assert entry.details["error"] == "HTTP 503: busy"
    client.force_login(lead)
    page = client.get(reverse("team_detail", kwargs={"team_slug": team.slug})).content.decode()
    assert "Alert not delivered" in page and "ops-hook (payments: HTTP 503: busy)" in page
    client.post(reverse("alerts:dismiss", kwargs={"team_slug": team.slug}))
    page = client.get(reverse("team_detail", kwargs={"team_slug": team.slug})).content.decode()
    assert "Alert not delivered" not in page


def test_a_refusal_fails_at_once(team_setup, receiver, allow_local):
    team, _, repository = team_setup
    channel = webhook(team, receiver)
    receiver.answers = [(410, b"gone")]
    services.alert_events_record(events=[event(team, repository)])
    assert send_due(channel, repository, later_s=200).failed == 1
    assert len(receiver.requests) == 1


def test_apprise_cannot_reach_the_network_outside_the_guard():
    import requests
    from apprise.plugins import slack

    from readiness.alerts import transport

    transport.install()
    with pytest.raises(requests.RequestException, match="only send inside"):
        slack.requests.post("https://hooks.slack.com/services/x")


def test_discord_gets_markdown_content(team_setup, vendors):
    team, _, repository = team_setup
    channel = services.channel_create(
        team=team,
        name="discord",
        kind="discord",
        url="https://discord.com/api/webhooks/4242/t0ken",
        events=["score_drop"],
    )
    assert "t0ken" not in channel.url_hint
    services.alert_events_record(events=[event(team, repository)])
    assert send_due(channel, repository, later_s=200).sent == 1
    (request,) = vendors[DISCORD_HOST].requests
    assert request["path"].startswith("/api/webhooks/4242/t0ken")
    content = json.loads(request["body"])["content"]
    assert content.startswith("payments: score 8.0 → 6.5")
    assert (
        "**score 8.0 → 6.5**" in content
        and "[Open in Readiness](http://testserver/t/ops/r/payments/checklists/)" in content
    )


def test_rotating_the_keys_reencrypts_channel_urls_and_secrets(team_setup, receiver, allow_local, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    team, _, _ = team_setup
    channel = webhook(team, receiver)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.FIELD_ENCRYPTION_KEYS]
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEYS = settings.FIELD_ENCRYPTION_KEYS[:1]  # the old key dropped
    channel.refresh_from_db()
    assert (
        decrypt(channel.url_encrypted) == receiver.url("/hook")
        and decrypt(channel.secret_encrypted) == SECRET
    )


def test_a_channel_cannot_name_another_teams_repository(client, team_setup, receiver, allow_local):
    from tests.factories import RepositoryFactory

    team, lead, _ = team_setup
    foreign = RepositoryFactory()  # another team's
    client.force_login(lead)
    response = client.post(
        reverse("alerts:list", kwargs={"team_slug": team.slug}),
        {
            "name": "ops",
            "kind": "webhook",
            "url": receiver.url(),
            "secret": SECRET,
            "events": ["score_drop"],
            "repositories": [foreign.pk],
        },
    )
    assert response.status_code == 400 and not Channel.objects.exists()


def test_a_lead_changes_the_thresholds(client, team_setup):
    from readiness.alerts.models import AlertSettings

    team, lead, _ = team_setup
    client.force_login(lead)
    url = reverse("alerts:settings", kwargs={"team_slug": team.slug})
    assert client.get(url).status_code == 200
    data = {"score_drop": "1.5", "endpoint_failures": "5", "analysis_failures": "2", "group_window_s": "30"}
    assert client.post(url, data).status_code == 302
    saved = AlertSettings.objects.get(team=team)
    assert (saved.score_drop, saved.endpoint_failures, saved.analysis_failures, saved.group_window_s) == (
        1.5,
        5,
        2,
        30,
    )
    entry = ActivityEvent.objects.get(team=team, verb="alert_settings.changed")
    assert entry.changes["score_drop"] == [0.5, 1.5]
    assert client.post(url, {**data, "endpoint_failures": "0"}).status_code == 400


def test_a_rate_limited_service_is_retried_after_the_time_it_asks(team_setup, receiver, allow_local):
    team, _, repository = team_setup
    channel = webhook(team, receiver)
    receiver.answers, receiver.headers = [(429, b"slow down")], {"Retry-After": "600"}
    services.alert_events_record(events=[event(team, repository)])
    outcome = send_due(channel, repository, later_s=200)
    assert outcome.retry_in == 600 and AlertDelivery.objects.get().status == DeliveryStatus.PENDING


@pytest.mark.django_db(transaction=True)
def test_an_event_joining_while_its_group_is_being_sent_is_not_sent_twice(team_setup, receiver, allow_local):
    from readiness.alerts.models import AlertSettings
    from readiness.core.outbox import outbox_claim

    team, _, repository = team_setup
    AlertSettings.objects.create(team=team, group_window_s=0)
    channel = webhook(team, receiver)
    services.alert_events_record(events=[event(team, repository)])
    key = f"alert-send:{channel.pk}:{repository.pk}"
    row = OutboxMessage.objects.get(dedup_key=key)
    held = outbox_claim(outbox_id=row.pk)  # worker A is sending the group right now
    assert held is not None
    services.alert_events_record(events=[event(team, repository, kind="check_fails", subject="x", title="x")])
    services.alerts_sweep(now=timezone.now() + timedelta(hours=1))
    row.refresh_from_db()
    # Neither the new event nor the sweep gave the row back: no second delivery can take the group.
    assert row.state == OutboxState.CLAIMED and row.claim_token == held.claim_token
    assert alert_send_task(channel.pk, repository.pk, outbox_id=row.pk) is None  # a redelivery: taken
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)
def test_a_group_whose_claim_was_taken_over_is_left_to_its_new_holder(
    team_setup, receiver, allow_local, monkeypatch
):
    from readiness.alerts.models import AlertSettings
    from readiness.core.outbox import outbox_claim

    team, _, repository = team_setup
    AlertSettings.objects.create(team=team, group_window_s=0)
    channel = webhook(team, receiver)
    services.alert_events_record(events=[event(team, repository)])
    row = OutboxMessage.objects.get(dedup_key=f"alert-send:{channel.pk}:{repository.pk}")
    past = timezone.now() - timedelta(seconds=1)
    OutboxMessage.objects.filter(pk=row.pk).update(available_at=past)
    AlertDelivery.objects.update(due_at=past)
    render, taken = services.messages.render, []

    def frozen_past_the_lease(**kwargs):
        # This worker froze while rendering: its lease ran out and a redelivery claimed the row.
        OutboxMessage.objects.filter(pk=row.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
        taken.append(outbox_claim(outbox_id=row.pk))
        return render(**kwargs)

    monkeypatch.setattr(services.messages, "render", frozen_past_the_lease)
    assert alert_send_task(channel.pk, repository.pk, outbox_id=row.pk) is None

    assert receiver.requests == []  # not sent by the worker that lost the claim
    assert AlertDelivery.objects.get().status == DeliveryStatus.PENDING  # the new holder's to send
    row.refresh_from_db()
    assert taken[0] is not None and row.state == OutboxState.CLAIMED
    assert row.claim_token == taken[0].claim_token  # still the new holder's, not marked done
