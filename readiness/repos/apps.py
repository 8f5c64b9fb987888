from django.apps import AppConfig


class ReposConfig(AppConfig):
    name = "readiness.repos"
    label = "repos"
