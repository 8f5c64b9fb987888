"""htmx and an ended session: to the login page and back, never a login form inside a page part.

A view that needs a login answers an anonymous request with a redirect to the login page. The
browser follows it inside an htmx request, and htmx would swap the login form into the item that
asked. ``HtmxLoginRedirectMiddleware`` turns that redirect into ``HX-Redirect``: htmx loads the login
page as a whole page, with ``next`` the page the person was on (``HX-Current-URL``), at the element
the request targeted (``HX-Target``, an item's row), so logging in brings them back there. A plain
form posted after the session ended gets the same ``next`` (the page it was posted from, not the
POST-only action, which would answer 405 after the login).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

_SAFE_TARGET = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def _same_site_path(request, url: str) -> str | None:
    """The path and query of ``url`` when it points at this site, else None."""
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class HtmxLoginRedirectMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code not in (301, 302) or not _is_login(response.get("Location", "")):
            return response
        htmx = getattr(request, "htmx", None)
        if htmx:
            back = _same_site_path(request, request.headers.get("HX-Current-URL", ""))
            target = request.headers.get("HX-Target", "")
            if back and target and set(target) <= _SAFE_TARGET:
                back += f"#{target}"
        elif request.method != "GET":
            back = _same_site_path(request, request.headers.get("Referer", ""))
        else:
            return response
        login = _login_url(response["Location"], back)
        if not htmx:
            response["Location"] = login
            return response
        redirect = HttpResponse(status=204)
        redirect["HX-Redirect"] = login
        return redirect


def _is_login(location: str) -> bool:
    return urlsplit(location).path == urlsplit(resolve_url(settings.LOGIN_URL)).path


def _login_url(location: str, back: str | None) -> str:
    """The login page with ``next`` the way back; without one (no page of this site to return to),
    none: the request's own URL may answer only POST, or only to htmx."""
    parts = urlsplit(location)
    query = parse_qs(parts.query)
    query.pop("next", None)
    if back is not None:
        query["next"] = [back]
    return f"{parts.path}?{urlencode(query, doseq=True)}" if query else parts.path
