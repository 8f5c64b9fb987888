"""Send one message to one channel; the service's answer comes back as an ``Answer``."""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
from urllib.parse import urlsplit

import apprise
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from readiness import __version__
from readiness.alerts import transport
from readiness.alerts.channels import apprise_plugin, email_addresses
from readiness.alerts.messages import Message
from readiness.alerts.models import Channel, ChannelKind
from readiness.core.crypto import decrypt
from readiness.probes.guard import AddressPolicy

SIGNATURE_HEADER = "X-Readiness-Signature-256"
USER_AGENT = f"Readiness-Alerts/{__version__}"


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the exact body bytes (as GitHub signs its webhooks)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def webhook_body(*, channel: Channel, message: Message, repository=None, delivery_id: str) -> bytes:
    payload = {
        "delivery": delivery_id,
        "team": {"name": channel.team.name, "slug": channel.team.slug},
        "repository": {"name": repository.name, "slug": repository.slug} if repository else None,
        "title": message.title,
        "text": message.text,
        "events": message.events,
        "sent_at": timezone.now().isoformat(),
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


def send(
    *,
    channel: Channel,
    message: Message,
    policy: AddressPolicy,
    repository=None,
    delivery_id: str,
    tone: str = "warning",
) -> transport.Answer:
    url = decrypt(channel.url_encrypted)
    if channel.kind == ChannelKind.WEBHOOK:
        body = webhook_body(channel=channel, message=message, repository=repository, delivery_id=delivery_id)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Readiness-Delivery": delivery_id,
            SIGNATURE_HEADER: signature(decrypt(channel.secret_encrypted), body),
        }
        return transport.post(url, body, headers, policy=policy)
    if channel.kind == ChannelKind.EMAIL:
        return _send_email(email_addresses(url), message, delivery_id)
    plugin = apprise_plugin(channel.kind, url)
    if plugin is None:
        return transport.Answer(ok=False, text="Apprise cannot read this channel's URL any more.")
    with transport.guarded(policy) as answers:
        sent = plugin.notify(
            body=message.body,
            title=message.title,
            notify_type=apprise.NotifyType.SUCCESS if tone == "success" else apprise.NotifyType.WARNING,
            body_format=apprise.NotifyFormat.MARKDOWN,
        )
    if not answers:
        return transport.Answer(ok=False, text="Apprise did not send anything (see the worker's log).")
    answer = answers[-1]
    answer.ok = bool(sent) and answer.ok
    return answer


def _send_email(addresses: list[str], message: Message, delivery_id: str) -> transport.Answer:
    domain = urlsplit(settings.SITE_URL).hostname or "readiness.invalid"
    email = EmailMessage(
        subject=message.title,
        body=message.text + "\n\n-- \nReadiness alerts. A team lead chooses what this address receives.",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=addresses,
        headers={
            "Auto-Submitted": "auto-generated",
            # The same id on every attempt: a copy that went out twice is one message to clients.
            "Message-ID": f"<alert.{delivery_id}@{domain}>",
        },
    )
    try:
        with get_connection(fail_silently=False) as connection:
            connection.send_messages([email])
    except smtplib.SMTPRecipientsRefused as exc:
        permanent = all(code >= 500 for code, _ in exc.recipients.values())
        return transport.Answer(
            ok=False, text=f"The mail server refused {', '.join(exc.recipients)}", retryable=not permanent
        )
    except smtplib.SMTPResponseException as exc:
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return transport.Answer(
            ok=False,
            status=None,
            text=f"The mail server answered {exc.smtp_code}: {text}",
            retryable=exc.smtp_code < 500,
        )
    except (smtplib.SMTPException, OSError) as exc:
        return transport.Answer(ok=False, text=f"Could not reach the mail server: {exc}", retryable=True)
    return transport.Answer(ok=True, text=f"Accepted by the mail server for {len(addresses)} address(es)")
