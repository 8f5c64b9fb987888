from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "readiness.reports"
    label = "reports"
    verbose_name = "Weekly reports"
