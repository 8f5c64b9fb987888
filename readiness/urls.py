from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from readiness.core import views as core_views
from readiness.core.ratelimit import rate_limit_by_ip
from readiness.dashboard import views as dashboard_views

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("health", core_views.health, name="health"),
    path("ready", core_views.ready, name="ready"),
    path("metrics", core_views.metrics, name="metrics"),
    # Per-address limit on login posts, independent of django-axes' per-account lockouts.
    path(
        "accounts/login/",
        rate_limit_by_ip("login", "RATE_LIMIT_LOGIN", methods=("POST",), html=True)(
            auth_views.LoginView.as_view()
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("readiness.sso.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("readiness.api.urls")),
    path("", include("readiness.api.page_urls")),
    path("", include("readiness.dashboard.page_urls")),
    path("", include("readiness.repos.urls")),
    path("", include("readiness.teams.urls")),
    path("", include("readiness.checklists.urls")),
    path("", include("readiness.endpoints.urls")),
    path("", include("readiness.reports.urls")),
    path("", include("readiness.alerts.urls")),
    path("", include("readiness.dashboard.urls")),
]
