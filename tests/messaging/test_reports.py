"""Reporting a message or a person: with a reason, filed under the shared pilot; never one's
own message or one out of sight.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from messaging.models import Conversation, Report
from pilots.models import Pilot
from profiles.models import User
from tests.support.conversations import page_url, say

pytestmark = pytest.mark.django_db


def test_participant_reports_a_message_with_a_reason(
    alice: User,
    mentor_maria: User,
    pilot: Pilot,
    talk: Callable[..., Conversation],
    client_for: Any,
) -> None:
    conversation = talk(mentor_maria, alice)
    message = say(mentor_maria, conversation, "Something inappropriate")
    client = client_for(alice)
    url = reverse("messaging:report_message", args=[conversation.pk, message.pk])
    assert url in client.get(page_url(conversation)).content.decode()

    form = client.get(url)
    response = client.post(url, {"reason": "inappropriate", "details": "Not OK."})

    assert "Something inappropriate" in form.content.decode()
    assert response["Location"] == f"{page_url(conversation)}#message-{message.pk}"
    report = Report.objects.get()
    assert (report.reporter, report.reported_user, report.message) == (alice, mentor_maria, message)
    assert (report.reason, report.details, report.context) == (
        "inappropriate",
        "Not OK.",
        f"pilot:{pilot.pk}",
    )


def test_nobody_reports_their_own_message_or_one_they_cannot_see(
    alice: User,
    mentor_maria: User,
    oscar: User,
    talk: Callable[..., Conversation],
    client_for: Any,
) -> None:
    conversation = talk(alice, mentor_maria)
    message = say(alice, conversation, "Mine")
    url = reverse("messaging:report_message", args=[conversation.pk, message.pk])
    assert client_for(alice).get(url).status_code == 404
    assert client_for(oscar).post(url, {"reason": "spam"}).status_code == 404
    assert not Report.objects.exists()


def test_reporting_a_person_files_it_under_the_shared_pilot(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Any
) -> None:
    url = reverse("pilots:report_person", args=[mentor_maria.pk])
    client_for(alice).post(url, {"reason": "harassment", "details": ""})
    report = Report.objects.get()
    assert (report.reported_user, report.message, report.context) == (
        mentor_maria,
        None,
        f"pilot:{pilot.pk}",
    )
