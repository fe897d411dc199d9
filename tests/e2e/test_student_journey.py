"""A new student's first visit, in Chromium against the real server: sign up, verify the
e-mail address, land on Today with the way into a pilot, fill the profile, join the pilot with
its code, meet a suggested mentor on Today, find them in the directory. Every page passes
axe-core with no serious or critical violation."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from pilots import services as pilot_services
from pilots.models import Pilot, Role
from profiles.models import Organisation, Profile, User
from tests.conftest import PASSWORD
from tests.e2e.conftest import Mailbox, assert_accessible, screenshot_on_phone, text_body

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WAIT_MS = 15_000


def test_new_student_signs_up_fills_profile_and_finds_a_mentor(
    page: Page,
    live_site: Callable[[str], str],
    smtp_server: Mailbox,
    make_user: Callable[..., User],
    make_pilot: Callable[..., Pilot],
) -> None:
    page.set_default_timeout(WAIT_MS)
    expect.set_options(timeout=WAIT_MS)
    org = Organisation.objects.create(name="Nordic Code Oy", slug="nordic-code")
    mentor = make_user(
        "Maria Mentor",
        kind=Profile.Kind.PROFESSIONAL,
        organisation=org,
        job_title="Lead developer",
        is_available=True,
        shares=("programming-python", "web-development"),
        languages=("fi",),
    )
    make_user(
        "Pekka Payroll",
        kind=Profile.Kind.PROFESSIONAL,
        organisation=org,
        job_title="Controller",
        shares=("accounting",),
        languages=("fi",),
    )
    pilot = make_pilot()
    pilot_services.add_participant(pilot=pilot, user=mentor, role=Role.MENTOR)

    # Home, then sign up.
    page.goto(live_site("/"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    assert_accessible(page)
    page.get_by_label("Your name").fill("Sanni Student")
    page.get_by_label("E-mail address").fill("sanni@example.com")
    page.get_by_label("I am a").select_option("student")
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create the account").click()
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    assert_accessible(page)

    # The verification link arrives by e-mail through the SMTP server.
    message = smtp_server.wait_for("sanni@example.com")
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", text_body(message))
    assert link, text_body(message)
    page.goto(link.group(0))
    expect(page.get_by_role("button", name="Confirm")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirm").click()

    # Signed in, on Today: in no pilot yet, it says how to get in.
    expect(page).to_have_url(live_site("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Today, Sanni Student")
    expect(page.get_by_role("heading", name="Get started: join a pilot")).to_be_visible()
    assert_accessible(page)

    # The own profile is empty and says so.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My profile").click()
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sanni Student")
    expect(page.get_by_text("Your profile is 0 % complete.")).to_be_visible()

    # Fill it in.
    page.get_by_role("button", name="Edit profile").click()  # a link styled by Pico
    expect(page).to_have_url(re.compile(r"/me/edit/$"))
    assert_accessible(page)
    page.get_by_label("Headline").fill("First-year ICT student into Python")
    page.get_by_label("About me").fill(
        "I build small tools and want to learn from people who ship."
    )
    page.get_by_label("Degree programme").fill("Information Technology")
    page.get_by_label("Year of study").fill("1")
    first_row = page.get_by_role("group", name="Competence 1")
    first_row.get_by_label("Competence").select_option(label="Python programming")
    first_row.get_by_label("Direction").select_option(label="Want to learn")
    first_row.get_by_label("Level").select_option(label="Beginner")
    page.get_by_role("checkbox", name="Finnish", exact=True).check()
    page.get_by_role("button", name="Save profile").click()

    expect(page).to_have_url(re.compile(r"/me/$"))
    notices = page.get_by_role("region", name="Notices")
    expect(notices.get_by_role("status")).to_have_text("Your profile is saved.")
    expect(page.get_by_text("Your profile is 75 % complete.")).to_be_visible()
    assert_accessible(page)

    # Join the pilot with the code its staff gave.
    page.goto(live_site("/"))
    page.get_by_role("button", name="Join with a code").click()  # a link styled by Pico
    page.get_by_label("Invitation code").fill(pilot.join_code)
    page.get_by_role("button", name="Join the pilot").click()

    # Today now suggests the mentor, with the reason; not the other mentor (not in the pilot).
    page.goto(live_site("/"))
    suggestions = page.get_by_role("region", name="Suggested for you")
    card = suggestions.get_by_role("article").filter(has_text="Maria Mentor")
    expect(card).to_contain_text("Can share Python programming, which you want to learn.")
    expect(card).to_contain_text("You both speak Finnish.")
    expect(suggestions).not_to_contain_text("Pekka Payroll")
    assert_accessible(page)
    screenshot_on_phone(page, "/tmp/e2e-today-phone.png")

    card.get_by_role("link", name="Maria Mentor").click()
    expect(page).to_have_url(re.compile(rf"/people/{mentor.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Maria Mentor")
    expect(page.get_by_text("Lead developer")).to_be_visible()
    assert_accessible(page)

    # The directory: search "python" among professionals.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(page).to_have_url(re.compile(r"/people/$"))
    assert_accessible(page)
    page.get_by_label("Search:", exact=True).fill("python")
    page.get_by_label("Who").select_option("professional")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"/people/\?.*q=python.*kind=professional"))
    results = page.get_by_role("region", name="1 person")
    expect(results.get_by_role("article")).to_have_count(1)
    expect(results).to_contain_text("Maria Mentor")
    assert_accessible(page)
    screenshot_on_phone(page, "/tmp/e2e-people-phone.png")

    results.get_by_role("link", name="Maria Mentor").click()
    expect(page).to_have_url(re.compile(rf"/people/{mentor.pk}/$"))
    expect(page.get_by_role("heading", name="Can share")).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Python programming")).to_be_visible()

    # Signing out and in again works with the password chosen at sign-up.
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Sign in")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    assert_accessible(page)
    page.get_by_label("E-mail address").fill("sanni@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_site("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Today, Sanni Student")
