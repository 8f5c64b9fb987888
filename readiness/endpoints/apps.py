from django.apps import AppConfig


class EndpointsConfig(AppConfig):
    name = "readiness.endpoints"
    label = "endpoints"
    verbose_name = "Health endpoints"
