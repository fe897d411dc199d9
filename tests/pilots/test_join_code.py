"""A pilot's invitation code: every pilot has its own; a signed-in student joins with it at
/pilots/join/ (as an actor); staff see it on the invitations page and rotate it, after which
the old one stops working. Unknown codes, draft and closed pilots are clear form errors, and
wrong codes are rate limited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from pilots import services, views
from pilots.models import JOIN_CODE_ALPHABET, Participation, Pilot, Role, new_join_code
from profiles.models import User
from tests.support.html import Html

pytestmark = pytest.mark.django_db

JOIN_URL = "/pilots/join/"


def rotate_url(pilot: Pilot) -> str:
    return f"/pilots/{pilot.slug}/staff/join-code/"


@pytest.fixture
def nina(make_user: Callable[..., User]) -> User:
    """A student with an account who takes part in no pilot yet."""
    return make_user("Nina New", email="nina@example.com")


def join(client: Client, code: str) -> Any:
    return client.post(JOIN_URL, {"code": code})


def form_errors(response: Any) -> list[str]:
    return Html(response).texts(".errorlist li")


# --- The code ------------------------------------------------------------------------------


def test_every_pilot_gets_its_own_unambiguous_code(
    pilot: Pilot, other_pilot: Pilot, make_pilot: Callable[..., Pilot]
) -> None:
    codes = [pilot.join_code, other_pilot.join_code, make_pilot("third").join_code]
    assert len(set(codes)) == 3
    for code in [*codes, *(new_join_code() for _ in range(200))]:
        assert len(code) == 8
        assert set(code) <= set(JOIN_CODE_ALPHABET)
    assert not set("0O1I") & set(JOIN_CODE_ALPHABET)
    assert pilot.join_code_display == f"{pilot.join_code[:4]}-{pilot.join_code[4:]}"


def test_staff_see_the_code_and_its_link_on_the_invitations_page(sam: Client, pilot: Pilot) -> None:
    page = Html(sam.get(f"/pilots/{pilot.slug}/staff/invitations/"))
    assert page.text("#join-code") == pilot.join_code_display
    link = page.attr(".join-link a", "href")
    assert link == f"http://testserver/pilots/join/?code={pilot.join_code}"
    assert page.count(f'form[action="{rotate_url(pilot)}"] button') == 1
    assert "takes part as: actor." in page.text(".join-code-section")
    Pilot.objects.filter(pk=pilot.pk).update(actor_term="aktori")  # the pilot's own word
    again = Html(sam.get(f"/pilots/{pilot.slug}/staff/invitations/"))
    assert "takes part as: aktori." in again.text(".join-code-section")


# --- Joining -------------------------------------------------------------------------------


def test_a_student_joins_as_an_actor_with_the_code_typed_loosely(
    nina: User, pilot: Pilot, client_for: Callable[[User], Client]
) -> None:
    client = client_for(nina)
    typed = f" {pilot.join_code[:4].lower()} - {pilot.join_code[4:].lower()} "

    response = join(client, typed)

    assert response.status_code == 302
    assert response["Location"] == pilot.get_absolute_url()
    participation = Participation.objects.get(pilot=pilot, user=nina)
    assert (participation.role, participation.earns_credits) == (Role.ACTOR, False)
    welcome = Html(client.get(response["Location"]))
    assert welcome.texts(".messages .message") == [f"Welcome to {pilot.name}!"]


def test_the_shared_link_fills_the_code_in_and_joining_needs_a_post(
    nina: User, pilot: Pilot, client_for: Callable[[User], Client], client: Client
) -> None:
    link = f"{JOIN_URL}?code={pilot.join_code}"
    page = client_for(nina).get(link)
    assert Html(page).attr("input[name=code]", "value") == pilot.join_code
    assert not Participation.objects.filter(user=nina).exists()
    signed_out = client.get(link)
    assert signed_out.status_code == 302
    assert signed_out["Location"].startswith(reverse("account_login"))


def test_joining_twice_is_harmless_and_keeps_the_role(
    nina: User, mentor_maria: User, pilot: Pilot, client_for: Callable[[User], Client]
) -> None:
    client = client_for(nina)
    join(client, pilot.join_code)
    again = join(client, pilot.join_code)
    assert again.status_code == 302
    assert Participation.objects.filter(pilot=pilot, user=nina).count() == 1

    # A mentor who types the students' code stays a mentor.
    maria = client_for(mentor_maria)
    response = join(maria, pilot.join_code)
    assert response["Location"] == pilot.get_absolute_url()
    assert Participation.objects.get(pilot=pilot, user=mentor_maria).role == Role.MENTOR
    notice = Html(maria.get(response["Location"])).texts(".messages .message")
    assert notice == [f"You already take part in {pilot.name}."]


def test_an_unknown_code_is_a_form_error_not_a_404(
    nina: User, pilot: Pilot, client_for: Callable[[User], Client]
) -> None:
    client = client_for(nina)
    for typed in ("ZZZZ-ZZZZ", "", "x" * 21):
        response = join(client, typed)
        assert response.status_code == 400
        assert form_errors(response)
    assert form_errors(join(client, "ZZZZ-ZZZZ")) == [
        "No pilot has this code. Check it and try again."
    ]
    assert not Participation.objects.filter(user=nina).exists()


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (Pilot.Status.DRAFT, "is not open for joining yet. Try again when it starts."),
        (Pilot.Status.CLOSED, "has ended: nobody can join it any more."),
        (Pilot.Status.ARCHIVED, "has ended: nobody can join it any more."),
    ],
)
def test_a_draft_or_ended_pilot_cannot_be_joined(
    nina: User,
    make_pilot: Callable[..., Pilot],
    client_for: Callable[[User], Client],
    status: str,
    error: str,
) -> None:
    pilot = make_pilot("not-now", status=status)
    response = join(client_for(nina), pilot.join_code)
    assert response.status_code == 400
    assert form_errors(response) == [f"{pilot.name} {error}"]
    assert not Participation.objects.filter(user=nina).exists()


def test_a_recruiting_pilot_can_be_joined(
    nina: User, make_pilot: Callable[..., Pilot], client_for: Callable[[User], Client]
) -> None:
    pilot = make_pilot("soon", weeks_ago=-2, status=Pilot.Status.RECRUITING)
    assert join(client_for(nina), pilot.join_code).status_code == 302
    assert Participation.objects.filter(pilot=pilot, user=nina, role=Role.ACTOR).exists()


def test_wrong_codes_are_rate_limited_and_a_right_one_does_not_count(
    nina: User,
    pilot: Pilot,
    other_pilot: Pilot,
    client_for: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(views, "JOIN_RATE_LIMIT", 3)
    client = client_for(nina)
    assert join(client, pilot.join_code).status_code == 302  # given back: only wrong ones count
    for _ in range(3):
        assert join(client, "ZZZZ-ZZZZ").status_code == 400

    refused = join(client, other_pilot.join_code)

    assert refused.status_code == 429
    assert Html(refused).texts("[role=alert]") == [
        "Too many codes tried in a short time. Wait a quarter of an hour."
    ]
    assert not Participation.objects.filter(pilot=other_pilot, user=nina).exists()
    # Another person has their own count.
    other = client_for(User.objects.get(email="alice@example.com"))
    assert join(other, "ZZZZ-ZZZZ").status_code == 400


# --- Rotating ------------------------------------------------------------------------------


def test_staff_rotate_the_code_and_the_old_one_stops_working(
    sam: Client, nina: User, pilot: Pilot, client_for: Callable[[User], Client]
) -> None:
    old = pilot.join_code

    response = sam.post(rotate_url(pilot))

    assert response.status_code == 302
    assert response["Location"] == f"/pilots/{pilot.slug}/staff/invitations/"
    pilot.refresh_from_db()
    assert pilot.join_code != old
    page = Html(sam.get(response["Location"]))
    assert page.text("#join-code") == pilot.join_code_display
    assert pilot.join_code_display in page.texts(".messages .message")[0]
    client = client_for(nina)
    assert form_errors(join(client, old)) == ["No pilot has this code. Check it and try again."]
    assert join(client, pilot.join_code).status_code == 302


def test_only_the_pilots_own_staff_rotate_its_code(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    other_staff: User,
    sam: Client,
    client_for: Callable[[User], Client],
) -> None:
    code = pilot.join_code
    for person in (alice, mentor_maria, other_staff):
        assert client_for(person).post(rotate_url(pilot)).status_code == 404
    assert client_for(other_staff).post("/pilots/no-such-pilot/staff/join-code/").status_code == 404
    assert sam.get(rotate_url(pilot)).status_code == 405
    pilot.refresh_from_db()
    assert pilot.join_code == code


def test_rotating_keeps_those_who_joined(nina: User, pilot: Pilot) -> None:
    services.join_with_code(user=nina, code=pilot.join_code)
    services.rotate_join_code(pilot=pilot)
    assert Participation.objects.filter(pilot=pilot, user=nina).exists()
