from django.urls import path

from readiness.core.ratelimit import rate_limit_by_ip
from readiness.repos import views, views_settings

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
]
