"""The directory: search, filters, pagination, and a query count that does not grow."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from profiles.models import Organisation, Profile, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def network(make_user: Callable[..., User], organisation: Organisation) -> dict[str, User]:
    other = Organisation.objects.create(name="Savo Secure", slug="savo-secure")
    return {
        "dev": make_user(
            "Dana Developer",
            kind=Profile.Kind.PROFESSIONAL,
            organisation=organisation,
            job_title="Developer",
            shares=("programming-python",),
            languages=("fi", "en"),
        ),
        "sec": make_user(
            "Sami Security",
            kind=Profile.Kind.PROFESSIONAL,
            organisation=other,
            headline="Ethical hacker",
            shares=("cybersecurity",),
            languages=("sv",),
            is_available=False,
        ),
        "student": make_user(
            "Stella Student",
            degree_programme="Business",
            learns=("programming-python",),
            shares=("digital-marketing",),
            languages=("en",),
        ),
    }


def names(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {card.display_name for card in response.context["page"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", {"Dana Developer", "Sami Security", "Stella Student", "Viewer"}),
        ("q=dana", {"Dana Developer"}),
        ("q=hacker", {"Sami Security"}),  # headline
        ("q=savo", {"Sami Security"}),  # organisation
        ("q=python", {"Dana Developer", "Stella Student"}),  # competence, either direction
        ("q=Python-ohjelmointi", {"Dana Developer", "Stella Student"}),  # the Finnish name
        ("q=dana+python", {"Dana Developer"}),  # every word must match
        ("kind=professional", {"Dana Developer", "Sami Security"}),
        ("competence={python}", {"Dana Developer", "Stella Student"}),
        ("competence={python}&direction=share", {"Dana Developer"}),
        ("competence={python}&direction=learn", {"Stella Student"}),
        ("organisation=savo-secure", {"Sami Security"}),
        ("language=sv", {"Sami Security"}),
        ("kind=professional&available=on", {"Dana Developer"}),
    ],
)
def test_search_and_filters(
    network: dict[str, User],
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
    competence: Callable,
    query: str,
    expected: set[str],  # type: ignore[type-arg]
) -> None:
    viewer = make_user("Viewer")
    url = "/people/?" + query.format(python=competence("programming-python").pk)
    response = client_for(viewer).get(url)
    assert response.status_code == 200
    assert names(response) == expected


def test_bad_filter_values_are_ignored_not_errors(
    network: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    response = client_for(network["dev"]).get(
        "/people/?competence=abc&language=xx&page=zz&q=" + "a" * 500
    )
    assert response.status_code == 200


def test_pages_of_fifty_keep_the_filters(
    make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    for number in range(55):
        make_user(f"Student {number:02}")
    viewer = make_user("Viewer")
    first = client_for(viewer).get("/people/?kind=student")
    assert len(first.context["page"]) == 50
    assert "kind=student&amp;page=2" in first.content.decode()
    second = client_for(viewer).get("/people/?kind=student&page=2")
    assert len(second.context["page"]) == 6


def test_directory_query_count_does_not_grow_with_profiles(
    make_user: Callable[..., User],
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Callable,  # type: ignore[type-arg]
    django_assert_num_queries: Callable,  # type: ignore[type-arg]
    organisation: Organisation,
) -> None:
    viewer = make_user("Viewer")
    client = client_for(viewer)

    def add(count: int) -> None:
        for _ in range(count):
            make_user(
                kind=Profile.Kind.PROFESSIONAL,
                organisation=organisation,
                shares=("programming-python", "cloud-services"),
                learns=("leadership",),
                languages=("fi", "en"),
            )

    add(3)
    client.get("/people/?q=python")  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/people/?q=python&language=fi")
    add(30)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get("/people/?q=python&language=fi")
    assert len(response.context["page"]) == 33
    # session, user, filter lists, page, cards, counts, and whom the viewer may start
    # conversations with (one query for a viewer in no pilot)
    with django_assert_max_num_queries(7):
        client.get("/people/")


def test_profile_and_organisation_pages_have_a_query_budget(
    network: dict[str, User],
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Callable,  # type: ignore[type-arg]
) -> None:
    client = client_for(network["student"])
    with django_assert_max_num_queries(10):
        assert client.get(f"/people/{network['dev'].pk}/").status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get("/organisations/nordic-code/").status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get("/me/").status_code == 200


def test_organisation_page_lists_its_people(
    network: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    page = client_for(network["student"]).get("/organisations/savo-secure/")
    assert "Sami Security" in page.content.decode()
    assert "Dana Developer" not in page.content.decode()
    assert client_for(network["student"]).get("/organisations/nope/").status_code == 404


def test_directory_needs_a_login(client: Client) -> None:
    assert client.get("/people/").status_code == 302
