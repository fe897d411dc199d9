"""Messaging's scheduled work ("do what is due now"), run by Celery beat every minute."""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from messaging.services.delivery import enqueue
from messaging.services.digests import send_digests, send_message_emails

logger = logging.getLogger(__name__)


@dataclass
class DueReport:
    requeued: int = 0
    digests: int = 0
    message_emails: int = 0


def run_due(*, now: datetime.datetime | None = None) -> DueReport:
    """Messaging's scheduled work: the outbox sweeper (rows pending longer than
    DELIVERY_SWEEP_AFTER go to the workers again), the daily digests and the new-message
    e-mails. Idempotent; one part that fails is logged and does not hold back the others."""
    now = now or timezone.now()
    report = DueReport()
    try:
        report.requeued = enqueue(
            older_than=now - datetime.timedelta(seconds=settings.DELIVERY_SWEEP_AFTER)
        )
    except Exception:
        logger.exception("Outbox not swept; the next run tries again")
    try:
        report.digests = send_digests(now=now)
    except Exception:
        logger.exception("Digests not sent; the next run tries again")
    try:
        report.message_emails = send_message_emails(now=now)
    except Exception:
        logger.exception("Message e-mails not queued; the next run tries again")
    return report
