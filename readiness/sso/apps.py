from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "readiness.sso"
    label = "sso"

    def ready(self):
        from readiness.sso import signals  # noqa: F401 - connects the login receivers
