"""Celery tasks of pilots: ids in, services called."""

from __future__ import annotations

from celery import shared_task

from messaging.services import is_temporary
from messaging.tasks import backoff
from pilots import invitations, services
from pilots.models import Invitation


@shared_task(acks_late=True)
def run_due() -> dict[str, int]:
    report = services.run_due()
    return vars(report)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=5)
def send_invitation(self, invitation_id: int) -> bool:  # type: ignore[no-untyped-def]
    """E-mail one invitation; temporary SMTP failures are retried with backoff."""
    invitation = (
        Invitation.objects.select_related("pilot", "invited_by").filter(pk=invitation_id).first()
    )
    if invitation is None:
        return False
    try:
        return invitations.send_invitation(invitation=invitation)
    except Exception as error:
        if is_temporary(error) and self.request.retries < self.max_retries:
            raise self.retry(countdown=backoff(self.request.retries)) from error
        raise
