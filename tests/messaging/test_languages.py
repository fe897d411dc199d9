"""What is written to a person is written in their language (User.language, the one they
last chose on the site), whatever language the sender or the worker runs in."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone, translation

from messaging import services as messaging
from messaging.models import Conversation, Delivery, Kind, Notification
from messaging.services import conversations
from pilots.models import Pilot
from profiles.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def message_emails(settings: Any, eager_tasks: None) -> None:
    settings.MESSAGE_EMAIL_DELAY = 0
    settings.MESSAGE_EMAIL_INTERVAL = 60 * 60


@pytest.fixture
def finnish_maria(mentor_maria: User) -> User:
    User.objects.filter(pk=mentor_maria.pk).update(language="fi")
    mentor_maria.refresh_from_db()
    return mentor_maria


def test_an_offline_person_is_notified_in_their_language_not_the_senders(
    pilot: Pilot, alice: User, finnish_maria: User
) -> None:
    conversation = conversations.start_direct(sender=alice, recipient=finnish_maria, subject="Q")
    with translation.override("en"):  # Alice's page is in English
        conversations.send_message(
            sender=alice, conversation=conversation, body="Hi", client_id=uuid.uuid4()
        )
        conversations.send_message(
            sender=finnish_maria, conversation=conversation, body="Moi", client_id=uuid.uuid4()
        )
    assert Notification.objects.get(user=finnish_maria).subject == (
        "Uusi viesti henkilöltä Alice Actor"
    )
    assert Notification.objects.get(user=alice).subject == "New message from Maria Mentor"


def test_a_notification_email_has_its_frame_in_the_recipients_language(
    alice: User, finnish_maria: User
) -> None:
    item = messaging.broadcast(
        kind=Kind.ANNOUNCEMENT,
        source="test:language",
        subject="Kick-off",
        body="We meet on Monday.",
        url="/pilots/",
        recipient_ids=[alice.pk, finnish_maria.pk],
    )
    rows = Delivery.objects.filter(broadcast=item, channel=Delivery.Channel.EMAIL)
    with translation.override("en"):
        messaging.deliver(delivery_ids=list(rows.values_list("pk", flat=True)))
    by_recipient = {email.to[0]: email for email in mail.outbox}
    finnish = by_recipient[finnish_maria.email]
    assert finnish.subject == "[Mentorointi] Kick-off"
    assert finnish.body.startswith("Hei Maria Mentor,")
    assert "Lue viesti palvelussa:" in finnish.body
    english = by_recipient[alice.email]
    assert english.subject == "[Mentoring] Kick-off"
    assert english.body.startswith("Hello Alice Actor,")


def test_a_new_messages_email_is_written_in_the_recipients_language(
    pilot: Pilot,
    alice: User,
    finnish_maria: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    conversation: Conversation = conversations.start_direct(
        sender=alice, recipient=finnish_maria, subject="Q"
    )
    conversations.send_message(
        sender=alice, conversation=conversation, body="Hi", client_id=uuid.uuid4()
    )
    later = timezone.now() + datetime.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert messaging.send_message_emails(now=later) == 1
    (email,) = mail.outbox
    assert email.subject == "[Mentorointi] Uusia viestejä henkilöltä Alice Actor"
    assert "Sinulle on uusia viestejä mentorointipalvelussa:" in email.body


def test_the_daily_digest_is_in_the_recipients_language(finnish_maria: User, settings: Any) -> None:
    messaging.set_email_choice(user=finnish_maria, kind=Kind.ANNOUNCEMENT, email="digest")
    messaging.broadcast(
        kind=Kind.ANNOUNCEMENT,
        source="test:digest",
        subject="Kick-off",
        body="We meet on Monday.",
        url="/pilots/",
        recipient_ids=[finnish_maria.pk],
    )
    today = timezone.localtime().replace(hour=settings.DIGEST_HOUR, minute=30)
    Delivery.objects.filter(status=Delivery.Status.DIGEST).update(
        created_at=today - datetime.timedelta(hours=2)
    )
    assert messaging.send_digests(now=today) == 1
    (digest,) = mail.outbox
    assert digest.subject == "[Mentorointi] Päivittäinen koontisi"
