from django.contrib import admin

from readiness.reports.models import ReportSchedule, ReportSubscription, WeeklyReport


@admin.register(ReportSchedule)
class ReportScheduleAdmin(admin.ModelAdmin):
    list_display = ("team", "weekday", "hour", "enabled")
    list_filter = ("enabled", "weekday")


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(admin.ModelAdmin):
    list_display = ("team", "user", "receives", "updated_at")
    list_filter = ("receives",)


@admin.register(WeeklyReport)
class WeeklyReportAdmin(admin.ModelAdmin):
    list_display = ("team", "week_start", "status", "attempts", "sent_at")
    list_filter = ("status", "trigger")
    readonly_fields = ("body_text", "body_html", "recipients", "figures")
