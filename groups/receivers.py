"""Groups follow their pilot (pilots.signals): each receiver calls one of groups' services."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from groups import listing, services
from pilots.signals import (
    capacity_contexts,
    moderation_contexts,
    participant_removed,
    pilot_closed,
    pilot_page_sections,
    pilot_reopened,
)


@receiver(pilot_closed, dispatch_uid="groups_lock_on_pilot_closed")
def lock_on_pilot_closed(sender: Any, pilot: Any, **kwargs: Any) -> None:
    services.lock_pilot_conversations(pilot=pilot)


@receiver(pilot_reopened, dispatch_uid="groups_unlock_on_pilot_reopened")
def unlock_on_pilot_reopened(sender: Any, pilot: Any, **kwargs: Any) -> None:
    services.unlock_pilot_conversations(pilot=pilot)


@receiver(participant_removed, dispatch_uid="groups_leave_on_participant_removed")
def leave_on_participant_removed(sender: Any, pilot: Any, user: Any, **kwargs: Any) -> None:
    services.leave_pilot_groups(pilot=pilot, user=user)


@receiver(moderation_contexts, dispatch_uid="groups_moderation_contexts")
def group_contexts(sender: Any, pilot: Any, **kwargs: Any) -> list[str]:
    """Reports about messages in a pilot's groups reach that pilot's moderation queue."""
    return services.group_contexts(pilot=pilot)


@receiver(pilot_page_sections, dispatch_uid="groups_pilot_page_section")
def pilot_page_section(sender: Any, participation: Any, request: Any, **kwargs: Any) -> str:
    """The pilot's page lists the person's pairs and groups there, and groups to join."""
    return listing.pilot_section(participation=participation, request=request)


@receiver(capacity_contexts, dispatch_uid="groups_capacity_contexts")
def professional_contexts(sender: Any, user_ids: Any, **kwargs: Any) -> list[tuple[int, str]]:
    """A mentor's pairs and mentoring groups count against their capacity."""
    return services.professional_contexts(user_ids=user_ids)
