"""`{{ user|can_use_admin }}`: the navigation shows the Admin link only where it leads
somewhere (mentoring.admin_access)."""

from __future__ import annotations

from typing import Any

from django import template

from mentoring import admin_access

register = template.Library()


@register.filter
def can_use_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and admin_access.can_use_admin(user)
