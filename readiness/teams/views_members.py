"""Team members (leads manage them) and invitations."""

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from readiness.core.confirm import confirmation
from readiness.teams import invitations, services
from readiness.teams.access import team_view
from readiness.teams.forms import InviteForm, RoleForm, SignupForm
from readiness.teams.models import Invitation, Membership, Role

INVITATIONS_LEADS_ONLY = "Only team leads manage invitations."


def _members_page(request, membership, *, invite_form=None, status=200):
    team = membership.team
    context = {
        "team": team,
        "membership": membership,
        "is_lead": membership.is_lead,
        "members": team.memberships.select_related("user").order_by("user__username"),
        "pending": invitations.invitation_pending(team=team),
        "invite_form": invite_form or InviteForm(),
        "roles": Role.choices,
        "now": timezone.now(),
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
    try:
        invitation = invitations.invitation_create(
            team=membership.team, invited_by=request.user, **form.cleaned_data
        )
    except invitations.InvitationError as exc:
        form.add_error("email", str(exc))
        return _members_page(request, membership, invite_form=form, status=409)
    messages.success(request, f"Invitation sent to {form.cleaned_data['email']}{_later(invitation)}.")
    return redirect("members", team_slug=membership.team.slug)


def _later(invitation) -> str:
    """The broker is away: the invitation is saved and its e-mail waits in the outbox."""
    if invitations.invitation_email_waits(invitation):
        return "; the e-mail goes out when the workers are reachable"
    return ""


def _invitation(membership, kwargs) -> dict:
    """The team's invitation of the URL (404 before any role is judged)."""
    return {"invitation": get_object_or_404(Invitation, pk=kwargs.pop("invitation_id"), team=membership.team)}


@team_view(methods=["POST"], min_role=Role.LEAD, refusal=INVITATIONS_LEADS_ONLY, scope=_invitation)
def invitation_resend(request, membership, invitation):
    try:
        invitation = invitations.invitation_resend(invitation=invitation, actor=request.user)
    except invitations.InvitationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Invitation sent to {invitation.email} again{_later(invitation)}.")
    return redirect("members", team_slug=membership.team.slug)


@team_view(methods=["GET", "POST"], min_role=Role.LEAD, refusal=INVITATIONS_LEADS_ONLY, scope=_invitation)
def invitation_revoke(request, membership, invitation):
    if request.method == "GET":
        return confirmation(
            request,
            title="Revoke the invitation?",
            question=f"The invitation of {invitation.email} to {invitation.team.name} stops working.",
            details=[
                f"Invited as {invitation.get_role_display().lower()} on {invitation.created_at:%Y-%m-%d}"
            ],
            button=f"Revoke the invitation of {invitation.email}",
            cancel=reverse("members", kwargs={"team_slug": membership.team.slug}),
        )
    if invitations.invitation_revoke(invitation=invitation, actor=request.user):
        messages.success(request, f"The invitation of {invitation.email} was revoked.")
    else:
        messages.error(request, "This invitation was no longer open.")
    return redirect("members", team_slug=membership.team.slug)


def _target(membership, kwargs) -> dict:
    """The member of the URL, in the same team (404 before any role is judged)."""
    members = Membership.objects.select_related("user", "team").filter(team=membership.team)
    return {"target": get_object_or_404(members, pk=kwargs.pop("membership_id"))}


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


@team_view(methods=["GET", "POST"], scope=_target)
def member_remove(request, membership, target):
    leaving = target.pk == membership.pk
    if not leaving and not membership.is_lead:  # anyone may leave; only leads remove others
        raise PermissionDenied("Only team leads can remove members.")
    if request.method == "GET":
        name = target.user.get_username()
        return confirmation(
            request,
            title=f"Leave {target.team.name}?" if leaving else f"Remove {name}?",
            question=(
                f"You lose access to {target.team.name} until a lead invites you again."
                if leaving
                else f"{name} loses access to {target.team.name} and its repositories."
            ),
            details=[
                f"{name}{f' ({target.user.email})' * bool(target.user.email)}, {target.get_role_display()}"
            ],
            button="Leave the team" if leaving else f"Remove {name}",
            cancel=reverse("members", kwargs={"team_slug": membership.team.slug}),
        )
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


def _invitation_page(request, context, status=200):
    return render(request, "teams/invitation.html", context, status=status)


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """Accept an invitation. Logged in with the invited address: join. Logged in with another: a
    clear refusal and a way to log out. Not logged in: create an account with that address here,
    log in with it, or sign in through single sign-on."""
    try:
        invitation = invitations.invitation_from_token(token)
    except invitations.InvitationError as exc:
        return _invitation_page(request, {"error": str(exc)}, status=410)
    user = request.user if request.user.is_authenticated else None
    context = {"invitation": invitation}
    if user is not None and not invitations.user_has_email(user, invitation.email):
        context["wrong_account"] = True
        return _invitation_page(request, context, status=403 if request.method == "POST" else 200)
    form = None
    taken = user is None and invitations.email_taken(invitation.email)
    if request.method == "POST":
        if user is None and not taken:
            form = SignupForm(request.POST)
            if form.is_valid():
                with transaction.atomic():
                    user = form.save(commit=False)
                    user.email = invitation.email
                    user.save()
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if user is not None:
            try:
                invitations.invitation_accept(token=token, user=user)
            except invitations.InvitationError as exc:
                return _invitation_page(request, {"error": str(exc)}, status=410)
            messages.success(request, f"Welcome to {invitation.team.name}.")
            return redirect("team_detail", team_slug=invitation.team.slug)
    elif user is None and not taken:
        form = SignupForm()
    context.update(form=form, account_exists=taken)
    status = 400 if form is not None and form.is_bound else 200
    return _invitation_page(request, context, status=status)
