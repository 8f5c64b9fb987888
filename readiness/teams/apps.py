from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "readiness.teams"
    label = "teams"
