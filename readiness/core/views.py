from django.conf import settings
from django.http import JsonResponse
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
