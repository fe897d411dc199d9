"""The invitation e-mail from `build_email`: the text part as before, and an HTML version with
the same link, in the language the invitation is written in."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.core import mail

from pilots import invitations as service
from pilots.models import Invitation, Pilot, Role
from profiles.models import User

pytestmark = pytest.mark.django_db


class Page(HTMLParser):
    """The document language, the links and the visible text of an HTML mail."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = ""
        self.hrefs: list[str] = []
        self.tags: set[str] = set()
        self._text: list[str] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang") or ""
        if tag == "a":
            self.hrefs.append(values.get("href") or "")

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self._text).split())


def sent_mail(invitation: Invitation) -> Any:
    assert service.send_invitation(invitation=invitation) is True
    (message,) = mail.outbox
    return message


def html_of(message: Any) -> Page:
    (html,) = [content for content, kind in message.alternatives if kind == "text/html"]
    return Page(html)


def test_the_html_version_carries_the_same_link_in_the_inviters_language(
    pilot: Pilot, staff_sam: User
) -> None:
    User.objects.filter(pk=staff_sam.pk).update(language="fi")
    invitation = Invitation.objects.create(
        pilot=pilot,
        email="nina@example.com",
        name="Nina <b>New</b>",
        role=Role.ACTOR,
        invited_by=User.objects.get(pk=staff_sam.pk),
    )

    message = sent_mail(invitation)

    page = html_of(message)
    assert page.lang == "fi"
    assert message.subject == f"[Mentorointi] Sinut on kutsuttu pilottiin {pilot.name}"
    (link,) = [href for href in page.hrefs if "/pilots/invitations/" in href]
    assert link in message.body
    assert pilot.name in page.text
    assert "Nina <b>New</b>" in page.text  # shown as written, not as markup
    assert "b" not in page.tags


def test_an_invitation_without_an_inviter_is_in_the_sites_language(pilot: Pilot) -> None:
    invitation = Invitation.objects.create(pilot=pilot, email="nina@example.com", role=Role.MENTOR)

    message = sent_mail(invitation)

    assert message.subject == f"[Mentoring] You are invited to {pilot.name}"
    page = html_of(message)
    assert page.lang == "en"
    assert "You are invited to take part in" in page.text
