from django.urls import path

from readiness.teams import views_audit, views_members, views_settings

urlpatterns = [
    path("t/<slug:team_slug>/settings/", views_settings.team_settings, name="team_settings"),
    path("t/<slug:team_slug>/members/", views_members.members, name="members"),
    path("t/<slug:team_slug>/members/invite/", views_members.member_invite, name="member_invite"),
    path(
        "t/<slug:team_slug>/members/<int:membership_id>/role/", views_members.member_role, name="member_role"
    ),
    path(
        "t/<slug:team_slug>/members/<int:membership_id>/remove/",
        views_members.member_remove,
        name="member_remove",
    ),
    path(
        "t/<slug:team_slug>/invitations/<int:invitation_id>/resend/",
        views_members.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "t/<slug:team_slug>/invitations/<int:invitation_id>/revoke/",
        views_members.invitation_revoke,
        name="invitation_revoke",
    ),
    path("t/<slug:team_slug>/activity/", views_audit.activity, name="activity"),
    path("t/<slug:team_slug>/activity/export.csv", views_audit.activity_export, name="activity_export"),
    path("audit/", views_audit.audit, name="audit"),
    path("audit/export.csv", views_audit.audit_export, name="audit_export"),
    path("invitations/<str:token>/", views_members.invitation_accept, name="invitation_accept"),
]
