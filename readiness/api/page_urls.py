from django.urls import path

from readiness.api import pages

app_name = "api_pages"

urlpatterns = [
    path("account/tokens/", pages.personal_tokens, name="personal_tokens"),
    path("account/tokens/<int:token_id>/revoke/", pages.personal_token_revoke, name="personal_token_revoke"),
    path("t/<slug:team_slug>/tokens/", pages.team_tokens, name="team_tokens"),
    path(
        "t/<slug:team_slug>/tokens/<int:token_id>/revoke/", pages.team_token_revoke, name="team_token_revoke"
    ),
]
