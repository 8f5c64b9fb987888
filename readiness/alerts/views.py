"""The team's alerts page: channels (leads add, edit, test and delete them), thresholds, recent
alerts and failed deliveries. Members read it; channel URLs are never shown, only masked."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from readiness.alerts import selectors, services
from readiness.alerts.forms import AlertSettingsForm, ChannelForm
from readiness.core import ratelimit
from readiness.core.confirm import confirmation
from readiness.teams.access import team_view
from readiness.teams.models import Role

LEADS_ONLY = "Only team leads can change where alerts go."
# Per user: "Send test" posts to an outside service on each click.
TEST_RATE = (10, 60)


def _channel(membership, kwargs) -> dict:
    return {"channel": selectors.channel_get(team=membership.team, channel_id=kwargs.pop("channel_id"))}


def _save(form, save) -> bool:
    try:
        save()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form.add_error(None, exc)
        return False
    return True


def _list_url(membership) -> str:
    return reverse("alerts:list", kwargs={"team_slug": membership.team.slug})


@team_view(min_role={"GET": Role.VIEWER, "POST": Role.LEAD}, refusal=LEADS_ONLY)
def channel_list(request, membership):
    team = membership.team
    form = ChannelForm(team=team)
    if request.method == "POST":
        form = ChannelForm(request.POST, team=team)
        if form.is_valid() and _save(
            form,
            lambda: services.channel_create(
                team=team,
                name=form.cleaned_data["name"],
                kind=form.cleaned_data["kind"],
                url=form.cleaned_data["url"],
                secret=form.cleaned_data["secret"],
                events=form.cleaned_data["events"],
                repositories=form.cleaned_data["repositories"],
                enabled=form.cleaned_data["enabled"],
                actor=request.user,
            ),
        ):
            messages.success(
                request, f"Added {form.cleaned_data['name']}. Send a test to see that it arrives."
            )
            return redirect(_list_url(membership))
    context = {
        "team": team,
        "membership": membership,
        "is_lead": membership.is_lead,
        "channels": selectors.channel_list_for_team(team=team),
        "settings": selectors.alert_settings_for(team=team),
        "events": selectors.recent_events(team=team),
        "failed": list(selectors.failed_deliveries(team=team)) if membership.is_lead else [],
        "form": form,
    }
    return render(request, "alerts/channel_list.html", context, status=400 if form.is_bound else 200)


@team_view(methods=["GET", "POST"], min_role=Role.LEAD, refusal=LEADS_ONLY, scope=_channel)
def channel_edit(request, membership, channel):
    form = ChannelForm(initial=ChannelForm.initial_for(channel), team=membership.team, editing=True)
    if request.method == "POST":
        form = ChannelForm(request.POST, team=membership.team, editing=True)
        if form.is_valid() and _save(
            form,
            lambda: services.channel_update(
                channel=channel,
                name=form.cleaned_data["name"],
                events=form.cleaned_data["events"],
                repositories=form.cleaned_data["repositories"],
                enabled=form.cleaned_data["enabled"],
                url=form.cleaned_data["url"] or None,
                secret=form.cleaned_data["secret"] or None,
                actor=request.user,
            ),
        ):
            messages.success(request, f"Saved {channel.name}.")
            return redirect(_list_url(membership))
    context = {"team": membership.team, "channel": channel, "form": form}
    return render(request, "alerts/channel_edit.html", context, status=400 if form.is_bound else 200)


@team_view(methods=["GET", "POST"], min_role=Role.LEAD, refusal=LEADS_ONLY, scope=_channel)
def channel_delete(request, membership, channel):
    if request.method == "GET":
        return confirmation(
            request,
            title=f"Delete {channel.name}?",
            question=f"Alerts no longer go to {channel.name} ({channel.get_kind_display()}).",
            details=[channel.url_hint, "Its delivery history is deleted with it."],
            button=f"Delete {channel.name}",
            cancel=_list_url(membership),
        )
    services.channel_delete(channel=channel, actor=request.user)
    messages.success(request, f"Deleted {channel.name}.")
    return redirect(_list_url(membership))


@team_view(methods=["POST"], min_role=Role.LEAD, refusal=LEADS_ONLY, scope=_channel)
def channel_test(request, membership, channel):
    """Send a test message now and show what the service answered."""
    decision = ratelimit.hit("alert_test", f"user:{request.user.pk}", TEST_RATE)
    if decision is not None and not decision.allowed:
        messages.error(request, f"Too many tests; try again in {decision.retry_after} s.")
        return redirect(_list_url(membership))
    answer = services.channel_send_test(channel=channel, actor=request.user)
    if answer.ok:
        messages.success(request, f"{channel.name} accepted the test message. {answer.summary()}")
    else:
        messages.error(request, f"{channel.name} did not accept the test message. {answer.summary()}")
    return redirect(_list_url(membership))


@team_view(methods=["GET", "POST"], min_role=Role.LEAD, refusal=LEADS_ONLY)
def alert_settings(request, membership):
    team = membership.team
    current = selectors.alert_settings_for(team=team)
    form = AlertSettingsForm(instance=current)
    if request.method == "POST":
        form = AlertSettingsForm(request.POST, instance=selectors.alert_settings_for(team=team))
        if form.is_valid():
            services.alert_settings_update(
                team=team,
                actor=request.user,
                **{name: form.cleaned_data[name] for name in AlertSettingsForm.Meta.fields},
            )
            messages.success(request, "Saved the alert settings.")
            return redirect(_list_url(membership))
    context = {"team": team, "form": form}
    return render(request, "alerts/settings.html", context, status=400 if form.is_bound else 200)


@team_view(methods=["POST"], min_role=Role.LEAD, refusal=LEADS_ONLY)
def failures_dismiss(request, membership):
    count = services.deliveries_dismiss(team=membership.team, actor=request.user)
    messages.success(request, f"Dismissed {count} failed deliver{'y' if count == 1 else 'ies'}.")
    return redirect(_list_url(membership))
