"""Request id, log context and HTTP metrics for every request; first in MIDDLEWARE.

The request id is the client's ``X-Request-ID`` when it looks sane (a proxy's id keeps a trace
across hops), else a new one; it goes back on the response and into every log line of the request.
The id and the user id are also left in the WSGI environ, where gunicorn's access logger
(docker/gunicorn.conf.py) reads them for the one access line per request.
"""

from __future__ import annotations

import re
import time
import uuid

from django.conf import settings
from django.utils.functional import empty

from readiness.core import metrics
from readiness.core.logging import request_id_var, user_id_var
from readiness.core.ratelimit import client_ip
from readiness.core.request_context import client_ip_var

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")

ENVIRON_REQUEST_ID = "readiness.request_id"
ENVIRON_USER_ID = "readiness.user_id"


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request_id = incoming if _SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        request.META[ENVIRON_REQUEST_ID] = request_id
        id_token = request_id_var.set(request_id)
        ip_token = client_ip_var.set(client_ip(request))  # for the audit log (readiness/teams/activity.py)
        # A callable: the user is known only once a view loaded it, and loading it here would
        # cost /health a database query.
        user_token = user_id_var.set(lambda: loaded_user_id(request))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(id_token)
            client_ip_var.reset(ip_token)
            user_id_var.reset(user_token)
        response[REQUEST_ID_HEADER] = request_id
        request.META[ENVIRON_USER_ID] = loaded_user_id(request)
        metrics.observe_request(
            method=request.method,
            route=_route(request),
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response


def loaded_user_id(request) -> int | None:
    """The authenticated user's id if something in this request already loaded the user."""
    user = getattr(request, "user", None)
    if user is None:
        return None
    wrapped = vars(user).get("_wrapped", user)  # a lazy user not yet evaluated holds `empty`
    if wrapped is empty or not getattr(wrapped, "is_authenticated", False):
        return None
    return wrapped.pk


def _route(request) -> str:
    # The URL pattern, not the path: /repos/<int:pk>/ is one series, not one per repository.
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.route or match.view_name or "unnamed"
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"
    return "unmatched"
