from django.urls import path

from readiness.core.ratelimit import rate_limit_by_ip
from readiness.repos import views, views_lifecycle, views_settings

urlpatterns = [
    path(
        "hooks/<str:webhook_id>/",
        rate_limit_by_ip("webhook", "RATE_LIMIT_WEBHOOK")(views.webhook),
        name="webhook",
    ),
    path("t/<slug:team_slug>/r/<slug:repo_slug>/analyze/", views.analysis_start, name="analysis_start"),
    path("t/<slug:team_slug>/r/<slug:repo_slug>/runs/<int:run_id>/", views.run_detail, name="run_detail"),
    path(
        "t/<slug:team_slug>/r/<slug:repo_slug>/settings/",
        views_settings.repository_settings,
        name="repository_settings",
    ),
    path(
        "t/<slug:team_slug>/r/<slug:repo_slug>/reachability/",
        views_settings.repository_reachability,
        name="repository_reachability",
    ),
    path(
        "t/<slug:team_slug>/r/<slug:repo_slug>/reachability/check/",
        views_settings.repository_check_now,
        name="repository_check_now",
    ),
    path(
        "t/<slug:team_slug>/r/<slug:repo_slug>/rename/",
        views_lifecycle.repository_rename,
        name="repository_rename",
    ),
    path(
        "t/<slug:team_slug>/r/<slug:repo_slug>/archive/",
        views_lifecycle.repository_archive,
        name="repository_archive",
    ),
    path(
        "t/<slug:team_slug>/r/<slug:repo_slug>/restore/",
        views_lifecycle.repository_restore,
        name="repository_restore",
    ),
    path(
        "t/<slug:team_slug>/r/<slug:repo_slug>/delete/",
        views_lifecycle.repository_delete,
        name="repository_delete",
    ),
    path("t/<slug:team_slug>/archived/", views_lifecycle.repositories_archived, name="repositories_archived"),
]
