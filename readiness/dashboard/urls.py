from django.urls import path

from readiness.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("t/<slug:team_slug>/dashboard/", views.dashboard, name="team"),
]
