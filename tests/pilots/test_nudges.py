"""Gentle nudges through "do what is due": a mentor who has not answered an actor's question
in three days, an actor who has not started a conversation in the pilot's second week. Each
once. Delivery runs in this process (eager tasks, also on the main pass)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from messaging.models import Broadcast, Conversation, Kind, Notification
from messaging.services import conversations
from pilots import services
from pilots.models import Pilot, Role
from profiles.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]

LATER = datetime.timedelta(days=3, hours=1)


def run_due(capture: Callable[..., Any], now: datetime.datetime) -> services.DueReport:
    with capture(execute=True):
        return services.run_due(now=now)


def ask(actor: User, mentor: User, subject: str = "How do I write a CV?") -> Conversation:
    return services.start_pilot_conversation(
        sender=actor, recipient=mentor, subject=subject, body="Hello!", client_id=uuid.uuid4()
    )


def say(user: User, conversation: Conversation) -> None:
    conversations.send_message(
        sender=user, conversation=conversation, body="Thanks", client_id=uuid.uuid4()
    )


@pytest.fixture
def second_week_pilot(
    make_pilot: Callable[..., Pilot], alice: User, mentor_maria: User, staff_sam: User
) -> Pilot:
    """A running pilot in its second week (it started eight days ago)."""
    pilot = make_pilot("second-week", weeks_ago=0)
    Pilot.objects.filter(pk=pilot.pk).update(
        starts_on=timezone.localdate() - datetime.timedelta(days=8)
    )
    pilot.refresh_from_db()
    services.add_participant(pilot=pilot, user=alice, role=Role.ACTOR)
    services.add_participant(pilot=pilot, user=mentor_maria, role=Role.MENTOR)
    services.add_participant(pilot=pilot, user=staff_sam, role=Role.STAFF)
    return pilot


def test_mentor_who_has_not_answered_in_three_days_is_nudged_once(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    question = ask(alice, mentor_maria)

    assert run_due(django_capture_on_commit_callbacks, timezone.now()).nudges == 0
    first = run_due(django_capture_on_commit_callbacks, timezone.now() + LATER)
    second = run_due(django_capture_on_commit_callbacks, timezone.now() + LATER * 2)

    assert (first.nudges, second.nudges) == (1, 0)
    (nudge,) = Notification.objects.filter(source=f"nudge:answer:{question.pk}")
    assert nudge.user == mentor_maria
    assert nudge.kind == Kind.MESSAGE
    assert nudge.url == question.get_absolute_url()
    assert "How do I write a CV?" in nudge.body
    assert [m.to for m in mail.outbox if "waiting" in m.subject] == [[mentor_maria.email]]


def test_mentor_who_answered_is_not_nudged(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    question = ask(alice, mentor_maria)
    say(mentor_maria, question)

    assert run_due(django_capture_on_commit_callbacks, timezone.now() + LATER).nudges == 0
    assert not Broadcast.objects.filter(source__startswith="nudge:").exists()


def test_question_to_a_closed_conversation_is_not_nudged(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    question = ask(alice, mentor_maria)
    conversations.lock(conversation=question)

    assert run_due(django_capture_on_commit_callbacks, timezone.now() + LATER).nudges == 0


def test_actor_without_a_conversation_in_the_second_week_is_nudged_once(
    second_week_pilot: Pilot,
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    now = timezone.now()
    first = run_due(django_capture_on_commit_callbacks, now)
    second = run_due(django_capture_on_commit_callbacks, now)

    assert (first.nudges, second.nudges) == (1, 0)
    (nudge,) = Notification.objects.filter(source__startswith="nudge:")
    assert nudge.source == f"nudge:start:{second_week_pilot.pk}:{alice.pk}"
    assert nudge.user == alice
    assert second_week_pilot.name in nudge.body
    assert not Notification.objects.filter(user__in=[mentor_maria, staff_sam]).exists()


def test_a_nudge_is_written_in_the_actors_language(
    second_week_pilot: Pilot,
    alice: User,
    mentor_maria: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    User.objects.filter(pk=alice.pk).update(language="fi")
    assert run_due(django_capture_on_commit_callbacks, timezone.now()).nudges == 1
    nudge = Notification.objects.get(source__startswith="nudge:", user=alice)
    assert nudge.subject == "Kysy mentorilta ensimmäinen kysymyksesi"
    assert second_week_pilot.name in nudge.body


def test_actor_who_started_a_conversation_is_not_nudged(
    second_week_pilot: Pilot,
    alice: User,
    mentor_maria: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    ask(alice, mentor_maria)

    assert run_due(django_capture_on_commit_callbacks, timezone.now()).nudges == 0
    assert not Notification.objects.filter(user=alice, source__startswith="nudge:").exists()


@pytest.mark.parametrize("days_in", [3, 20])
def test_actors_are_nudged_only_in_the_second_week(
    second_week_pilot: Pilot,
    alice: User,
    days_in: int,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    start = timezone.localdate() - datetime.timedelta(days=days_in)
    Pilot.objects.filter(pk=second_week_pilot.pk).update(starts_on=start)

    assert run_due(django_capture_on_commit_callbacks, timezone.now()).nudges == 0
    assert not Broadcast.objects.filter(source__startswith="nudge:").exists()
