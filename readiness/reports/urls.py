from django.urls import path

from readiness.reports import views

app_name = "reports"

urlpatterns = [
    path("t/<slug:team_slug>/reports/", views.report_list, name="list"),
    path("t/<slug:team_slug>/reports/settings/", views.report_settings, name="settings"),
    path("t/<slug:team_slug>/reports/subscription/", views.subscription_toggle, name="subscription"),
    path("t/<slug:team_slug>/reports/preview/", views.report_preview, name="preview"),
    path("t/<slug:team_slug>/reports/preview/body.html", views.report_preview_html, name="preview_html"),
    path("t/<slug:team_slug>/reports/send/", views.report_send_now, name="send_now"),
    path("t/<slug:team_slug>/reports/<int:report_id>/", views.report_detail, name="detail"),
    path("t/<slug:team_slug>/reports/<int:report_id>/body.html", views.report_html, name="html"),
    path("t/<slug:team_slug>/reports/<int:report_id>/retry/", views.report_retry, name="retry"),
    path("reports/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
