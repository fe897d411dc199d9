"""Notifications as their owner handles them: read marks, and the e-mail choice per kind."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from messaging import events
from messaging.models import Kind, Notification, NotificationSetting


def mark_notifications_read(*, user: Any, notification_id: int | None = None) -> int:
    """Mark one notification, or with None all of the user's, as read."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    with transaction.atomic():
        count = unread.update(read_at=timezone.now())
        if count:  # the user's other tabs update their badge
            events.notifications_changed([user.pk])
    return count


def set_email_choice(*, user: Any, kind: str, email: str) -> None:
    if kind not in Kind.values or email not in NotificationSetting.Email.values:
        raise ValueError(f"Unknown notification setting {kind}={email}")
    NotificationSetting.objects.update_or_create(user=user, kind=kind, defaults={"email": email})
