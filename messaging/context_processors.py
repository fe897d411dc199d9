from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from messaging.models import Notification


def notifications(request: HttpRequest) -> dict[str, Any]:
    """The unread count in the navigation; one query, only on pages that show it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "unread_notifications": SimpleLazyObject(
            lambda: Notification.objects.filter(user=user).unread().count()  # type: ignore[arg-type,return-value]
        )
    }
