"""The conversation as a messenger, in Chromium against the real ASGI server: on a phone it
opens at the latest message with the composer in view and nothing scrolling sideways; one menu
per message is one tab stop and keyboard operable; delete asks in a dialog; scrolling up loads
older messages in place; Enter sends on a desktop and makes a new line on a phone; and the
conversation list moves a conversation up with its snippet and unread badge, or adds a new
one, without reloading. Every page passes axe-core at both widths.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, expect

from messaging.models import Conversation, Message
from messaging.services import conversations
from pilots import services
from pilots.models import Pilot, Role
from profiles.models import Organisation, Profile, User
from tests.e2e.conftest import PHONE, assert_accessible
from tests.support.browser import WAIT_MS, in_thread, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}


@pytest.fixture
def people(server_hashers: None, make_user: Callable[..., User]) -> tuple[User, User]:
    host = Organisation.objects.create(
        name="Demo University", slug="demo-university", kind=Organisation.Kind.UNIVERSITY
    )
    starts_on = timezone.localdate() - datetime.timedelta(days=3)
    pilot = Pilot.objects.create(
        host=host,
        name="Spring speed mentoring",
        slug="spring-speed",
        starts_on=starts_on,
        ends_on=starts_on + datetime.timedelta(weeks=5),
        status=Pilot.Status.RUNNING,
    )
    actor = make_user("Aino Actor", email="aino@example.fi")
    mentor = make_user("Maria Mentor", email="maria@example.com", kind=Profile.Kind.PROFESSIONAL)
    services.add_participant(pilot=pilot, user=actor, role=Role.ACTOR)
    services.add_participant(pilot=pilot, user=mentor, role=Role.MENTOR)
    return actor, mentor


def history(actor: User, mentor: User, count: int, subject: str = "Internships") -> Conversation:
    """A conversation of `count` messages over the last two days, taking turns in runs."""
    conversation = conversations.start_direct(sender=actor, recipient=mentor, subject=subject)
    start = timezone.now() - datetime.timedelta(hours=30)
    rows = [
        Message(
            conversation=conversation,
            sender=actor if (n // 3) % 2 == 0 else mentor,
            body=f"Message {n}: " + ("a longer line of text about internships " * (1 + n % 3)),
            client_id=uuid.uuid4(),
            created_at=start + datetime.timedelta(minutes=20 * n),
        )
        for n in range(count)
    ]
    Message.objects.bulk_create(rows)
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=timezone.now())
    return conversation


def days(messages: list[Message]) -> int:
    return len({timezone.localdate(message.created_at) for message in messages})


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def in_view(page: Page, selector: str) -> bool:
    return bool(
        page.evaluate(
            """selector => {
                const box = document.querySelector(selector).getBoundingClientRect();
                return box.top >= 0 && box.bottom <= window.innerHeight && box.height > 0;
            }""",
            selector,
        )
    )


def test_on_a_phone_the_conversation_opens_at_the_latest_message_ready_to_answer(
    new_context: Callable[..., BrowserContext],
    live_site: Callable[[str], str],
    people: tuple[User, User],
    tmp_path: Path,
    server_hashers: None,
) -> None:
    expect.set_options(timeout=WAIT_MS)
    actor, mentor = people
    conversation = history(actor, mentor, 70)
    conversations.mark_read(user=actor, conversation=conversation)
    stored = list(Message.objects.filter(conversation=conversation).order_by("pk"))
    latest = stored[-1]
    page = sign_in(new_context(viewport=PHONE), live_site("/accounts/login/"), actor.email)
    page.goto(live_site(conversation.get_absolute_url()))
    page.wait_for_function("() => window.MentoringLive && window.MentoringLive.isOpen()")
    page.evaluate("window.sameDocument = true")  # gone if anything reloads the page
    items = page.locator("#messages > li")

    # The latest of 50, the composer and its Send button in view, nothing sideways.
    expect(items).to_have_count(50)
    assert page.evaluate("window.scrollY") > 0
    assert in_view(page, f"#message-{latest.pk} .chat-bubble")
    assert in_view(page, "#send-form textarea")
    assert in_view(page, "#send-form button[type=submit]")
    expect(page.locator("#messages .chat-day")).to_have_count(days(stored[-50:]))
    no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "phone-open.png"))
    assert_accessible(page)

    # On a phone Enter makes a new line; the button sends.
    box = page.get_by_role("textbox", name="Your message:")
    box.fill("Thank you!")
    box.press("Enter")
    box.press_sequentially("See you next week.")
    expect(box).to_have_value("Thank you!\nSee you next week.")
    expect(items).to_have_count(50)
    page.get_by_role("button", name="Send").click()
    expect(items).to_have_count(51)
    expect(items.last).to_contain_text("See you next week.")
    expect(items.last).to_have_class(re.compile(r"\bchat-message-own\b"))
    expect(box).to_have_value("")
    assert in_view(page, "#messages > li:last-child .chat-bubble")
    assert in_view(page, "#send-form textarea")

    # Scrolling up loads the 20 older messages above, keeping what was in view in place.
    first_shown = items.first.get_attribute("id")
    page.evaluate("window.scrollTo(0, 0)")
    expect(items).to_have_count(71)
    expect(page.locator("[data-older]")).to_have_count(0)  # nothing older
    top = page.evaluate(f"document.getElementById('{first_shown}').getBoundingClientRect().top")
    assert top > 0, "the older messages came in above what was shown"
    expect(page.locator("#messages .chat-day")).to_have_count(days(stored))  # no day twice
    no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "phone-older.png"), full_page=True)
    assert page.evaluate("window.sameDocument") is True

    # In every language of the site: accessible, nothing sideways, the composer in view.
    for code, _name in settings.LANGUAGES:
        page.context.add_cookies(
            [{"name": settings.LANGUAGE_COOKIE_NAME, "value": code, "url": live_site("/")}]
        )
        page.goto(live_site(conversation.get_absolute_url()))
        expect(page.locator("html")).to_have_attribute("lang", code)
        expect(items).to_have_count(50)
        assert in_view(page, "#send-form textarea"), code
        no_sideways_scroll(page)
        assert_accessible(page)
        page.goto(live_site("/conversations/"))
        no_sideways_scroll(page)
        assert_accessible(page)


def test_one_menu_per_message_and_delete_asks_first(
    new_context: Callable[..., BrowserContext],
    live_site: Callable[[str], str],
    people: tuple[User, User],
    tmp_path: Path,
    server_hashers: None,
) -> None:
    expect.set_options(timeout=WAIT_MS)
    actor, mentor = people
    conversation = conversations.start_direct(sender=actor, recipient=mentor, subject="CVs")
    for sender, body in (
        (actor, "Could you look at my CV?"),
        (mentor, "Of course, send it over."),
        (actor, "Sent to the wrong chat, sorry"),
    ):
        conversations.send_message(
            sender=sender, conversation=conversation, body=body, client_id=uuid.uuid4()
        )
    mine = Message.objects.get(body="Sent to the wrong chat, sorry")
    page = sign_in(new_context(viewport=DESKTOP), live_site("/accounts/login/"), actor.email)
    page.goto(live_site(conversation.get_absolute_url()))
    page.wait_for_function("() => window.MentoringLive && window.MentoringLive.isOpen()")
    page.evaluate("window.sameDocument = true")
    items = page.locator("#messages > li")
    expect(items).to_have_count(3)

    # Tab goes from one message's menu to the next message's: one stop per message.
    menus = page.locator("#messages details.chat-menu > summary")
    expect(menus).to_have_count(3)
    menus.first.focus()
    page.keyboard.press("Tab")
    assert page.evaluate(
        "document.activeElement === document.querySelectorAll('#messages summary')[1]"
    )
    page.keyboard.press("Tab")
    assert page.evaluate(
        "document.activeElement === document.querySelectorAll('#messages summary')[2]"
    )

    # Keyboard operable: Enter opens it, Escape closes it and keeps the focus there.
    own_menu = items.last.locator("details.chat-menu")
    page.keyboard.press("Enter")
    expect(own_menu.get_by_role("link", name="Delete")).to_be_visible()
    expect(own_menu.get_by_role("link", name="Edit")).to_be_visible()
    expect(own_menu.get_by_role("link", name="Report")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "menu-open.png"))
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(own_menu.get_by_role("link", name="Delete")).to_be_hidden()
    assert page.evaluate(
        "document.activeElement === document.querySelectorAll('#messages summary')[2]"
    )

    # Delete asks first: cancelling keeps the message.
    page.keyboard.press("Enter")
    own_menu.get_by_role("link", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete this message?")
    expect(dialog).to_be_visible()
    assert_accessible(page)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    mine.refresh_from_db()
    assert mine.deleted_at is None

    own_menu.locator("summary").click()
    own_menu.get_by_role("link", name="Delete").click()
    dialog.get_by_role("button", name="Delete").click()
    expect(items.last.locator(".chat-body")).to_have_text("This message was deleted")
    expect(items.last.locator("details.chat-menu")).to_have_count(0)
    mine.refresh_from_db()
    assert mine.deleted_at is not None
    assert page.evaluate("window.sameDocument") is True  # over the socket, no reload

    # Enter sends on a desktop; Shift+Enter makes a new line.
    box = page.get_by_role("textbox", name="Your message:")
    expect(page.locator("#send-hint")).to_be_visible()
    box.fill("Here is the right one:")
    box.press("Shift+Enter")
    box.press_sequentially("my CV, version 2.")
    box.press("Enter")
    expect(items).to_have_count(4)
    expect(items.last.locator(".chat-body br")).to_have_count(1)
    assert Message.objects.latest("pk").body == "Here is the right one:\nmy CV, version 2."
    expect(box).to_have_value("")
    expect(box).to_be_focused()
    assert page.evaluate("window.sameDocument") is True
    no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "desktop.png"))

    # Without JavaScript the menu's Delete leads to a confirmation page.
    plain = sign_in(
        new_context(java_script_enabled=False), live_site("/accounts/login/"), actor.email
    )
    plain.goto(live_site(conversation.get_absolute_url()))
    last = plain.locator("#messages > li").last
    last.locator("summary").click()
    last.get_by_role("link", name="Delete").click()
    expect(plain.get_by_role("heading", level=1)).to_have_text("Delete this message?")
    plain.get_by_role("button", name="Delete").click()
    expect(plain.locator("#messages > li").last.locator(".chat-body")).to_have_text(
        "This message was deleted"
    )


def test_the_list_moves_a_conversation_up_live_without_reloading(
    new_context: Callable[..., BrowserContext],
    live_site: Callable[[str], str],
    people: tuple[User, User],
    make_user: Callable[..., User],
    tmp_path: Path,
    server_hashers: None,
) -> None:
    expect.set_options(timeout=WAIT_MS)
    actor, mentor = people
    older = history(actor, mentor, 3, subject="An older question")
    newer = history(actor, mentor, 3, subject="A newer question")
    Conversation.objects.filter(pk=older.pk).update(
        last_message_at=timezone.now() - datetime.timedelta(hours=1)
    )
    for conversation in (older, newer):
        conversations.mark_read(user=mentor, conversation=conversation)
    page = sign_in(new_context(viewport=PHONE), live_site("/accounts/login/"), mentor.email)
    page.goto(live_site("/conversations/"))
    page.wait_for_function("() => window.MentoringLive && window.MentoringLive.isOpen()")
    page.evaluate("window.sameDocument = true")
    titles = page.locator(".conversation-item .conversation-title a")
    expect(titles).to_have_text(["A newer question", "An older question"])
    assert_accessible(page)
    no_sideways_scroll(page)

    in_thread(
        conversations.send_message,
        sender=actor,
        conversation=older,
        body="One more thing: how long was your internship?",
        client_id=uuid.uuid4(),
    )

    expect(titles).to_have_text(["An older question", "A newer question"])
    row = page.locator(f'[data-conversation="{older.pk}"]')
    expect(row.locator("[data-snippet]")).to_have_text(
        "Aino Actor: One more thing: how long was your internship?"
    )
    expect(row.locator("[data-unread]")).to_have_text("1 unread")
    expect(row).to_have_class(re.compile(r"\bconversation-unread\b"))

    # A conversation the page does not show yet comes in on top, from the server's row.
    peer = make_user("Pekka Peer", email="pekka@example.fi")
    in_thread(
        conversations.start_conversation,
        starter=peer,
        recipient=mentor,
        subject="Is a master's degree worth it?",
        body="Hello Maria!",
        client_id=uuid.uuid4(),
    )
    expect(titles).to_have_text(
        ["Is a master's degree worth it?", "An older question", "A newer question"]
    )
    fresh = page.locator(".conversation-item").first
    expect(fresh.locator("[data-unread]")).to_have_text("1 unread")
    expect(fresh.locator("[data-snippet]")).to_have_text("Pekka Peer: Hello Maria!")
    assert page.evaluate("window.sameDocument") is True, "the list was reloaded"
    no_sideways_scroll(page)
    page.screenshot(path=str(tmp_path / "list-phone.png"), full_page=True)
    assert_accessible(page)
    page.set_viewport_size(DESKTOP)  # type: ignore[arg-type]
    no_sideways_scroll(page)
    assert_accessible(page)

    # The conversation opens at the "new messages" divider, above the one unread message.
    page.set_viewport_size(PHONE)
    row.get_by_role("link", name="An older question").click()
    divider = page.locator("[data-divider]")
    expect(divider).to_have_text("New messages")
    unread = Message.objects.filter(conversation=older).latest("pk")
    expect(page.locator("#messages > li").last).to_have_id(f"message-{unread.pk}")
    expect(page.locator(f"#message-{unread.pk} [data-divider]")).to_have_count(1)
    assert in_view(page, "[data-divider]")
    assert in_view(page, "#send-form textarea")
