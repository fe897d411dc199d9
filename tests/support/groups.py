"""Helpers of the group (group) tests."""

from __future__ import annotations

from groups.models import Group


def participant_ids(group: Group) -> set[int]:
    """Who may read and write the group's conversation now."""
    return set(
        group.conversation.participants.filter(left_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
