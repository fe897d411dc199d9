"""Read-only conversations and blocks: no form on a read-only conversation, a block stops
messages both ways until lifted, and the profile's offers to write, block and report.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from messaging.models import Block, Conversation, Message
from messaging.services import conversations
from pilots.models import Pilot
from profiles.models import User
from tests.support.conversations import page_url, say

pytestmark = pytest.mark.django_db


def test_a_read_only_conversation_has_no_form_and_says_why(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    say(alice, conversation, "Before the end")
    conversations.lock(conversation=conversation)

    html = client_for(alice).get(page_url(conversation)).content.decode()

    assert 'id="send-form"' not in html
    assert "This conversation is read-only" in html
    assert "Before the end" in html
    response = client_for(alice).post(
        reverse("messaging:send", args=[conversation.pk]),
        {"body": "After the end", "client_id": str(uuid.uuid4())},
    )
    assert response.status_code == 400
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_blocking_from_the_conversation_stops_messages_both_ways_until_unblocked(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    maria = client_for(mentor_maria)
    alice_client = client_for(alice)

    response = maria.post(
        reverse("messaging:block", args=[alice.pk]), {"next": page_url(conversation)}
    )

    assert response["Location"] == page_url(conversation)
    assert Block.objects.filter(blocker=mentor_maria, blocked=alice).exists()
    marias_page = maria.get(page_url(conversation)).content.decode()
    assert "You have blocked this person" in marias_page
    assert reverse("messaging:unblock", args=[alice.pk]) in marias_page
    alices_page = alice_client.get(page_url(conversation)).content.decode()
    assert "You cannot write to this person." in alices_page
    assert 'id="send-form"' not in alices_page

    maria.post(reverse("messaging:unblock", args=[alice.pk]))
    assert not Block.objects.exists()
    assert 'id="send-form"' in alice_client.get(page_url(conversation)).content.decode()


def test_block_ignores_a_next_address_on_another_site(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    talk(alice, mentor_maria)
    response = client_for(mentor_maria).post(
        reverse("messaging:block", args=[alice.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("messaging:conversations")


def test_nobody_can_block_a_person_they_cannot_see(
    alice: User, oscar: User, client_for: Any, make_user: Callable[..., User]
) -> None:
    client = client_for(alice)
    hidden = client.post(reverse("messaging:block", args=[oscar.pk]))
    missing = client.post(reverse("messaging:block", args=[oscar.pk + 1000]))
    assert hidden.status_code == missing.status_code == 404
    assert not Block.objects.exists()


def test_profile_page_offers_conversation_block_and_report(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Any
) -> None:
    client = client_for(alice)
    profile_url = reverse("profiles:detail", args=[mentor_maria.pk])

    html = client.get(profile_url).content.decode()
    assert reverse("pilots:start_conversation", args=[mentor_maria.pk]) in html
    assert reverse("pilots:report_person", args=[mentor_maria.pk]) in html

    client.post(reverse("messaging:block", args=[mentor_maria.pk]), {"next": profile_url})
    blocked = client.get(profile_url).content.decode()
    assert reverse("messaging:unblock", args=[mentor_maria.pk]) in blocked
    assert reverse("pilots:start_conversation", args=[mentor_maria.pk]) not in blocked
    own = client.get(reverse("profiles:detail", args=[alice.pk])).content.decode()
    assert reverse("pilots:start_conversation", args=[alice.pk]) not in own


def test_suggestion_cards_offer_to_start_a_conversation(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Any
) -> None:
    html = client_for(alice).get(reverse("today")).content.decode()
    assert reverse("pilots:start_conversation", args=[mentor_maria.pk]) in html
