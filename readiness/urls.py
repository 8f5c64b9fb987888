from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from readiness.core import views as core_views
from readiness.teams import views as team_views

urlpatterns = [
    path("", team_views.home, name="home"),
    path("health", core_views.health, name="health"),
    path("ready", core_views.ready, name="ready"),
    path("metrics", core_views.metrics, name="metrics"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("readiness.repos.urls")),
    path("", include("readiness.checklists.urls")),
]
