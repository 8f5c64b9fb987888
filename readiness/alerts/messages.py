"""One message from a group of events of one repository: short, what changed, the fix, a link.

``render`` gives the plain pieces; each kind's sender shapes them: Slack gets Block Kit (a header
and a mrkdwn section, built by Apprise), Teams an adaptive card (Apprise's workflow plugin),
Discord and Mattermost Markdown, e-mail plain text, the JSON webhook the structured events.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_DETAILS = 5  # per event: check titles with their fix hints


@dataclass
class Message:
    title: str
    body: str  # Markdown
    text: str  # plain text (e-mail)
    events: list[dict] = field(default_factory=list)  # the webhook's structured form


def _score(value) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _link(url: str, text: str, flavor: str) -> str:
    """Markdown; "slack" writes Slack's own mrkdwn (for a payload built without Apprise)."""
    return f"<{url}|{text}>" if flavor == "slack" else f"[{text}]({url})"


def _bold(text: str, flavor: str) -> str:
    return f"*{text}*" if flavor == "slack" else f"**{text}**"


def event_lines(event, flavor: str = "markdown") -> tuple[list[str], list[str]]:
    """The event's Markdown (Slack's mrkdwn when ``flavor`` is "slack") and plain lines: its
    summary, then each detail with its fix hint, then the link back."""
    data = event.data or {}
    summary = data.get("summary") or event.title
    md, plain = [_bold(summary, flavor)], [summary]
    details = data.get("details") or []
    for detail in details[:MAX_DETAILS]:
        fix = detail.get("fix", "")
        md.append(f"• {detail['title']}" + (f": _{fix}_" if fix else ""))
        plain.append(f"  - {detail['title']}" + (f" (fix: {fix})" if fix else ""))
    if len(details) > MAX_DETAILS:
        more = len(details) - MAX_DETAILS
        md.append(f"• and {more} more")
        plain.append(f"  - and {more} more")
    if data.get("url"):
        md.append(_link(data["url"], "Open in Readiness", flavor))
        plain.append(f"  {data['url']}")
    return md, plain


def title_for(repository_name: str, events: list) -> str:
    if len(events) == 1:
        return f"{repository_name}: {events[0].title}"
    return f"{repository_name}: {len(events)} alerts"


def webhook_event(event) -> dict:
    data = event.data or {}
    return {
        "id": event.pk,
        "kind": event.kind,
        "subject": event.subject,
        "title": event.title,
        "summary": data.get("summary", event.title),
        "happened_at": event.happened_at.isoformat(),
        "old": data.get("old"),
        "new": data.get("new"),
        "details": data.get("details", []),
        "url": data.get("url", ""),
    }


def render(*, repository_name: str, events: list, flavor: str = "markdown") -> Message:
    md_lines, plain_lines = [], []
    for event in events:
        md, plain = event_lines(event, flavor)
        md_lines += [*md, ""]
        plain_lines += [*plain, ""]
    return Message(
        title=title_for(repository_name, events),
        body="\n".join(md_lines).strip(),
        text="\n".join(plain_lines).strip(),
        events=[webhook_event(e) for e in events],
    )


def test_message(*, team_name: str, channel_name: str, url: str, flavor: str = "markdown") -> Message:
    title = f"Readiness: test message for {channel_name}"
    line = f"Alerts of team {team_name} will arrive here."
    return Message(
        title=title,
        body=f"{line}\n{_link(url, 'Open in Readiness', flavor)}",
        text=f"{line}\n{url}",
        events=[],
    )
