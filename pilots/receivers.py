"""Pilots answer profiles' questions about circles: a pilot is one (profiles.signals)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from pilots import services
from profiles.signals import circle_managed, circle_members


@receiver(circle_members, dispatch_uid="pilots_circle_members")
def pilot_members(sender: Any, user: Any, **kwargs: Any) -> Any:
    return services.fellow_member_ids(user)


@receiver(circle_managed, dispatch_uid="pilots_circle_managed")
def pilot_managed(sender: Any, user: Any, **kwargs: Any) -> Any:
    return services.managed_member_ids(user)
