"""The one way views and consumers reach a conversation or a message: 404 for missing and
not-allowed alike."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from messaging.models import Conversation, Message


def get_conversation_for_participant(user: Any, pk: int) -> Conversation:
    if not getattr(user, "is_authenticated", False):
        raise Http404("No such conversation.")
    try:
        return Conversation.objects.of_user(user).get(pk=pk)
    except Conversation.DoesNotExist:
        raise Http404("No such conversation.") from None


def get_message_for_participant(user: Any, pk: int) -> Message:
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
