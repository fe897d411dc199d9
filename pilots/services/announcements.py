"""Announcements from a pilot's staff, now or at a set time."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from messaging import services as messaging
from messaging.models import Kind
from pilots.models import Announcement, Pilot
from pilots.services.lifecycle import ensure_open
from pilots.services.membership import recipient_ids
from pilots.texts import Versions, broadcast_texts, set_versions
from profiles.models import User


def send_announcement(*, announcement: Announcement, now: datetime.datetime | None = None) -> bool:
    """Send the announcement if it is due and not sent yet; True if this call sent it."""
    now = now or timezone.now()
    if announcement.send_at and announcement.send_at > now:
        return False
    ensure_open(announcement.pilot)
    with transaction.atomic():
        # The conditional update is the lock: of two concurrent callers, one wins.
        unsent = Announcement.objects.filter(pk=announcement.pk, sent_at__isnull=True)
        won = unsent.update(sent_at=now)
        if not won:
            return False
        messaging.broadcast(
            kind=Kind.ANNOUNCEMENT,
            source=announcement.source,
            context=announcement.pilot.context,
            # In each recipient's language, as far as staff wrote it (else the fallback).
            **broadcast_texts(lambda: (announcement.title, announcement.body)),
            url=announcement.get_absolute_url(),
            recipient_ids=recipient_ids(pilot=announcement.pilot, audience=announcement.audience),
        )
    announcement.sent_at = now
    return True


def post_announcement(
    *,
    pilot: Pilot,
    author: User,
    title: Versions,
    body: Versions,
    audience: str,
    send_at: datetime.datetime | None = None,
    now: datetime.datetime | None = None,
) -> Announcement:
    """Save an announcement and send it now unless `send_at` is later (`run_due` sends it then).
    `title` and `body` are per language ({"fi": …, "en": …}), or the active language's.

    Raises PilotClosed for a closed or archived pilot.
    """
    ensure_open(pilot)
    now = now or timezone.now()
    with transaction.atomic():
        announcement = Announcement(pilot=pilot, author=author, audience=audience, send_at=send_at)
        set_versions(announcement, title=title, body=body)
        announcement.save()
        if send_at is None or send_at <= now:
            send_announcement(announcement=announcement, now=now)
    return announcement
