"""The audit log (shown per team as "activity"): one call from each service that changes something
people care about or that security reviews ask about.

    activity_record(team=..., actor=request_user, verb="token.revoked", target="ci (rdy_abcd1234)",
                    obj=token, changes={"role": ("engineer", "lead")}, **details)

- ``verb`` must be a key of VERBS (a typo fails loudly rather than logging an unreadable code);
  each verb has a sentence template, so the page reads "erin changed bob's role from Engineer to
  Lead", never ``member.role_changed``.
- ``team`` may be None for instance-wide events (single sign-on logins, personal tokens); those
  are shown on the administrators' view only.
- ``obj`` (any model instance) is stored as "app_label.model" and its primary key, so an entry
  still names what it was about after the object is deleted; ``target`` is its readable label.
- ``changes`` maps a field to ``(old, new)``; the page shows "old → new".
- The client address is the current request's (RequestIdMiddleware puts it in a contextvar, behind
  RATE_LIMIT_PROXY_COUNT trusted proxies), so services need no request argument; None in tasks.
- The actor's username is copied, so a deleted account's entries still say who it was.
"""

from __future__ import annotations

from readiness.core.request_context import current_client_ip
from readiness.teams.models import ActivityEvent

# verb -> (label for the filter, sentence after the actor's name). Placeholders: {target}, and any
# key of the event's details; one that is missing renders empty.
VERBS: dict[str, tuple[str, str]] = {
    "repository.registered": ("Repository registered", "registered the repository {target}"),
    "repository.changed": ("Repository settings changed", "changed the settings of {target}"),
    "repository.renamed": ("Repository renamed", "renamed the repository {target}"),
    "repository.archived": ("Repository archived", "archived the repository {target}"),
    "repository.unarchived": ("Repository restored", "restored the archived repository {target}"),
    "repository.deleted": ("Repository deleted", "deleted the repository {target}"),
    "webhook.secret_rotated": ("Webhook secret rotated", "rotated the webhook secret of {target}"),
    "run.triggered": ("Analysis started", "started an analysis of {target}"),
    "run.triggered_api": (
        "Analysis started through the API",
        "started an analysis of {target} through the API",
    ),
    "item.ticked": ("Item ticked", "ticked {target}"),
    "item.unticked": ("Item unticked", "unticked {target}"),
    "item.undone": ("Tick undone", "undid the last tick of {target}"),
    "item.noted": ("Note added", "added a note on {target}: “{text}”"),
    "checklist.applied": ("Checklist applied", "applied a checklist to {target}"),
    "item.waived": ("Waiver granted", "waived {target} until {expires_on}: “{reason}”"),
    "waiver.revoked": ("Waiver ended", "ended the waiver of {target}"),
    "waiver.policy_changed": ("Waiver policy changed", "changed the team's waiver policy"),
    "template.changed": ("Checklist template changed", "changed the checklist template {target}"),
    "member.invited": ("Invitation sent", "invited {target} as {role}"),
    "invitation.resent": ("Invitation resent", "sent the invitation of {target} again"),
    "invitation.revoked": ("Invitation revoked", "revoked the invitation of {target}"),
    "member.joined": ("Member joined", "joined the team as {role}"),
    "member.auto_joined": ("Member joined through single sign-on", "joined the team as {role} ({rule})"),
    "member.role_changed": ("Role changed", "changed the role of {target}"),
    "member.removed": ("Member removed", "removed {target} from the team"),
    "member.left": ("Member left", "left the team"),
    "token.created": ("API token created", "created the API token {target}"),
    "token.revoked": ("API token revoked", "revoked the API token {target}"),
    "endpoint.added": ("Health endpoint added", "added the health endpoint {target}"),
    "endpoint.changed": ("Health endpoint changed", "changed the health endpoint {target}"),
    "endpoint.deleted": ("Health endpoint deleted", "deleted the health endpoint {target}"),
    "alert_channel.added": ("Alert channel added", "added the alert channel {target}"),
    "alert_channel.changed": ("Alert channel changed", "changed the alert channel {target}"),
    "alert_channel.deleted": ("Alert channel deleted", "deleted the alert channel {target}"),
    "alert_settings.changed": ("Alert settings changed", "changed the team's alert settings"),
    "alert.failed": ("Alert not delivered", "could not deliver alerts to {target}: {error}"),
    "report.sent_now": ("Weekly report sent by hand", "asked for this week's report to be sent now"),
    "report.retried": ("Weekly report retried", "retried the weekly report of {target}"),
    "sso.login": ("Signed in through single sign-on", "signed in through single sign-on ({target})"),
    "sso.account_created": (
        "Account created through single sign-on",
        "got an account through single sign-on ({target})",
    ),
}

ROLE_WORDS = {"lead": "Lead", "engineer": "Engineer", "viewer": "Viewer"}


class _Blank(dict):
    def __missing__(self, key):
        return ""


def activity_record(
    *,
    team,
    actor,
    verb: str,
    target: str = "",
    obj=None,
    changes: dict | None = None,
    actor_label: str = "",
    **details,
) -> ActivityEvent:
    """Record one audit entry (see the module's docstring); ``actor_label`` names an actor that
    is not an account (a team API token)."""
    if verb not in VERBS:
        raise ValueError(f"unknown activity verb {verb!r}")
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    object_type = object_id = ""
    if obj is not None:
        object_type, object_id = obj._meta.label_lower, str(obj.pk)
    return ActivityEvent.objects.create(
        team=team,
        actor=user,
        actor_name=user.get_username() if user else actor_label[:150],
        verb=verb,
        target=target[:300],
        object_type=object_type,
        object_id=object_id,
        changes={k: [_plain(old), _plain(new)] for k, (old, new) in (changes or {}).items() if old != new},
        details={k: _plain(v) for k, v in details.items()},
        ip=current_client_ip(),
    )


def _plain(value):
    """JSON-storable: dates and other objects become their text."""
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def activity_sentence(event: ActivityEvent) -> str:
    """The event as a sentence: actor, what happened, and each change as "field: old → new"."""
    _label, template = VERBS.get(event.verb, (event.verb, event.verb))
    values = _Blank({k: _word(v) for k, v in (event.details or {}).items()})
    values["target"] = event.target
    who = event.actor.get_username() if event.actor_id and event.actor else event.actor_name or "The system"
    sentence = f"{who} {template.format_map(values)}".rstrip()
    changed = [
        f"{field.replace('_', ' ')} {_word(old)} → {_word(new)}"
        for field, (old, new) in sorted((event.changes or {}).items())
    ]
    if changed:
        sentence += ": " + "; ".join(changed)
    return sentence + ("" if sentence.endswith((".", "”")) else ".")


def _word(value) -> str:
    if value is None or value == "":
        return "(none)"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str) and value in ROLE_WORDS:
        return ROLE_WORDS[value]
    return str(value)
