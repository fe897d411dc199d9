""" "Do what is due now": weekly themes on their first day, scheduled announcements at their
time, idempotent however often it runs. Delivery runs in this process here (eager tasks); the
real worker is tested in tests/messaging/.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from mentoring.celery import app as celery_app
from messaging.models import Broadcast, Delivery, Notification
from pilots import services
from pilots.models import Announcement, Pilot, Week
from profiles.models import User

pytestmark = pytest.mark.usefixtures("eager_tasks")

THEME = "What I expect from speed mentoring"


def run_due(**kwargs: Any) -> services.DueReport:
    """One run, as if in its own transaction: what it commits is delivered at once."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return services.run_due(**kwargs)


def current_week(pilot: Pilot, **fields: Any) -> Week:
    week = pilot.current_week()
    assert week is not None
    for name, value in fields.items():
        setattr(week, name, value)
    week.save()
    return week


def test_due_week_is_published_once_with_its_theme(
    pilot: Pilot, alice: User, mentor_maria: User, staff_sam: User
) -> None:
    week = current_week(pilot, theme=THEME, prompts="Why did you join?\nWhat worries you?")

    first, second = run_due(), run_due()

    assert (first.weeks, second.weeks) == (1, 0)
    assert Broadcast.objects.filter(source=f"week:{week.pk}").count() == 1
    for person in (alice, mentor_maria, staff_sam):
        (notification,) = Notification.objects.filter(user=person)
        assert THEME in notification.subject
        assert "- Why did you join?" in notification.body
        assert notification.url == pilot.get_absolute_url()
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [alice.email, mentor_maria.email, staff_sam.email]
    )
    assert THEME in mail.outbox[0].subject
    week.refresh_from_db()
    assert week.broadcast_at is not None


def test_past_and_future_weeks_are_not_published(pilot: Pilot) -> None:
    pilot.weeks.update(theme=THEME)
    today = timezone.localdate()

    run_due()

    published = pilot.weeks.filter(broadcast_at__isnull=False)
    assert [(w.starts_on <= today <= w.ends_on) for w in published] == [True]
    assert Broadcast.objects.count() == 1


def test_future_week_is_published_on_its_first_day(pilot: Pilot, alice: User) -> None:
    pilot.weeks.update(theme=THEME)
    current = pilot.current_week()
    assert current is not None
    next_week = pilot.weeks.get(number=current.number + 1)
    run_due()

    evening_before = timezone.make_aware(
        datetime.datetime.combine(next_week.starts_on, datetime.time(0, 0))
    ) - datetime.timedelta(minutes=1)
    assert run_due(now=evening_before).weeks == 0
    assert run_due(now=evening_before + datetime.timedelta(minutes=2)).weeks == 1
    assert Notification.objects.filter(user=alice, source=f"week:{next_week.pk}").count() == 1


@pytest.mark.parametrize(
    "status",
    [Pilot.Status.DRAFT, Pilot.Status.RECRUITING, Pilot.Status.CLOSED, Pilot.Status.ARCHIVED],
)
def test_weeks_of_pilots_that_are_not_running_are_not_published(pilot: Pilot, status: str) -> None:
    current_week(pilot, theme=THEME)
    Pilot.objects.filter(pk=pilot.pk).update(status=status)

    assert run_due().weeks == 0
    assert not Broadcast.objects.exists()
    assert not Notification.objects.exists()


def test_week_without_a_theme_waits_until_staff_write_one(pilot: Pilot, alice: User) -> None:
    week = current_week(pilot, theme="")
    assert run_due().weeks == 0

    current_week(pilot, theme=THEME)

    assert run_due().weeks == 1
    assert Notification.objects.get(user=alice).source == f"week:{week.pk}"


def test_scheduled_announcement_is_sent_when_due_and_not_before(
    pilot: Pilot, staff_sam: User, alice: User
) -> None:
    now = timezone.now()
    announcement = services.post_announcement(
        pilot=pilot,
        author=staff_sam,
        title="Orientation closes on Friday",
        body="Finish the required materials.",
        audience="actor",
        send_at=now + datetime.timedelta(hours=2),
    )
    assert announcement.sent_at is None

    assert run_due(now=now + datetime.timedelta(hours=1)).announcements == 0
    assert not Notification.objects.exists()
    assert run_due(now=now + datetime.timedelta(hours=2)).announcements == 1
    assert run_due(now=now + datetime.timedelta(hours=3)).announcements == 0

    (notification,) = Notification.objects.all()  # to actors only: alice
    assert notification.user == alice
    assert notification.subject == "Orientation closes on Friday"
    announcement.refresh_from_db()
    assert announcement.sent_at == now + datetime.timedelta(hours=2)
    assert [message.to for message in mail.outbox] == [[alice.email]]


def test_scheduled_announcement_of_a_closed_pilot_is_not_sent(
    pilot: Pilot, staff_sam: User
) -> None:
    announcement = Announcement.objects.create(
        pilot=pilot,
        author=staff_sam,
        title="Too late",
        body="The pilot closed before this.",
        send_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    Pilot.objects.filter(pk=pilot.pk).update(status=Pilot.Status.CLOSED)

    assert run_due().announcements == 0
    announcement.refresh_from_db()
    assert announcement.sent_at is None
    assert not Delivery.objects.exists()


def test_one_failing_item_does_not_hold_back_the_others(
    pilot: Pilot,
    make_pilot: Callable[..., Pilot],
    staff_sam: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = current_week(pilot, theme="Broken")
    other = make_pilot("other-pilot")
    services.add_participant(pilot=other, user=staff_sam, role="staff")
    fine = current_week(other, theme=THEME)
    publish = services.publish_week

    def publish_or_fail(*, week: Week, **kwargs: Any) -> bool:
        if week.pk == broken.pk:
            raise RuntimeError("a bug in one pilot")
        return publish(week=week, **kwargs)

    monkeypatch.setattr("pilots.services.due.publish_week", publish_or_fail)
    assert run_due().weeks == 1
    assert Broadcast.objects.get().source == f"week:{fine.pk}"

    monkeypatch.setattr("pilots.services.due.publish_week", publish)
    assert run_due().weeks == 1  # the next run tries the failed one again
    assert Broadcast.objects.count() == 2


def test_management_command_runs_what_is_due_and_is_idempotent(pilot: Pilot, alice: User) -> None:
    current_week(pilot, theme=THEME)
    first, second = StringIO(), StringIO()

    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("run_due", stdout=first)
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("run_due", stdout=second)

    assert "weeks 1, announcements 0" in first.getvalue()
    assert second.getvalue() == ""
    assert Notification.objects.filter(user=alice).count() == 1
    assert Broadcast.objects.count() == 1


@pytest.mark.embedded
@pytest.mark.django_db(transaction=True)
def test_scheduled_work_fires_in_the_embedded_default(pilot: Pilot, alice: User) -> None:
    """`make run` has no broker: tasks run in-process, so the command delivers at once."""
    assert settings.CELERY_TASK_ALWAYS_EAGER is True, "run this in the embedded pass"
    assert celery_app.conf.task_always_eager is True
    week = current_week(pilot, theme=THEME)
    Announcement.objects.create(
        pilot=pilot,
        author=None,
        title="Scheduled hello",
        body="Sent by the schedule.",
        send_at=timezone.now() - datetime.timedelta(seconds=1),
    )

    call_command("run_due", stdout=StringIO())

    subjects = set(Notification.objects.filter(user=alice).values_list("subject", flat=True))
    assert subjects == {f"{week.number}. {THEME}", "Scheduled hello"}
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}
    assert len([m for m in mail.outbox if m.to == [alice.email]]) == 2
