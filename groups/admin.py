from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from groups import services
from groups.models import Group, GroupMember


class GroupMemberInline(admin.TabularInline):
    model = GroupMember
    extra = 0
    fields = ["user", "role", "joined_at"]
    readonly_fields = ["user", "role", "joined_at"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Members change through the services (groups.services), which keep the group's
        # conversation participants in step: use the staff pages.
        return False


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ["name", "pilot", "kind", "mode", "is_open", "created_at", "archived_at"]
    list_filter = ["kind", "mode", "is_open", ("archived_at", admin.EmptyFieldListFilter), "pilot"]
    search_fields = ["name", "description", "memberships__user__display_name"]
    list_select_related = ["pilot"]
    # Kind, mode, members and archiving change through groups.services, which keep the group's
    # conversation (participants, read-only) in step.
    readonly_fields = [
        "pilot",
        "kind",
        "mode",
        "conversation",
        "created_by",
        "created_at",
        "archived_at",
    ]
    fields = [
        "pilot",
        "kind",
        "mode",
        "name",
        "description",
        "is_open",
        "conversation",
        "created_by",
        "created_at",
        "archived_at",
    ]
    inlines = [GroupMemberInline]
    actions = ["archive"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A group is created with its conversation by groups.services (the staff pages).
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # archive instead: members keep the conversation's history

    @admin.action(description=_("Archive the selected groups (conversations become read-only)"))
    def archive(self, request: HttpRequest, queryset: QuerySet[Group]) -> None:
        for group in queryset.select_related("conversation"):
            services.archive_group(group=group)


@admin.register(GroupMember)
class GroupMemberAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "role", "joined_at"]
    list_filter = ["role", "group__kind", "group__pilot"]
    search_fields = ["user__email", "user__display_name", "group__name"]
    list_select_related = ["user", "group", "group__pilot"]
    readonly_fields = ["group", "user", "role", "joined_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # groups.services.remove_member also takes them out of the conversation
