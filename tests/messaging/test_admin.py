"""Reports and blocks in the admin: every report (also one no pilot's queue shows), with the
reported message only; read-only, in a bounded number of queries."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.test import Client

from messaging.models import Block, Report
from messaging.services import conversations, reports
from pilots.models import Pilot
from profiles.models import User

pytestmark = pytest.mark.django_db


def test_reports_show_the_reported_message_only(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    superuser: User,
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Callable,  # type: ignore[type-arg]
) -> None:
    conversation = conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Q")
    for body in ("A private word", "Something rude"):
        conversations.send_message(
            sender=mentor_maria, conversation=conversation, body=body, client_id=uuid.uuid4()
        )
    rude = conversation.messages.get(body="Something rude")
    report = reports.report(
        reporter=alice, reported_user=mentor_maria, reason=Report.Reason.HARASSMENT, message=rude
    )
    for _ in range(10):
        reports.report(reporter=mentor_maria, reported_user=alice, reason="spam")
    client = client_for(superuser)

    with django_assert_max_num_queries(12):
        listing = client.get("/admin/messaging/report/")
    assert listing.status_code == 200
    page = client.get(f"/admin/messaging/report/{report.pk}/change/").content.decode()
    assert "Something rude" in page
    assert "A private word" not in page
    assert 'name="outcome"' not in page  # read-only: resolved in the moderation queue
    assert client.get("/admin/messaging/report/add/").status_code == 403
    assert (
        client.post(f"/admin/messaging/report/{report.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Report.objects.filter(pk=report.pk).exists()


def test_blocks_are_listed_and_can_be_lifted(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    superuser: User,
    client_for: Callable[[User], Client],
) -> None:
    conversations.block(blocker=alice, blocked=mentor_maria)
    client = client_for(superuser)
    listing = client.get("/admin/messaging/block/")
    assert listing.status_code == 200
    assert "Maria Mentor" in listing.content.decode()
    block = Block.objects.get()
    client.post(f"/admin/messaging/block/{block.pk}/delete/", {"post": "yes"})
    assert not Block.objects.exists()
    conversations.start_direct(sender=alice, recipient=mentor_maria, subject="Again")
