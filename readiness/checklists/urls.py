from django.urls import path

from readiness.checklists import views, views_waivers

app_name = "checklists"

_item = "t/<slug:team_slug>/r/<slug:repo_slug>/checklists/<slug:template_slug>/<slug:item_key>/"

urlpatterns = [
    path("t/<slug:team_slug>/dashboard/", views.dashboard, name="dashboard"),
    path("t/<slug:team_slug>/templates/", views.template_list, name="template_list"),
    path("t/<slug:team_slug>/templates/<int:template_id>/", views.template_detail, name="template_detail"),
    path(
        "t/<slug:team_slug>/templates/<int:template_id>/export.md",
        views.template_export,
        name="template_export",
    ),
    path(
        "t/<slug:team_slug>/templates/<int:template_id>/items/<int:item_id>/bind/",
        views.template_item_bind,
        name="template_item_bind",
    ),
    path("t/<slug:team_slug>/r/<slug:repo_slug>/checklists/", views.repository_checklists, name="repository"),
    path("t/<slug:team_slug>/r/<slug:repo_slug>/checklists/apply/", views.checklist_apply, name="apply"),
    path("t/<slug:team_slug>/r/<slug:repo_slug>/compare/", views.compare, name="compare"),
    path(_item + "attest/", views.item_attest, name="attest"),
    path(_item + "undo/", views.item_undo, name="undo"),
    path(_item + "waive/", views.item_waive, name="waive"),
    path(_item + "revoke/", views.item_revoke, name="revoke"),
    path(_item + "note/", views.item_note, name="note"),
    path(_item + "history/", views.item_history, name="history"),
    path("t/<slug:team_slug>/waivers/", views_waivers.team_waivers, name="waivers"),
    path("badge/<str:token>.svg", views.badge, name="badge"),
]
