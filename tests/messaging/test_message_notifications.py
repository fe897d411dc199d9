"""New messages reach people who are not online: one in-app notification per conversation
while unread, and a batched "new messages" e-mail that names who wrote and where, never what.
Delivery runs in this process (eager tasks, also on the main pass)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from messaging import events
from messaging import services as messaging
from messaging.models import Conversation, Delivery, Kind, Notification
from messaging.services import conversations
from pilots.models import Pilot
from profiles.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]

SECRET = "my salary is 4200 and my password is hunter2"
LATER = datetime.timedelta(minutes=11)  # past MESSAGE_EMAIL_DELAY (10 minutes)


@pytest.fixture(autouse=True)
def message_email_settings(settings: Any) -> None:
    settings.MESSAGE_RATE_LIMIT = 1000  # fifty messages in a row
    settings.MESSAGE_EMAIL_DELAY = 10 * 60
    settings.MESSAGE_EMAIL_INTERVAL = 60 * 60


@pytest.fixture
def question(pilot: Pilot, alice: User, mentor_maria: User) -> Conversation:
    return conversations.start_direct(
        sender=alice, recipient=mentor_maria, subject="How did you get your first job?"
    )


def send(user: User, conversation: Conversation, body: str = SECRET) -> None:
    conversations.send_message(
        sender=user, conversation=conversation, body=body, client_id=uuid.uuid4()
    )


def go_online(user: User) -> None:
    cache.set(events.online_key(user.pk), 1, timeout=60)


def due_time(after: datetime.timedelta = LATER) -> datetime.datetime:
    """`after` into the next e-mail interval (an hour): later than now by at least `after`,
    and every time up to the interval's end falls into the same interval."""
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    return hour + datetime.timedelta(hours=1) + after


def send_emails(capture: Callable[..., Any], *, at: datetime.datetime | None = None) -> int:
    with capture(execute=True):
        return messaging.send_message_emails(now=at or due_time())


def test_offline_participant_gets_one_notification_per_conversation(
    question: Conversation, alice: User, mentor_maria: User
) -> None:
    for _ in range(3):
        send(alice, question)

    (notification,) = Notification.objects.filter(user=mentor_maria)
    assert notification.kind == Kind.MESSAGE
    assert notification.subject == "New message from Alice Actor"
    assert notification.url == question.get_absolute_url()
    assert notification.read_at is None
    assert SECRET not in notification.subject + notification.body
    assert not Notification.objects.filter(user=alice).exists()


def test_online_participant_gets_no_notification(
    question: Conversation, alice: User, mentor_maria: User
) -> None:
    go_online(mentor_maria)

    send(alice, question)

    assert not Notification.objects.filter(user=mentor_maria).exists()
    assert events.online_user_ids([alice.pk, mentor_maria.pk]) == {mentor_maria.pk}


def test_without_the_cache_everyone_counts_as_offline_and_is_told(
    question: Conversation, alice: User, mentor_maria: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    go_online(mentor_maria)

    def down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(cache, "get_many", down)

    send(alice, question)

    assert Notification.objects.filter(user=mentor_maria).count() == 1


def test_reading_the_conversation_marks_its_notification_read_and_a_new_message_renews_it(
    question: Conversation, alice: User, mentor_maria: User
) -> None:
    send(alice, question)
    first = Notification.objects.get(user=mentor_maria)

    conversations.mark_read(user=mentor_maria, conversation=question)
    first.refresh_from_db()
    assert first.read_at is not None

    send(alice, question, "One more thing")
    (renewed,) = Notification.objects.filter(user=mentor_maria)
    assert renewed.pk == first.pk
    assert renewed.read_at is None
    assert renewed.created_at >= first.created_at


def test_reading_only_older_messages_leaves_the_notification_unread(
    question: Conversation, alice: User, mentor_maria: User
) -> None:
    send(alice, question)
    older = question.messages.get().pk
    send(alice, question)

    conversations.mark_read(user=mentor_maria, conversation=question, up_to_id=older)

    assert Notification.objects.get(user=mentor_maria).read_at is None


def test_group_notification_names_the_conversation(
    pilot: Pilot, alice: User, mentor_maria: User, staff_sam: User
) -> None:
    group = conversations.create_group_conversation(
        subject="Cloud careers",
        context="group:1",
        member_ids=[alice.pk, mentor_maria.pk, staff_sam.pk],
    )
    go_online(staff_sam)

    send(alice, group)
    send(mentor_maria, group)

    assert Notification.objects.get(user=mentor_maria).subject == "New messages in Cloud careers"
    assert Notification.objects.get(user=alice).subject == "New messages in Cloud careers"
    assert not Notification.objects.filter(user=staff_sam).exists()


def test_fifty_messages_make_one_email_without_their_text(
    question: Conversation,
    alice: User,
    mentor_maria: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    for number in range(50):
        send(alice, question, f"{SECRET} #{number}")

    assert send_emails(django_capture_on_commit_callbacks, at=timezone.now()) == 0
    assert mail.outbox == []
    assert send_emails(django_capture_on_commit_callbacks) == 1
    assert send_emails(django_capture_on_commit_callbacks) == 0

    (email,) = mail.outbox
    assert email.to == [mentor_maria.email]
    assert "Alice Actor" in email.subject
    assert "Alice Actor" in email.body
    assert "How did you get your first job?" in email.body
    assert question.get_absolute_url() in email.body
    for text in (email.subject, email.body, *(str(part) for part in email.attachments)):
        assert "hunter2" not in text
        assert "salary" not in text


def test_more_messages_wait_for_the_next_interval(
    question: Conversation,
    alice: User,
    mentor_maria: User,
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    send(alice, question)
    assert send_emails(django_capture_on_commit_callbacks) == 1
    send(alice, question, "Are you there?")

    assert send_emails(django_capture_on_commit_callbacks, at=due_time(LATER * 3)) == 0
    next_interval = due_time() + datetime.timedelta(seconds=settings.MESSAGE_EMAIL_INTERVAL)
    assert send_emails(django_capture_on_commit_callbacks, at=next_interval) == 1
    assert send_emails(django_capture_on_commit_callbacks, at=next_interval) == 0
    assert [m.to for m in mail.outbox] == [[mentor_maria.email]] * 2


def test_one_email_names_every_conversation_and_sender(
    pilot: Pilot,
    question: Conversation,
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    group = conversations.create_group_conversation(
        subject="Cloud careers",
        context="group:1",
        member_ids=[alice.pk, mentor_maria.pk, staff_sam.pk],
    )
    send(alice, question)
    send(staff_sam, group)

    with django_capture_on_commit_callbacks(execute=True):
        messaging.run_due(now=due_time())

    (email,) = [m for m in mail.outbox if m.to == [mentor_maria.email]]
    assert email.subject.endswith("New messages from Alice Actor and Sam Staff")
    assert "How did you get your first job?" in email.body
    assert "Cloud careers" in email.body
    assert SECRET not in email.body


def test_messages_read_in_time_send_no_email(
    question: Conversation,
    alice: User,
    mentor_maria: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    send(alice, question)
    conversations.mark_read(user=mentor_maria, conversation=question)

    assert send_emails(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_no_email_while_online(
    question: Conversation,
    alice: User,
    mentor_maria: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    send(alice, question)
    go_online(mentor_maria)

    assert send_emails(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []


def test_email_setting_off_sends_none(
    question: Conversation,
    alice: User,
    mentor_maria: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    messaging.set_email_choice(user=mentor_maria, kind=Kind.MESSAGE, email="off")
    send(alice, question)

    assert send_emails(django_capture_on_commit_callbacks) == 0
    assert mail.outbox == []
    assert Notification.objects.filter(user=mentor_maria).count() == 1  # in the app only


def test_digest_users_get_new_messages_in_the_daily_digest(
    question: Conversation,
    alice: User,
    mentor_maria: User,
    settings: Any,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    messaging.set_email_choice(user=mentor_maria, kind=Kind.MESSAGE, email="digest")
    send(alice, question)

    assert send_emails(django_capture_on_commit_callbacks) == 1
    assert mail.outbox == []
    waiting = Delivery.objects.get(recipient=mentor_maria, status=Delivery.Status.DIGEST)
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    morning = tomorrow.replace(hour=settings.DIGEST_HOUR, minute=5)

    assert messaging.send_digests(now=morning) == 1

    (digest,) = mail.outbox
    assert "New messages from Alice Actor" in digest.body
    assert SECRET not in digest.body
    waiting.refresh_from_db()
    assert waiting.status == Delivery.Status.SENT


def test_run_due_twice_sends_one_message_email(
    question: Conversation,
    alice: User,
    mentor_maria: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    for _ in range(5):
        send(alice, question)
    later = due_time()

    with django_capture_on_commit_callbacks(execute=True):
        first = messaging.run_due(now=later)
    with django_capture_on_commit_callbacks(execute=True):
        second = messaging.run_due(now=later)

    assert (first.message_emails, second.message_emails) == (1, 0)
    assert [m.to for m in mail.outbox] == [[mentor_maria.email]]
