from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from messaging.models import Block, Broadcast, Delivery, Notification, NotificationSetting, Report


@admin.register(Broadcast)
class BroadcastAdmin(admin.ModelAdmin):
    list_display = ["subject", "kind", "source", "created_at"]
    list_filter = ["kind"]
    search_fields = ["subject", "source"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["broadcast", "recipient", "channel", "status", "attempts", "updated_at"]
    list_filter = ["status", "channel", "broadcast__kind"]
    search_fields = ["recipient__email", "broadcast__subject"]
    list_select_related = ["broadcast", "recipient"]
    readonly_fields = ["broadcast", "recipient", "channel", "created_at", "updated_at", "sent_at"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Staff see that a notification exists and whether it was read; broadcasts are not private."""

    list_display = ["subject", "user", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["user__email", "subject"]
    list_select_related = ["user"]


@admin.register(NotificationSetting)
class NotificationSettingAdmin(admin.ModelAdmin):
    list_display = ["user", "kind", "email"]
    list_filter = ["kind", "email"]
    list_select_related = ["user"]


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Every report, also those that reach no pilot's moderation queue (a person reported with
    no shared pilot). Like the queue it shows the reported message only, never the rest of the
    conversation; reports are resolved in the pilot's moderation queue, so this is read-only."""

    list_display = ["created_at", "reason", "reported_user", "reporter", "context", "outcome"]
    list_filter = ["outcome", "reason"]
    search_fields = ["reported_user__email", "reporter__email", "context"]
    list_select_related = ["reported_user", "reporter"]
    fields = readonly_fields = (
        "created_at",
        "reporter",
        "reported_user",
        "reason",
        "details",
        "reported_message",
        "context",
        "outcome",
        "resolved_at",
    )

    @admin.display(description=_("reported message"))
    def reported_message(self, report: Report) -> str:
        return report.message.body if report.message else self.get_empty_value_display()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the record of what was reported and decided stays


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    """Who has blocked whom; deleting a row lifts the block."""

    list_display = ["blocker", "blocked", "created_at"]
    search_fields = ["blocker__email", "blocked__email"]
    list_select_related = ["blocker", "blocked"]
    readonly_fields = ["blocker", "blocked", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
