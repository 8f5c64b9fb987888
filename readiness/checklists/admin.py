from django.contrib import admin

from readiness.checklists.models import (
    AppliedChecklist,
    Attestation,
    ChecklistSnapshot,
    ChecklistTemplate,
    ItemNote,
    TemplateItem,
    Waiver,
)


class TemplateItemInline(admin.TabularInline):
    model = TemplateItem
    extra = 0
    fields = [
        "position",
        "category_id",
        "key",
        "title",
        "level",
        "checks",
        "combine",
        "manual",
        "reattest_days",
    ]


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "version", "team", "is_builtin", "is_current"]
    list_filter = ["is_builtin", "is_current"]
    inlines = [TemplateItemInline]


@admin.register(AppliedChecklist)
class AppliedChecklistAdmin(admin.ModelAdmin):
    list_display = ["repository", "template", "primary", "overall", "level", "state_updated_at"]
    raw_id_fields = ["repository", "applied_by"]


@admin.register(Attestation)
class AttestationAdmin(admin.ModelAdmin):
    list_display = ["repository", "template_slug", "item_key", "checked", "by", "recorded_at"]
    raw_id_fields = ["repository", "by"]


@admin.register(Waiver)
class WaiverAdmin(admin.ModelAdmin):
    list_display = ["repository", "template_slug", "item_key", "expires_on", "granted_by", "revoked_at"]
    raw_id_fields = ["repository", "granted_by", "revoked_by"]


admin.site.register(ItemNote)
admin.site.register(ChecklistSnapshot)
