from django.urls import path

from readiness.checklists.views import badge, compare, items, templates, waivers

app_name = "checklists"

_item = "t/<slug:team_slug>/r/<slug:repo_slug>/checklists/<slug:template_slug>/<slug:item_key>/"

urlpatterns = [
    path("t/<slug:team_slug>/templates/", templates.template_list, name="template_list"),
    path(
        "t/<slug:team_slug>/templates/<int:template_id>/", templates.template_detail, name="template_detail"
    ),
    path(
        "t/<slug:team_slug>/templates/<int:template_id>/export.md",
        templates.template_export,
        name="template_export",
    ),
    path(
        "t/<slug:team_slug>/templates/<int:template_id>/items/<int:item_id>/bind/",
        templates.template_item_bind,
        name="template_item_bind",
    ),
    path("t/<slug:team_slug>/r/<slug:repo_slug>/checklists/", items.repository_checklists, name="repository"),
    path("t/<slug:team_slug>/r/<slug:repo_slug>/checklists/apply/", items.checklist_apply, name="apply"),
    path("t/<slug:team_slug>/r/<slug:repo_slug>/compare/", compare.compare, name="compare"),
    path(_item, items.item_detail, name="item"),
    path(_item + "attest/", items.item_attest, name="attest"),
    path(_item + "undo/", items.item_undo, name="undo"),
    path(_item + "waive/", items.item_waive, name="waive"),
    path(_item + "revoke/", items.item_revoke, name="revoke"),
    path(_item + "note/", items.item_note, name="note"),
    path(_item + "history/", items.item_history, name="history"),
    path("t/<slug:team_slug>/waivers/", waivers.team_waivers, name="waivers"),
    path("badge/<str:token>.svg", badge.badge, name="badge"),
]
