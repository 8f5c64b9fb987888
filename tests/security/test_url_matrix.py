"""Authorization over every route, generated from the URLconf.

Each route that takes an object id or slug is listed in MATRIX with the weakest role allowed per
HTTP method. For every route, method and principal (anonymous, outsider, viewer, engineer, lead) the
test asserts: anonymous is sent to the login page (401 for the API), an outsider gets 404 (never a
403 that would confirm the object exists), a member below the role gets 403, a member at or above
it is let through (and every HTML page it gets carries the Content-Security-Policy), and a
method not listed answers 405. A new route missing from MATRIX (or
PUBLIC) fails the test, so nobody adds a page without deciding who may use it.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from readiness.api.services import token_create
from readiness.core.crypto import encrypt
from readiness.teams.models import Role
from tests.factories import (
    AnalysisRunFactory,
    ChecklistTemplateFactory,
    EndpointFactory,
    MembershipFactory,
    RepositoryFactory,
    TeamFactory,
    TemplateItemFactory,
)

pytestmark = pytest.mark.django_db

V, E, L = Role.VIEWER, Role.ENGINEER, Role.LEAD
RANK = {None: -1, V: 0, E: 1, L: 2}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# Routes anyone may call (they authenticate otherwise: signatures, signed tokens, or nothing).
PUBLIC = {
    "home",
    "health",
    "ready",
    "metrics",
    "login",
    "logout",
    "webhook",
    "invitation_accept",
    "checklists:badge",
    "reports:unsubscribe",
    "api:openapi",
    "api:not_found",
    "api_pages:personal_tokens",
    "api_pages:personal_token_revoke",
    "api:repository_list",
    # Single sign-on (allauth): the OpenID Connect flow and its error, cancel and signup pages.
    "openid_connect_login",
    "openid_connect_callback",
    "socialaccount_login_error",
    "socialaccount_login_cancelled",
    "socialaccount_signup",
    "socialaccount_connections",
    "account_inactive",
    "account_login",
}

# Instance-wide pages for administrators (is_staff or superuser): everyone else gets 404.
STAFF = {"audit": ("GET",), "audit_export": ("GET",)}

MATRIX = {
    "team_detail": {"GET": V, "POST": L},
    "repository_detail": {"GET": V},
    "analysis_start": {"POST": E},
    "run_detail": {"GET": V},
    "repository_settings": {"GET": L, "POST": L},
    "repository_reachability": {"GET": V},
    "repository_check_now": {"POST": E},
    "repository_rename": {"POST": L},
    "repository_archive": {"GET": L, "POST": L},
    "repository_restore": {"POST": L},
    "repository_delete": {"GET": L, "POST": L},
    "repositories_archived": {"GET": V},
    "members": {"GET": V},
    "member_invite": {"POST": L},
    "member_role": {"POST": L},
    "member_remove": {"GET": L, "POST": L},
    "invitation_resend": {"POST": L},
    "invitation_revoke": {"GET": L, "POST": L},
    "activity": {"GET": L},
    "activity_export": {"GET": L},
    "dashboard:team": {"GET": V},
    "checklists:template_list": {"GET": V, "POST": L},
    "checklists:template_detail": {"GET": V},
    "checklists:template_export": {"GET": V},
    "checklists:template_item_bind": {"POST": L},
    "checklists:repository": {"GET": V},
    "checklists:apply": {"POST": L},
    "checklists:compare": {"GET": V},
    "checklists:item": {"GET": V},
    "checklists:attest": {"POST": E},
    "checklists:undo": {"POST": E},
    "checklists:waive": {"POST": L},
    "checklists:revoke": {"GET": L, "POST": L},
    "checklists:waivers": {"GET": V, "POST": L},
    "checklists:note": {"POST": E},
    "checklists:history": {"GET": V},
    "endpoints:list": {"GET": V, "POST": E},
    "endpoints:edit": {"GET": E, "POST": E},
    "endpoints:delete": {"GET": E, "POST": E},
    "endpoints:probe": {"POST": E},
    "reports:list": {"GET": V},
    "reports:settings": {"GET": L, "POST": L},
    "reports:subscription": {"POST": V},
    "reports:preview": {"GET": L},
    "reports:preview_html": {"GET": L},
    "reports:send_now": {"POST": L},
    "reports:detail": {"GET": V},
    "reports:html": {"GET": V},
    "reports:retry": {"POST": L},
    "alerts:list": {"GET": V, "POST": L},
    "alerts:settings": {"GET": L, "POST": L},
    "alerts:dismiss": {"POST": L},
    "alerts:edit": {"GET": L, "POST": L},
    "alerts:delete": {"GET": L, "POST": L},
    "alerts:test": {"POST": L},
    "api_pages:team_tokens": {"GET": L, "POST": L},
    "api_pages:team_token_revoke": {"GET": L, "POST": L},
    "api:run_create": {"POST": E},
    "api:waiver_create": {"POST": L},
    "api:run_detail": {"GET": V},
    "api:run_sarif": {"GET": V},
    "api:scorecard": {"GET": V},
    "api:gate": {"GET": V},
    "api:compare": {"GET": V},
}


def scripts_locked_down(policy: str) -> bool:
    """The CSP's script rule (script-src, else default-src) exists and allows no inline or eval."""
    directives = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value
    scripts = directives.get("script-src", directives.get("default-src"))
    return scripts is not None and "unsafe-inline" not in scripts and "unsafe-eval" not in scripts


def named_routes():
    def walk(patterns, namespace=None):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                yield from walk(pattern.url_patterns, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), pattern

    return dict(walk(get_resolver().url_patterns))


def test_every_route_is_in_the_matrix():
    missing = sorted(set(named_routes()) - set(MATRIX) - PUBLIC - set(STAFF))
    assert not missing, f"routes with no authorization decision in MATRIX: {missing}"
    stale = sorted(set(MATRIX) - set(named_routes()))
    assert not stale, f"MATRIX names routes that no longer exist: {stale}"


# Form data some POSTs need to reach their authorization decision (they 404 a missing choice).
POST_DATA = {"checklists:apply": lambda kwargs: {"template": kwargs["template_id"]}}


def build_world():
    """One team with a member of each role and an object of every kind, plus an outsider.

    Built afresh for each principal, so a delete by one does not turn the next one's try into 404."""
    from readiness.reports.models import WeeklyReport

    team = TeamFactory()
    members = {role: MembershipFactory(team=team, role=role) for role in (V, E, L)}
    outsider = MembershipFactory(team=TeamFactory(), role=L).user
    target = MembershipFactory(team=team, role=V)  # the member role/remove act on
    repo = RepositoryFactory(team=team, slug="svc")
    run = AnalysisRunFactory(repository=repo, status="succeeded", finished_at=timezone.now())
    item = TemplateItemFactory(template=ChecklistTemplateFactory(team=team), manual=True)
    from readiness.checklists.services.applied import checklist_apply

    checklist_apply(repository=repo, template=item.template, user=members[L].user)
    endpoint = EndpointFactory(repository=repo)
    from datetime import date

    report = WeeklyReport.objects.create(team=team, week_start=date(2026, 11, 16), status="failed")
    team_token, _ = token_create(name="ci", created_by=members[L].user, team=team)
    from readiness.teams.invitations import invitation_create

    invitation = invitation_create(team=team, email="invited@example.com", role=V, invited_by=members[L].user)
    from readiness.alerts.models import Channel

    # An e-mail channel: "Send test" hits the console backend, never the network.
    channel = Channel.objects.create(
        team=team, name="mail", kind="email", url_encrypted=encrypt("mailto:a@example.com")
    )
    kwargs = {
        "team_slug": team.slug,
        "repo_slug": repo.slug,
        "run_id": run.pk,
        "membership_id": target.pk,
        "template_id": item.template_id,
        "item_id": item.pk,
        "template_slug": item.template.slug,
        "item_key": item.key,
        "endpoint_id": endpoint.pk,
        "report_id": report.pk,
        "token_id": team_token.pk,
        "invitation_id": invitation.pk,
        "channel_id": channel.pk,
    }
    users = {"outsider": outsider, **{role: m.user for role, m in members.items()}}
    return kwargs, users


def principal_client(client, users, who, api):
    """A client for ``who``: session login for pages, a personal Bearer token for the API."""
    if who == "anonymous":
        return {}
    user = users[who]
    if api:
        _, plaintext = token_create(name=f"t-{who}", created_by=user, user=user)
        return {"HTTP_AUTHORIZATION": f"Bearer {plaintext}"}
    client.force_login(user)
    return {}


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_route_authorization(route, client, settings):
    settings.RATE_LIMIT_API = settings.RATE_LIMIT_API_IP = None  # many requests in one test
    pattern = named_routes()[route]
    api = route.startswith("api:")
    allowed = MATRIX[route]
    failures = []
    for who in ("anonymous", "outsider", V, E, L):
        kwargs, users = build_world()
        params = {k: v for k, v in kwargs.items() if re.search(rf"<(\w+:)?{k}>", str(pattern.pattern))}
        url = reverse(route, kwargs=params)
        data = POST_DATA.get(route, lambda kw: {})(kwargs)
        client.logout()
        headers = principal_client(client, users, who, api)
        for method in METHODS:
            if method == "POST":
                response = client.post(url, data, **headers)
            else:
                response = getattr(client, method.lower())(url, **headers)
            status = response.status_code
            if method not in allowed:
                expected_ok = status == 405 or (
                    who in ("anonymous", "outsider") and status in (302, 401, 404)
                )
                if not expected_ok:
                    failures.append(f"{who} {method} -> {status}, expected 405 (method not allowed)")
                continue
            if who == "anonymous":
                ok = status == 401 if api else (status == 302 and "/accounts/login/" in response["Location"])
                want = "401" if api else "a redirect to the login page"
            elif who == "outsider":
                ok, want = status == 404, "404"
            elif RANK[who] < RANK[allowed[method]]:
                ok, want = status == 403, "403"
            else:
                ok = status not in (401, 403, 404, 405) and status < 500
                want = "to be let through"
                is_html = status == 200 and response.get("Content-Type", "").startswith("text/html")
                if is_html and not scripts_locked_down(response.get("Content-Security-Policy", "")):
                    failures.append(f"{who} {method}: HTML page whose CSP allows inline or eval'd scripts")
            if not ok:
                failures.append(f"{who} {method} -> {status}, expected {want}")
    assert not failures, f"{route} ({url}):\n" + "\n".join(failures)


@pytest.mark.parametrize("route", sorted(STAFF))
def test_staff_routes(route, client):
    """Anonymous: the login page; any member, a lead included: 404; an administrator: through."""
    url = reverse(route)
    _kwargs, users = build_world()
    assert client.get(url).status_code == 302
    for who in ("outsider", V, E, L):
        client.force_login(users[who])
        assert client.get(url).status_code == 404, who
    admin = users[L]
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    client.force_login(admin)
    response = client.get(url)
    assert response.status_code == 200
    if response.get("Content-Type", "").startswith("text/html"):
        assert scripts_locked_down(response.get("Content-Security-Policy", ""))
    for method in METHODS:
        if method not in STAFF[route]:
            assert getattr(client, method.lower())(url).status_code == 405, method
