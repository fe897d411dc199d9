"""No dead ends: a profile page and the directory's cards offer "Start a conversation" only
where the pilots' rules will allow it, and otherwise say why and what to do (join a pilot with a
code, finish the orientation, ask another mentor). A mentor not taking new conversations cannot
be started with, and the start page offers up to three other mentors instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from messaging.models import Conversation
from messaging.services import conversations
from pilots import services
from pilots.models import Material, Pilot, Role
from profiles.models import Organisation, Profile, User
from tests.support.html import Html, markup

pytestmark = pytest.mark.django_db

START = "a[href^='/pilots/people/'][role=button]"


def profile_url(user: User) -> str:
    return reverse("profiles:detail", args=[user.pk])


def start_url(user: User) -> str:
    return reverse("pilots:start_conversation", args=[user.pk])


def card(page: Html, user: User) -> Html:
    """The directory card of `user` on `page`."""
    (found,) = [
        element
        for element in page.select("article.profile-card")
        if element.cssselect(f"h3 a[href='{profile_url(user)}']")
    ]
    return Html(markup(found))


@pytest.fixture
def nina(make_user: Callable[..., User]) -> User:
    """A student who takes part in no pilot yet."""
    return make_user("Nina New", email="nina@example.com", learns=("programming-python",))


@pytest.fixture
def mentor(make_user: Callable[..., User], organisation: Organisation) -> Callable[..., User]:
    def make(name: str, pilot: Pilot | None, **fields: object) -> User:
        fields.setdefault("shares", ("programming-python",))
        user = make_user(name, kind=Profile.Kind.PROFESSIONAL, organisation=organisation, **fields)
        if pilot is not None:
            services.add_participant(pilot=pilot, user=user, role=Role.MENTOR)
        return user

    return make


# --- Someone in no pilot -----------------------------------------------------------------


def test_a_person_in_no_pilot_sees_the_way_forward_instead_of_a_start_button(
    nina: User, mentor_maria: User, pilot: Pilot, client_for: Callable[[User], Client]
) -> None:
    client = client_for(nina)

    profile = Html(client.get(profile_url(mentor_maria)))
    directory = Html(client.get("/people/"))

    for page in (profile, directory):
        assert page.count(START) == 0
        (notice,) = page.select(".start-refusal")
        assert "once you take part in a pilot" in notice.text_content()
        assert notice.cssselect("a")[0].get("href") == "/pilots/join/"
    # In the directory the reason is said once, not on every card.
    assert directory.count("article.profile-card") >= 2
    assert directory.count("article.profile-card .start-refusal") == 0


def test_after_joining_with_the_code_the_start_button_is_there(
    nina: User, mentor_maria: User, pilot: Pilot, client_for: Callable[[User], Client]
) -> None:
    services.join_with_code(user=nina, code=pilot.join_code)
    client = client_for(nina)

    profile = Html(client.get(profile_url(mentor_maria)))
    directory = Html(client.get("/people/"))

    assert profile.attr(START, "href") == start_url(mentor_maria)
    assert profile.count(".start-refusal") == 0
    assert card(directory, mentor_maria).attr(START, "href") == start_url(mentor_maria)
    assert directory.count(".start-refusal") == 0


# --- Someone in a pilot ----------------------------------------------------------------------


def test_cards_offer_a_start_only_to_people_of_a_shared_pilot(
    alice: User,
    mentor_maria: User,
    pilot: Pilot,
    mentor: Callable[..., User],
    other_pilot: Pilot,
    client_for: Callable[[User], Client],
) -> None:
    elsewhere = mentor("Elsa Elsewhere", other_pilot)
    directory = Html(client_for(alice).get("/people/"))

    assert card(directory, mentor_maria).count(START) == 1
    assert card(directory, elsewhere).count(START) == 0
    assert card(directory, alice).count(START) == 0  # oneself
    assert directory.count(".start-refusal") == 0

    profile = Html(client_for(alice).get(profile_url(elsewhere)))
    assert profile.count(START) == 0
    assert profile.text(".start-refusal").startswith(
        "You can write to people who take part in the same pilot as you."
    )


def test_mentors_are_told_they_talk_with_actors_not_each_other(
    mentor_maria: User,
    pilot: Pilot,
    mentor: Callable[..., User],
    client_for: Callable[[User], Client],
) -> None:
    colleague = mentor("Colin Colleague", pilot)
    profile = Html(client_for(mentor_maria).get(profile_url(colleague)))
    assert profile.count(START) == 0
    assert profile.text(".start-refusal") == (
        "Mentors talk with actors in this pilot, not with each other."
    )


def test_an_actor_without_the_orientation_is_sent_to_it(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Callable[[User], Client]
) -> None:
    pilot.requires_orientation = True
    pilot.save()
    Material.objects.create(pilot=pilot, title="Welcome", required=True, is_published=True)
    client = client_for(alice)

    profile = Html(client.get(profile_url(mentor_maria)))
    directory = Html(client.get("/people/"))

    orientation = f"/pilots/{pilot.slug}/#materials-heading"
    for page in (profile, directory):
        assert page.count(START) == 0
        assert page.text(".start-refusal") == (
            f"Finish the orientation of {pilot.name} first. Go to the orientation"
        )
        assert page.attr(".start-refusal a", "href") == orientation


def test_a_blocked_person_gets_no_start_button_and_the_unblock_is_there(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Callable[[User], Client]
) -> None:
    conversations.block(blocker=mentor_maria, blocked=alice)
    page = Html(client_for(alice).get(profile_url(mentor_maria)))
    assert page.count(START) == 0
    assert page.text(".start-refusal") == "You cannot write to this person."
    assert card(Html(client_for(alice).get("/people/")), mentor_maria).count(START) == 0


# --- A mentor who is not taking new conversations -----------------------------------------


def test_an_unavailable_mentor_cannot_be_started_with(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Callable[[User], Client]
) -> None:
    Profile.objects.filter(pk=mentor_maria.pk).update(is_available=False)
    client = client_for(alice)

    profile = Html(client.get(profile_url(mentor_maria)))
    posted = client.post(
        start_url(mentor_maria),
        {"subject": "Hi", "body": "Hi", "client_id": str(uuid.uuid4())},
    )

    assert profile.count(START) == 0
    assert profile.text(".start-refusal") == (
        "Maria Mentor is not taking new conversations right now. Other mentors to ask"
    )
    assert profile.attr(".start-refusal a", "href") == start_url(mentor_maria)
    assert posted.status_code == 200
    assert Html(posted).text("[role=alert]") == (
        "Maria Mentor is not taking new conversations right now."
    )
    assert not Conversation.objects.exists()
    with pytest.raises(services.ConversationRefused):
        services.start_pilot_conversation(
            sender=alice, recipient=mentor_maria, subject="Hi", body="Hi", client_id=uuid.uuid4()
        )


def test_the_pilots_staff_can_still_reach_an_unavailable_mentor(
    staff_sam: User, mentor_maria: User, pilot: Pilot
) -> None:
    Profile.objects.filter(pk=mentor_maria.pk).update(is_available=False)
    assert services.start_refusal(sender=staff_sam, recipient=mentor_maria) is None


def test_the_refused_start_page_offers_up_to_three_other_mentors(
    alice: User,
    mentor_maria: User,
    pilot: Pilot,
    other_pilot: Pilot,
    mentor: Callable[..., User],
    client_for: Callable[[User], Client],
) -> None:
    Profile.objects.filter(pk=mentor_maria.pk).update(is_available=False)
    others = [mentor(f"Mentor {n}", pilot) for n in range(1, 5)]
    mentor("Busy Bea", pilot, is_available=False)
    mentor("Elsa Elsewhere", other_pilot)
    mentor("Outside Otto", None)
    mentor("Unrelated Una", pilot, shares=("leadership",))  # nothing alice wants to learn
    conversations.block(blocker=others[0], blocked=alice)

    page = Html(client_for(alice).get(start_url(mentor_maria)))

    offered = page.texts(".start-alternatives article.profile-card h3")
    assert offered == ["Mentor 2", "Mentor 3", "Mentor 4"]
    assert page.texts(".start-alternatives " + START) == ["Start a conversation"] * 3
    assert page.attr(".start-alternatives > p a", "href") == (
        "/people/?kind=professional&available=on"
    )
    assert page.count("input[name=subject]") == 0


def test_without_other_matches_the_start_page_points_to_the_directory(
    alice: User, mentor_maria: User, pilot: Pilot, client_for: Callable[[User], Client]
) -> None:
    Profile.objects.filter(pk=mentor_maria.pk).update(is_available=False)
    page = Html(client_for(alice).get(start_url(mentor_maria)))
    assert page.count(".start-alternatives article") == 0
    assert page.texts(".start-alternatives p") == [
        "No other mentor matches what you want to learn right now.",
        "Browse the mentors who are taking new conversations",
    ]


# --- Cost ----------------------------------------------------------------------------------


def test_the_directorys_start_buttons_cost_the_same_for_5_and_40_cards(
    alice: User,
    pilot: Pilot,
    mentor: Callable[..., User],
    client_for: Callable[[User], Client],
    django_assert_num_queries: Callable,  # type: ignore[type-arg]
    django_assert_max_num_queries: Callable,  # type: ignore[type-arg]
) -> None:
    pilot.requires_orientation = True
    pilot.save()
    welcome = Material.objects.create(pilot=pilot, title="Hi", required=True, is_published=True)
    services.complete_material(material=welcome, user=alice)
    for n in range(5):
        mentor(f"Mentor {n:02}", pilot, is_available=n % 2 == 0)
    client = client_for(alice)
    client.get("/people/")  # the session
    with CaptureQueriesContext(connection) as few:
        first = client.get("/people/")
    for n in range(5, 40):
        mentor(f"Mentor {n:02}", pilot, is_available=n % 2 == 0)

    with django_assert_num_queries(len(few.captured_queries)):
        many = client.get("/people/")
    # session, user, filter lists, page, cards; participations, blocks, shared pilots,
    # orientation, availability and capacity (profiles, running pilots, groups, conversations)
    with django_assert_max_num_queries(14):
        client.get("/people/")

    # maria, sam (staff) and the available mentors; not alice herself
    assert Html(first).count(START) == 2 + 3
    assert Html(many).count(START) == 2 + 20
