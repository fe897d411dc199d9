"""The messenger layout of a conversation without JavaScript: day headings, one name and
photo per run of a sender's messages, the "new messages" divider where the viewer stopped
reading, one menu per message, deleting only after a confirmation, older pages (the page's
link and messages.json?before=), and the conversation list's snippets and single rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from messaging.models import Conversation, Message
from messaging.services import conversations
from profiles.models import Profile, User
from tests.support.conversations import list_row, many, message_item, page_url, say
from tests.support.html import Html

pytestmark = pytest.mark.django_db


def at(message: Message, when: datetime.datetime) -> None:
    Message.objects.filter(pk=message.pk).update(created_at=when)


# --- Layout ---------------------------------------------------------------------------------


def test_messages_are_grouped_by_day_and_by_sender(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    yesterday = timezone.now() - datetime.timedelta(days=1)
    first = say(alice, conversation, "Yesterday's question")
    at(first, yesterday)
    second = say(alice, conversation, "Today, again")
    third = say(alice, conversation, "And a detail")
    answer = say(mentor_maria, conversation, "An answer")

    html = client_for(alice).get(page_url(conversation)).content.decode()

    assert Html(html).count("#messages > li") == 4
    assert Html(html).count("#messages .chat-day") == 2  # yesterday and today
    assert message_item(html, first).count(".chat-day time") == 1
    assert message_item(html, second).count(".chat-day time") == 1  # a new day
    assert message_item(html, third).count(".chat-day") == 0
    classes = {
        m.pk: Html(html).one(f"#message-{m.pk}").get("class").split()
        for m in (first, second, third, answer)
    }
    assert "chat-message-continued" in classes[third.pk]  # same sender, same day, soon after
    assert "chat-message-continued" not in classes[second.pk]  # the first of its day
    assert "chat-message-continued" not in classes[answer.pk]  # another sender
    assert "chat-message-own" in classes[first.pk]
    assert "chat-message-own" not in classes[answer.pk]
    # The name stays in the markup for screen readers; the photo or initial beside each.
    assert message_item(html, third).text(".chat-sender strong") == "Alice Actor"
    assert message_item(html, answer).text(".chat-avatar .avatar-initial") == "M"


def test_a_sender_shows_their_photo_unless_their_profile_is_for_staff_only(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    Profile.objects.filter(user=mentor_maria).update(avatar="avatars/maria.jpg")
    answer = say(mentor_maria, conversation, "Hello")
    client = client_for(alice)

    shown = message_item(client.get(page_url(conversation)).content.decode(), answer)
    Profile.objects.filter(user=mentor_maria).update(visibility=Profile.Visibility.STAFF)
    hidden = message_item(client.get(page_url(conversation)).content.decode(), answer)

    assert shown.attr(".chat-avatar img", "src").endswith("avatars/maria.jpg")
    assert shown.attr(".chat-avatar img", "alt") == ""
    assert hidden.count(".chat-avatar img") == 0
    assert hidden.text(".chat-avatar .avatar-initial") == "M"


def test_the_new_messages_divider_is_at_the_first_unread_message_of_someone_else(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    read = say(mentor_maria, conversation, "Read already")
    conversations.mark_read(user=alice, conversation=conversation)
    own = say(alice, conversation, "My own, after that")
    unread = [say(mentor_maria, conversation, f"New {n}") for n in range(2)]
    client = client_for(alice)

    first_visit = client.get(page_url(conversation)).content.decode()
    second_visit = client.get(page_url(conversation)).content.decode()

    assert Html(first_visit).count("[data-divider]") == 1
    assert message_item(first_visit, unread[0]).text("[data-divider]") == "New messages"
    for message in (read, own, unread[1]):
        assert message_item(first_visit, message).count("[data-divider]") == 0
    # After the divider the sender's run starts again: their name and photo show.
    assert "chat-message-continued" not in Html(first_visit).one(f"#message-{unread[0].pk}").get(
        "class"
    )
    assert Html(second_visit).count("[data-divider]") == 0  # read on the first visit


def test_each_message_has_one_menu_with_what_its_viewer_may_do(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    mine = say(alice, conversation, "Mine")
    theirs = say(mentor_maria, conversation, "Theirs")
    old = say(alice, conversation, "Mine, long ago")
    at(old, timezone.now() - datetime.timedelta(hours=2))  # past the edit window: no menu

    html = client_for(alice).get(page_url(conversation)).content.decode()

    own_menu = message_item(html, mine)
    assert own_menu.count("details.chat-menu") == 1
    assert own_menu.texts("details.chat-menu .chat-menu-items a") == ["Edit", "Delete"]
    assert own_menu.text("details.chat-menu > summary .visually-hidden") == "Message actions"
    other_menu = message_item(html, theirs)
    assert other_menu.texts("details.chat-menu .chat-menu-items a") == ["Report"]
    assert message_item(html, old).count("details.chat-menu") == 0
    # Nothing in a message but its menu is focusable: one tab stop per message.
    for item in (own_menu, other_menu):
        assert item.count("a:not(details a), button, textarea, input") == 0


# --- Deleting asks first ----------------------------------------------------------------------


def test_delete_asks_for_confirmation_on_a_page_of_its_own(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    message = say(alice, conversation, "Sent to the wrong person")
    client = client_for(alice)
    url = reverse("messaging:delete", args=[conversation.pk, message.pk])

    confirm = client.get(url)

    assert confirm.status_code == 200
    page = Html(confirm)
    assert page.text("h1") == "Delete this message?"
    assert page.text("blockquote") == "Sent to the wrong person"
    assert page.one("main form[method=post]").get("action") is None  # posts to itself
    assert page.attr(".form-actions a", "href") == f"{page_url(conversation)}#message-{message.pk}"
    message.refresh_from_db()
    assert message.deleted_at is None  # asking deletes nothing

    done = client.post(url)

    assert done.status_code == 302
    message.refresh_from_db()
    assert message.deleted_at is not None


def test_nobody_else_is_asked_to_delete_a_message(
    alice: User,
    mentor_maria: User,
    oscar: User,
    talk: Callable[..., Conversation],
    client_for: Any,
) -> None:
    conversation = talk(alice, mentor_maria)
    message = say(alice, conversation, "Mine")
    url = reverse("messaging:delete", args=[conversation.pk, message.pk])

    by_other = client_for(mentor_maria).get(url, follow=True)
    by_outsider = client_for(oscar).get(url)

    assert "You can only change your own messages." in by_other.content.decode()
    assert by_other.redirect_chain[-1][0].startswith(page_url(conversation))
    assert by_outsider.status_code == 404


# --- Older pages ------------------------------------------------------------------------------


def test_messages_json_gives_the_page_before_an_id_in_bounded_queries(
    alice: User,
    mentor_maria: User,
    talk: Callable[..., Conversation],
    client_for: Any,
    django_assert_max_num_queries: Any,
) -> None:
    conversation = talk(alice, mentor_maria)
    sent = many(alice, conversation, 120)
    client = client_for(mentor_maria)
    url = reverse("messaging:history_json", args=[conversation.pk])

    with django_assert_max_num_queries(5):
        middle = client.get(url, {"before": sent[70].pk}).json()
    oldest = client.get(url, {"before": sent[20].pk}).json()

    assert [m["id"] for m in middle["messages"]] == [m.pk for m in sent[20:70]]
    assert middle["has_older"] is True
    assert [m["id"] for m in oldest["messages"]] == [m.pk for m in sent[:20]]
    assert oldest["has_older"] is False
    item = Html(middle["messages"][0]["html"])
    assert item.root.get("id") == f"message-{sent[20].pk}"
    assert item.count("[data-day-heading]") == 1  # chat.js drops it where the day goes on
    for bad in ("x", "-1", "9" * 40):
        assert client.get(url, {"before": bad}).status_code == 400, bad


def test_a_page_of_older_messages_shows_no_divider_and_leads_back(
    alice: User, mentor_maria: User, talk: Callable[..., Conversation], client_for: Any
) -> None:
    conversation = talk(alice, mentor_maria)
    sent = many(alice, conversation, 60)
    client = client_for(mentor_maria)

    older = Html(client.get(f"{page_url(conversation)}?before={sent[10].pk}"))

    assert older.count("#messages > li") == 10
    assert older.count("[data-divider]") == 0
    assert older.attr(".chat-older a:not([rel])", "href") == page_url(conversation)
    assert conversations.unread_counts(user=mentor_maria) == {conversation.pk: 60}


# --- The conversation list ----------------------------------------------------------------


def test_list_rows_show_the_latest_message(
    alice: User,
    mentor_maria: User,
    staff_sam: User,
    talk: Callable[..., Conversation],
    client_for: Any,
) -> None:
    answered = talk(alice, mentor_maria, "Answered")
    say(alice, answered, "A question")
    say(mentor_maria, answered, "An answer with <b>tags</b>")
    mine_last = talk(staff_sam, mentor_maria, "Welcome")
    say(mentor_maria, mine_last, "Thanks!")
    deleted = talk(alice, mentor_maria, "Oops")
    conversations.delete_message(user=alice, message=say(alice, deleted, "Wrong chat"))
    empty = talk(alice, mentor_maria, "Nothing yet")

    html = client_for(mentor_maria).get(reverse("messaging:conversations")).content.decode()

    assert list_row(html, answered).text("[data-snippet]") == "You: An answer with <b>tags</b>"
    assert list_row(html, mine_last).text("[data-snippet]") == "You: Thanks!"
    assert list_row(html, deleted).text("[data-snippet]") == "Alice Actor: This message was deleted"
    assert list_row(html, empty).text("[data-snippet]") == ""
    assert "<b>tags</b>" not in html


def test_one_row_of_the_list_for_the_live_update(
    alice: User,
    mentor_maria: User,
    oscar: User,
    talk: Callable[..., Conversation],
    client_for: Any,
    django_assert_max_num_queries: Any,
) -> None:
    conversation = talk(alice, mentor_maria, "A new question")
    many(alice, conversation, 3)
    url = reverse("messaging:row", args=[conversation.pk])
    client = client_for(mentor_maria)

    # The session and user, the access check, the row and its participants, the unread
    # counts, the latest message.
    with django_assert_max_num_queries(7):
        response = client.get(url)

    row = Html(response)
    assert row.root.tag == "li"
    assert row.root.get("data-conversation") == str(conversation.pk)
    assert row.text(".conversation-title a") == "A new question"
    assert row.text("[data-unread] [data-count]") == "3"
    assert row.text("[data-snippet]") == "Alice Actor: m2"
    assert client_for(oscar).get(url).status_code == 404
    assert client.get(reverse("messaging:row", args=[conversation.pk + 99])).status_code == 404
