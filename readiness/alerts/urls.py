from django.urls import path

from readiness.alerts import views

app_name = "alerts"

_base = "t/<slug:team_slug>/alerts/"

urlpatterns = [
    path(_base, views.channel_list, name="list"),
    path(_base + "settings/", views.alert_settings, name="settings"),
    path(_base + "failures/dismiss/", views.failures_dismiss, name="dismiss"),
    path(_base + "<int:channel_id>/edit/", views.channel_edit, name="edit"),
    path(_base + "<int:channel_id>/delete/", views.channel_delete, name="delete"),
    path(_base + "<int:channel_id>/test/", views.channel_test, name="test"),
]
