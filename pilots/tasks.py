"""Celery tasks of pilots: ids in, services called."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from messaging.services import is_temporary
from pilots import invitations, services
from pilots.models import Invitation


@shared_task(acks_late=True)
def run_due() -> dict[str, int]:
    report = services.run_due()
    return vars(report)


class TemporaryFailure(Exception):
    """A failure worth trying again later (an SMTP 4xx answer, a dropped connection)."""


# Celery's own retries: a temporary SMTP failure is tried again after an exponential backoff
# from DELIVERY_RETRY_BASE_DELAY (whole seconds, at least 1) up to DELIVERY_RETRY_MAX_DELAY,
# with full jitter; a permanent one (5xx) fails the task at once.
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(TemporaryFailure,),
    max_retries=5,
    retry_backoff=settings.DELIVERY_RETRY_BASE_DELAY,
    retry_backoff_max=int(settings.DELIVERY_RETRY_MAX_DELAY),
    retry_jitter=True,
)
def send_invitation(invitation_id: int) -> bool:
    """E-mail one invitation."""
    invitation = (
        Invitation.objects.select_related("pilot", "invited_by").filter(pk=invitation_id).first()
    )
    if invitation is None:
        return False
    try:
        return invitations.send_invitation(invitation=invitation)
    except Exception as error:
        if is_temporary(error):
            raise TemporaryFailure(str(error)) from error
        raise
