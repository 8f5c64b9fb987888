"""Checklist pages: scoping (404 for other teams), roles (403), htmx partials and plain forms."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from readiness.checklists.models import AppliedChecklist, Attestation, ItemNote, Waiver
from readiness.checklists.services.applied import checklist_apply
from readiness.checklists.services.records import waiver_grant
from readiness.checklists.services.templates import template_get_default
from tests.checklists.conftest import make_run
from tests.factories import MembershipFactory, RepositoryFactory, TeamFactory

pytestmark = pytest.mark.django_db
HX = {"HX-Request": "true"}


@pytest.fixture
def setup(small_template):
    """A team with the small template applied to one repository, a run, and a member per role."""
    team = TeamFactory(slug="payments")
    template = small_template(team)
    repository = RepositoryFactory(team=team, name="api", slug="api")
    checklist_apply(repository=repository, template=template)
    make_run(
        repository,
        {"dockerfile.non_root_user": "fail", "dockerfile.healthcheck": "pass"},
        evidence={
            "dockerfile.non_root_user": [
                {
                    "file": "Dockerfile",
                    "line": 2,
                    "message": "no USER",
                    "excerpt": {"start": 1, "lines": ["# x", "FROM python:3.12", "RUN pip install ."]},
                }
            ]
        },
    )
    members = {role: MembershipFactory(team=team, role=role) for role in ("viewer", "engineer", "lead")}
    return {"team": team, "repository": repository, "template": template, "members": members}


def url(name, repository, **kwargs):
    return reverse(
        f"checklists:{name}",
        kwargs={"team_slug": repository.team.slug, "repo_slug": repository.slug, **kwargs},
    )


def item_url(name, repository, key="backup-restore"):
    return url(name, repository, template_slug="small", item_key=key)


def test_checklist_page_lists_items_and_their_details_load_apart(client, setup):
    client.force_login(setup["members"]["viewer"].user)
    response = client.get(url("repository", setup["repository"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Runs as non-root" in html and 'data-item-status="fail"' in html
    # A row carries no details: they load (htmx) when it is opened, or on the item's own page.
    detail_url = item_url("item", setup["repository"], "non-root")
    assert f'hx-get="{detail_url}" hx-trigger="toggle once"' in html and f'href="{detail_url}"' in html
    assert "<code>Dockerfile:2</code>" not in html
    assert '<svg class="spark"' in html  # the checklist's trend, from its snapshots
    partial = client.get(url("repository", setup["repository"]), headers=HX)
    assert b"<html" not in partial.content and b'id="checklist-scores-body"' in partial.content
    detail = client.get(detail_url, headers=HX).content.decode()
    assert "<html" not in detail and "<code>Dockerfile:2</code>" in detail
    assert (
        '<span class="ln hit"><span class="n">2</span> FROM python:3.12</span>' in detail
    )  # the offending line
    assert "Tick as done" not in detail and "Grant waiver" not in detail  # a viewer only reads
    page = client.get(detail_url).content.decode()  # without JavaScript: a page of the site
    assert "<html" in page and "<code>Dockerfile:2</code>" in page and 'id="item-small-non-root"' in page


def test_tabs_count_and_filter_items_and_search_keeps_the_tab(client, setup):
    repository = setup["repository"]
    client.force_login(setup["members"]["engineer"].user)
    client.post(item_url("attest", repository), {"checked": "on"})  # backup-restore: done

    def shown(response):
        html = response.content.decode()
        return sorted(
            k for k in ("non-root", "healthcheck", "backup-restore") if f'id="item-small-{k}"' in html
        )

    page = client.get(url("repository", repository))
    html = page.content.decode()
    for tab, count in (("all", 3), ("failing", 1), ("review", 0), ("waived", 0), ("done", 2)):
        assert f'<span class="count">{count}</span>' in html.split(f'data-tab="{tab}">')[1].split("</a>")[0]
    # "All": every item, the passing ones folded away under their category.
    assert shown(page) == ["backup-restore", "healthcheck", "non-root"]
    assert '<details class="passing"><summary>2 passing items</summary>' in html
    assert shown(client.get(url("repository", repository), {"show": "failing"})) == ["non-root"]
    assert shown(client.get(url("repository", repository), {"show": "done"})) == [
        "backup-restore",
        "healthcheck",
    ]
    assert shown(client.get(url("repository", repository), {"show": "bogus"})) == [
        "backup-restore",
        "healthcheck",
        "non-root",
    ]
    # Search: title, key, category or check id; every word must match; the counts follow.
    found = client.get(url("repository", repository), {"q": "HEALTHCHECK reliab"})
    assert shown(found) == ["healthcheck"]
    assert (
        client.get(url("repository", repository), {"q": "non_root_user"}).content.count(b'id="item-small-')
        == 1
    )
    empty = client.get(url("repository", repository), {"q": "kubernetes", "show": "failing"})
    assert shown(empty) == [] and "No item matches “kubernetes” here." in empty.content.decode()
    # htmx asks for the list alone, and the hidden tab of the search form follows (out of band).
    part = client.get(
        url("repository", repository),
        {"show": "done", "q": "backup"},
        headers={**HX, "HX-Target": "checklist-items"},
    ).content.decode()
    assert (
        "<html" not in part and 'id="checklist-scores' not in part and shown_html(part) == ["backup-restore"]
    )
    assert '<input type="hidden" id="item-show" name="show" value="done" hx-swap-oob="true">' in part
    assert 'href="?show=failing&amp;q=backup"' in part  # the tabs keep the search
    scores = client.get(url("repository", repository), headers={**HX, "HX-Target": "checklist-scores"})
    assert b'id="checklist-scores-body"' in scores.content and b'id="checklist-items"' not in scores.content


def shown_html(html):
    return sorted(k for k in ("non-root", "healthcheck", "backup-restore") if f'id="item-small-{k}"' in html)


def test_every_checklist_url_of_another_team_is_404(client, setup):
    outsider = MembershipFactory(role="lead")
    client.force_login(outsider.user)
    repository = setup["repository"]
    assert client.get(url("repository", repository)).status_code == 404
    assert client.get(url("compare", repository)).status_code == 404
    assert client.get(item_url("history", repository)).status_code == 404
    assert client.get(item_url("item", repository)).status_code == 404
    for action in ("attest", "undo", "waive", "revoke", "note"):
        assert (
            client.post(
                item_url(action, repository), {"checked": "on", "reason": "r", "text": "t"}
            ).status_code
            == 404
        )
    assert client.post(url("apply", repository), {"template": setup["template"].pk}).status_code == 404
    assert client.get(reverse("dashboard:team", args=[repository.team.slug])).status_code == 404
    assert (
        client.get(
            reverse("checklists:template_detail", args=[outsider.team.slug, setup["template"].pk])
        ).status_code
        == 404
    )
    assert not Attestation.objects.exists() and not Waiver.objects.exists()


def test_login_required(client, setup):
    response = client.get(url("repository", setup["repository"]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_roles(client, setup):
    repository = setup["repository"]
    client.force_login(setup["members"]["viewer"].user)
    assert client.post(item_url("attest", repository), {"checked": "on"}).status_code == 403
    assert client.post(item_url("note", repository), {"text": "hi"}).status_code == 403
    client.force_login(setup["members"]["engineer"].user)
    expires = (timezone.localdate() + timedelta(days=7)).isoformat()
    assert (
        client.post(
            item_url("waive", repository, "non-root"), {"reason": "r", "expires_on": expires}
        ).status_code
        == 403
    )
    assert client.post(url("apply", repository), {"template": setup["template"].pk}).status_code == 403
    assert not Attestation.objects.exists() and not Waiver.objects.exists()


def test_tick_with_htmx_returns_the_row_with_undo_then_undo(client, setup):
    repository = setup["repository"]
    engineer = setup["members"]["engineer"]
    client.force_login(engineer.user)
    response = client.post(item_url("attest", repository), {"checked": "on"}, headers=HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and 'id="item-small-backup-restore"' in html
    assert 'data-item-status="done"' in html and ">Undo<" in html
    assert f"Ticked by {engineer.user.username}" in html
    assert response["HX-Trigger"] == "checklist-changed"
    assert AppliedChecklist.objects.get(repository=repository).state["items"]["backup-restore"] == "done"
    undone = client.post(item_url("undo", repository), headers=HX)
    assert 'data-item-status="todo"' in undone.content.decode()


def test_untick_without_javascript_redirects_to_the_item(client, setup):
    repository = setup["repository"]
    client.force_login(setup["members"]["engineer"].user)
    client.post(item_url("attest", repository), {"checked": "on"})
    response = client.post(item_url("attest", repository), {"checked": ""})
    assert response.status_code == 302 and response["Location"].endswith("#item-small-backup-restore")
    assert [a.checked for a in Attestation.objects.order_by("id")] == [True, False]


def test_ticking_an_automated_item_is_refused(client, setup):
    client.force_login(setup["members"]["engineer"].user)
    response = client.post(item_url("attest", setup["repository"], "non-root"), {"checked": "on"}, headers=HX)
    assert response.status_code == 400 and b"only manual items" in response.content


def test_lead_waives_and_ends_a_waiver(client, setup):
    repository = setup["repository"]
    lead = setup["members"]["lead"]
    client.force_login(lead.user)
    expires = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.post(
        item_url("waive", repository, "non-root"),
        {"reason": "new base image in May", "expires_on": expires},
        headers=HX,
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'data-item-status="waived"' in html
    assert f"Waived by {lead.user.username} until {expires}" in html and "new base image in May" in html
    applied = AppliedChecklist.objects.get(repository=repository)
    assert applied.state["items"]["non-root"] == "waived" and applied.overall == 10.0
    bad = client.post(
        item_url("waive", repository, "non-root"), {"reason": "", "expires_on": expires}, headers=HX
    )
    assert bad.status_code == 400
    client.post(item_url("revoke", repository, "non-root"), headers=HX)
    assert AppliedChecklist.objects.get(repository=repository).state["items"]["non-root"] == "fail"


def test_notes_and_history(client, setup):
    repository = setup["repository"]
    engineer = setup["members"]["engineer"]
    client.force_login(engineer.user)
    row = client.post(item_url("note", repository), {"text": "Restore drill booked for Friday"}, headers=HX)
    assert f"Note by {engineer.user.username}" in row.content.decode()  # the latest note shows on the row
    assert "Restore drill booked for Friday" in row.content.decode()
    client.post(item_url("attest", repository), {"checked": "on"}, headers=HX)
    assert ItemNote.objects.count() == 1
    history = client.get(item_url("history", repository)).content.decode()
    assert "Restore drill booked for Friday" in history and f"{engineer.user.username} ticked" in history
    run_history = client.get(item_url("history", repository, "non-root")).content.decode()
    assert "Run #" in run_history and "fail" in run_history
    partial = client.get(item_url("history", repository), headers=HX)
    assert b"<html" not in partial.content


def test_compare_page_and_exports(client, setup):
    repository = setup["repository"]
    make_run(repository, {"dockerfile.non_root_user": "pass", "dockerfile.healthcheck": "pass"})
    client.force_login(setup["members"]["viewer"].user)
    page = client.get(url("compare", repository))
    html = page.content.decode()
    assert page.status_code == 200
    assert (
        '<th scope="col">Category</th><th scope="col">Before</th>'
        '<th scope="col">After</th><th scope="col">Status</th>' in html
    )
    assert "Fixed" in html and "Runs as non-root" in html
    md = client.get(url("compare", repository) + "?format=md")
    assert md["Content-Type"].startswith("text/markdown") and "attachment" in md["Content-Disposition"]
    assert "| Security | 0.0/10 | 10.0/10 | Fixed |" in md.content.decode()
    csv_response = client.get(url("compare", repository) + "?format=csv")
    lines = csv_response.content.decode().splitlines()
    assert lines[0] == "kind,category,item,before,after,status"
    assert "category,Security,,0.0,10.0,Fixed" in lines
    assert client.get(url("compare", repository), headers=HX).content.count(b"<html") == 0
    assert client.get(url("compare", repository) + "?before=999999").status_code == 404


def test_compare_by_dates(client, setup):
    repository = setup["repository"]
    first = repository.runs.get()
    first.finished_at = timezone.now() - timedelta(days=10)
    first.save()
    make_run(repository, {"dockerfile.non_root_user": "pass"})
    client.force_login(setup["members"]["viewer"].user)
    before_day = (timezone.localdate() - timedelta(days=10)).isoformat()
    response = client.get(
        url("compare", repository),
        {"before_date": before_day, "after_date": timezone.localdate().isoformat()},
    )
    assert f"run #{first.pk} →" in response.content.decode()


def test_compare_with_a_single_run_says_what_to_do(client, setup):
    client.force_login(setup["members"]["viewer"].user)
    html = client.get(url("compare", setup["repository"])).content.decode()
    assert "Comparisons need two finished analyses" in html


def test_apply_another_template(client, setup):
    repository = setup["repository"]
    client.force_login(setup["members"]["lead"].user)
    template_id = template_get_default().pk
    response = client.post(url("apply", repository), {"template": template_id})
    assert response.status_code == 302
    assert repository.checklists.count() == 2
    assert repository.checklists.get(primary=True).template == setup["template"]


def test_badge_is_public_svg_with_cache_headers(client, setup):
    applied = AppliedChecklist.objects.get(repository=setup["repository"])
    response = client.get(reverse("checklists:badge", args=[applied.badge_token]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "max-age=300" in response["Cache-Control"] and "public" in response["Cache-Control"]
    svg = response.content.decode()
    assert svg.startswith("<svg") and "4.0/10" in svg and "#b3261e" in svg  # poor score: red
    assert len(applied.badge_token) >= 32
    assert client.get(reverse("checklists:badge", args=["not-a-token"])).status_code == 404


def test_templates_import_export_and_bind(client, setup):
    team = setup["team"]
    client.force_login(setup["members"]["lead"].user)
    response = client.post(
        reverse("checklists:template_list", args=[team.slug]),
        {"title": "Launch list", "markdown": "## Ops\n- [ ] Backups restored\n- [ ] On-call rota\n"},
    )
    assert response.status_code == 302
    from readiness.checklists.models import ChecklistTemplate

    template = ChecklistTemplate.objects.get(team=team, title="Launch list")
    detail = client.get(response["Location"])
    assert b"Bind to checks" in detail.content
    exported = client.get(
        reverse("checklists:template_export", args=[team.slug, template.pk])
    ).content.decode()
    assert "## Ops" in exported and "- [ ] Backups restored" in exported
    item = template.items.get(title="On-call rota")
    bind_url = reverse("checklists:template_item_bind", args=[team.slug, template.pk, item.pk])
    client.post(
        bind_url,
        {f"i{item.pk}-checks": ["ci.runs_tests"], f"i{item.pk}-combine": "all", f"i{item.pk}-level": "gold"},
    )
    item.refresh_from_db()
    assert item.checks == ["ci.runs_tests"] and not item.manual and item.level == "gold"
    client.post(
        bind_url,
        {f"i{item.pk}-checks": ["no.such_check"], f"i{item.pk}-combine": "all", f"i{item.pk}-level": "gold"},
    )
    item.refresh_from_db()
    assert item.checks == ["ci.runs_tests"]  # unknown check ids are refused
    bad = client.post(
        reverse("checklists:template_list", args=[team.slug]), {"title": "x", "markdown": "nothing"}
    )
    assert bad.status_code == 400 and b"no checklist items found" in bad.content


def test_engineer_cannot_import_or_bind(client, setup):
    team = setup["team"]
    client.force_login(setup["members"]["engineer"].user)
    response = client.post(
        reverse("checklists:template_list", args=[team.slug]), {"title": "x", "markdown": "- [ ] a"}
    )
    assert response.status_code == 403
    item = setup["template"].items.first()
    bind_url = reverse("checklists:template_item_bind", args=[team.slug, setup["template"].pk, item.pk])
    assert client.post(bind_url, {}).status_code == 403


def test_badge_follows_an_expired_waiver(client, setup):
    repository = setup["repository"]
    waiver_grant(
        repository=repository,
        template_slug="small",
        item_key="non-root",
        reason="r",
        expires_on=timezone.localdate(),
        user=None,
    )
    applied = AppliedChecklist.objects.get(repository=repository)
    assert applied.overall == 10.0
    AppliedChecklist.objects.filter(pk=applied.pk).update(
        state_valid_until=timezone.now() - timedelta(seconds=1)
    )
    Waiver.objects.update(expires_on=timezone.localdate() - timedelta(days=1))
    svg = client.get(reverse("checklists:badge", args=[applied.badge_token])).content.decode()
    assert "4.0/10" in svg


def test_seed_demo_applies_the_complete_checklist(tmp_path, settings):
    from django.core.management import call_command

    from readiness.repos.models import Repository

    settings.VAR_DIR = tmp_path
    call_command("seed_demo", stdout=__import__("io").StringIO())
    repository = Repository.objects.get(team__slug="demo-team")
    assert repository.checklists.get(primary=True).template.slug == "production-readiness-complete"
    assert repository.checklists.filter(template__slug="docker-build-evaluation", primary=False).exists()


def test_tick_with_an_evidence_link_and_required_evidence(client, setup):
    repository = setup["repository"]
    client.force_login(setup["members"]["engineer"].user)
    setup["template"].items.filter(key="backup-restore").update(evidence_required=True)
    refused = client.post(item_url("attest", repository), {"checked": "on"}, headers=HX)
    assert refused.status_code == 400 and b"needs an evidence link" in refused.content
    bad = client.post(
        item_url("attest", repository), {"checked": "on", "evidence_url": "javascript:alert(1)"}, headers=HX
    )
    assert bad.status_code == 400 and not Attestation.objects.exists()
    link = "https://wiki.example.com/restore-drill-2026-03"
    response = client.post(
        item_url("attest", repository), {"checked": "on", "evidence_url": link}, headers=HX
    )
    assert response.status_code == 200
    assert f'<a href="{link}" rel="noopener nofollow">evidence</a>' in response.content.decode()
    assert Attestation.objects.get().evidence_url == link
