from django.urls import path

from readiness.endpoints import views

app_name = "endpoints"

_base = "t/<slug:team_slug>/r/<slug:repo_slug>/endpoints/"

urlpatterns = [
    path("t/<slug:team_slug>/endpoints/", views.team_endpoints, name="team"),
    path(_base, views.endpoint_list, name="list"),
    path(_base + "<int:endpoint_id>/edit/", views.endpoint_edit, name="edit"),
    path(_base + "<int:endpoint_id>/delete/", views.endpoint_delete, name="delete"),
    path(_base + "<int:endpoint_id>/probe/", views.endpoint_probe, name="probe"),
]
