from django.urls import path

from readiness.repos import views

urlpatterns = [
    path("hooks/<str:webhook_id>/", views.webhook, name="webhook"),
    path("t/<slug:team_slug>/", views.team_detail, name="team_detail"),
    path("t/<slug:team_slug>/r/<slug:repo_slug>/", views.repository_detail, name="repository_detail"),
    path("t/<slug:team_slug>/r/<slug:repo_slug>/analyze/", views.analysis_start, name="analysis_start"),
    path("t/<slug:team_slug>/r/<slug:repo_slug>/runs/<int:run_id>/", views.run_detail, name="run_detail"),
]
