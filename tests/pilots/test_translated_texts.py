"""Staff write a pilot's texts (its name, weeks, materials, announcements) in Finnish, English
and Swedish; each reader gets their language's version, else another one written, and what is
sent is written in each recipient's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.utils import translation

from messaging.models import Notification
from pilots import services
from pilots.models import Announcement, Pilot, Week
from pilots.texts import set_versions
from profiles.models import User
from tests.support.html import Html
from tests.support.pilots import staff_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


@pytest.fixture
def readers(pilot: Pilot, make_user: Callable[..., User]) -> dict[str, User]:
    """An actor of `pilot` for each language, who last used the site in it."""
    people = {}
    for code in ("fi", "en", "sv"):
        person = make_user(f"Reader {code}", email=f"reader-{code}@example.com")
        User.objects.filter(pk=person.pk).update(language=code)
        services.add_participant(pilot=pilot, user=person, role="actor")
        people[code] = person
    return people


def in_language(client: Client, code: str) -> Client:
    client.cookies["django_language"] = code
    return client


def test_the_week_form_has_each_text_in_every_language(pilot: Pilot, sam: Client) -> None:
    page = Html(sam.get(staff_url(pilot, "weeks/5/")))
    assert page.texts("fieldset.translated-text legend") == [
        "Theme",
        "Description",
        "Discussion prompts",
    ]
    labels = page.texts("fieldset.translated-text label")
    assert labels[:3] == ["Theme (Finnish):", "Theme (English):", "Theme (Swedish):"]
    assert page.one("input[name=theme_sv]").get("maxlength") == "200"


def test_a_text_in_one_language_is_enough_and_keeps_the_others_empty(
    pilot: Pilot, sam: Client
) -> None:
    response = sam.post(
        staff_url(pilot, "weeks/5/"),
        {"theme_fi": "Tulevaisuuden taidot", "prompts_fi": "Mitä opit?\n\n", "prompts_sv": ""},
    )
    assert response.status_code == 302
    week = Week.objects.get(pilot=pilot, number=5)
    # The language versions are columns modeltranslation adds at run time (no static types).
    assert getattr(week, "theme_fi") == "Tulevaisuuden taidot"  # noqa: B009
    assert getattr(week, "prompts_fi") == "Mitä opit?"  # noqa: B009
    assert not getattr(week, "theme_en")  # noqa: B009
    assert not getattr(week, "theme_sv")  # noqa: B009
    with translation.override("sv"):
        assert week.theme == "Tulevaisuuden taidot"  # nothing in Swedish or English: Finnish


def test_an_announcement_needs_its_title_in_at_least_one_language(
    pilot: Pilot, sam: Client
) -> None:
    data = {"body_sv": "Hej", "audience": "everyone", "when": "now", "send_at": ""}
    response = sam.post(staff_url(pilot, "announcements/new/"), data)
    assert response.status_code == 200
    assert response.context["form"].errors["title_en"] == ["Write this in at least one language."]
    assert not Announcement.objects.exists()


def test_a_page_shows_the_readers_version_else_the_default_languages(
    pilot: Pilot, alice: User, client_for: Callable[[User], Client]
) -> None:
    week = pilot.current_week()
    assert week is not None
    set_versions(week, theme={"fi": "Urapolut", "en": "Career paths"})
    week.save()
    set_versions(pilot, name={"fi": "Pikamentorointi", "en": "Speed mentoring"})
    pilot.save()
    url = pilot.get_absolute_url()
    finnish = Html(in_language(client_for(alice), "fi").get(url))
    assert finnish.text("h1") == "Pikamentorointi"
    assert "Urapolut" in finnish.text("main")
    swedish = Html(in_language(client_for(alice), "sv").get(url))
    assert swedish.text("h1") == "Speed mentoring"  # no Swedish: the site's default, English
    assert "Career paths" in swedish.text("main")


def test_one_announcement_reaches_each_recipient_in_their_language(
    pilot: Pilot, staff_sam: User, readers: dict[str, User], send: Callable[..., Any]
) -> None:
    with translation.override("fi"):  # whatever language staff write in
        send(
            lambda: services.post_announcement(
                pilot=pilot,
                author=staff_sam,
                title={"fi": "Tervetuloa", "en": "Welcome", "sv": "Välkommen"},
                body={"fi": "Hei kaikki.", "en": "Hello all.", "sv": "Hej alla."},
                audience="actor",
            )
        )
    subjects = {
        code: Notification.objects.get(user=person).subject for code, person in readers.items()
    }
    assert subjects == {"fi": "Tervetuloa", "en": "Welcome", "sv": "Välkommen"}
    emails = {email.to[0]: email for email in mail.outbox}
    assert emails["reader-fi@example.com"].subject == "[Mentorointi] Tervetuloa"
    assert "Hei kaikki." in emails["reader-fi@example.com"].body
    assert "Hello all." in emails["reader-en@example.com"].body
    assert "Hej alla." in emails["reader-sv@example.com"].body
    swedish = emails["reader-sv@example.com"]
    assert isinstance(swedish, EmailMultiAlternatives)
    assert "Hej alla." in str(swedish.alternatives[0][0])


def test_a_missing_swedish_version_falls_back(
    pilot: Pilot, staff_sam: User, readers: dict[str, User], send: Callable[..., Any]
) -> None:
    send(
        lambda: services.post_announcement(
            pilot=pilot,
            author=staff_sam,
            title={"fi": "Tervetuloa", "en": "Welcome"},
            body={"fi": "Hei kaikki.", "en": "Hello all."},
            audience="actor",
        )
    )
    swedish = Notification.objects.get(user=readers["sv"])
    assert (swedish.subject, swedish.body) == ("Welcome", "Hello all.")
    assert Notification.objects.get(user=readers["fi"]).body == "Hei kaikki."
    (email,) = [email for email in mail.outbox if email.to == ["reader-sv@example.com"]]
    assert "Hello all." in email.body


def test_a_weeks_theme_is_sent_in_each_recipients_language(
    pilot: Pilot, readers: dict[str, User], send: Callable[..., Any]
) -> None:
    week = pilot.current_week()
    assert week is not None
    set_versions(
        week,
        theme={"fi": "Urapolut", "en": "Career paths"},
        prompts={"fi": "Mikä oli ensimmäinen työsi?", "en": "What was your first job?"},
    )
    week.save()
    assert send(lambda: services.publish_week(week=week))
    finnish = Notification.objects.get(user=readers["fi"])
    assert finnish.subject == f"{week.number}. Urapolut"
    assert "- Mikä oli ensimmäinen työsi?" in finnish.body
    assert Notification.objects.get(user=readers["sv"]).subject == f"{week.number}. Career paths"


def test_existing_texts_become_the_default_languages_version(pilot: Pilot) -> None:
    Pilot.objects.filter(pk=pilot.pk).update(name_en="Spring pilot", name_fi=None)
    pilot.refresh_from_db()
    with translation.override("fi"):
        assert pilot.name == "Spring pilot"
