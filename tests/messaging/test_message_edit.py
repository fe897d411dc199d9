"""Editing and deleting a message from the page: the author within the window, nobody else."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging.models import Conversation, Message
from profiles.models import User
from tests.support.conversations import message_item, page_url, say

pytestmark = pytest.mark.django_db


def test_author_edits_and_deletes_within_the_window(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    message = say(alice, conversation, "Tpyo")
    client = client_for(alice)
    html = client.get(page_url(conversation)).content.decode()
    edit_url = reverse("messaging:edit", args=[conversation.pk, message.pk])
    delete_url = reverse("messaging:delete", args=[conversation.pk, message.pk])
    # One menu per message: its links lead to the edit page and the delete confirmation.
    item = message_item(html, message)
    assert item.count("details.chat-menu > summary") == 1
    assert item.count(f'details.chat-menu a[href="{edit_url}"]') == 1
    assert item.count(f'details.chat-menu a[href="{delete_url}"]') == 1

    client.post(edit_url, {"body": "Typo fixed"})
    message.refresh_from_db()
    assert (message.body, message.edited_at is not None) == ("Typo fixed", True)
    item = message_item(client.get(page_url(conversation)).content.decode(), message)
    assert "edited" in item.text(".chat-meta")

    client.post(delete_url)
    message.refresh_from_db()
    assert message.deleted_at is not None
    after = client.get(page_url(conversation)).content.decode()
    assert message_item(after, message).text(".chat-body") == "This message was deleted"
    assert "Typo fixed" not in after


def test_after_the_window_the_author_can_no_longer_change_a_message(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    message = say(alice, conversation, "Written long ago")
    Message.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=1)
    )
    client = client_for(alice)
    html = client.get(page_url(conversation)).content.decode()
    edit_url = reverse("messaging:edit", args=[conversation.pk, message.pk])
    delete_url = reverse("messaging:delete", args=[conversation.pk, message.pk])

    assert edit_url not in html
    assert delete_url not in html
    response = client.post(edit_url, {"body": "Rewritten"}, follow=True)
    assert "only for a while after sending" in response.content.decode()
    client.post(delete_url)
    message.refresh_from_db()
    assert (message.body, message.deleted_at) == ("Written long ago", None)


def test_nobody_edits_or_deletes_someone_elses_message(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    message = say(alice, conversation, "Mine")
    client = client_for(mentor_maria)

    assert reverse("messaging:edit", args=[conversation.pk, message.pk]) not in (
        client.get(page_url(conversation)).content.decode()
    )
    client.post(reverse("messaging:edit", args=[conversation.pk, message.pk]), {"body": "Hers"})
    client.post(reverse("messaging:delete", args=[conversation.pk, message.pk]))
    message.refresh_from_db()
    assert (message.body, message.deleted_at) == ("Mine", None)
