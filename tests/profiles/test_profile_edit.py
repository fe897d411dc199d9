"""Editing a competence profile: what is saved, what is refused, and how it is shown."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from profiles.models import Competence, Profile, ProfileCompetence, User
from tests.support.profiles import form_data

pytestmark = pytest.mark.django_db


def test_edit_page_saves_fields_and_competences(
    client_for: Callable[[User], Client],
    make_user: Callable[..., User],
    competence: Callable[[str], Competence],
) -> None:
    user = make_user("Eve Editor")
    client = client_for(user)
    assert client.get("/me/edit/").status_code == 200
    python, sql = competence("programming-python"), competence("databases")
    response = client.post(
        "/me/edit/",
        form_data(
            user.profile,
            ((python, "share", 3), (sql, "learn", 1)),
            display_name="Eve E.",
            headline="ICT student",
            study_year=2,
        ),
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    user.refresh_from_db()
    assert user.display_name == "Eve E."
    assert user.profile.headline == "ICT student"
    assert user.profile.study_year == 2
    links = {
        (link.competence.slug, link.direction, link.level)
        for link in user.profile.competence_links.all()
    }
    assert links == {("programming-python", "share", 3), ("databases", "learn", 1)}


def test_the_same_competence_twice_in_one_direction_is_refused(
    client_for: Callable[[User], Client],
    make_user: Callable[..., User],
    competence: Callable[[str], Competence],
) -> None:
    user = make_user()
    python = competence("programming-python")
    response = client_for(user).post(
        "/me/edit/", form_data(user.profile, ((python, "share", 3), (python, "share", 2)))
    )
    assert response.status_code == 200
    assert not ProfileCompetence.objects.filter(profile=user.profile).exists()


@pytest.mark.parametrize(
    ("field", "limit"),
    [
        ("headline", 120),
        ("bio", 2000),
        ("career_story", 4000),
        ("interests", 300),
        ("degree_programme", 120),
        ("job_title", 120),
        ("display_name", 80),
    ],
)
def test_every_text_has_a_length_limit(
    client_for: Callable[[User], Client], make_user: Callable[..., User], field: str, limit: int
) -> None:
    user = make_user()
    client = client_for(user)
    response = client.post("/me/edit/", form_data(user.profile, (), **{field: "x" * (limit + 1)}))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert (
        client.post("/me/edit/", form_data(user.profile, (), **{field: "x" * limit})).status_code
        == 302
    )


@pytest.mark.parametrize("bad", ["nul\x00byte", "bell\x07"])
def test_control_characters_get_a_validation_error(
    client_for: Callable[[User], Client], make_user: Callable[..., User], bad: str
) -> None:
    user = make_user()
    response = client_for(user).post("/me/edit/", form_data(user.profile, bio=bad))
    assert response.status_code == 200
    assert "bio" in response.context["form"].errors


def test_a_lone_surrogate_in_the_raw_request_is_not_a_500(
    client_for: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    user = make_user()
    client = client_for(user)
    # \ud800 cannot be encoded as UTF-8; send the bytes a broken client would send.
    body = "&".join(f"{k}={v}" for k, v in form_data(user.profile).items() if k != "headline")
    body += "&headline=%ED%A0%80"
    response = client.post("/me/edit/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 302)
    user.profile.refresh_from_db()
    assert "\ud800" not in user.profile.headline


def test_html_in_bio_and_headline_is_shown_as_text(
    client_for: Callable[[User], Client], make_user: Callable[..., User], alice: User
) -> None:
    author = make_user(headline="<script>alert(1)</script>", bio='<img src=x onerror="alert(2)">')
    page = client_for(alice).get(f"/people/{author.pk}/")
    html = page.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


def test_completeness_tells_what_is_missing(
    client_for: Callable[[User], Client], make_user: Callable[..., User]
) -> None:
    user = make_user()
    page = client_for(user).get("/me/")
    assert page.context["completeness"] == 0
    assert "a headline" in [str(item) for item in page.context["missing"]]
    Profile.objects.filter(pk=user.pk).update(headline="Hello", bio="About me")
    page = client_for(user).get("/me/")
    assert 0 < page.context["completeness"] < 100
    assert "a headline" not in [str(item) for item in page.context["missing"]]


def test_professional_completeness_asks_for_organisation_and_story(
    make_user: Callable[..., User],
) -> None:
    pro = make_user(kind=Profile.Kind.PROFESSIONAL)
    missing = [str(item) for item in pro.profile.missing_items()]
    assert "your organisation" in missing
    assert "your career story" in missing
    assert "your degree programme" not in missing


def test_edit_needs_a_login(client: Client) -> None:
    response = client.get("/me/edit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
