"""Questions that wait for an answer: direct conversations in which only the person who
started it has written so far, seen from either side."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, Min, OuterRef, QuerySet

from messaging.models import Conversation, Message
from profiles.models import User

WAITING_LIMIT = 10


@dataclass(frozen=True)
class Waiting:
    conversation: Conversation
    since: datetime.datetime  # when the question was asked (its first message)


def _unanswered(user: User) -> QuerySet[Conversation]:
    """The user's open direct conversations in which nobody but the starter has written a
    visible message yet, oldest question first."""
    answered = Message.objects.filter(
        conversation=OuterRef("pk"), deleted_at__isnull=True, hidden_at__isnull=True
    ).exclude(sender=OuterRef("created_by"))
    return (
        Conversation.objects.of_user(user)
        .filter(kind=Conversation.Kind.DIRECT, read_only_since__isnull=True)
        .exclude(Exists(answered))
        .annotate(asked_at=Min("messages__created_at"))
        .filter(asked_at__isnull=False)
        .order_by("asked_at", "pk")
    )


def waiting_for(*, user: User, limit: int = WAITING_LIMIT) -> list[Waiting]:
    """Questions others asked `user` that `user` has not answered yet, oldest first, each with
    its asker (`conversation.created_by`). One query."""
    rows = _unanswered(user).exclude(created_by=user).select_related("created_by")[:limit]
    return [Waiting(row, row.asked_at) for row in rows]  # type: ignore[attr-defined]


def asked_by(*, user: User, limit: int = WAITING_LIMIT) -> list[Waiting]:
    """Questions `user` asked that nobody has answered yet, oldest first. One query."""
    rows = _unanswered(user).filter(created_by=user)[:limit]
    return [Waiting(row, row.asked_at) for row in rows]  # type: ignore[attr-defined]
