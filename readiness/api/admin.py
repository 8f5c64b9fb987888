from django.contrib import admin

from readiness.api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "team", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    # Tokens are made and revoked from the app's pages, where the plaintext is shown once.
    readonly_fields = ["prefix", "hash", "team", "user", "created_by", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False
