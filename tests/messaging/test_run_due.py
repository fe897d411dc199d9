"""Messaging's "do what is due now" (`messaging.services.run_due`, beat runs the task
`messaging.tasks.run_due`): the outbox sweeper, the daily digests and the "new messages"
e-mails; once however often it runs, and one part that fails holds back none of the others.
Delivery runs in this process (eager tasks); test_delivery_worker.py runs the task on a real
worker."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from celery import Task
from django.conf import settings
from django.core import mail
from django.utils import timezone
from django.utils.module_loading import import_string

from messaging import services as messaging
from messaging.models import Delivery, Kind, Notification
from messaging.services import conversations
from messaging.tasks import run_due as run_due_task
from pilots.models import Pilot
from profiles.models import User

pytestmark = pytest.mark.django_db

LATER = datetime.timedelta(minutes=11)  # past MESSAGE_EMAIL_DELAY and DELIVERY_SWEEP_AFTER
PARTS = {
    "enqueue": "requeued",
    "send_digests": "digests",
    "send_message_emails": "message_emails",
}


@pytest.fixture(autouse=True)
def _settings(settings: Any, eager_tasks: None) -> None:
    settings.MESSAGE_EMAIL_DELAY = 10 * 60
    settings.MESSAGE_EMAIL_INTERVAL = 60 * 60
    settings.DELIVERY_SWEEP_AFTER = 300


@pytest.fixture
def all_due(pilot: Pilot, alice: User, mentor_maria: User) -> datetime.datetime:
    """One of each, due at the returned time: an announcement to Alice whose rows were never
    enqueued (the broker was away), an item waiting for Maria's daily digest since the day
    before yesterday, and a message from Alice that Maria has not read."""
    messaging.broadcast(  # the test's transaction never commits: nothing is enqueued
        kind=Kind.ANNOUNCEMENT,
        source="test:stuck",
        subject="Kick-off",
        body="We meet on Monday.",
        url="/pilots/",
        recipient_ids=[alice.pk],
    )
    messaging.set_email_choice(user=mentor_maria, kind=Kind.ANNOUNCEMENT, email="digest")
    messaging.broadcast(
        kind=Kind.ANNOUNCEMENT,
        source="test:digest",
        subject="Weekly news",
        body="Plenty of it.",
        url="/pilots/",
        recipient_ids=[mentor_maria.pk],
    )
    Delivery.objects.filter(status=Delivery.Status.DIGEST).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    question = conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Q")
    conversations.send_message(
        sender=alice, conversation=question, body="Are you there?", client_id=uuid.uuid4()
    )
    return timezone.now() + LATER


def run(capture: Callable[..., Any], now: datetime.datetime) -> messaging.DueReport:
    """One run, as in its own transaction: what it commits is enqueued (and delivered) at once."""
    with capture(execute=True):
        return messaging.run_due(now=now)


def mails_to(user: User) -> list[str]:
    return sorted(str(message.subject) for message in mail.outbox if message.to == [user.email])


def test_it_sweeps_sends_digests_and_queues_message_emails_once(
    all_due: datetime.datetime,
    alice: User,
    mentor_maria: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    stuck = Delivery.objects.filter(status=Delivery.Status.PENDING).count()

    first = run(django_capture_on_commit_callbacks, all_due)
    second = run(django_capture_on_commit_callbacks, all_due)
    third = run(django_capture_on_commit_callbacks, all_due + datetime.timedelta(minutes=5))

    assert first == messaging.DueReport(requeued=stuck, digests=1, message_emails=1)
    assert second == third == messaging.DueReport()
    assert mails_to(alice) == ["[Mentoring] Kick-off"]
    assert mails_to(mentor_maria) == [
        "[Mentoring] New messages from Alice Actor",
        "[Mentoring] Your daily digest",
    ]
    assert Notification.objects.filter(user=alice, source="test:stuck").count() == 1
    assert not Delivery.objects.exclude(status=Delivery.Status.SENT).exists()


@pytest.mark.parametrize("failing", PARTS)
def test_one_failing_part_does_not_hold_back_the_others(
    failing: str,
    all_due: datetime.datetime,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    def broken(**kwargs: Any) -> int:
        raise RuntimeError(f"{failing} is broken")

    with monkeypatch.context() as patch:
        patch.setattr(f"messaging.services.due.{failing}", broken)
        with caplog.at_level(logging.ERROR, logger="messaging.services.due"):
            report = run(django_capture_on_commit_callbacks, all_due)

    assert getattr(report, PARTS[failing]) == 0
    assert all(getattr(report, field) > 0 for part, field in PARTS.items() if part != failing)
    assert f"{failing} is broken" in caplog.text
    # The next run does what the failing part left undone, and nothing twice.
    retried = run(django_capture_on_commit_callbacks, all_due)
    assert getattr(retried, PARTS[failing]) > 0
    assert all(getattr(retried, field) == 0 for part, field in PARTS.items() if part != failing)
    assert not Delivery.objects.exclude(status=Delivery.Status.SENT).exists()


def test_the_task_reports_what_it_did(
    all_due: datetime.datetime,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    monkeypatch.setattr("messaging.services.due.timezone", SimpleNamespace(now=lambda: all_due))
    with django_capture_on_commit_callbacks(execute=True):
        first = run_due_task.delay().get()
    with django_capture_on_commit_callbacks(execute=True):
        second = run_due_task.delay().get()
    assert first == {"requeued": 3, "digests": 1, "message_emails": 1}
    assert second == {"requeued": 0, "digests": 0, "message_emails": 0}


def test_beat_runs_each_apps_scheduled_work() -> None:
    tasks = {str(entry["task"]) for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks == {"pilots.tasks.run_due", "messaging.tasks.run_due"}
    for name in tasks:
        task = import_string(name)
        assert isinstance(task, Task)
        assert task.name == name
