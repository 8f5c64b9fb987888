from django.urls import path

from readiness.teams import views_members

urlpatterns = [
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
    path("t/<slug:team_slug>/activity/", views_members.activity, name="activity"),
    path("invitations/<str:token>/", views_members.invitation_accept, name="invitation_accept"),
]
