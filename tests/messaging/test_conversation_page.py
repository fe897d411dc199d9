"""One conversation's page without JavaScript: who may see it, sending by form POST (once per
client id), how messages are rendered (escaped; the live markup is the same partial), the
history and the resync API.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from messaging.models import Conversation, Message
from messaging.services import conversations, reports
from pilots import services as pilot_services
from pilots.models import Pilot, Role
from profiles.models import User
from tests.support.conversations import many, message_item, page_url, say
from tests.support.html import Html, markup

pytestmark = pytest.mark.django_db


# --- Access ---------------------------------------------------------------------------------


def test_participants_see_the_conversation_and_its_messages(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria, "What does a lead developer do?")
    say(alice, conversation, "Hi Maria!")
    say(mentor_maria, conversation, "Hi Alice, happy to tell.")

    page = client_for(mentor_maria).get(page_url(conversation))

    assert page.status_code == 200
    html = Html(page)
    assert "What does a lead developer do?" in page.content.decode()
    assert html.texts("#messages > li .chat-body") == ["Hi Maria!", "Hi Alice, happy to tell."]
    assert html.count("form#send-form") == 1


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("messaging:conversation", "get"),
        ("messaging:history_json", "get"),
        ("messaging:send", "post"),
    ],
)
def test_outsiders_and_staff_get_404_the_same_as_for_a_missing_conversation(
    name: str,
    method: str,
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    oscar: User,
    talk: Callable[..., Conversation],
    client_for: Any,
) -> None:
    conversation = talk(alice, mentor_maria)
    say(alice, conversation, "Private question")
    data = {"body": "Let me in", "client_id": str(uuid.uuid4())}

    def fetch(user: User, pk: int) -> Any:
        url = reverse(name, args=[pk]) + ("?after=0" if method == "get" else "")
        client = client_for(user)
        return client.post(url, data) if method == "post" else client.get(url)

    missing = fetch(alice, conversation.pk + 1000)
    by_staff = fetch(staff_sam, conversation.pk)  # the pilot's own staff: still private
    by_outsider = fetch(oscar, conversation.pk)

    assert missing.status_code == by_staff.status_code == by_outsider.status_code == 404
    assert b"Private question" not in by_staff.content
    assert Message.objects.filter(conversation=conversation).count() == 1


def test_pages_need_a_signed_in_user(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client: Client
) -> None:
    conversation = talk(alice, mentor_maria)
    for url in (reverse("messaging:conversations"), page_url(conversation)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


# --- Sending --------------------------------------------------------------------------------


def test_sending_by_form_post_stores_the_message_once_per_client_id(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    client = client_for(alice)
    form = Html(client.get(page_url(conversation)))
    client_id = re.fullmatch(
        r"[0-9a-f-]{36}", form.attr("#send-form input[name=client_id]", "value")
    )
    assert client_id is not None
    data = {"body": "My question is about Python.", "client_id": client_id.group(0)}

    first = client.post(reverse("messaging:send", args=[conversation.pk]), data)
    again = client.post(reverse("messaging:send", args=[conversation.pk]), data)  # double click

    message = Message.objects.get(conversation=conversation)
    assert message.body == "My question is about Python."
    assert first.status_code == again.status_code == 302
    assert (
        first["Location"] == again["Location"] == f"{page_url(conversation)}#message-{message.pk}"
    )


def test_each_page_render_offers_a_new_client_id(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    client = client_for(alice)

    def client_ids() -> list[str]:
        inputs = Html(client.get(page_url(conversation))).select("input[name=client_id]")
        return [i.get("value") for i in inputs if re.fullmatch(r"[0-9a-f-]{36}", i.get("value"))]

    first, second = client_ids(), client_ids()
    assert len(first) == len(second) == 1
    assert first != second


def test_a_refused_message_shows_the_reason_and_keeps_the_text(
    alice: User,
    mentor_maria: User,
    talk: Callable[..., Conversation],
    client_for: Any,
    settings: Any,
) -> None:
    settings.MESSAGE_RATE_LIMIT = 0
    conversation = talk(alice, mentor_maria)

    response = client_for(alice).post(
        reverse("messaging:send", args=[conversation.pk]),
        {"body": "Typed with care", "client_id": str(uuid.uuid4())},
    )

    assert response.status_code == 400
    assert "You are sending messages too fast" in response.content.decode()
    assert "Typed with care</textarea>" in response.content.decode()
    assert not Message.objects.exists()


def test_a_message_over_the_limit_or_with_control_characters_is_refused(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    client = client_for(alice)
    url = reverse("messaging:send", args=[conversation.pk])
    for body in ("x" * 4001, "null\x00byte"):
        response = client.post(url, {"body": body, "client_id": str(uuid.uuid4())})
        assert response.status_code == 400
    assert not Message.objects.exists()


# --- Rendering ------------------------------------------------------------------------------


def test_message_text_is_escaped_and_its_links_clickable(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    say(
        alice,
        conversation,
        '<script>alert("x")</script> <b>bold</b> see https://example.com/a?b=1&c=2',
    )

    html = client_for(mentor_maria).get(page_url(conversation)).content.decode()

    assert "<script>alert" not in html
    assert "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    link = Html(html).one("#messages .chat-body a")
    assert (link.get("href"), link.get("rel")) == ("https://example.com/a?b=1&c=2", "nofollow")
    assert '<a href="https://example.com/a?b=1&amp;c=2" rel="nofollow">' in html


def test_deleted_hidden_and_deleted_account_messages_show_as_such(
    alice: User,
    mentor_maria: User,
    make_user: Callable[..., User],
    pilot: Pilot,
    talk: Callable[..., Conversation],
    client_for: Any,
) -> None:
    leaver = make_user("Leaving Lea")
    pilot_services.add_participant(pilot=pilot, user=leaver, role=Role.ACTOR)
    group = conversations.create_group_conversation(
        subject="IT field", context=f"pilot:{pilot.pk}", member_ids=[alice.pk, leaver.pk]
    )
    deleted = say(alice, group, "Oops, wrong chat")
    conversations.delete_message(user=alice, message=deleted)
    hidden = say(leaver, group, "Something rude")
    reports.hide_message(message=hidden)
    say(leaver, group, "A fine message")
    leaver.delete()

    html = client_for(alice).get(page_url(group)).content.decode()

    assert "Oops, wrong chat" not in html
    assert "Something rude" not in html
    assert message_item(html, deleted).text(".chat-body") == "This message was deleted"
    assert message_item(html, hidden).text(".chat-body") == "Hidden by a moderator"
    last = Message.objects.get(body="A fine message")
    assert message_item(html, last).text(".chat-meta strong") == "Deleted user"
    assert message_item(html, last).text(".chat-body") == "A fine message"


def test_the_live_markup_is_the_pages_once_the_viewers_controls_are_kept(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    """What messages.json and the live events carry is the page's own partial for every
    viewer; keeping what chat.js keeps for one viewer gives that viewer's page markup."""
    conversation = talk(alice, mentor_maria)
    first = say(alice, conversation, "One https://example.com")
    second = say(mentor_maria, conversation, "Two <i>")
    url = reverse("messaging:history_json", args=[conversation.pk])

    def same(element: Any) -> str:
        for token in element.cssselect("input[name=csrfmiddlewaretoken]"):
            token.drop_tree()  # the page's own, which chat.js copies in
        return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", markup(element)))

    for viewer in (alice, mentor_maria):
        client = client_for(viewer)
        client.get(page_url(conversation))  # read: no "new messages" divider on the next load
        page = client.get(page_url(conversation)).content.decode()
        live = client.get(url, {"after": 0}).json()["messages"]
        assert [shown["id"] for shown in live] == [first.pk, second.pk]
        for message, shown in zip((first, second), live, strict=True):
            item = Html(shown["html"]).root
            mine = message.sender_id == viewer.pk
            for other in item.cssselect("[data-report]" if mine else "[data-own-actions]"):
                other.drop_tree()
            if message != first:  # the same day as the message before: no heading again
                for heading in item.cssselect("[data-day-heading]"):
                    heading.drop_tree()
            if mine:
                item.set("class", "chat-message chat-message-own")
            assert same(item) == same(message_item(page, message).root)


# --- History --------------------------------------------------------------------------------


def test_history_shows_the_latest_fifty_and_loads_older_ones(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    sent = many(alice, conversation, 60)
    client = client_for(mentor_maria)

    latest = client.get(page_url(conversation)).content.decode()
    older_link = f"{page_url(conversation)}?before={sent[10].pk}"
    older = client.get(older_link).content.decode()

    assert Html(latest).count("#messages > li") == 50
    assert f'id="message-{sent[9].pk}"' not in latest
    assert f'id="message-{sent[10].pk}"' in latest
    assert Html(latest).attr('a[rel="prev"]', "href") == older_link
    assert Html(older).count("#messages > li") == 10
    assert f'id="message-{sent[0].pk}"' in older
    assert not Html(older).select('a[rel="prev"]')  # nothing older than that


def test_history_api_returns_what_came_after_an_id(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    sent = [say(alice, conversation, f"m{n}") for n in range(4)]
    conversations.mark_read(user=mentor_maria, conversation=conversation, up_to_id=sent[1].pk)
    url = reverse("messaging:history_json", args=[conversation.pk])

    data = client_for(mentor_maria).get(url, {"after": sent[1].pk}).json()

    assert [m["id"] for m in data["messages"]] == [sent[2].pk, sent[3].pk]
    assert data["messages"][0]["body"] == "m2"
    assert data["messages"][0]["sender_name"] == "Alice Actor"
    assert data["last_read_id"] == sent[1].pk
    for bad in ("x", "-1", "²", "9" * 40):
        assert client_for(mentor_maria).get(url, {"after": bad}).status_code == 400, bad
