"""A mentor's Today: questions waiting for them (oldest first, with how long), their pairs and
groups, this week's theme, and their availability with the capacity used, toggled right there."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from groups.models import Group
from messaging.models import Conversation, Message
from pilots.models import Pilot, Week
from profiles.models import Profile, User
from tests.support.conversations import say
from tests.support.today import section, today_page

pytestmark = pytest.mark.django_db


def test_questions_waiting_for_me_oldest_first_with_how_long(
    mentor_maria: User,
    alice: User,
    pilot: Pilot,
    actor: Callable[..., User],
    ask: Callable[..., Conversation],
    client_for: Any,
) -> None:
    newer = ask(alice, mentor_maria, "How do I write a CV?")
    older = ask(actor("Bea Actor"), mentor_maria, "Is a master's degree worth it?")
    Message.objects.filter(conversation=older).update(
        created_at=timezone.now() - datetime.timedelta(days=3, hours=1)
    )
    answered = ask(actor("Cid Actor"), mentor_maria, "Which languages?")
    say(mentor_maria, answered, "Python first.")

    page = today_page(client_for(mentor_maria))

    assert page.texts("#waiting li a") == [older.subject, newer.subject]
    assert page.texts("#waiting li .meta")[0] == "from Bea Actor, waiting for 3 days, 1 hour"
    assert newer.pk


def test_no_waiting_questions_says_so(mentor_maria: User, pilot: Pilot, client_for: Any) -> None:
    page = today_page(client_for(mentor_maria))
    assert page.text("#waiting p").startswith("No questions are waiting for you.")


def test_pairs_groups_and_this_weeks_theme(
    mentor_maria: User, pilot: Pilot, pair: Group, client_for: Any
) -> None:
    week = pilot.current_week()
    assert week is not None
    Week.objects.filter(pk=week.pk).update(theme="Working life", prompts="Your first job?")

    page = today_page(client_for(mentor_maria))

    assert page.texts("#groups li a") == [pair.name]
    theme = section(page, ".today-week")
    assert "Working life" in theme.text("h2")
    assert theme.texts("li") == ["Your first job?"]  # mentors are not sent to ask a mentor


def test_availability_and_capacity_used_right_there(
    mentor_maria: User,
    alice: User,
    pilot: Pilot,
    pair: Group,
    actor: Callable[..., User],
    ask: Callable[..., Conversation],
    client_for: Any,
) -> None:
    Profile.objects.filter(pk=mentor_maria.pk).update(capacity=5)
    ask(actor("Bea Actor"), mentor_maria, "One")
    ask(actor("Cid Actor"), mentor_maria, "Two")

    page = today_page(client_for(mentor_maria))

    availability = section(page, "#availability")
    assert availability.text(".today-capacity") == "Capacity used: 3 of 5"  # 2 asked, the pair
    assert availability.text(".badge") == "Open to new conversations"
    assert availability.text("form button") == "Pause new conversations"


def test_pausing_and_resuming_from_today(mentor_maria: User, pilot: Pilot, client_for: Any) -> None:
    client = client_for(mentor_maria)

    response = client.post("/today/availability/", {"is_available": "0"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert not Profile.objects.get(pk=mentor_maria.pk).is_available
    page = today_page(client)
    assert page.text("#availability .badge") == "Not taking new conversations"
    assert page.attr("#availability input[name=is_available]", "value") == "1"

    client.post("/today/availability/", {"is_available": "1"})
    assert Profile.objects.get(pk=mentor_maria.pk).is_available


def test_availability_needs_a_post_and_a_login(client: Any, mentor_maria: User) -> None:
    assert client.post("/today/availability/", {"is_available": "0"}).status_code == 302
    assert Profile.objects.get(pk=mentor_maria.pk).is_available


def test_availability_is_only_ever_ones_own(
    mentor_maria: User, alice: User, pilot: Pilot, client_for: Any
) -> None:
    client_for(alice).post("/today/availability/", {"is_available": "0", "user": mentor_maria.pk})
    assert Profile.objects.get(pk=mentor_maria.pk).is_available
    assert not Profile.objects.get(pk=alice.pk).is_available
    assert client_for(alice).get("/today/availability/").status_code == 405
