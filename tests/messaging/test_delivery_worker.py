"""Delivery through the outbox with a real Celery worker and a real SMTP server on loopback.

The test process is "the web side": it calls the pilots' services, which commit the outbox and
enqueue to Redis. The worker (a separate process, on the test database) delivers: in-app
notifications, and e-mail to the aiosmtpd server of `smtp_server`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from celery.signals import before_task_publish
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from messaging import services as messaging
from messaging.models import Broadcast, Delivery, Kind, Notification, NotificationSetting
from pilots import services
from pilots.models import Announcement, Pilot, Role
from profiles.models import User
from tests.support.delivery import RETRY_BASE_DELAY, SMTPRecorder, Worker
from tests.support.processes import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def announce(pilot: Pilot, staff_sam: User) -> Callable[..., Announcement]:
    def make(
        title: str = "Kick-off on Monday", body: str = "We meet at 9 in the big hall."
    ) -> Announcement:
        return Announcement.objects.create(pilot=pilot, author=staff_sam, title=title, body=body)

    return make


def participants(pilot: Pilot) -> list[User]:
    return list(User.objects.filter(participations__pilot=pilot).order_by("pk"))


def nothing_pending() -> bool:
    return not Delivery.objects.filter(status=Delivery.Status.PENDING).exists()


def email_row(announcement: Announcement, user: User) -> Delivery:
    return Delivery.objects.get(
        broadcast__source=f"announcement:{announcement.pk}",
        recipient=user,
        channel=Delivery.Channel.EMAIL,
    )


def test_announcement_reaches_every_recipient_once_in_app_and_once_by_email(
    pilot: Pilot,
    announce: Callable[..., Announcement],
    make_user: Callable[..., User],
    celery_worker: Worker,
    smtp_server: SMTPRecorder,
) -> None:
    for number in range(5):
        services.add_participant(pilot=pilot, user=make_user(f"Actor {number}"), role=Role.ACTOR)
    people = participants(pilot)
    announcement = announce()

    assert services.send_announcement(announcement=announcement)

    wait_until(lambda: smtp_server.count() >= len(people) and nothing_pending(), "delivery")
    source = f"announcement:{announcement.pk}"
    assert Delivery.objects.filter(broadcast__source=source).count() == 2 * len(people)
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}
    for person in people:
        notification = Notification.objects.get(user=person, source=source)
        assert notification.subject == "Kick-off on Monday"
        assert notification.body == "We meet at 9 in the big hall."
        assert notification.url == announcement.get_absolute_url()
        (mail,) = smtp_server.received_by(person.email)
        assert "Kick-off on Monday" in mail.subject
        assert "We meet at 9 in the big hall." in mail.text
        assert announcement.get_absolute_url() in mail.text
    assert smtp_server.count() == len(people)


def test_temporary_failure_is_retried_with_backoff_and_delivered_once(
    pilot: Pilot,
    announce: Callable[..., Announcement],
    alice: User,
    mentor_maria: User,
    celery_worker: Worker,
    smtp_server: SMTPRecorder,
) -> None:
    smtp_server.answer(alice.email, "451", "451", "250")
    smtp_server.answer(mentor_maria.email, "451", "250", at="DATA")
    announcement = announce()

    services.send_announcement(announcement=announcement)

    wait_until(nothing_pending, "the retries to finish")
    for person, tries in ((alice, 3), (mentor_maria, 2)):
        row = email_row(announcement, person)
        assert row.status == Delivery.Status.SENT
        assert row.attempts == tries
        assert row.last_error == ""
        assert len(smtp_server.received_by(person.email)) == 1
    assert smtp_server.rcpt_attempts[alice.email] == 3
    # Backoff: the n-th retry waits at least half of base * 2^n (jitter keeps the upper half).
    first, second, third = smtp_server.rcpt_times[alice.email]
    assert second - first >= RETRY_BASE_DELAY / 2
    assert third - second >= RETRY_BASE_DELAY * 2 / 2


def test_permanent_failure_is_marked_failed_once_and_shown_to_staff(
    pilot: Pilot,
    announce: Callable[..., Announcement],
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    client_for: Callable[[User], Client],
    celery_worker: Worker,
    smtp_server: SMTPRecorder,
    settings: Any,
) -> None:
    settings.DELIVERY_SWEEP_AFTER = 0  # the sweeper would take any row still pending
    smtp_server.answer(alice.email, "550")
    smtp_server.answer(mentor_maria.email, "554", at="DATA")
    announcement = announce()

    services.send_announcement(announcement=announcement)

    wait_until(nothing_pending, "delivery")
    for person, answer in ((alice, "550 5.1.1 No such user here"), (mentor_maria, "554 5.7.1")):
        row = email_row(announcement, person)
        assert row.status == Delivery.Status.FAILED
        assert row.attempts == 1
        assert row.last_error.startswith(answer)
    assert smtp_server.rcpt_attempts[alice.email] == 1
    assert len(smtp_server.received_by(staff_sam.email)) == 1
    # The in-app notification still reaches them.
    assert Notification.objects.filter(user=alice).count() == 1

    # No retry storm: nothing is left in the worker's hands (no retry waiting for its
    # countdown), the sweeper finds nothing, and the address was tried once.
    celery_worker.wait_idle()
    assert messaging.run_due().requeued == 0
    celery_worker.wait_idle()
    assert email_row(announcement, alice).attempts == 1
    assert smtp_server.rcpt_attempts[alice.email] == 1

    page = client_for(staff_sam).get(
        reverse("pilots:announcement_status", args=[pilot.slug, announcement.pk])
    )
    assert page.status_code == 200
    assert b"550 5.1.1 No such user here" in page.content
    assert alice.email.encode() in page.content


def test_rolled_back_transaction_sends_nothing(
    pilot: Pilot,
    announce: Callable[..., Announcement],
    staff_sam: User,
    celery_worker: Worker,
    smtp_server: SMTPRecorder,
) -> None:
    published: list[str] = []

    def record(sender: str, **kwargs: object) -> None:
        published.append(sender)

    before_task_publish.connect(record)
    try:
        announcement = announce()

        def send_then_fail() -> None:
            with transaction.atomic():
                assert services.send_announcement(announcement=announcement)
                raise RuntimeError("the request failed after sending")

        with pytest.raises(RuntimeError, match="failed after sending"):
            send_then_fail()
    finally:
        before_task_publish.disconnect(record)

    assert published == []
    assert not Broadcast.objects.exists()
    assert not Delivery.objects.exists()
    announcement.refresh_from_db()
    assert announcement.sent_at is None
    # A later announcement goes through the same queue and worker: only its mails arrive.
    later = announce("Later", "This one is real.")
    services.send_announcement(announcement=later)
    wait_until(lambda: smtp_server.count() == 3 and nothing_pending(), "the later announcement")
    assert {mail.subject for mail in smtp_server.messages} == {"[Mentoring] Later"}
    assert set(Notification.objects.values_list("subject", flat=True)) == {"Later"}


def test_notification_settings_decide_about_email(
    pilot: Pilot,
    announce: Callable[..., Announcement],
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    celery_worker: Worker,
    smtp_server: SMTPRecorder,
) -> None:
    messaging.set_email_choice(user=alice, kind=Kind.ANNOUNCEMENT, email="off")
    messaging.set_email_choice(user=mentor_maria, kind=Kind.ANNOUNCEMENT, email="digest")
    messaging.set_email_choice(user=staff_sam, kind=Kind.WEEK, email="off")  # another kind
    first, second = announce("First news", "One."), announce("Second news", "Two.")

    services.send_announcement(announcement=first)
    services.send_announcement(announcement=second)

    wait_until(lambda: len(smtp_server.received_by(staff_sam.email)) == 2, "sam's mails")
    wait_until(nothing_pending, "delivery")
    for person in (alice, mentor_maria, staff_sam):
        assert Notification.objects.filter(user=person).count() == 2
    assert not Delivery.objects.filter(recipient=alice, channel=Delivery.Channel.EMAIL).exists()
    waiting = Delivery.objects.filter(recipient=mentor_maria, channel=Delivery.Channel.EMAIL)
    assert {row.status for row in waiting} == {Delivery.Status.DIGEST}
    assert smtp_server.received_by(alice.email) == []
    assert smtp_server.received_by(mentor_maria.email) == []

    # The next day's "do what is due", run by the worker as beat would: one digest with both.
    waiting.update(created_at=timezone.now() - datetime.timedelta(days=1, hours=1))
    from messaging.tasks import run_due

    run_due.delay()
    run_due.delay()
    celery_worker.wait_idle()
    assert not Delivery.objects.filter(status=Delivery.Status.DIGEST).exists()
    (digest,) = smtp_server.received_by(mentor_maria.email)
    assert "digest" in digest.subject
    assert "First news" in digest.text
    assert "Second news" in digest.text
    assert smtp_server.received_by(alice.email) == []
    assert NotificationSetting.objects.get(user=alice).email == "off"
