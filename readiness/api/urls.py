"""/api/v1/: the JSON API for CI. Every path here is described in openapi.py (a test checks it)."""

from django.urls import path, re_path

from readiness.api import views

app_name = "api"

REPO = "teams/<slug:team_slug>/repos/<slug:repo_slug>"

urlpatterns = [
    path("openapi.json", views.openapi, name="openapi"),
    path("repos", views.repository_list, name="repository_list"),
    path(f"{REPO}/runs", views.run_create, name="run_create"),
    path(f"{REPO}/backfill", views.backfill, name="backfill"),
    path(f"{REPO}/waivers", views.waiver_create, name="waiver_create"),
    path(f"{REPO}/runs/<int:run_id>", views.run_detail, name="run_detail"),
    path(f"{REPO}/runs/<int:run_id>/sarif", views.run_sarif, name="run_sarif"),
    path(f"{REPO}/scorecard", views.scorecard, name="scorecard"),
    path(f"{REPO}/gate", views.gate, name="gate"),
    path(f"{REPO}/compare", views.compare, name="compare"),
    # Anything else under /api/v1/ is a JSON 404, not the site's HTML page.
    re_path(r"^(?P<path>.*)$", views.not_found, name="not_found"),
]
