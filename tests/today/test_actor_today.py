"""An actor's Today: this week's theme with its prompts, orientation progress, pairs and
groups with unread counts, questions waiting for an answer, and three suggestions that leave
out people already paired with, label a reverse match and offer a start only where allowed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from groups.models import Group
from messaging.models import Conversation
from pilots.models import Material, MaterialCompletion, Pilot, Week
from profiles.models import Competence, ProfileCompetence, User
from tests.support.conversations import say
from tests.support.html import Html
from tests.support.today import section, suggestion_cards, today_page

pytestmark = pytest.mark.django_db


def test_signed_in_home_is_today_not_the_profile(
    alice: User, pilot: Pilot, client_for: Any
) -> None:
    response = client_for(alice).get("/")

    assert response.status_code == 200
    assert response.templates[0].name == "today/today.html"
    page = Html(response)
    assert page.text("h1") == "Today, Alice Actor"
    assert page.one('nav a[aria-current="page"]').get("href") == "/"


def test_this_weeks_theme_and_prompts_each_with_ask_a_mentor(
    alice: User, pilot: Pilot, client_for: Any
) -> None:
    week = pilot.current_week()
    assert week is not None
    Week.objects.filter(pk=week.pk).update(
        theme="Future skills", prompts="What do you learn at work?\nWhich skill surprised you?"
    )

    page = today_page(client_for(alice))

    section = page.one(".today-week")
    assert "Future skills" in section.text_content()
    prompts = [" ".join(li.text_content().split()) for li in section.cssselect("li")]
    assert prompts[0].startswith("What do you learn at work?")
    assert all("Ask a mentor about this" in prompt for prompt in prompts)
    assert len(prompts) == 2
    ask_link = section.cssselect("a.today-ask")[0].get("href")
    assert ask_link == "/people/?kind=professional&available=on"


def test_orientation_progress_links_to_what_is_left(
    alice: User, pilot: Pilot, client_for: Any
) -> None:
    first, second, third = (
        Material.objects.create(pilot=pilot, title=t, body="x", required=True, is_published=True)
        for t in ("Welcome", "Safe space", "How to ask")
    )
    Material.objects.create(pilot=pilot, title="Draft", body="x", required=True)
    MaterialCompletion.objects.create(material=first, user=alice)
    MaterialCompletion.objects.create(material=third, user=alice)

    page = today_page(client_for(alice))

    progress = section(page, f'section[aria-labelledby="orientation-{pilot.pk}-heading"]')
    assert progress.text("p") == "2 of 3 done · Next: Safe space"
    assert progress.attr("a", "href") == f"/pilots/{pilot.slug}/materials/{second.pk}/"
    assert progress.attr("progress", "value") == "2"
    assert progress.attr("progress", "max") == "3"


def test_pairs_and_groups_with_unread_counts(
    alice: User, mentor_maria: User, pilot: Pilot, pair: Group, client_for: Any
) -> None:
    say(mentor_maria, pair.conversation, "Welcome!")
    say(mentor_maria, pair.conversation, "Shall we meet on Friday?")

    page = today_page(client_for(alice))

    rows = page.select("#groups li")
    assert len(rows) == 1
    assert rows[0].cssselect("a")[0].get("href") == pair.get_absolute_url()
    # The introduction staff's forming the pair posted, and the mentor's two messages.
    assert " ".join(rows[0].cssselect(".badge-new")[0].text_content().split()) == "3 unread"


def test_questions_i_asked_wait_until_someone_answers(
    alice: User,
    mentor_maria: User,
    pilot: Pilot,
    mentor: Callable[..., User],
    ask: Callable[..., Conversation],
    client_for: Any,
) -> None:
    answered = ask(alice, mentor_maria, "How did you start?")
    waiting = ask(alice, mentor("Mikko Mentor"), "Which course helped you most?")
    say(alice, waiting, "Any thoughts?")
    say(mentor_maria, answered, "By accident, really.")

    page = today_page(client_for(alice))

    assert page.texts("#asked li a") == ["Which course helped you most?"]


def test_suggestions_leave_out_my_pair_and_label_a_reverse_match(
    alice: User,
    mentor_maria: User,
    pilot: Pilot,
    pair: Group,
    mentor: Callable[..., User],
    client_for: Any,
    make_user: Callable[..., User],
) -> None:
    # alice can share data analysis, which Rita wants to learn.
    ProfileCompetence.objects.create(
        profile_id=alice.pk,
        competence=Competence.objects.get(slug="data-analysis"),
        direction="share",
    )
    mentor("Rita Reverse", shares=("programming-python",), learns=("data-analysis",))
    mentor("Pekka Plain", shares=("programming-python",), learns=("web-development",))
    outside = make_user("Olli Outside", kind="professional", shares=("programming-python",))

    page = today_page(client_for(alice))

    names = page.texts("#suggestions .profile-card h3")
    assert "Maria Mentor" not in names  # already her pair
    assert outside.display_name not in names  # not in alice's pilot
    assert sorted(names) == ["Pekka Plain", "Rita Reverse"]
    cards = suggestion_cards(page)
    assert cards["Rita Reverse"].text(".today-reverse .badge") == "Reverse match"
    assert cards["Pekka Plain"].count(".today-reverse") == 0


def test_start_is_offered_only_where_allowed_otherwise_why(
    alice: User,
    pilot: Pilot,
    mentor: Callable[..., User],
    client_for: Any,
) -> None:
    open_mentor = mentor("Olga Open", shares=("programming-python",))
    mentor("Paula Paused", shares=("programming-python", "cloud-services"), is_available=False)
    week = pilot.current_week()
    assert week is not None
    Week.objects.filter(pk=week.pk).update(theme="Future skills")

    page = today_page(client_for(alice))

    cards = suggestion_cards(page)
    assert cards["Olga Open"].attr('a[role="button"]', "href") == (
        f"/pilots/people/{open_mentor.pk}/talk/?theme_of=pilot%3A{pilot.pk}"
    )
    # An unavailable mentor is not suggested at all (matching leaves them out) ...
    assert "Paula Paused" not in cards
    # ... and one whose start the pilot refuses says why instead of offering the button.
    Material.objects.create(pilot=pilot, title="Read", body="x", required=True, is_published=True)
    Pilot.objects.filter(pk=pilot.pk).update(requires_orientation=True)
    refused = today_page(client_for(alice))
    card = suggestion_cards(refused)["Olga Open"]
    assert card.count('a[role="button"]') == 0
    # The reason is the actor's own, the same for every suggestion: said once, above them,
    # with the way to the orientation.
    assert card.count(".today-refusal") == 0
    said = section(refused, "#suggestions")
    assert said.count(".today-refusal") == 1
    assert said.text(".today-refusal") == (
        f"Finish the orientation of {pilot.name} first. Go to the orientation"
    )
    assert said.attr(".today-refusal a", "href") == f"/pilots/{pilot.slug}/#materials-heading"


def test_start_page_preselects_the_theme_from_today(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Any
) -> None:
    week = pilot.current_week()
    assert week is not None
    Week.objects.filter(pk=week.pk).update(theme="Future skills")

    page = Html(
        client_for(alice).get(f"/pilots/people/{mentor_maria.pk}/talk/?theme_of=pilot:{pilot.pk}")
    )

    assert page.attr("input[name=theme_of]:checked", "value") == f"pilot:{pilot.pk}"
