"""`{{ participation.role|role_in:pilot }}`: a role as the pilot names it ("Aktori")."""

from __future__ import annotations

from django import template

from pilots.models import Pilot

register = template.Library()


@register.filter
def role_in(role: str, pilot: Pilot) -> str:
    return pilot.role_label(role)
