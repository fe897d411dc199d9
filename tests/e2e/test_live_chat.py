"""A live conversation between an actor and a mentor, in Chromium against the real ASGI server.

The actor and the mentor share a running pilot with a theme this week. The mentor keeps the
conversation list open; the actor starts a conversation about this week's theme from the
mentor's profile. The mentor sees it arrive without reloading, with its unread badge, opens it
and answers; the actor sees the answer arrive in the open conversation. A third browser without
JavaScript sends a message with the plain form and the mentor gets it live. The mentor's other
tab, on another page, shows the unread badge live and counts the first message once. When the
actor's socket is closed, a message sent meanwhile arrives after the reconnect. Every page
passes axe-core with no serious or critical violation, the page without scripts too.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import BrowserContext, Locator, Page, WebSocket, expect

from messaging import events
from messaging.models import Conversation, Message
from messaging.services import conversations
from pilots import services
from pilots.models import Pilot, Role, Week
from profiles.models import Organisation, Profile, User
from tests.e2e.conftest import assert_accessible
from tests.support.browser import WAIT_MS, in_thread, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


THEME = "Finding your first job in IT"
QUESTION = "How did you find your first job in IT?"
FIRST = "Hi Maria! I am a second-year ICT student. How did you get your first job?"
ANSWER = "Through a summer internship. Ask your teachers which companies take interns."
NO_JS = "Thank you! I will ask about internships tomorrow."
MISSED = "Tell me how it went!"


def conversations_link(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main").get_by_role("link", name="Conversations")


def test_actor_and_mentor_talk_live_and_without_javascript(
    new_context: Callable[..., BrowserContext],
    live_site: Callable[[str], str],
    make_user: Callable[..., User],
    server_hashers: None,
) -> None:
    expect.set_options(timeout=WAIT_MS)
    host = Organisation.objects.create(
        name="Demo University", slug="demo-university", kind=Organisation.Kind.UNIVERSITY
    )
    starts_on = timezone.localdate() - datetime.timedelta(days=3)
    pilot = Pilot.objects.create(
        host=host,
        name="Spring speed mentoring",
        slug="spring-speed",
        starts_on=starts_on,
        ends_on=starts_on + datetime.timedelta(weeks=5, days=-1),
        status=Pilot.Status.RUNNING,
    )
    services.plan_weeks(pilot=pilot)
    today = timezone.localdate()
    assert Week.objects.filter(pilot=pilot, starts_on__lte=today, ends_on__gte=today).update(
        theme=THEME
    )
    actor = make_user("Aino Actor", email="aino@example.fi")
    mentor = make_user("Maria Mentor", email="maria@example.com", kind=Profile.Kind.PROFESSIONAL)
    services.add_participant(pilot=pilot, user=actor, role=Role.ACTOR, earns_credits=True)
    services.add_participant(pilot=pilot, user=mentor, role=Role.MENTOR)
    login_url = live_site("/accounts/login/")

    # --- The mentor signs in and keeps the conversation list open ----------------------------
    mentor_context = new_context()
    mentor_page = sign_in(mentor_context, login_url, mentor.email)
    # A second tab on another page: the navigation's badge is live there too.
    elsewhere = mentor_context.new_page()
    elsewhere.set_default_timeout(WAIT_MS)
    elsewhere.goto(live_site("/pilots/"))
    expect(conversations_link(elsewhere)).to_have_accessible_name("Conversations")
    mentor_page.goto(live_site("/conversations/"))
    expect(mentor_page.get_by_role("heading", level=1)).to_have_text("Conversations")
    expect(mentor_page.get_by_text("No conversations yet.")).to_be_visible()
    assert_accessible(mentor_page)

    # --- The actor starts a conversation about this week's theme -----------------------------
    actor_page = sign_in(new_context(), login_url, actor.email)
    actor_page.goto(live_site(f"/people/{mentor.pk}/"))
    actor_page.get_by_role("button", name="Start a conversation").click()  # a link as a button
    expect(actor_page).to_have_url(re.compile(rf"/people/{mentor.pk}/talk/$"))
    expect(actor_page.get_by_role("heading", level=1)).to_have_text(
        "Start a conversation with Maria Mentor"
    )
    assert_accessible(actor_page)
    actor_page.get_by_label("Your question").fill(QUESTION)
    themes = actor_page.get_by_role("group", name="About this week's theme?")
    themes.get_by_role("radio", name=re.compile(re.escape(THEME))).check()
    actor_page.get_by_label("Your first message").fill(FIRST)
    actor_page.get_by_role("button", name="Start the conversation").click()

    expect(actor_page).to_have_url(re.compile(r"/conversations/\d+/$"))
    conversation = Conversation.objects.get(subject=QUESTION)
    assert conversation.tag == THEME
    expect(actor_page.get_by_role("heading", level=1)).to_have_text(QUESTION)
    expect(actor_page.get_by_text(f"Theme: {THEME}")).to_be_visible()
    actor_messages = actor_page.locator("#messages > li")
    expect(actor_messages).to_have_count(1)
    expect(actor_messages.first).to_contain_text(FIRST)
    assert_accessible(actor_page)

    # --- The mentor sees it arrive live, unread, and opens it --------------------------------
    row = mentor_page.locator(f'[data-conversation="{conversation.pk}"]')
    expect(row).to_be_visible()
    expect(row.get_by_role("link", name=QUESTION)).to_be_visible()
    expect(row.locator("[data-unread]")).to_have_text("1 unread")
    expect(row).to_have_class(re.compile(r"\bconversation-unread\b"))
    expect(row).to_contain_text("With Aino Actor")
    expect(row).to_contain_text(THEME)
    expect(conversations_link(mentor_page)).to_contain_text("1 unread")
    assert mentor_page.url == live_site("/conversations/"), "the list was reloaded"
    assert_accessible(mentor_page)
    # Counted once, although the first message came with the new conversation.
    expect(conversations_link(elsewhere)).to_have_accessible_name("Conversations 1 unread")
    assert elsewhere.url == live_site("/pilots/")

    row.get_by_role("link", name=QUESTION).click()
    expect(mentor_page).to_have_url(live_site(conversation.get_absolute_url()))
    mentor_messages = mentor_page.locator("#messages > li")
    expect(mentor_messages).to_have_count(1)
    expect(mentor_messages.first).to_contain_text(FIRST)
    expect(mentor_messages.first.get_by_text("New messages", exact=True)).to_be_visible()
    assert_accessible(mentor_page)
    expect(conversations_link(elsewhere)).to_have_accessible_name("Conversations")  # read

    # --- The mentor types and answers; the actor sees both live -----------------------------
    actor_url = actor_page.url
    mentor_page.get_by_role("textbox", name="Your message:").press_sequentially("Through", delay=20)
    expect(actor_page.locator("#typing")).to_have_text("Maria Mentor is typing…")
    mentor_page.get_by_role("textbox", name="Your message:").fill(ANSWER)
    mentor_page.get_by_role("button", name="Send").click()
    expect(mentor_messages).to_have_count(2)
    expect(mentor_messages.last).to_contain_text(ANSWER)
    expect(mentor_page.get_by_role("textbox", name="Your message:")).to_have_value("")

    expect(actor_messages).to_have_count(2)
    expect(actor_messages.last).to_contain_text(ANSWER)
    expect(actor_messages.last).to_contain_text("Maria Mentor")
    assert actor_page.url == actor_url, "the conversation was reloaded"
    assert_accessible(actor_page)
    assert Message.objects.filter(conversation=conversation).count() == 2

    # --- Without JavaScript: the actor answers with the plain form ---------------------------
    plain_page = sign_in(new_context(java_script_enabled=False), login_url, actor.email)
    plain_page.goto(live_site(conversation.get_absolute_url()))
    plain_messages = plain_page.locator("#messages > li")
    expect(plain_messages).to_have_count(2)
    plain_page.get_by_role("textbox", name="Your message:").fill(NO_JS)
    plain_page.get_by_role("button", name="Send").click()
    expect(plain_messages).to_have_count(3)
    last = Message.objects.filter(conversation=conversation).latest("pk")
    expect(plain_page).to_have_url(
        live_site(f"{conversation.get_absolute_url()}#message-{last.pk}")
    )
    expect(plain_messages.last).to_contain_text(NO_JS)
    assert last.body == NO_JS
    assert last.sender == actor

    # The mentor's open conversation and the actor's live tab get it without reloading.
    expect(mentor_messages).to_have_count(3)
    expect(mentor_messages.last).to_contain_text(NO_JS)
    expect(actor_messages).to_have_count(3)
    expect(actor_messages.last).to_contain_text(NO_JS)

    # --- The actor's socket drops; what is sent meanwhile arrives after the reconnect --------
    in_thread(events.end_sessions, actor.pk)  # closes the actor's sockets with 4000
    actor_page.wait_for_function("() => !window.MentoringLive.isOpen()")
    in_thread(
        conversations.send_message,
        sender=mentor,
        conversation=conversation,
        body=MISSED,
        client_id=uuid.uuid4(),
    )
    expect(actor_messages).to_have_count(4)  # resynced over HTTP after the new hello
    expect(actor_messages.last).to_contain_text(MISSED)
    actor_page.wait_for_function("() => window.MentoringLive.isOpen()")
    assert actor_page.url == actor_url, "the conversation was reloaded"

    # axe runs as a script, which the context without JavaScript cannot: check the same page
    # with the site's own scripts refused instead, as a browser without them renders it.
    scriptless = new_context()
    scriptless.route(re.compile(r"/static/js/"), lambda route: route.abort())
    scriptless_page = sign_in(scriptless, login_url, actor.email)
    scriptless_page.goto(live_site(conversation.get_absolute_url()))
    expect(scriptless_page.locator("#messages > li")).to_have_count(4)
    assert scriptless_page.evaluate("typeof window.MentoringLive") == "undefined"
    assert_accessible(scriptless_page)


def normalised(items: list[str]) -> list[str]:
    """Message markup as the DOM serialises it, without what differs between two renders of
    the same page: the CSRF token's masked value and whitespace between elements."""
    token = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*"')
    return [re.sub(r"\s+", " ", re.sub(r">\s+<", "><", token.sub(r'\1"', item))) for item in items]


def test_a_live_message_costs_the_tab_no_request_and_looks_as_after_a_reload(
    new_context: Callable[..., BrowserContext],
    live_site: Callable[[str], str],
    make_user: Callable[..., User],
    tmp_path: Path,
    server_hashers: None,
) -> None:
    """A burst of messages reaches the open conversation with no HTTP request of the tab and
    one "read" frame; each message shows as the server renders it for this viewer on a page
    load: the viewer's own with edit and delete, the others' with the report link."""
    expect.set_options(timeout=WAIT_MS)
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
    conversation = conversations.start_direct(sender=actor, recipient=mentor, subject=QUESTION)
    conversations.send_message(
        sender=actor, conversation=conversation, body=FIRST, client_id=uuid.uuid4()
    )
    login_url = live_site("/accounts/login/")
    url = live_site(conversation.get_absolute_url())

    actor_page = sign_in(new_context(), login_url, actor.email)
    sent: list[dict[str, object]] = []
    received: list[dict[str, object]] = []

    def record(socket: WebSocket) -> None:
        socket.on("framesent", lambda payload: sent.append(json.loads(payload)))
        socket.on("framereceived", lambda payload: received.append(json.loads(payload)))

    actor_page.on("websocket", record)
    actor_page.goto(url)
    actor_page.wait_for_function("() => window.MentoringLive.isOpen()")
    actor_messages = actor_page.locator("#messages > li")
    expect(actor_messages).to_have_count(1)
    actor_page.wait_for_timeout(500)  # the resync after hello is done
    requests: list[str] = []
    actor_page.on("request", lambda request: requests.append(request.url))
    sent.clear()
    received.clear()

    burst = [f"Answer {n}: internships, meetups and a portfolio." for n in range(1, 4)]

    def send_burst() -> None:
        with transaction.atomic():  # their events go out together, after the commit
            for body in burst:
                conversations.send_message(
                    sender=mentor, conversation=conversation, body=body, client_id=uuid.uuid4()
                )

    in_thread(send_burst)
    expect(actor_messages).to_have_count(4)
    actor_page.wait_for_timeout(1500)  # time for the read frame to go and its answers to come
    reads = [frame for frame in sent if frame["type"] == "read"]
    print(
        f"\n{len(burst)} messages received: {len(requests)} HTTP requests, frames sent "
        f"{[frame['type'] for frame in sent]}, received {[frame['type'] for frame in received]}"
    )
    assert requests == []
    last = Message.objects.filter(conversation=conversation).latest("pk")
    assert reads == [{"type": "read", "conversation": conversation.pk, "up_to": last.pk}]
    assert [frame["type"] for frame in received].count("message.new") == len(burst)

    # One at a time, each is a burst of its own: one "read" each, and still no request.
    sent.clear()
    received.clear()
    for number, body in enumerate(("One more thing:", "bring your portfolio."), start=5):
        in_thread(
            conversations.send_message,
            sender=mentor,
            conversation=conversation,
            body=body,
            client_id=uuid.uuid4(),
        )
        expect(actor_messages).to_have_count(number)
        actor_page.wait_for_timeout(1000)
    print(
        f"2 messages one at a time: {len(requests)} HTTP requests, frames sent "
        f"{[frame['type'] for frame in sent]}, received {[frame['type'] for frame in received]}"
    )
    assert requests == []
    assert [frame["type"] for frame in sent] == ["read", "read"]

    # The actor answers over the socket: their own message arrives live with its controls.
    actor_page.get_by_role("textbox", name="Your message:").fill(NO_JS)
    actor_page.get_by_role("button", name="Send").click()
    expect(actor_messages).to_have_count(7)
    own = actor_messages.last
    expect(own).to_contain_text(NO_JS)
    expect(own).to_have_class(re.compile(r"\bchat-message-own\b"))
    # In its menu, closed: edit and delete on one's own, report on the others'.
    expect(own.locator("details.chat-menu a[data-edit]")).to_have_count(1)
    expect(own.locator("details.chat-menu a[data-delete]")).to_have_count(1)
    expect(own.locator("[data-report]")).to_have_count(0)
    for theirs in actor_messages.all()[1:6]:
        expect(theirs.locator("details.chat-menu [data-report] a")).to_have_count(1)
        expect(theirs.locator("[data-own-actions]")).to_have_count(0)
    live_markup = normalised(actor_messages.evaluate_all("items => items.map(i => i.outerHTML)"))
    for width, height in ((390, 844), (1366, 900)):
        actor_page.set_viewport_size({"width": width, "height": height})
        actor_page.screenshot(path=str(tmp_path / f"conversation-{width}.png"), full_page=True)
        expect(own.locator("summary")).to_be_visible()
    assert_accessible(actor_page)

    actor_page.reload()
    expect(actor_messages).to_have_count(7)
    assert normalised(actor_messages.evaluate_all("items => items.map(i => i.outerHTML)")) == (
        live_markup
    )
