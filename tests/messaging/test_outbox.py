"""The outbox without a worker: what the sweeper takes, in which order chunks go out, digests,
and the mails a broadcast sends, read back by the standard library's parser."""

from __future__ import annotations

import datetime
import email
import email.policy
import smtplib
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from messaging import services as messaging
from messaging.models import Broadcast, Delivery, Kind
from profiles.models import User

SWEEP = datetime.timedelta(seconds=300)


class Recorder:
    """Stands in for the `deliver` task: records the chunks it is given."""

    def __init__(self) -> None:
        self.chunks: list[list[int]] = []

    def delay(self, ids: list[int]) -> None:
        self.chunks.append(list(ids))

    @property
    def ids(self) -> set[int]:
        return {pk for chunk in self.chunks for pk in chunk}


@pytest.fixture
def task(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr("messaging.tasks.deliver", recorder)
    return recorder


@pytest.fixture
def people(make_user: Callable[..., User]) -> list[User]:
    return [make_user(f"Person {n}") for n in range(5)]


def queue(users: list[User], source: str = "test:1", **fields: Any) -> Broadcast:
    # Called in the test's transaction, which never commits: nothing is enqueued here.
    return messaging.broadcast(
        kind=fields.pop("kind", Kind.ANNOUNCEMENT),
        source=source,
        subject=fields.pop("subject", "Kick-off"),
        body=fields.pop("body", "We meet on Monday."),
        url=fields.pop("url", "/pilots/"),
        recipient_ids=[user.pk for user in users],
    )


def age(rows: Any, by: datetime.timedelta) -> None:
    rows.update(updated_at=timezone.now() - by)


def test_sweeper_takes_rows_left_alone_longer_than_the_interval(
    people: list[User], task: Recorder
) -> None:
    item = queue(people)
    rows = Delivery.objects.filter(broadcast=item)
    now = timezone.now()
    assert messaging.enqueue(older_than=now - SWEEP) == 0

    age(rows, SWEEP + datetime.timedelta(seconds=1))

    assert messaging.enqueue(older_than=now - SWEEP) == rows.count()
    assert task.ids == set(rows.values_list("pk", flat=True))


def test_sweeper_takes_a_row_once_per_interval_however_long_the_queue(
    people: list[User], task: Recorder
) -> None:
    item = queue(people)
    age(Delivery.objects.filter(broadcast=item), SWEEP * 2)
    now = timezone.now()

    first = messaging.enqueue(older_than=now - SWEEP)
    second = messaging.enqueue(older_than=now - SWEEP)

    assert (first, second) == (10, 0)


def test_sweeper_leaves_a_retry_its_backoff(
    people: list[User], task: Recorder, settings: Any
) -> None:
    settings.DELIVERY_RETRY_BASE_DELAY = 30.0
    item = queue(people[:1])
    row = Delivery.objects.get(broadcast=item, channel=Delivery.Channel.EMAIL)
    Delivery.objects.filter(broadcast=item, channel=Delivery.Channel.IN_APP).update(
        status=Delivery.Status.SENT
    )
    # Failed three times: the third retry waits up to 30 * 2^2 = 120 s.
    Delivery.objects.filter(pk=row.pk).update(attempts=3)
    now = timezone.now()

    age(Delivery.objects.filter(pk=row.pk), SWEEP + datetime.timedelta(seconds=100))
    assert messaging.enqueue(older_than=now - SWEEP) == 0

    age(Delivery.objects.filter(pk=row.pk), SWEEP + datetime.timedelta(seconds=121))
    assert messaging.enqueue(older_than=now - SWEEP) == 1


def test_in_app_rows_go_out_before_email_in_larger_chunks(
    make_user: Callable[..., User], task: Recorder, settings: Any
) -> None:
    settings.DELIVERY_CHUNK_SIZE = 2
    settings.DELIVERY_IN_APP_CHUNK_SIZE = 3
    users = [make_user() for _ in range(5)]
    item = queue(users)

    messaging.enqueue(broadcast_id=item.pk)

    channel = dict(Delivery.objects.values_list("pk", "channel"))
    kinds = [{channel[pk] for pk in chunk} for chunk in task.chunks]
    assert kinds == [{"in_app"}] * 2 + [{"email"}] * 3
    assert [len(chunk) for chunk in task.chunks] == [3, 2, 2, 2, 1]


def test_broker_down_leaves_rows_pending_for_the_sweeper(
    people: list[User], monkeypatch: pytest.MonkeyPatch
) -> None:
    from kombu.exceptions import OperationalError

    class Down:
        def delay(self, ids: list[int]) -> None:
            raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr("messaging.tasks.deliver", Down())
    item = queue(people)

    assert messaging.enqueue(broadcast_id=item.pk) == 0
    assert Delivery.objects.filter(status=Delivery.Status.PENDING).count() == 10


def test_the_same_source_is_queued_once(people: list[User]) -> None:
    first = queue(people)
    second = queue(people[:2], subject="Changed")

    assert second == first
    assert Broadcast.objects.count() == 1
    assert Delivery.objects.count() == 10


@pytest.mark.parametrize(
    ("error", "temporary"),
    [
        (smtplib.SMTPRecipientsRefused({"a@example.com": (451, b"try later")}), True),
        (smtplib.SMTPRecipientsRefused({"a@example.com": (550, b"no such user")}), False),
        (smtplib.SMTPDataError(452, b"mailbox full"), True),
        (smtplib.SMTPDataError(554, b"refused"), False),
        (smtplib.SMTPSenderRefused(421, b"closing", "noreply@localhost"), True),
        (smtplib.SMTPServerDisconnected("gone"), True),
        (ConnectionRefusedError(111, "refused"), True),
        (TimeoutError("timed out"), True),
        (ValueError("Invalid address"), False),
    ],
)
def test_temporary_and_permanent_failures(error: Exception, temporary: bool) -> None:
    assert messaging.is_temporary(error) is temporary


def test_digest_collects_a_users_items_once(alice: User, mentor_maria: User, settings: Any) -> None:
    messaging.set_email_choice(user=alice, kind=Kind.ANNOUNCEMENT, email="digest")
    queue([alice, mentor_maria], "test:1", subject="First news")
    queue([alice, mentor_maria], "test:2", subject="Second news")
    waiting = Delivery.objects.filter(status=Delivery.Status.DIGEST)
    assert waiting.count() == 2
    today = timezone.localtime().replace(hour=settings.DIGEST_HOUR, minute=30)
    waiting.update(created_at=today - datetime.timedelta(hours=2))

    assert messaging.send_digests(now=today - datetime.timedelta(hours=1)) == 0  # before 7:00
    assert messaging.send_digests(now=today) == 1
    assert messaging.send_digests(now=today) == 0

    (digest,) = mail.outbox
    assert digest.to == [alice.email]
    assert "First news" in digest.body
    assert "Second news" in digest.body
    assert not waiting.exists()
    assert (
        Delivery.objects.get(recipient=alice, broadcast__source="test:1", channel="email").status
        == Delivery.Status.SENT
    )


def test_digest_refused_for_good_is_marked_failed_not_retried(
    alice: User, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    messaging.set_email_choice(user=alice, kind=Kind.ANNOUNCEMENT, email="digest")
    queue([alice])
    now = timezone.localtime().replace(hour=settings.DIGEST_HOUR + 1)
    Delivery.objects.filter(status=Delivery.Status.DIGEST).update(
        created_at=now - datetime.timedelta(days=1)
    )
    calls: list[int] = []

    def refuse(self: Any, messages: list[Any]) -> int:
        calls.append(len(messages))
        raise smtplib.SMTPRecipientsRefused({alice.email: (550, b"5.1.1 No such user")})

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)

    assert messaging.send_digests(now=now) == 0
    assert messaging.send_digests(now=now) == 0

    row = Delivery.objects.get(channel=Delivery.Channel.EMAIL)
    assert row.status == Delivery.Status.FAILED
    assert row.last_error == "550 5.1.1 No such user"
    assert calls == [1]


def test_broadcast_mail_reads_back_as_written(make_user: Callable[..., User]) -> None:
    person = make_user("Äijä Ö'Brien", email="aija@example.com")
    item = queue(
        [person],
        subject="Viikko 3: tulevaisuuden taidot ja työelämä\nBcc: everyone@example.com",
        body="Tämä viikko: = merkki,\ntrailing space \n" + "pitkä rivi " * 20,
        url="/pilots/kevat/",
    )
    row = Delivery.objects.select_related("recipient").get(
        broadcast=item, channel=Delivery.Channel.EMAIL
    )

    outcome = messaging.deliver(delivery_ids=[row.pk])

    assert outcome.sent == [row.pk]
    (sent,) = mail.outbox
    parsed = email.message_from_bytes(sent.message().as_bytes(), policy=email.policy.default)
    assert not parsed.defects
    assert parsed["Subject"] == (
        "[Mentoring] Viikko 3: tulevaisuuden taidot ja työelämä Bcc: everyone@example.com"
    )
    assert parsed["Bcc"] is None
    assert parsed["To"] == "aija@example.com"
    assert parsed["Message-ID"]
    assert parsed["Date"]
    text = parsed.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert text.startswith("Hello Äijä Ö'Brien,\n")
    assert "Tämä viikko: = merkki,\ntrailing space \n" + "pitkä rivi " * 20 in text
    assert "http://127.0.0.1:8000/pilots/kevat/" in text
    head, _blank, body = sent.message().as_string().partition("\n\n")
    assert all(len(line) <= 76 for line in body.splitlines())  # quoted-printable lines
    assert all(len(line) <= 998 for line in head.splitlines())
