from django.contrib import admin

from messaging.models import Broadcast, Delivery, Notification, NotificationSetting


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
