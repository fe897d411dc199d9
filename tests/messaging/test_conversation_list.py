"""The read marker and the conversation list: order by latest activity, unread counts on the
list and in the navigation, and query counts that do not grow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from messaging.models import Conversation, Participant
from messaging.services import conversations
from pilots import services as pilot_services
from pilots.models import Pilot, Role
from profiles.models import User
from tests.support.conversations import list_row, many, message_item, page_url, say
from tests.support.html import Html
from tests.support.pages import count_queries

pytestmark = pytest.mark.django_db


def test_viewing_a_conversation_moves_the_read_marker(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    sent = [say(alice, conversation, f"Question {n}") for n in range(3)]
    assert conversations.unread_counts(user=mentor_maria) == {conversation.pk: 3}
    client = client_for(mentor_maria)

    first_visit = client.get(page_url(conversation)).content.decode()
    second_visit = client.get(page_url(conversation)).content.decode()

    assert conversations.unread_counts(user=mentor_maria) == {}
    link = Participant.objects.get(conversation=conversation, user=mentor_maria)
    assert link.last_read_id == sent[-1].pk
    assert message_item(first_visit, sent[0]).text("[data-divider]") == "New messages"
    assert Html(first_visit).count("#messages [data-divider]") == 1
    assert not Html(second_visit).select("#messages [data-divider]")


def test_list_orders_by_latest_activity_with_unread_counts(
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    talk: Callable[..., Conversation],
    client_for: Any,
) -> None:
    quiet = talk(alice, mentor_maria, "An old question")
    say(alice, quiet, "Hello")
    busy = talk(staff_sam, mentor_maria, "Welcome to the pilot")
    many(staff_sam, busy, 2)
    conversations.mark_read(user=mentor_maria, conversation=quiet)
    conversations.lock(conversation=quiet)

    html = client_for(mentor_maria).get(reverse("messaging:conversations")).content.decode()

    assert Html(html).texts(".conversation-item .conversation-title a") == [
        "Welcome to the pilot",
        "An old question",
    ]
    busy_row, quiet_row = list_row(html, busy), list_row(html, quiet)
    assert busy_row.count("li.conversation-unread") == 1
    assert quiet_row.count("li.conversation-unread") == 0
    assert busy_row.text("[data-unread]:not([hidden]) [data-count]") == "2"
    assert "Sam Staff" in busy_row.text(".meta")
    assert "Alice Actor" in quiet_row.text(".meta")
    assert "Read-only" in quiet_row.texts(".meta .badge")
    assert "Read-only" not in busy_row.texts(".meta .badge")


def test_navigation_shows_the_unread_total_on_every_page(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    first = talk(alice, mentor_maria, "One")
    second = talk(alice, mentor_maria, "Two")
    many(alice, first, 2)
    many(alice, second, 1)
    client = client_for(mentor_maria)

    def badges(url: str) -> tuple[str | None, str | None]:
        """The counts on the Conversations and Notifications links (None: no badge)."""
        page = Html(client.get(url))
        found = []
        for link_id in ("nav-conversations", "nav-notifications"):
            page.one(f"a#{link_id}")
            count = page.texts(f"a#{link_id} [data-count]")
            assert len(count) <= 1, (url, link_id)
            found.append(count[0] if count else None)
        return found[0], found[1]

    for url in (reverse("profiles:me"), reverse("pilots:list"), reverse("messaging:notifications")):
        assert badges(url) == ("3", None), url  # (`many` stores messages without notifying)

    client.get(page_url(first))
    assert badges(reverse("profiles:me")) == ("1", None)
    client.get(page_url(second))
    assert badges(reverse("profiles:me")) == (None, None)


@pytest.mark.parametrize("count", [5, 30])
def test_list_makes_a_constant_number_of_queries(
    count: int,
    make_user: Callable[..., User],
    pilot: Pilot,
    mentor_maria: User,
    client_for: Any,
    django_assert_max_num_queries: Any,
) -> None:
    for n in range(count):
        actor = make_user(f"Actor {n}")
        pilot_services.add_participant(pilot=pilot, user=actor, role=Role.ACTOR)
        conversation = conversations.start_direct(
            sender=actor, recipient=mentor_maria, subject=f"Question {n}"
        )
        many(actor, conversation, 2)
    client = client_for(mentor_maria)

    # 8: the rows' latest messages (the snippets) are one query.
    with django_assert_max_num_queries(8):
        page = client.get(reverse("messaging:conversations"))

    assert Html(page).count("li.conversation-item") == count


def test_list_and_conversation_query_counts_do_not_grow(
    make_user: Callable[..., User],
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    talk: Callable[..., Conversation],
    client_for: Any,
) -> None:
    client = client_for(mentor_maria)
    conversation = talk(alice, mentor_maria)
    many(alice, conversation, 5)
    small_page = count_queries(client, page_url(conversation))
    many(alice, conversation, 60)
    large_page = count_queries(client, page_url(conversation))
    small_list = count_queries(client, reverse("messaging:conversations"))
    for n in range(25):
        actor = make_user(f"Actor {n}")
        pilot_services.add_participant(pilot=pilot, user=actor, role=Role.ACTOR)
        many(actor, talk(actor, mentor_maria, f"Q{n}"), 1)
    large_list = count_queries(client, reverse("messaging:conversations"))

    # 11: reading the page also marks the conversation's "new messages" notification read.
    assert small_page == large_page <= 11
    assert small_list == large_list <= 8
