"""Single sign-on routes: ours for the OpenID Connect login and callback (they verify the ID
token's signature), allauth's for the rest of the flow (error, cancelled, signup)."""

from allauth.account import views as account_views
from django.urls import include, path
from django.views.generic import RedirectView

from readiness.sso import views

urlpatterns = [
    path("accounts/oidc/<str:provider_id>/login/", views.login, name="openid_connect_login"),
    path("accounts/oidc/<str:provider_id>/login/callback/", views.callback, name="openid_connect_callback"),
    path("accounts/3rdparty/", include("allauth.socialaccount.urls")),
    # Names allauth reverses: an inactive account's page, and its login (ours, listed earlier).
    path("accounts/inactive/", account_views.account_inactive, name="account_inactive"),
    path("accounts/login/", RedirectView.as_view(pattern_name="login"), name="account_login"),
]
