from django.contrib import admin

from readiness.core.models import AllowedNetwork, WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("hostname", "last_seen")


@admin.register(AllowedNetwork)
class AllowedNetworkAdmin(admin.ModelAdmin):
    list_display = ("target", "port", "reason", "added_by", "created_at")
    search_fields = ("target", "reason")

    def save_model(self, request, obj, form, change):
        if not obj.added_by:
            obj.added_by = request.user.get_username()
        super().save_model(request, obj, form, change)
