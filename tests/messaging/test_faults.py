"""Process-level faults of delivery: a worker killed mid-broadcast, the broker away when staff
send an announcement, the weekly schedule run twice and concurrently. Real worker processes,
Redis, PostgreSQL and an SMTP server on loopback; every wait is bounded.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from messaging import services as messaging
from messaging.models import Broadcast, Conversation, Delivery, Message, Notification
from messaging.services import conversations
from pilots import services
from pilots.models import Announcement, Participation, Pilot, Role, Week
from profiles.models import User
from tests.support.delivery import SMTPRecorder, Worker, broker_at
from tests.support.processes import free_port, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

BROADCAST_SIZE = 300


def add_people(pilot: Pilot, count: int) -> list[User]:
    users = User.objects.bulk_create(
        [
            User(email=f"crowd{number}@example.com", display_name=f"Crowd Member {number}")
            for number in range(count)
        ]
    )
    Participation.objects.bulk_create(
        [Participation(pilot=pilot, user=user, role=Role.ACTOR) for user in users]
    )
    return users


def everyone(pilot: Pilot) -> list[User]:
    return list(User.objects.filter(participations__pilot=pilot).order_by("pk"))


def pending() -> int:
    return Delivery.objects.filter(status=Delivery.Status.PENDING).count()


def sent_emails() -> int:
    return Delivery.objects.filter(
        channel=Delivery.Channel.EMAIL, status=Delivery.Status.SENT
    ).count()


def test_worker_killed_mid_broadcast_loses_nothing_and_doubles_at_most_the_mail_in_flight(
    pilot: Pilot,
    staff_sam: User,
    worker_factory: Callable[..., Worker],
    smtp_server: SMTPRecorder,
    settings: Any,
) -> None:
    add_people(pilot, BROADCAST_SIZE - 3)
    people = everyone(pilot)
    assert len(people) == BROADCAST_SIZE
    smtp_server.delay = 0.01  # about 3 s of mail in all: the kill lands in the middle
    first = worker_factory()
    announcement = Announcement.objects.create(
        pilot=pilot, author=staff_sam, title="Big news", body="For all of you."
    )

    services.send_announcement(announcement=announcement)
    wait_until(lambda: smtp_server.count() >= 60, "the first mails", interval=0.01)
    first.kill()

    assert sent_emails() < BROADCAST_SIZE, "the kill should land before the broadcast ends"
    assert pending() > 0
    worker_factory()  # the restarted worker takes what is still queued
    settings.DELIVERY_SWEEP_AFTER = 0  # and the sweeper what the killed worker held
    messaging.run_due()
    wait_until(lambda: pending() == 0, "the broadcast to finish")

    source = f"announcement:{announcement.pk}"
    statuses = Delivery.objects.filter(broadcast__source=source).values_list("status", flat=True)
    assert set(statuses) == {Delivery.Status.SENT}
    for person in people:
        assert Notification.objects.filter(user=person, source=source).count() == 1
    received = smtp_server.per_recipient()
    assert {person.email for person in people} <= set(received)  # none missing
    duplicates = sum(count - 1 for count in received.values())
    assert duplicates <= 1, f"{duplicates} duplicate mails"
    assert sum(received.values()) == BROADCAST_SIZE + duplicates


def test_broker_down_when_staff_send_an_announcement_delivers_after_it_returns(
    pilot: Pilot,
    staff_sam: User,
    client_for: Callable[[User], Client],
    celery_worker: Worker,
    smtp_server: SMTPRecorder,
    settings: Any,
) -> None:
    people = everyone(pilot)
    closed_port = free_port()

    with broker_at(f"redis://127.0.0.1:{closed_port}/0"):
        started = timezone.now()
        response = client_for(staff_sam).post(
            reverse("pilots:new_announcement", args=[pilot.slug]),
            {
                "title_en": "Room change",
                "body_en": "We meet in B204.",
                "audience": "everyone",
                "when": "now",
            },
        )
        took = timezone.now() - started

    announcement = Announcement.objects.get(title="Room change")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "pilots:announcement_status", args=[pilot.slug, announcement.pk]
    )
    assert took.total_seconds() < 10, "a broker that is down must not hang the request"
    assert announcement.sent_at is not None
    source = f"announcement:{announcement.pk}"
    rows = Delivery.objects.filter(broadcast__source=source)
    assert rows.count() == 2 * len(people)
    assert set(rows.values_list("status", flat=True)) == {Delivery.Status.PENDING}
    celery_worker.wait_idle()  # nothing reached the worker
    assert pending() == 2 * len(people)
    assert not Notification.objects.exists()
    assert smtp_server.count() == 0

    settings.DELIVERY_SWEEP_AFTER = 0
    report = messaging.run_due()  # the broker is back: the sweeper enqueues what waits

    assert report.requeued == 2 * len(people)
    wait_until(lambda: pending() == 0 and smtp_server.count() == len(people), "delivery")
    for person in people:
        assert Notification.objects.filter(user=person, source=source).count() == 1
        assert len(smtp_server.received_by(person.email)) == 1


def test_run_due_twice_and_concurrently_sends_one_weekly_broadcast(
    pilot: Pilot, celery_worker: Worker, smtp_server: SMTPRecorder
) -> None:
    add_people(pilot, 20)
    people = everyone(pilot)
    week = pilot.current_week()
    assert week is not None
    Week.objects.filter(pk=week.pk).update(
        theme="Future skills and working life", prompts="Which skill surprised you?"
    )
    start = threading.Barrier(2, timeout=30)
    reports: list[services.DueReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            reports.append(services.run_due())
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    reports.append(services.run_due())
    reports.append(services.run_due())

    assert errors == []
    assert len(reports) == 4
    assert sum(report.weeks for report in reports) == 1
    assert Broadcast.objects.filter(source=f"week:{week.pk}").count() == 1
    assert Delivery.objects.count() == 2 * len(people)
    wait_until(lambda: pending() == 0 and smtp_server.count() >= len(people), "delivery")
    celery_worker.wait_idle()
    for person in people:
        (notification,) = Notification.objects.filter(user=person)
        assert "Future skills and working life" in notification.subject
        assert "Which skill surprised you?" in notification.body
    received = smtp_server.per_recipient()
    assert sorted(received) == sorted(person.email for person in people)
    assert set(received.values()) == {1}


class NotEnqueued:
    def delay(self, ids: list[int]) -> None:
        pass


def test_two_tasks_holding_the_same_rows_send_each_mail_once(
    pilot: Pilot,
    staff_sam: User,
    smtp_server: SMTPRecorder,
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A sweeper's copy of a chunk, or a redelivered message, running beside the original on
    another worker process: the per-mail claim lets only one of them send each mail."""
    monkeypatch.setattr("messaging.tasks.deliver", NotEnqueued())  # the threads are the tasks
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": smtp_server.host, "port": smtp_server.port, "timeout": 10},
        }
    }
    smtp_server.delay = 0.05  # about 2 s in all
    add_people(pilot, 37)
    people = everyone(pilot)
    announcement = Announcement.objects.create(
        pilot=pilot, author=staff_sam, title="Twice?", body="Once."
    )
    services.send_announcement(announcement=announcement)
    ids = list(Delivery.objects.filter(channel=Delivery.Channel.EMAIL).values_list("pk", flat=True))
    sent: list[list[int]] = []
    errors: list[BaseException] = []
    mails_when_second_started: list[int] = []

    def first_mail_arrived() -> bool:
        deadline = time.monotonic() + 30
        while smtp_server.count() == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        return smtp_server.count() > 0

    def task(*, after_first_mail: bool) -> None:
        try:
            # The second task starts while the first is sending (it has about 2 s to go), so
            # the two overlap also on a loaded machine.
            if after_first_mail:
                if not first_mail_arrived():
                    raise AssertionError("the first task sent nothing within 30 s")
                mails_when_second_started.append(smtp_server.count())
            sent.append(messaging.deliver(delivery_ids=ids).sent)
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=task, kwargs={"after_first_mail": after}) for after in (False, True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sorted(sent[0] + sent[1]) == sorted(ids)
    # The second held the same rows while the first was sending them. (It may send none: it
    # waits on the row the first is sending, and the first is usually at the next one first.)
    assert 0 < mails_when_second_started[0] < len(ids) - 5
    received = smtp_server.per_recipient()
    assert sorted(received) == sorted(person.email for person in people)
    assert set(received.values()) == {1}
    rows = Delivery.objects.filter(pk__in=ids)
    assert set(rows.values_list("status", "attempts")) == {(Delivery.Status.SENT, 1)}


def test_the_start_form_posted_twice_at_once_starts_one_conversation(
    pilot: Pilot, alice: User, mentor_maria: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two requests with the same client id, both past the "already started?" check: one
    stores the first message, the other rolls back and leads to the same conversation."""
    both_checked = threading.Barrier(2, timeout=30)
    real_check = conversations.check_may_start

    def check_together(**kwargs: Any) -> None:
        real_check(**kwargs)
        both_checked.wait()

    monkeypatch.setattr(conversations, "check_may_start", check_together)
    client_id = uuid.uuid4()
    started: list[int] = []
    errors: list[BaseException] = []

    def post() -> None:
        try:
            conversation = services.start_pilot_conversation(
                sender=alice,
                recipient=mentor_maria,
                subject="How do I start?",
                body="My first question",
                client_id=client_id,
            )
            started.append(conversation.pk)
        except BaseException as error:  # reported in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(started) == 2
    assert started[0] == started[1]
    assert Conversation.objects.filter(pk=started[0]).exists()
    assert Conversation.objects.count() == 1
    assert Message.objects.get().client_id == client_id
