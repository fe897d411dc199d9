"""Helpers of the conversation tests: messages written straight through the service, the
page's address, and a message's or a conversation's piece of a page, parsed."""

from __future__ import annotations

import uuid

from django.urls import reverse
from django.utils import timezone

from messaging.models import Conversation, Message
from messaging.services import conversations
from profiles.models import User
from tests.support.html import Html, markup


def say(sender: User, conversation: Conversation, body: str = "Hello") -> Message:
    message, _created = conversations.send_message(
        sender=sender, conversation=conversation, body=body, client_id=uuid.uuid4()
    )
    return message


def many(sender: User, conversation: Conversation, count: int) -> list[Message]:
    """`count` messages at once, past the per-user rate limit that send_message applies."""
    rows = Message.objects.bulk_create(
        [
            Message(conversation=conversation, sender=sender, body=f"m{n}", client_id=uuid.uuid4())
            for n in range(count)
        ]
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=timezone.now())
    return sorted(rows, key=lambda m: m.pk)


def page_url(conversation: Conversation) -> str:
    return reverse("messaging:conversation", args=[conversation.pk])


def message_item(html: str, message: Message) -> Html:
    """The <li> of one message on a page, parsed."""
    return Html(markup(Html(html).one(f"li#message-{message.pk}")))


def list_row(html: str, conversation: Conversation) -> Html:
    """The <li> of one conversation on the list page, parsed."""
    return Html(markup(Html(html).one(f'li[data-conversation="{conversation.pk}"]')))
