"""The "Pilot staff" permission group: what project staff need in the Django admin, the back
office behind the staff pages. Created (and kept up to date) by `seed_demo`; a superuser adds
real staff to it in the admin (Users → Groups). Admin permissions are site-wide, not per pilot:
give the group only to people trusted with every pilot."""

from __future__ import annotations

from django.contrib.auth.models import Group as PermissionGroup
from django.contrib.auth.models import Permission
from django.db import transaction
from django.db.models import Q

from profiles.models import User

PILOT_STAFF_GROUP = "Pilot staff"
# app label -> model -> actions (Django's default permissions: view, add, change, delete).
PILOT_STAFF_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "pilots": {
        "pilot": ("view", "change"),
        "week": ("view", "change"),
        "material": ("view", "add", "change"),
        "announcement": ("view", "add", "change"),
        "participation": ("view", "change"),
        "invitation": ("view",),
    },
    "groups": {
        "group": ("view", "add", "change"),
        "groupmember": ("view", "add", "change", "delete"),
    },
    "messaging": {"report": ("view", "change")},
}


def pilot_staff_permissions() -> list[Permission]:
    wanted = Q(pk__in=[])
    for app_label, models in PILOT_STAFF_PERMISSIONS.items():
        for model, actions in models.items():
            wanted |= Q(
                content_type__app_label=app_label,
                codename__in=[f"{action}_{model}" for action in actions],
            )
    return list(Permission.objects.filter(wanted))


@transaction.atomic
def ensure_pilot_staff_group() -> PermissionGroup:
    """The group with exactly its permissions (idempotent)."""
    group, _created = PermissionGroup.objects.get_or_create(name=PILOT_STAFF_GROUP)
    group.permissions.set(pilot_staff_permissions())
    return group


def grant_pilot_staff(*, user: User) -> None:
    """Make `user` project staff with the admin permissions staff need."""
    group = ensure_pilot_staff_group()
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(group)


def can_use_admin(user: User) -> bool:
    """Whether the admin would show `user` anything: an active superuser, or active staff
    with at least one permission of their own or through a group (one query)."""
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    return Permission.objects.filter(Q(user=user) | Q(group__user=user)).exists()
