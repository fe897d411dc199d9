"""Celery tasks. They take ids, and call services; the outbox rows are the truth."""

from __future__ import annotations

import random

from celery import shared_task
from django.conf import settings

from messaging import services


def backoff(retries: int) -> float:
    """Exponential backoff with jitter, capped: between half the ceiling and the ceiling, so
    retries of many rows spread out and none comes back sooner than half the planned wait."""
    ceiling = services.retry_ceiling(retries)
    return random.uniform(ceiling / 2, ceiling)  # jitter, not cryptography


# acks_late with reject_on_worker_lost: a task cut off by a dying worker runs again; the rows'
# status and the claim in services.deliver make that harmless.
# Retries are by hand, not Celery's autoretry_for / retry_backoff: a chunk's delivery does not
# fail as a whole (it returns the rows that are worth retrying, and only those go round again),
# and Celery's backoff counts whole seconds with full jitter (a retry may come at once), where
# ours keeps the upper half of the wait (tests/messaging/test_delivery_worker.py asserts it).
@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def deliver(self, delivery_ids: list[int]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    outcome = services.deliver(delivery_ids=delivery_ids)
    if outcome.retry:
        if self.request.retries >= settings.DELIVERY_MAX_RETRIES:
            services.give_up(delivery_ids=outcome.retry)
        else:
            raise self.retry(args=[outcome.retry], countdown=backoff(self.request.retries))
    return {"sent": len(outcome.sent), "failed": len(outcome.failed), "retry": len(outcome.retry)}


@shared_task(acks_late=True)
def run_due() -> dict[str, int]:
    """Messaging's scheduled work (Celery beat, every minute): sweeper, digests, e-mails."""
    return vars(services.run_due())
