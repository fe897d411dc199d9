"""Pilots' scheduled work: "do what is due now" (Celery beat runs it every minute)."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.utils import timezone

from pilots.models import Announcement, Pilot, Week
from pilots.services.announcements import send_announcement
from pilots.services.nudges import send_nudges
from pilots.services.schedule import publish_week
from pilots.texts import written

logger = logging.getLogger(__name__)


@dataclass
class DueReport:
    weeks: int = 0
    announcements: int = 0
    nudges: int = 0


def run_due(*, now: datetime.datetime | None = None) -> DueReport:
    """Do what is due now. Idempotent: a second run, also a concurrent one, sends nothing new.

    Weeks of running pilots whose theme is written go out on their first day (or later that
    week, once staff write the theme); scheduled announcements go out at their time; nudges
    once each. One item that fails is logged and does not hold back the others: the next run
    tries it again. Messaging's own scheduled work (the outbox sweeper, digests, new-message
    e-mails) is `messaging.services.run_due`.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    report = DueReport()
    due_weeks = (
        Week.objects.filter(
            pilot__status=Pilot.Status.RUNNING,
            broadcast_at__isnull=True,
            starts_on__lte=today,
            ends_on__gte=today,
        )
        .filter(written("theme"))
        .select_related("pilot")
    )
    for week in due_weeks:
        try:
            report.weeks += publish_week(week=week, now=now)
        except Exception:
            logger.exception("Week %s not published; the next run tries again", week.pk)
    due_announcements = (
        Announcement.objects.filter(sent_at__isnull=True, send_at__lte=now)
        .exclude(pilot__status__in=[Pilot.Status.CLOSED, Pilot.Status.ARCHIVED])
        .select_related("pilot")
    )
    for announcement in due_announcements:
        try:
            report.announcements += send_announcement(announcement=announcement, now=now)
        except Exception:
            logger.exception("Announcement %s not sent; the next run tries again", announcement.pk)
    try:
        report.nudges = send_nudges(now=now)
    except Exception:
        logger.exception("Nudges not sent; the next run tries again")
    return report
