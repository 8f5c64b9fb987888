from django.apps import AppConfig


class ChecklistsConfig(AppConfig):
    name = "readiness.checklists"
    label = "checklists"
    default_auto_field = "django.db.models.BigAutoField"
