from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from readiness.core.health import readiness_report


@require_GET
@never_cache
def health(request):
    """Liveness: answers without touching the database or the broker."""
    return JsonResponse({"status": "ok", "version": settings.VERSION})


@require_GET
@never_cache
def ready(request):
    """Readiness: database, broker and a recent worker heartbeat; 503 naming what is down."""
    is_ready, body = readiness_report()
    return JsonResponse(body, status=200 if is_ready else 503)


@require_GET
@never_cache
def metrics(request):
    """Prometheus metrics: 404 unless METRICS_TOKEN or METRICS_ALLOWED_IPS is set (never public by
    default), 403 for a client that is neither holding the token nor inside the allowed networks."""
    from readiness.core import metrics as prometheus

    if not (settings.METRICS_TOKEN or settings.METRICS_ALLOWED_NETWORKS):
        raise Http404
    allowed = prometheus.scrape_allowed(
        authorization=request.headers.get("Authorization", ""),
        remote_addr=request.META.get("REMOTE_ADDR", ""),
        forwarded="X-Forwarded-For" in request.headers,
        token=settings.METRICS_TOKEN,
        networks=settings.METRICS_ALLOWED_NETWORKS,
    )
    if not allowed:
        return HttpResponseForbidden("Forbidden\n", content_type="text/plain")
    body, content_type = prometheus.render(settings.CELERY_BROKER_URL)
    return HttpResponse(body, content_type=content_type)


CSRF_REFUSED = (
    "This form had expired (the page was open across a log-in or log-out). Reload the page and try again."
)


def csrf_failure(request, reason=""):
    """A form's CSRF token refused: the site's 403 page, saying what to do."""
    return render(request, "403.html", {"exception": CSRF_REFUSED}, status=403)
