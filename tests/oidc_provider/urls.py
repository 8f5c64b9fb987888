from urllib.parse import quote

from django.contrib.auth import get_user_model, login
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import include, path
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt


def login_as(request, username):
    """The provider's own login, reduced to the choice of a user (the tests are its only users)."""
    user = get_user_model().objects.get(username=username)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    target = request.GET.get("next", "/")
    return HttpResponseRedirect(target if url_has_allowed_host_and_scheme(target, None) else "/")


def login_form(request):
    """The provider's sign-in page for a real browser: a user name is enough here."""
    if request.method == "POST":
        return login_as(request, request.POST["username"])
    target = escape(quote(request.GET.get("next", "/"), safe="/"))
    return HttpResponse(
        "<!doctype html><title>Acme identity provider</title><h1>Acme sign-in</h1>"
        f'<form method="post" action="/login/?next={target}"><label for="u">User</label>'
        '<input id="u" name="username"><button type="submit">Sign in at Acme</button></form>'
    )


urlpatterns = [
    path("login/", csrf_exempt(login_form)),
    path("login-as/<str:username>/", login_as),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
