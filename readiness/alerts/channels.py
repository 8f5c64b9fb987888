"""Channel URLs: what each kind accepts, how it is checked before it is stored, how it is masked.

Slack, Microsoft Teams, Discord and Mattermost take an Apprise URL (``slack://…``,
``workflow://…``, ``discord://…``, ``mmost(s)://…``) or the https webhook URL the service gives
(Apprise recognises those too); the JSON webhook takes an http(s) URL; e-mail takes addresses.
"""

from __future__ import annotations

from email.utils import parseaddr
from urllib.parse import urlsplit

import apprise
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from readiness.alerts.models import ChannelKind

# Kind -> the Apprise plugin class that must parse its URL.
APPRISE_PLUGINS = {
    ChannelKind.SLACK: "NotifySlack",
    ChannelKind.TEAMS: "NotifyWorkflows",
    ChannelKind.DISCORD: "NotifyDiscord",
    ChannelKind.MATTERMOST: "NotifyMattermost",
}
EXAMPLES = {
    ChannelKind.SLACK: "https://hooks.slack.com/services/T000/B000/XXXX (or slack://T000/B000/XXXX)",
    ChannelKind.TEAMS: "the Power Automate workflow URL of a Teams channel (or workflow://host/workflow/signature)",
    ChannelKind.DISCORD: "https://discord.com/api/webhooks/ID/TOKEN (or discord://ID/TOKEN)",
    ChannelKind.MATTERMOST: "https://chat.example.com/hooks/TOKEN (or mmosts://chat.example.com/TOKEN)",
    ChannelKind.WEBHOOK: "https://ops.example.com/readiness-hook",
    ChannelKind.EMAIL: "ops@example.com, lead@example.com",
}
MAX_ADDRESSES = 20
_ASSET = apprise.AppriseAsset(app_id="Readiness", app_desc="Readiness alerts", image_url_mask="")


def apprise_plugin(kind: str, url: str):
    """The Apprise plugin object for a stored URL, set up for short messages (no images, no
    footer), or None when Apprise does not read the URL as that kind."""
    plugin = apprise.Apprise.instantiate(url, asset=_ASSET, suppress_exceptions=True)
    if plugin is None or type(plugin).__name__ != APPRISE_PLUGINS.get(kind):
        return None
    plugin.request_rate_per_sec = 0  # one message per send; no sleeping between them
    for attribute, value in (("include_image", False), ("include_footer", False)):
        if hasattr(plugin, attribute):
            setattr(plugin, attribute, value)
    if kind == ChannelKind.SLACK:
        plugin.use_blocks = True  # Block Kit: a header block and a mrkdwn section
    return plugin


def email_addresses(value: str) -> list[str]:
    text = value.removeprefix("mailto:")
    addresses = [parseaddr(part.strip())[1] for part in text.replace(";", ",").split(",") if part.strip()]
    return addresses


def normalise(kind: str, url: str) -> str:
    """The URL as stored; ValidationError with a readable reason when it is not one of ``kind``."""
    url = url.strip()
    if kind == ChannelKind.EMAIL:
        addresses = email_addresses(url)
        if not addresses:
            raise ValidationError("Give at least one e-mail address.")
        if len(addresses) > MAX_ADDRESSES:
            raise ValidationError(f"At most {MAX_ADDRESSES} addresses per channel.")
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(f"{address!r} is not an e-mail address.") from None
        return "mailto:" + ",".join(addresses)
    if kind == ChannelKind.WEBHOOK:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError("A webhook URL starts with https:// (or http://) and names a host.")
        return url
    if apprise_plugin(kind, url) is None:
        label = ChannelKind(kind).label
        raise ValidationError(f"This is not a {label} URL Apprise can read; expected {EXAMPLES[kind]}.")
    return url


def target_url(kind: str, url: str) -> str | None:
    """The http(s) URL a channel's messages go to (for the guard's check when it is saved)."""
    if kind == ChannelKind.EMAIL:
        return None
    if kind == ChannelKind.WEBHOOK:
        return url
    plugin = apprise_plugin(kind, url)
    if kind == ChannelKind.MATTERMOST:
        scheme = "https" if plugin.secure else "http"
        port = f":{plugin.port}" if plugin.port else ""
        return f"{scheme}://{plugin.host}{port}/"
    if kind == ChannelKind.TEAMS:
        port = f":{plugin.port}" if plugin.port else ""
        return f"https://{plugin.host}{port}/"
    return None  # Slack and Discord: the vendor's own hosts


def mask(kind: str, url: str) -> str:
    """What pages show: enough to recognise the channel, nothing that lets anyone post to it."""
    if kind == ChannelKind.EMAIL:
        masked = []
        for address in email_addresses(url):
            local, _, domain = address.partition("@")
            masked.append(f"{local[:1]}…@{domain}")
        return ", ".join(masked)
    if kind == ChannelKind.WEBHOOK:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{parts.hostname}{port}/…"
    plugin = apprise_plugin(kind, url)
    if plugin is None:
        return "(unreadable URL)"
    return plugin.url(privacy=True).split("?", 1)[0][:300]
