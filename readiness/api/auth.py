"""Decorators for the JSON API's function views: JSON errors, rate limits and Bearer tokens.

``api_view`` answers every error as JSON (405, 404, 429, 500: never an HTML page, never a
traceback) and applies the per-address rate limit; ``api_token_required`` resolves
``Authorization: Bearer <token>`` into ``request.api_principal`` (a 401 with WWW-Authenticate
otherwise) and applies the per-token limit. Use them in that order, ``api_view`` outermost.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.conf import settings
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from readiness.api import services
from readiness.core import ratelimit

logger = logging.getLogger(__name__)

REALM = 'Bearer realm="readiness"'


def api_error(status: int, detail: str, **extra) -> JsonResponse:
    return JsonResponse({"detail": detail, **extra}, status=status)


def _with_rate_headers(response, decision):
    if decision is not None:
        response["X-RateLimit-Limit"] = str(decision.limit)
        response["X-RateLimit-Remaining"] = str(decision.remaining)
    return response


def api_view(*methods: str):
    def decorator(view):
        # Token-authenticated, no cookies: cross-site request forgery does not apply.
        @csrf_exempt
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method not in methods:
                response = api_error(405, f"Method {request.method} not allowed.")
                response["Allow"] = ", ".join(methods)
                return response
            decision = ratelimit.hit("api-ip", ratelimit.client_ip(request), settings.RATE_LIMIT_API_IP)
            if decision is not None and not decision.allowed:
                return ratelimit.too_many_requests(decision)
            try:
                return view(request, *args, **kwargs)
            except Http404:
                return api_error(404, "Not found.")
            except Exception:
                logger.exception("API view %s failed", view.__name__)
                return api_error(500, "Internal error; the administrators have the details.")

        return wrapped

    return decorator


def _unauthorized(detail: str, *, invalid: bool) -> JsonResponse:
    response = api_error(401, detail)
    response["WWW-Authenticate"] = REALM + (', error="invalid_token"' if invalid else "")
    return response


def api_token_required(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            return _unauthorized("Send an API token: Authorization: Bearer <token>.", invalid=False)
        token = services.token_use(plaintext=credentials.strip())
        if token is None:
            return _unauthorized("The API token is unknown or revoked.", invalid=True)
        decision = ratelimit.hit("api-token", str(token.pk), settings.RATE_LIMIT_API)
        if decision is not None and not decision.allowed:
            return ratelimit.too_many_requests(decision)
        request.api_principal = token
        return _with_rate_headers(view(request, *args, **kwargs), decision)

    return wrapped
