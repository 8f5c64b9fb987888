from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "readiness.alerts"
    label = "alerts"
    verbose_name = "Alerts"
