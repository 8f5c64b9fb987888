"""Write logic for alerts: channels (encrypted URLs, guarded, tested), events recorded once, each
channel's deliveries grouped per repository and sent through the outbox (docs/alerts.md).

Recording an event: ``alert_events_record`` inserts the events whose ``dedup_key`` is new, then
gives each channel that wants one a delivery row (unique per channel and event) and asks the outbox
for ``alerts.send(channel, repository)`` once the group's window has passed. Two beats, a retried
or redelivered task recording the same event add nothing: the key and the unique pairs say so.

Sending: ``alert_send`` takes the due pending deliveries of one channel and repository (the outbox
claim makes it the only sender of that pair), sends them as one message and records the answer.
A transient failure is retried by arming the same outbox row again with a backoff (exponential,
with jitter) up to MAX_ATTEMPTS; then the deliveries are failed, which leads see on the team page
and in the activity log.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min
from django.urls import reverse
from django.utils import timezone

from readiness.alerts import channels as channel_urls
from readiness.alerts import messages, selectors, senders, transport
from readiness.alerts.models import (
    AlertDelivery,
    AlertEvent,
    AlertSettings,
    Channel,
    ChannelKind,
    DeliveryStatus,
    EventKind,
)
from readiness.core.crypto import encrypt
from readiness.core.egress import address_policy
from readiness.core.outbox import ClaimLost, outbox_commit_point, outbox_enqueue, outbox_ensure_held
from readiness.probes.guard import BlockedAddress, UnresolvableHost, judge_url
from readiness.repos.models import Repository
from readiness.teams.activity import activity_record

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
RETRY_BASE_S = 30  # 30, 60, 120, 240 s (each between half and all of that): about 7 minutes in all
RETRY_MAX_S = 1800
MAX_EVENTS_PER_MESSAGE = 20  # a bigger burst goes out as several messages
MIN_SECRET_LENGTH = 16
TONE_SUCCESS = {EventKind.ENDPOINT_UP}


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


# --- channels -----------------------------------------------------------------------------------


def _check_target(kind: str, url: str) -> None:
    """A channel whose messages would go to an address the guard refuses is refused now, with the
    guard's reason (an internal Mattermost needs an allowed network, as endpoints do)."""
    target = channel_urls.target_url(kind, url)
    if target is None:
        return
    try:
        judge_url(target, address_policy(), transport.resolver)
    except BlockedAddress as exc:
        raise ValidationError({"url": str(exc)}) from None
    except UnresolvableHost as exc:
        raise ValidationError({"url": f"{exc}; check the host name"}) from None


def _check_secret(kind: str, secret: str | None, *, required: bool) -> None:
    if kind != ChannelKind.WEBHOOK:
        return
    if secret is None and not required:
        return
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        raise ValidationError(
            {"secret": f"The webhook's signing secret must be at least {MIN_SECRET_LENGTH} characters."}
        )


def _audit(channel: Channel, actor, verb: str, **extra) -> None:
    activity_record(team=channel.team, actor=actor, verb=verb, target=channel.name, obj=channel, **extra)


def channel_create(
    *,
    team,
    name: str,
    kind: str,
    url: str,
    secret: str = "",
    events: list[str],
    repositories=(),
    enabled: bool = True,
    actor=None,
) -> Channel:
    """Add a channel; ValidationError (a URL the kind does not read, the guard's reason) otherwise."""
    name = name.strip()
    if Channel.objects.filter(team=team, name=name).exists():
        raise ValidationError({"name": "The team already has a channel with that name."})
    url = channel_urls.normalise(kind, url)
    _check_secret(kind, secret, required=True)
    _check_target(kind, url)
    channel = Channel.objects.create(
        team=team,
        name=name,
        kind=kind,
        url_encrypted=encrypt(url),
        url_hint=channel_urls.mask(kind, url),
        secret_encrypted=encrypt(secret) if kind == ChannelKind.WEBHOOK else "",
        events=list(events),
        enabled=enabled,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    channel.repositories.set(repositories)
    _audit(channel, actor, "alert_channel.added", kind=channel.get_kind_display(), url=channel.url_hint)
    return channel


def channel_update(
    *,
    channel: Channel,
    name: str,
    events: list[str],
    repositories=(),
    enabled: bool = True,
    url: str | None = None,
    secret: str | None = None,
    actor=None,
) -> Channel:
    """Change a channel. ``url`` / ``secret`` None (left empty) keep the stored ones (never shown)."""
    name = name.strip()
    if Channel.objects.filter(team=channel.team, name=name).exclude(pk=channel.pk).exists():
        raise ValidationError({"name": "The team already has a channel with that name."})
    changes = {
        "name": (channel.name, name),
        "events": (", ".join(sorted(channel.events)), ", ".join(sorted(events))),
        "enabled": (channel.enabled, enabled),
    }
    if url:
        url = channel_urls.normalise(channel.kind, url)
        _check_target(channel.kind, url)
        channel.url_encrypted, old_hint = encrypt(url), channel.url_hint
        channel.url_hint = channel_urls.mask(channel.kind, url)
        changes["url"] = (old_hint, channel.url_hint)
    if secret:
        _check_secret(channel.kind, secret, required=True)
        channel.secret_encrypted = encrypt(secret)
        changes["secret"] = ("set", "replaced")
    channel.name, channel.events, channel.enabled = name, list(events), enabled
    with transaction.atomic():
        channel.save()
        before = {r.name for r in channel.repositories.all()}
        channel.repositories.set(repositories)
        after = {r.name for r in channel.repositories.all()}
        changes["repositories"] = (", ".join(sorted(before)) or "all", ", ".join(sorted(after)) or "all")
        if any(old != new for old, new in changes.values()):
            _audit(channel, actor, "alert_channel.changed", changes=changes)
    return channel


def channel_delete(*, channel: Channel, actor=None) -> None:
    _audit(channel, actor, "alert_channel.deleted", url=channel.url_hint)
    channel.delete()


def channel_send_test(*, channel: Channel, actor=None) -> transport.Answer:
    """Send a test message now (in the request) and keep the service's answer on the channel."""
    message = messages.test_message(
        team_name=channel.team.name,
        channel_name=channel.name,
        url=site_url(reverse("alerts:list", kwargs={"team_slug": channel.team.slug})),
    )
    stamp = timezone.now()
    answer = senders.send(
        channel=channel,
        message=message,
        policy=address_policy(),
        delivery_id=f"test-{channel.pk}-{int(stamp.timestamp())}",
        tone="success",
    )
    channel.last_test_at, channel.last_test_ok = stamp, answer.ok
    channel.last_test_answer = answer.summary()
    channel.save(update_fields=["last_test_at", "last_test_ok", "last_test_answer"])
    return answer


def alert_settings_update(*, team, actor=None, **values) -> AlertSettings:
    current = selectors.alert_settings_for(team=team)
    changes = {name: (getattr(current, name), value) for name, value in values.items()}
    for name, value in values.items():
        setattr(current, name, value)
    current.full_clean(exclude=["team"])
    current.save()
    if any(old != new for old, new in changes.values()):
        activity_record(team=team, actor=actor, verb="alert_settings.changed", changes=changes)
    return current


# --- events -------------------------------------------------------------------------------------


@dataclass
class NewEvent:
    """An event to record; ``dedup_key`` names it (repository, kind, subject, run or incident)."""

    team_id: int
    repository_id: int
    kind: str
    subject: str
    ref: str
    title: str
    happened_at: datetime
    data: dict = field(default_factory=dict)
    suppressed: bool = False

    @property
    def dedup_key(self) -> str:
        return f"{self.repository_id}:{self.kind}:{self.subject}:{self.ref}"[:500]


def _send_key(channel_id: int, repository_id: int) -> str:
    return f"alert-send:{channel_id}:{repository_id}"


def _enqueue_send(
    channel_id: int, repository_id: int, due_at: datetime, now: datetime, *, rearm_claimed: bool = True
) -> None:
    """Ask for the (channel, repository) send. New events and the sweep pass ``rearm_claimed=False``:
    while a worker is sending that pair's group, re-arming its row would let a second delivery send
    the same deliveries again; the sender looks for what joined when it ends (and the sweep after)."""
    outbox_enqueue(
        task="alerts.send",
        args=[channel_id, repository_id],
        dedup_key=_send_key(channel_id, repository_id),
        delay=max(0.0, (due_at - now).total_seconds()),
        rearm_claimed=rearm_claimed,
    )


def alert_events_record(*, events: list[NewEvent], now: datetime | None = None) -> list[AlertEvent]:
    """Record the events not recorded before and hand them to the channels that want them.
    Returns the events this call recorded (an event recorded already is skipped)."""
    if not events:
        return []
    now = now or timezone.now()
    unique = {e.dedup_key: e for e in events}
    with transaction.atomic():
        known = set(AlertEvent.objects.filter(dedup_key__in=list(unique)).values_list("dedup_key", flat=True))
        rows = [
            AlertEvent(
                team_id=e.team_id,
                repository_id=e.repository_id,
                kind=e.kind,
                subject=e.subject[:300],
                ref=str(e.ref)[:100],
                dedup_key=key,
                title=e.title[:300],
                data=e.data,
                happened_at=e.happened_at,
                suppressed=e.suppressed,
            )
            for key, e in unique.items()
            if key not in known
        ]
        if not rows:
            return []
        # A racing recorder of the same key loses quietly; only the rows we inserted are fanned out.
        AlertEvent.objects.bulk_create(rows, ignore_conflicts=True)
        # Fanning out twice (a racing recorder inserted some) adds nothing: deliveries are unique per
        # (channel, event) and the outbox request per (channel, repository).
        created = list(AlertEvent.objects.filter(dedup_key__in=[r.dedup_key for r in rows]))
        _fan_out([e for e in created if not e.suppressed], now)
    return created


def _fan_out(events: list[AlertEvent], now: datetime) -> None:
    """A delivery per (channel that wants it, event); one outbox request per (channel, repository)."""
    if not events:
        return
    team_ids = {e.team_id for e in events}
    channels = list(
        Channel.objects.filter(team_id__in=team_ids, enabled=True).prefetch_related("repositories")
    )
    if not channels:
        return
    windows = dict(
        AlertSettings.objects.filter(team_id__in=team_ids).values_list("team_id", "group_window_s")
    )
    default_window = AlertSettings._meta.get_field("group_window_s").default
    by_team = defaultdict(list)
    for channel in channels:
        channel.repo_filter = {r.pk for r in channel.repositories.all()}
        by_team[channel.team_id].append(channel)
    pairs: dict[tuple[int, int], list[AlertEvent]] = defaultdict(list)
    for event in events:
        for channel in by_team.get(event.team_id, []):
            if channel.wants(event.kind) and (
                not channel.repo_filter or event.repository_id in channel.repo_filter
            ):
                pairs[(channel.pk, event.repository_id)].append(event)
    if not pairs:
        return
    # A group already waiting for this (channel, repository) is joined: the burst is one message.
    waiting = {
        (row["channel_id"], row["repository_id"]): row["due"]
        for row in AlertDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            channel_id__in={c for c, _ in pairs},
            repository_id__in={r for _, r in pairs},
        )
        .values("channel_id", "repository_id")
        .annotate(due=Min("due_at"))
    }
    team_of = {c.pk: c.team_id for c in channels}
    deliveries = []
    for (channel_id, repository_id), group in pairs.items():
        window = windows.get(team_of[channel_id], default_window)
        due = waiting.get((channel_id, repository_id)) or now + timedelta(seconds=window)
        deliveries += [
            AlertDelivery(channel_id=channel_id, event=e, repository_id=repository_id, due_at=due)
            for e in group
        ]
        _enqueue_send(channel_id, repository_id, due, now, rearm_claimed=False)
    AlertDelivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=500)


# --- sending ------------------------------------------------------------------------------------


@dataclass
class SendOutcome:
    sent: int = 0
    failed: int = 0
    retry_in: float | None = None
    answer: transport.Answer | None = None


def retry_delay(attempts: int) -> float:
    """Exponential backoff with jitter: between half and all of 30 s * 2^(attempts-1), capped."""
    ceiling = min(RETRY_MAX_S, RETRY_BASE_S * 2 ** max(0, attempts - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311


def alert_send(*, channel_id: int, repository_id: int, now: datetime | None = None) -> SendOutcome:
    """Send the due deliveries of one channel and repository as one message (the outbox task)."""
    now = now or timezone.now()
    pending = AlertDelivery.objects.filter(
        channel_id=channel_id, repository_id=repository_id, status=DeliveryStatus.PENDING
    )
    channel = Channel.objects.select_related("team").filter(pk=channel_id).first()
    if channel is None:
        return SendOutcome()
    due = list(
        pending.filter(due_at__lte=now)
        .select_related("event")
        .order_by("event__happened_at", "event_id")[:MAX_EVENTS_PER_MESSAGE]
    )
    outcome = SendOutcome()
    if due and not channel.enabled:
        AlertDelivery.objects.filter(pk__in=[d.pk for d in due]).update(
            status=DeliveryStatus.SKIPPED, answer="The channel was disabled before it was sent."
        )
        due = []
    if not due:
        return outcome  # woken early or nothing left; alerts_sweep catches anything left behind
    outcome = _send_group(channel, repository_id, due, now)
    # What is still waiting (joined while sending, or more than one message's worth) gets its turn.
    rest = pending.aggregate(due=Min("due_at"))["due"]
    if rest is not None and outcome.retry_in is None:
        # Not a row claimed again meanwhile (taken over while this one sent): its holder has the rest.
        with transaction.atomic():
            _enqueue_send(channel_id, repository_id, rest, timezone.now(), rearm_claimed=False)
    return outcome


def alerts_sweep(*, now: datetime | None = None, late: timedelta = timedelta(minutes=2)) -> int:
    """Beat's safety net: a (channel, repository) whose pending deliveries are overdue (its outbox
    request was done before they joined, say) is asked for again. Returns the pairs re-asked."""
    now = now or timezone.now()
    overdue = (
        AlertDelivery.objects.filter(status=DeliveryStatus.PENDING, due_at__lt=now - late)
        .values("channel_id", "repository_id")
        .annotate(due=Min("due_at"))
        .order_by()[:1000]
    )
    pairs = list(overdue)
    with transaction.atomic():
        for row in pairs:
            _enqueue_send(row["channel_id"], row["repository_id"], row["due"], now, rearm_claimed=False)
    return len(pairs)


def _send_group(channel: Channel, repository_id: int, due: list[AlertDelivery], now: datetime) -> SendOutcome:
    repository = Repository.objects.get(pk=repository_id)
    events = [d.event for d in due]
    # Markdown for every kind: Apprise turns it into Slack's mrkdwn and the Teams card's text.
    message = messages.render(repository_name=repository.name, events=events)
    tone = "success" if all(e.kind in TONE_SUCCESS for e in events) else "warning"
    delivery_id = f"{channel.pk}-{repository_id}-{due[0].pk}"
    outbox_ensure_held()  # a group taken over (this worker froze past its lease) is its new holder's
    answer = senders.send(
        channel=channel,
        message=message,
        policy=address_policy(),
        repository=repository,
        delivery_id=delivery_id,
        tone=tone,
    )
    ids = [d.pk for d in due]
    attempts = max(d.attempts for d in due) + 1
    outcome = SendOutcome(answer=answer)
    with transaction.atomic():
        if not outbox_commit_point():  # taken over while sending
            if not answer.ok:
                raise ClaimLost  # the failure is the new holder's to retry or report, not ours
            logger.warning(  # it went out: recorded all the same, so the new holder does not resend
                "alert send %s: the outbox claim was taken over", _send_key(channel.pk, repository_id)
            )
        if answer.ok:
            AlertDelivery.objects.filter(pk__in=ids).update(
                status=DeliveryStatus.SENT, sent_at=timezone.now(), attempts=attempts, answer=answer.summary()
            )
            outcome.sent = len(ids)
            return outcome
        if answer.retryable and attempts < MAX_ATTEMPTS:
            # A service that says when to come back (429 or 503 with Retry-After) is heard, up to the cap.
            outcome.retry_in = max(retry_delay(attempts), min(answer.retry_after or 0, RETRY_MAX_S))
            retry_at = now + timedelta(seconds=outcome.retry_in)
            AlertDelivery.objects.filter(pk__in=ids).update(
                attempts=attempts, due_at=retry_at, answer=answer.summary()
            )
            _enqueue_send(channel.pk, repository_id, retry_at, now)
            logger.warning(
                "alerts to channel %s (%s) failed, attempt %s, retry in %.0f s: %s",
                channel.pk,
                repository.name,
                attempts,
                outcome.retry_in,
                answer.summary(),
            )
            return outcome
        AlertDelivery.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.FAILED, attempts=attempts, answer=answer.summary()
        )
        activity_record(
            team=channel.team,
            actor=None,
            verb="alert.failed",
            target=f"{channel.name} ({repository.name})",
            obj=channel,
            error=answer.summary(),
            attempts=attempts,
        )
        logger.error(
            "alerts to channel %s (%s) failed for good: %s", channel.pk, repository.name, answer.summary()
        )
        outcome.failed = len(ids)
    return outcome


def deliveries_dismiss(*, team, actor=None) -> int:
    """A lead has read the failures on the team page."""
    return AlertDelivery.objects.filter(
        channel__team=team, status=DeliveryStatus.FAILED, dismissed=False
    ).update(dismissed=True)
