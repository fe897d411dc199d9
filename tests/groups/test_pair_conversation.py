"""A pair's conversation is called by its two ("Maria Mentor & Alice Actor") and listed from
the viewer's side as with the other person, not as a group's; a new message in it notifies
as from that person."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.test import Client

from groups.models import Group
from messaging.models import Conversation, Notification
from messaging.services import conversations
from profiles.models import User
from tests.support.html import Html, text

pytestmark = pytest.mark.django_db


def test_the_conversation_list_shows_the_pair_by_its_two(
    pair: Group, alice: User, client_for: Callable[[User], Client]
) -> None:
    assert pair.conversation.kind == Conversation.Kind.PAIR
    page = Html(client_for(alice).get("/conversations/"))
    (item,) = page.select(f"[data-conversation='{pair.conversation_id}']")
    assert text(item.cssselect(".conversation-title a")[0]) == "Maria Mentor & Alice Actor"
    meta = text(item.cssselect(".meta")[0])
    assert meta.startswith("With Maria Mentor")
    assert "Group" not in meta


def test_a_message_in_a_pair_notifies_as_from_the_other_person(
    pair: Group, alice: User, mentor_maria: User
) -> None:
    conversations.send_message(
        sender=mentor_maria, conversation=pair.conversation, body="Hei!", client_id=uuid.uuid4()
    )
    notice = Notification.objects.get(user=alice, source=f"conversation:{pair.conversation_id}")
    assert notice.subject == "New message from Maria Mentor"


def test_the_pair_conversation_page_says_pair_not_group(
    pair: Group, alice: User, client_for: Callable[[User], Client]
) -> None:
    page = Html(client_for(alice).get(pair.conversation.get_absolute_url()))

    assert page.text("h1") == "Maria Mentor & Alice Actor"
    assert "Pair: Maria Mentor" in page.text("main")
    assert "Group:" not in page.text("main")
