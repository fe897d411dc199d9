"""What participants see: the pilot home with this week's theme, materials, announcements and
the private calendar feed. Outsiders get 404 everywhere."""

from __future__ import annotations

from collections.abc import Callable

import icalendar
import pytest
from django.test import Client

from pilots import services
from pilots.models import Announcement, Material, MaterialCompletion, Pilot, Role
from profiles.models import User
from tests.support.html import Html
from tests.support.pages import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def themed(pilot: Pilot) -> Pilot:
    week = pilot.current_week()
    assert week is not None
    week.theme = "Future skills and working life"
    week.description = "What will work look like in ten years?"
    week.prompts = "Which skill do you use most?\nWhat would you learn first?"
    week.save()
    return pilot


def test_home_shows_this_weeks_theme_and_prompts(
    themed: Pilot, alice: User, client_for: Callable[[User], Client]
) -> None:
    page = client_for(alice).get(f"/pilots/{themed.slug}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Future skills and working life" in html
    assert "Which skill do you use most?" in html
    assert "week 5" in html  # started four weeks ago


@pytest.mark.parametrize(
    "path",
    [
        "/pilots/{slug}/",
        "/pilots/{slug}/materials/{material}/",
        "/pilots/{slug}/announcements/{announcement}/",
    ],
)
def test_outsiders_get_404_like_a_missing_pilot(
    pilot: Pilot, oscar: User, other_staff: User, client_for: Callable[[User], Client], path: str
) -> None:
    material = Material.objects.create(pilot=pilot, title="Intro", body="Hi", is_published=True)
    note = Announcement.objects.create(pilot=pilot, title="Hello", body="Hi all")
    services.send_announcement(announcement=note)
    url = path.format(slug=pilot.slug, material=material.pk, announcement=note.pk)
    missing = path.format(slug="no-such-pilot", material=material.pk, announcement=note.pk)
    for user in (oscar, other_staff):
        client = client_for(user)
        response = client.get(url)
        assert response.status_code == 404
        assert page_text(response) == page_text(client.get(missing))


def test_announcement_for_mentors_is_hidden_from_actors(
    pilot: Pilot, alice: User, mentor_maria: User, client_for: Callable[[User], Client]
) -> None:
    note = Announcement.objects.create(
        pilot=pilot, title="Mentors only", body="x", audience=Announcement.Audience.MENTORS
    )
    services.send_announcement(announcement=note)
    url = f"/pilots/{pilot.slug}/announcements/{note.pk}/"
    assert client_for(mentor_maria).get(url).status_code == 200
    assert client_for(alice).get(url).status_code == 404
    assert "Mentors only" not in client_for(alice).get(f"/pilots/{pilot.slug}/").content.decode()


def test_unpublished_material_is_hidden_from_participants_but_not_staff(
    pilot: Pilot, alice: User, staff_sam: User, client_for: Callable[[User], Client]
) -> None:
    draft = Material.objects.create(pilot=pilot, title="Draft notes", body="wip")
    url = f"/pilots/{pilot.slug}/materials/{draft.pk}/"
    assert client_for(alice).get(url).status_code == 404
    assert client_for(staff_sam).get(url).status_code == 200


def test_marking_material_done_counts_toward_orientation(
    pilot: Pilot, alice: User, client_for: Callable[[User], Client]
) -> None:
    pilot.requires_orientation = True
    pilot.save()
    first = Material.objects.create(pilot=pilot, title="Read me", required=True, is_published=True)
    second = Material.objects.create(
        pilot=pilot, title="Watch me", required=True, is_published=True
    )
    client = client_for(alice)
    assert not services.may_start_conversations(pilot=pilot, user=alice)
    client.post(f"/pilots/{pilot.slug}/materials/{first.pk}/done/")
    assert (
        "Required orientation: 1 of 2 done."
        in client.get(f"/pilots/{pilot.slug}/").content.decode()
    )
    client.post(f"/pilots/{pilot.slug}/materials/{second.pk}/done/")
    assert services.may_start_conversations(pilot=pilot, user=alice)
    client.post(f"/pilots/{pilot.slug}/materials/{second.pk}/done/", {"done": "0"})
    assert not MaterialCompletion.objects.filter(material=second, user=alice).exists()


def test_mentors_need_no_orientation_and_closed_pilots_allow_no_new_conversations(
    pilot: Pilot, alice: User, mentor_maria: User
) -> None:
    pilot.requires_orientation = True
    pilot.save()
    Material.objects.create(pilot=pilot, title="Read me", required=True, is_published=True)
    assert services.may_start_conversations(pilot=pilot, user=mentor_maria)
    pilot.status = Pilot.Status.CLOSED
    pilot.save()
    assert not services.may_start_conversations(pilot=pilot, user=mentor_maria)


def test_material_markdown_is_sanitised(
    pilot: Pilot, alice: User, client_for: Callable[[User], Client]
) -> None:
    material = Material.objects.create(
        pilot=pilot,
        title="Tips",
        body=(
            "**Bold** <script>alert(1)</script> [x](javascript:alert(2)) "
            '<img src=x onerror="alert(3)">'
        ),
        is_published=True,
    )
    html = client_for(alice).get(f"/pilots/{pilot.slug}/materials/{material.pk}/").content.decode()
    assert "Bold" in Html(html).texts("main strong")
    assert "<strong>Bold</strong>" in html
    assert "<script>alert(1)" not in html
    assert "javascript:alert" not in html
    assert "onerror" not in html


def test_calendar_feed_carries_the_weeks_under_a_private_url(
    themed: Pilot, alice: User, client: Client
) -> None:
    token = alice.participations.get(pilot=themed).calendar_token
    response = client.get(f"/pilots/calendar/{token}.ics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert len(events) == themed.weeks.count() == 8
    summaries = [str(event["summary"]) for event in events]
    assert any("Future skills and working life" in summary for summary in summaries)
    assert (
        client.get("/pilots/calendar/00000000-0000-0000-0000-000000000000.ics").status_code == 404
    )


def test_my_pilots_lists_only_my_pilots(
    pilot: Pilot, other_pilot: Pilot, alice: User, client_for: Callable[[User], Client]
) -> None:
    html = client_for(alice).get("/pilots/").content.decode()
    assert pilot.name in html
    assert other_pilot.name not in html


def test_home_page_query_budget(
    themed: Pilot,
    alice: User,
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Callable,  # type: ignore[type-arg]
) -> None:
    for number in range(5):
        Material.objects.create(pilot=themed, title=f"M{number}", is_published=True, required=True)
        note = Announcement.objects.create(pilot=themed, title=f"A{number}", body="x")
        services.send_announcement(announcement=note)
    for _ in range(10):
        services.add_participant(pilot=themed, user=make_user(), role=Role.ACTOR)
    client = client_for(alice)
    with django_assert_max_num_queries(14):
        assert client.get(f"/pilots/{themed.slug}/").status_code == 200


def test_visiting_the_home_page_records_activity(
    pilot: Pilot, alice: User, client_for: Callable[[User], Client]
) -> None:
    client_for(alice).get(f"/pilots/{pilot.slug}/")
    assert alice.participations.get(pilot=pilot).last_seen_at is not None


def test_pilot_accent_colour_is_applied_through_a_csp_nonce(
    pilot: Pilot, alice: User, client_for: Callable[[User], Client]
) -> None:
    Pilot.objects.filter(pk=pilot.pk).update(accent_colour="#aa3300")
    response = client_for(alice).get(f"/pilots/{pilot.slug}/")
    style = Html(response).one("style[nonce]")
    assert "--pilot-accent: #aa3300;" in style.text_content()
    nonce = style.get("nonce")
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    # A colour that slipped past the form (set in code) cannot break out of the style sheet.
    Pilot.objects.filter(pk=pilot.pk).update(accent_colour="red;}*{")
    html = client_for(alice).get(f"/pilots/{pilot.slug}/").content.decode()
    assert "red;}" not in html
    assert "--pilot-accent: #0b3d91;" in html
