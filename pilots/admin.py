from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from mentoring.types import AuthedRequest
from pilots import services
from pilots.models import (
    Announcement,
    Invitation,
    Material,
    MaterialCompletion,
    Participation,
    Pilot,
    Week,
)


class WeekInline(TranslationTabularInline):
    model = Week
    extra = 0
    fields = ["number", "starts_on", "ends_on", "theme", "broadcast_at"]
    readonly_fields = ["broadcast_at"]


@admin.register(Pilot)
class PilotAdmin(TranslationAdmin):
    list_display = ["name", "host", "status", "starts_on", "ends_on"]
    list_filter = ["status", "host"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [WeekInline]

    def save_model(self, request: AuthedRequest, obj: Pilot, form: Any, change: bool) -> None:  # type: ignore[override]
        # The same services as the staff pages: the weeks follow the dates.
        if change:
            services.update_pilot(pilot=obj)
        else:
            services.create_pilot(pilot=obj, creator=request.user)


@admin.register(Participation)
class ParticipationAdmin(admin.ModelAdmin):
    list_display = ["user", "pilot", "role", "earns_credits", "joined_at", "last_seen_at"]
    list_filter = ["pilot", "role", "earns_credits"]
    search_fields = ["user__email", "user__display_name"]
    list_select_related = ["user", "pilot"]
    autocomplete_fields = ["user"]
    readonly_fields = ["calendar_token"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "pilot", "role", "sent_at", "accepted_at", "revoked_at"]
    list_filter = ["pilot", "role"]
    search_fields = ["email", "name"]
    list_select_related = ["pilot"]
    readonly_fields = [
        "sent_at",
        "send_count",
        "accepted_at",
        "accepted_by",
        "revoked_at",
        "invited_by",
    ]


@admin.register(Week)
class WeekAdmin(TranslationAdmin):
    list_display = ["pilot", "number", "starts_on", "theme", "broadcast_at"]
    list_filter = ["pilot"]
    search_fields = ["theme"]
    readonly_fields = ["broadcast_at"]


@admin.register(Material)
class MaterialAdmin(TranslationAdmin):
    list_display = ["title", "pilot", "kind", "required", "is_published", "position"]
    list_filter = ["pilot", "kind", "required", "is_published"]
    search_fields = ["title"]


@admin.register(MaterialCompletion)
class MaterialCompletionAdmin(admin.ModelAdmin):
    list_display = ["material", "user", "completed_at"]
    list_filter = ["material__pilot"]
    list_select_related = ["material", "user"]


@admin.register(Announcement)
class AnnouncementAdmin(TranslationAdmin):
    list_display = ["title", "pilot", "audience", "send_at", "sent_at"]
    list_filter = ["pilot", "audience"]
    search_fields = ["title"]
    readonly_fields = ["author", "sent_at"]

    def save_model(self, request: HttpRequest, obj: Announcement, form: Any, change: bool) -> None:
        if not change:
            obj.author = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)
        if not change and not obj.pilot.is_closed:
            services.send_announcement(announcement=obj)  # sends now unless send_at is later
