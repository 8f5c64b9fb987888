from django.contrib import admin

from readiness.repos.models import AnalysisRun, CheckResult, Repository, ScoreSnapshot


@admin.register(Repository)
class RepositoryAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "url", "branch", "created_at")
    list_filter = ("team",)
    search_fields = ("name", "url")


class CheckResultInline(admin.TabularInline):
    model = CheckResult
    extra = 0
    fields = ("check_id", "status", "category", "severity")
    readonly_fields = fields
    can_delete = False


class ScoreSnapshotInline(admin.TabularInline):
    model = ScoreSnapshot
    extra = 0
    readonly_fields = ("category", "title", "score")
    can_delete = False


@admin.register(AnalysisRun)
class AnalysisRunAdmin(admin.ModelAdmin):
    list_display = ("id", "repository", "status", "trigger", "score", "queued_at", "finished_at")
    list_filter = ("status", "trigger")
    search_fields = ("repository__name", "commit_sha")
    readonly_fields = ("queued_at", "started_at", "finished_at")
    inlines = [ScoreSnapshotInline, CheckResultInline]


@admin.register(CheckResult)
class CheckResultAdmin(admin.ModelAdmin):
    list_display = ("check_id", "run", "status", "category", "severity")
    list_filter = ("status", "category")
    search_fields = ("check_id",)


@admin.register(ScoreSnapshot)
class ScoreSnapshotAdmin(admin.ModelAdmin):
    list_display = ("run", "category", "score")
