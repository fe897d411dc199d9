"""The one way views and consumers reach a conversation or a message: 404 for missing and
not-allowed alike."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists
from django.http import Http404

from messaging.models import Conversation, Message, Participant
from profiles.access import get_profile_for_viewer
from profiles.models import User


def get_conversation_for_participant(user: User, pk: int) -> Conversation:
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such conversation.")
    try:
        return Conversation.objects.of_user(user).get(pk=pk)
    except Conversation.DoesNotExist:
        raise Http404("No such conversation.") from None


def get_message_for_participant(user: User, pk: int) -> Message:
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such message.")
    try:
        return Message.objects.select_related("conversation", "sender").get(
            pk=pk,
            conversation__participants__user=user,
            conversation__participants__left_at__isnull=True,
        )
    except Message.DoesNotExist:
        raise Http404("No such message.") from None


def get_person_for_user(user: User, pk: int) -> Any:
    """Someone `user` may block or report: a person they share a conversation with, or whose
    profile they may see."""
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such person.")
    shares = Participant.objects.filter(user_id=pk, conversation__participants__user=user).exclude(
        user=user
    )
    person = User.objects.filter(pk=pk).filter(Exists(shares)).first()
    if person is not None:
        return person
    return get_profile_for_viewer(user, pk).user
