from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """Pages that read across the apps below (checklists, endpoints, repos): the team dashboard
    and the home page's team summaries. No models of its own."""

    name = "readiness.dashboard"
    label = "dashboard"
