"""A pilot from both sides, in Chromium against the real server and a real Celery worker.

Staff create a running pilot, plan this week, publish a required text material and invite an
actor from a CSV file. The actor accepts the e-mailed link, signs up, completes orientation and
sees the week's theme. Staff announce something to everyone and the weekly theme goes out
("do what is due"); the actor finds both among the notifications. Every page passes axe-core
with no serious or critical violation.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable

import pytest
from django.utils import timezone
from playwright.sync_api import BrowserContext, FilePayload, Locator, Page, expect

from messaging.models import Notification
from pilots import services
from pilots.models import Announcement, Pilot, Week
from profiles.models import Organisation, User
from tests.conftest import PASSWORD
from tests.e2e.conftest import Mailbox, assert_accessible, screenshot_on_phone, text_body
from tests.support.delivery import Worker
from tests.support.processes import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 15_000
DELIVERY_SECONDS = 60

PILOT = "Spring speed mentoring"
SLUG = "spring-speed"
THEME = "What I expect from speed mentoring"
PROMPTS = ("What do you hope to learn from a mentor?", "Which question would you ask first?")
MATERIAL = "How the pilot works"
ACTOR_NAME = "Aino Virtanen"
ACTOR_EMAIL = "aino.virtanen@example.fi"
ANNOUNCEMENT = "Kick-off on Monday"


def main_nav(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name)


def staff_nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Staff pages").get_by_role("link", name=name).click()


def notices(page: Page) -> Locator:
    return page.get_by_role("region", name="Notices")


def test_staff_run_a_pilot_and_the_invited_actor_follows_it(
    page: Page,
    new_context: Callable[..., BrowserContext],
    live_site: Callable[[str], str],
    smtp_server: Mailbox,
    site_worker: Worker,
    make_user: Callable[..., User],
    server_hashers: None,
) -> None:
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    Organisation.objects.create(
        name="Savonia University of Applied Sciences",
        slug="savonia",
        kind=Organisation.Kind.UNIVERSITY,
    )
    make_user("Sam Staff", email="sam@example.com", is_staff=True)
    # Today is the fourth day of week 1, whatever the hour.
    starts_on = timezone.localdate() - datetime.timedelta(days=3)
    ends_on = starts_on + datetime.timedelta(days=34)

    # --- Staff sign in and create the pilot ------------------------------------------------
    page.goto(live_site("/accounts/login/"))
    page.get_by_label("E-mail address").fill("sam@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    main_nav(page, "Pilots").click()
    expect(page).to_have_url(re.compile(r"/pilots/$"))
    assert_accessible(page)
    page.get_by_role("button", name="Create a pilot").click()  # a link styled as a button
    expect(page).to_have_url(re.compile(r"/pilots/new/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Create a pilot")
    assert_accessible(page)
    page.get_by_label("Host organisation:").select_option(
        label="Savonia University of Applied Sciences"
    )
    page.get_by_label("Name (English):", exact=True).fill(PILOT)
    page.get_by_label("Short name in links:").fill(SLUG)
    page.get_by_label("Description (English):").fill(
        "Eight weeks of short conversations with mentors."
    )
    page.get_by_label("Status:").select_option(label="Running")
    page.get_by_label("First day:").fill(starts_on.isoformat())
    page.get_by_label("Last day:").fill(ends_on.isoformat())
    page.get_by_label("Word for actors (English):").fill("aktori")
    page.get_by_role("checkbox", name="Orientation required before conversations").check()
    page.get_by_role("button", name="Create the pilot").click()

    expect(page).to_have_url(re.compile(rf"/pilots/{SLUG}/staff/$"))
    expect(notices(page)).to_contain_text("The pilot is created. Next, plan its weeks.")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Manage {PILOT}")
    expect(page.locator(".pilot-band").get_by_role("link", name=PILOT)).to_be_visible()
    expect(page.get_by_text("Running · staff pages")).to_be_visible()
    this_week = page.get_by_role("article").filter(
        has=page.get_by_role("heading", name="This week")
    )
    expect(this_week).to_contain_text("Week 1: no theme yet")
    assert_accessible(page)
    pilot = Pilot.objects.get(slug=SLUG)
    assert pilot.status == Pilot.Status.RUNNING
    assert pilot.requires_orientation

    # --- Plan this week ----------------------------------------------------------------------
    staff_nav(page, "Weekly plan")
    expect(page).to_have_url(re.compile(rf"/pilots/{SLUG}/staff/weeks/$"))
    weeks = page.get_by_role("table", name="Weeks of the pilot")
    expect(weeks.get_by_role("row")).to_have_count(1 + 5)  # header and five weeks
    assert_accessible(page)
    current = weeks.get_by_role("row").filter(has_text="This week")
    expect(current.get_by_role("rowheader")).to_contain_text("1")
    current.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/pilots/{SLUG}/staff/weeks/1/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Week 1")
    assert_accessible(page)
    page.get_by_label("Theme (English):").fill(THEME)
    page.get_by_label("Description (English):").fill(
        "Meet your first mentor and say what you hope for."
    )
    page.get_by_label("Discussion prompts (English):").fill("\n".join(PROMPTS))
    page.get_by_role("button", name="Save the week").click()
    expect(page).to_have_url(re.compile(rf"/pilots/{SLUG}/staff/weeks/$"))
    expect(notices(page)).to_contain_text("Week 1 is saved.")
    expect(current).to_contain_text(THEME)
    expect(current.get_by_role("cell").nth(2)).to_have_text(str(len(PROMPTS)))
    expect(current).to_contain_text("Not sent")
    assert_accessible(page)

    # --- Publish a required text material ----------------------------------------------------
    staff_nav(page, "Materials")
    expect(page.get_by_text("No materials yet.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Add a material").click()  # a link styled as a button
    expect(page.get_by_role("heading", level=1)).to_have_text("New material")
    assert_accessible(page)
    page.get_by_label("Title (English):").fill(MATERIAL)
    page.get_by_label("Kind:").select_option(label="Text")
    page.get_by_label("Text (Markdown) (English):").fill(
        "## Before you start\n\n- Fill in your profile\n- Read the **weekly theme** every Monday"
    )
    page.get_by_role("checkbox", name="Required before the pilot starts").check()
    page.get_by_role("checkbox", name="Published").check()
    page.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview (not saved yet)")
    expect(preview.get_by_role("heading", name="Before you start")).to_be_visible()
    expect(preview.locator("strong")).to_have_text("weekly theme")
    assert_accessible(page)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/pilots/{SLUG}/staff/materials/$"))
    expect(notices(page)).to_contain_text("The material is saved.")
    row = page.get_by_role("table", name="Materials of the pilot").get_by_role("row").nth(1)
    expect(row).to_contain_text(MATERIAL)
    expect(row).to_contain_text("Required")
    expect(row).to_contain_text("Published")
    expect(row).to_contain_text("0 people")
    assert_accessible(page)

    # --- Invite an actor from a CSV file: preview, then confirm ------------------------------
    staff_nav(page, "Invitations")
    expect(page.get_by_text("No invitations here yet.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Invite many people from a CSV file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Invite from a CSV file")
    assert_accessible(page)
    csv = f"email;name;role;earns_credits\n{ACTOR_EMAIL};{ACTOR_NAME};aktori;kyllä\n"
    page.get_by_label("CSV file:").set_input_files(
        FilePayload(name="actors.csv", mimeType="text/csv", buffer=csv.encode())
    )
    page.get_by_role("button", name="Check the file").click()
    report = page.get_by_role("region", name="What the file would do")
    expect(report).to_contain_text("1 person to invite")
    expect(report).to_contain_text("0 lines with problems")
    people = report.get_by_role("table", name="People to invite")
    expect(people).to_contain_text(ACTOR_EMAIL)
    expect(people).to_contain_text(ACTOR_NAME)
    expect(people).to_contain_text("Aktori")  # the pilot's own word for its actors
    assert_accessible(page)
    page.get_by_role("button", name="Send 1 invitation").click()
    expect(page).to_have_url(re.compile(rf"/pilots/{SLUG}/staff/invitations/$"))
    expect(notices(page)).to_contain_text("1 invitation created; the e-mail is on its way.")
    expect(page.get_by_role("table", name="Invitations to the pilot")).to_contain_text(ACTOR_EMAIL)
    assert_accessible(page)

    # --- The actor follows the e-mailed link and signs up -----------------------------------
    invitation_mail = smtp_server.wait_for(ACTOR_EMAIL, timeout=DELIVERY_SECONDS)
    link = re.search(r"https?://\S+/pilots/invitations/\S+/", text_body(invitation_mail))
    assert link, text_body(invitation_mail)
    actor = new_context().new_page()
    actor.set_default_timeout(WAIT_MS)
    actor.goto(link.group(0))
    expect(actor.get_by_role("heading", level=1)).to_have_text(f"You are invited to {PILOT}")
    expect(actor.get_by_text("You would take part as: aktori.")).to_be_visible()
    assert_accessible(actor)
    expect(actor.get_by_label("Your name:")).to_have_value(ACTOR_NAME)
    actor.get_by_label("Password:", exact=True).fill(PASSWORD)
    actor.get_by_label("Password (again):").fill(PASSWORD)
    actor.get_by_role("button", name=f"Create the account and join {PILOT}").click()

    expect(actor).to_have_url(re.compile(rf"/pilots/{SLUG}/$"))
    expect(notices(actor)).to_contain_text(f"Welcome to {PILOT}!")
    expect(actor.get_by_role("heading", level=1)).to_have_text(PILOT)
    week = actor.get_by_role("region", name=re.compile(r"^This week"))
    expect(week.get_by_role("heading", level=2)).to_have_text(f"This week (week 1): {THEME}")
    for prompt in PROMPTS:
        expect(week.get_by_role("listitem").filter(has_text=prompt)).to_be_visible()
    orientation = actor.get_by_role("region", name="Orientation and materials")
    expect(orientation).to_contain_text("Required orientation: 0 of 1 done.")
    expect(orientation.get_by_role("progressbar")).to_have_attribute("value", "0")
    assert_accessible(actor)

    # --- Orientation: read the required material and mark it done ---------------------------
    orientation.get_by_role("link", name=MATERIAL).click()
    expect(actor.get_by_role("heading", level=1)).to_have_text(MATERIAL)
    expect(actor.get_by_role("heading", level=2, name="Before you start")).to_be_visible()
    expect(actor.locator("article strong")).to_have_text("weekly theme")
    assert_accessible(actor)
    actor.get_by_role("button", name="Mark as done").click()
    expect(actor).to_have_url(re.compile(rf"/pilots/{SLUG}/$"))
    expect(notices(actor)).to_contain_text(f"Marked as done: {MATERIAL}")
    expect(orientation).to_contain_text("Required orientation: 1 of 1 done.")
    progress = orientation.get_by_role("progressbar")
    expect(progress).to_have_attribute("value", "1")
    expect(progress).to_have_attribute("max", "1")
    expect(orientation.get_by_role("listitem").filter(has_text=MATERIAL)).to_contain_text("Done")
    assert_accessible(actor)
    actor_user = User.objects.get(email=ACTOR_EMAIL)
    assert services.may_start_conversations(pilot=pilot, user=actor_user)

    # Staff see the actor with finished orientation.
    staff_nav(page, "Participants")
    participants = page.get_by_role("table", name="Participants of the pilot")
    actor_row = participants.get_by_role("row").filter(has_text=ACTOR_EMAIL)
    expect(actor_row).to_contain_text("Aktori")  # the pilot's word
    expect(actor_row).to_contain_text("Yes")  # earns study credits, from the CSV file
    expect(actor_row.get_by_text("Done", exact=True)).to_be_visible()
    assert_accessible(page)
    screenshot_on_phone(page, "/tmp/e2e-pilot-participants-phone.png")

    # --- Staff announce something to everyone, now -------------------------------------------
    staff_nav(page, "Announcements")
    assert_accessible(page)
    page.get_by_role("button", name="Write an announcement").click()  # a link styled as one
    expect(page.get_by_role("heading", level=1)).to_have_text("New announcement")
    assert_accessible(page)
    page.get_by_label("Title (English):").fill(ANNOUNCEMENT)
    page.get_by_label("Text (Markdown) (English):").fill("We meet at **9** in the big hall.")
    page.get_by_label("To:").select_option(label="Everyone in the pilot")
    page.get_by_role("radio", name="Send now").check()
    page.get_by_role("button", name="Send or schedule").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ANNOUNCEMENT)
    expect(notices(page)).to_contain_text("The announcement is on its way.")
    assert_accessible(page)
    announcement = Announcement.objects.get(pilot=pilot, title=ANNOUNCEMENT)
    assert announcement.sent_at is not None

    # --- "Do what is due": this week's theme goes out --------------------------------------
    due = services.run_due()
    assert (due.weeks, due.announcements) == (1, 0)
    week_1 = Week.objects.get(pilot=pilot, number=1)
    assert week_1.broadcast_at is not None
    sources = {f"announcement:{announcement.pk}", f"week:{week_1.pk}"}

    def both_delivered_in_app() -> bool:
        delivered = Notification.objects.filter(user=actor_user, source__in=sources)
        return delivered.count() == len(sources)

    wait_until(both_delivered_in_app, "the actor's two notifications", timeout=DELIVERY_SECONDS)
    smtp_server.wait_for_subject(ACTOR_EMAIL, ANNOUNCEMENT, timeout=DELIVERY_SECONDS)
    smtp_server.wait_for_subject(ACTOR_EMAIL, THEME, timeout=DELIVERY_SECONDS)
    site_worker.wait_idle(timeout=DELIVERY_SECONDS)

    # Staff see the delivery: both participants, in the app and by e-mail.
    page.reload()
    delivery = page.get_by_role("region", name="Delivery", exact=True)
    for channel in ("In the app", "E-mail"):
        channel_row = delivery.get_by_role("row").filter(
            has=page.get_by_role("rowheader", name=channel)
        )
        expect(channel_row.get_by_role("cell").first).to_have_text("2")

    # --- The actor's open page shows them arrive; then the actor reads both -----------------
    nav_link = main_nav(actor, "Notifications")
    expect(nav_link).to_have_accessible_name("Notifications 2 unread")  # live, no reload
    live_notice = actor.get_by_role("status").filter(has_text="New notification:")
    expect(live_notice).to_contain_text(re.compile(f"{re.escape(ANNOUNCEMENT)}|{re.escape(THEME)}"))
    expect(live_notice.get_by_role("link", name="Open")).to_be_visible()
    assert_accessible(actor)
    actor.reload()
    expect(nav_link).to_have_accessible_name("Notifications 2 unread")
    nav_link.click()
    expect(actor).to_have_url(re.compile(r"/notifications/$"))
    items = actor.get_by_role("main").get_by_role("listitem")
    expect(items).to_have_count(2)
    theme_item = items.filter(has_text=THEME)
    expect(theme_item).to_contain_text("The weekly theme")
    expect(theme_item).to_contain_text(PROMPTS[0])
    announcement_item = items.filter(has_text=ANNOUNCEMENT)
    expect(announcement_item).to_contain_text("Announcements from project staff")
    expect(announcement_item.get_by_text("New", exact=True)).to_be_visible()
    assert_accessible(actor)

    announcement_item.get_by_role("button", name=re.compile(ANNOUNCEMENT)).click()
    expect(actor).to_have_url(re.compile(rf"/pilots/{SLUG}/announcements/{announcement.pk}/$"))
    expect(actor.get_by_role("heading", level=1)).to_have_text(ANNOUNCEMENT)
    expect(actor.locator("article strong")).to_have_text("9")
    expect(nav_link).to_have_accessible_name("Notifications 1 unread")
    assert_accessible(actor)

    nav_link.click()
    expect(announcement_item.get_by_text("New", exact=True)).to_have_count(0)
    theme_item.get_by_role("button", name=re.compile(THEME)).click()
    expect(actor).to_have_url(re.compile(rf"/pilots/{SLUG}/$"))
    expect(nav_link).to_have_accessible_name("Notifications")
    expect(week.get_by_role("heading", level=2)).to_have_text(f"This week (week 1): {THEME}")
    announcements = actor.get_by_role("region", name="Announcements", exact=True)
    expect(announcements.get_by_role("link", name=ANNOUNCEMENT)).to_be_visible()
    assert Notification.objects.filter(user=actor_user).unread().count() == 0
    screenshot_on_phone(actor, "/tmp/e2e-pilot-home-phone.png")

    actor.goto(live_site("/notifications/"))
    actor.get_by_role("link", name="Notification settings").click()
    expect(actor.get_by_role("heading", level=1)).to_have_text("Notification settings")
    assert_accessible(actor)
