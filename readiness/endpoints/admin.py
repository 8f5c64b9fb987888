from django.contrib import admin

from readiness.endpoints.models import Endpoint, Incident


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "repository", "kind", "url", "state", "last_probe_at", "enabled")
    list_filter = ("kind", "state", "enabled")
    search_fields = ("name", "url", "repository__name")
    exclude = ("headers_encrypted",)  # a secret; set through the endpoint form
    readonly_fields = ("state", "state_since", "last_probe_at", "last_json", "last_body_sha256")


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("endpoint", "started_at", "ended_at", "error_class")
    list_filter = ("error_class",)
