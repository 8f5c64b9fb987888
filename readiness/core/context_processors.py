from django.conf import settings


def version(request):
    return {"readiness_version": settings.VERSION}
