"""Team members (leads manage them), invitations and the activity log."""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from readiness.teams import invitations, services
from readiness.teams.access import team_view
from readiness.teams.forms import ActivityFilterForm, InviteForm, RoleForm, SignupForm
from readiness.teams.models import ActivityEvent, Membership, Role

EVENTS_PER_PAGE = 50


def _members_page(request, membership, *, invite_form=None, status=200):
    team = membership.team
    context = {
        "team": team,
        "membership": membership,
        "is_lead": membership.is_lead,
        "members": team.memberships.select_related("user").order_by("user__username"),
        "pending": team.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True),
        "invite_form": invite_form or InviteForm(),
        "roles": Role.choices,
    }
    return render(request, "teams/members.html", context, status=status)


@team_view()
def members(request, membership):
    return _members_page(request, membership)


@team_view(methods=["POST"], min_role=Role.LEAD, refusal="Only team leads can invite.")
def member_invite(request, membership):
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _members_page(request, membership, invite_form=form, status=400)
    invitations.invitation_create(team=membership.team, invited_by=request.user, **form.cleaned_data)
    messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
    return redirect("members", team_slug=membership.team.slug)


def _target(membership, kwargs) -> dict:
    """The member of the URL, in the same team (404 before any role is judged)."""
    target = get_object_or_404(
        Membership.objects.select_related("user", "team"),
        pk=kwargs.pop("membership_id"),
        team=membership.team,
    )
    return {"target": target}


@team_view(methods=["POST"], min_role=Role.LEAD, refusal="Only team leads can change roles.", scope=_target)
def member_role(request, membership, target):
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid role.")
        return _members_page(request, membership, status=400)
    try:
        services.membership_change_role(membership=target, role=form.cleaned_data["role"], actor=request.user)
    except services.MembershipError as exc:
        messages.error(request, str(exc))
        return _members_page(request, membership, status=409)
    messages.success(request, f"{target.user.get_username()} is now {target.get_role_display().lower()}.")
    return redirect("members", team_slug=membership.team.slug)


@team_view(methods=["POST"], scope=_target)
def member_remove(request, membership, target):
    leaving = target.pk == membership.pk
    if not leaving and not membership.is_lead:  # anyone may leave; only leads remove others
        raise PermissionDenied("Only team leads can remove members.")
    try:
        services.membership_remove(membership=target, actor=request.user)
    except services.MembershipError as exc:
        messages.error(request, str(exc))
        return _members_page(request, membership, status=409)
    if leaving:
        messages.success(request, f"You left {membership.team.name}.")
        return redirect("home")
    messages.success(request, f"Removed {target.user.get_username()}.")
    return redirect("members", team_slug=membership.team.slug)


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """Accept an invitation: logged in, join; otherwise create the account here, then join."""
    try:
        invitation = invitations.invitation_from_token(token)
    except invitations.InvitationError as exc:
        return render(request, "teams/invitation.html", {"error": str(exc)}, status=410)
    form = None
    if request.method == "POST":
        user = request.user if request.user.is_authenticated else None
        if user is None:
            form = SignupForm(request.POST)
            if form.is_valid():
                user = form.save()
                user.email = invitation.email
                user.save(update_fields=["email"])
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if user is not None:
            try:
                invitations.invitation_accept(token=token, user=user)
            except invitations.InvitationError as exc:
                return render(request, "teams/invitation.html", {"error": str(exc)}, status=410)
            messages.success(request, f"Welcome to {invitation.team.name}.")
            return redirect("team_detail", team_slug=invitation.team.slug)
    elif not request.user.is_authenticated:
        form = SignupForm()
    status = 400 if form is not None and form.is_bound else 200
    return render(request, "teams/invitation.html", {"invitation": invitation, "form": form}, status=status)


@team_view(min_role=Role.LEAD, refusal="Only team leads can read the activity log.")
def activity(request, membership):
    form = ActivityFilterForm(request.GET or None)
    events = ActivityEvent.objects.filter(team=membership.team).select_related("actor")
    if form.is_valid():
        if form.cleaned_data["verb"]:
            events = events.filter(verb=form.cleaned_data["verb"])
        if form.cleaned_data["actor"]:
            events = events.filter(actor__username=form.cleaned_data["actor"])
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"team": membership.team, "form": form, "page": page, "query": query.urlencode()}
    return render(request, "teams/activity.html", context)
