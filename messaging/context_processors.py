from __future__ import annotations

from typing import Any

from django.db.models import Func, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from messaging.models import Notification
from messaging.services import conversations
from profiles.models import User


def _count(rows: QuerySet[Any]) -> Coalesce:
    # COUNT as a plain function: no GROUP BY, one row per subquery.
    counted = rows.order_by().annotate(n=Func("pk", function="COUNT")).values("n")
    return Coalesce(Subquery(counted), Value(0))


def _navigation_counts(user: Any) -> dict[str, int]:
    row = (
        User.objects.filter(pk=user.pk)
        .annotate(
            unread_notifications=_count(Notification.objects.filter(user=user).unread()),
            unread_messages=_count(conversations.unread_messages(user=user)),
        )
        .values("unread_notifications", "unread_messages")
        .first()
    )
    if row is None:  # the user was deleted during the request
        return {"unread_notifications": 0, "unread_messages": 0}
    return {
        "unread_notifications": row["unread_notifications"],
        "unread_messages": row["unread_messages"],
    }


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread counts in the navigation (notifications, conversation messages): one query
    for both, only on pages that show them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    counts = SimpleLazyObject(lambda: _navigation_counts(user))
    return {
        "unread_notifications": SimpleLazyObject(lambda: counts["unread_notifications"]),
        "unread_conversations": SimpleLazyObject(lambda: counts["unread_messages"]),
    }
