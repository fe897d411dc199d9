"""Pilots answer profiles' questions (profiles.signals): a pilot is a circle, and its rules
decide whom a profile page offers a conversation with."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from pilots import services
from profiles.signals import circle_managed, circle_members, conversation_offers


@receiver(circle_members, dispatch_uid="pilots_circle_members")
def pilot_members(sender: Any, user: Any, **kwargs: Any) -> Any:
    return services.fellow_member_ids(user)


@receiver(circle_managed, dispatch_uid="pilots_circle_managed")
def pilot_managed(sender: Any, user: Any, **kwargs: Any) -> Any:
    return services.managed_member_ids(user)


@receiver(conversation_offers, dispatch_uid="pilots_conversation_offers")
def pilot_conversation_offers(sender: Any, viewer: Any, user_ids: Any, **kwargs: Any) -> Any:
    return services.conversation_offers(viewer=viewer, user_ids=user_ids)
