"""The team page and the repository page keep their global URL names (team_detail,
repository_detail); the team dashboard is namespaced (dashboard:team, in urls.py)."""

from django.urls import path

from readiness.dashboard import views

urlpatterns = [
    path("t/<slug:team_slug>/", views.team_detail, name="team_detail"),
    path("t/<slug:team_slug>/r/<slug:repo_slug>/", views.repository_detail, name="repository_detail"),
]
