"""Every mail the app builds comes from `mentoring.emails.build_email`: subject, text and an
accessible HTML alternative from `templates/emails/<name>-*`, in the recipient's language.
Broadcast mails keep their fast serialisation (benchmark W5), which must say exactly what
Django's own `message()` would."""

from __future__ import annotations

import datetime
import email
import email.policy
import uuid
from collections.abc import Callable
from email.message import EmailMessage as ParsedMessage
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from mentoring.emails import build_email
from messaging import services as messaging
from messaging.models import Delivery, Kind
from messaging.services import conversations
from messaging.services.emails import BroadcastEmail
from pilots.models import Pilot
from profiles.models import User
from tests.support.html import Html, text

pytestmark = pytest.mark.django_db

SECRET = "my salary is 4200 and my password is hunter2"


def body_text(page: Html) -> str:
    return page.text("body")


def hrefs(page: Html) -> list[str]:
    return [str(link.get("href")) for link in page.select("a")]


def links(page: Html) -> list[tuple[str, str]]:
    return [(str(link.get("href")), text(link)) for link in page.select("a")]


def html_of(message: Any) -> Html:
    (content,) = [str(content) for content, kind in message.alternatives if kind == "text/html"]
    return Html(content)


def parsed(raw: bytes) -> ParsedMessage:
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, ParsedMessage)
    return message


def content(message: ParsedMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    assert part is not None
    assert part.get_content_type() == f"text/{kind}"
    return str(part.get_content())  # type: ignore[attr-defined]


@pytest.fixture
def finnish_maria(mentor_maria: User) -> User:
    User.objects.filter(pk=mentor_maria.pk).update(language="fi")
    mentor_maria.refresh_from_db()
    return mentor_maria


def deliver_broadcast(users: list[User], **fields: Any) -> list[Any]:
    item = messaging.broadcast(
        kind=Kind.ANNOUNCEMENT,
        source=fields.pop("source", "test:emails"),
        subject=fields.pop("subject", "Kick-off"),
        body=fields.pop("body", "We meet on Monday."),
        url=fields.pop("url", "/pilots/"),
        recipient_ids=[user.pk for user in users],
    )
    rows = Delivery.objects.filter(broadcast=item, channel=Delivery.Channel.EMAIL)
    messaging.deliver(delivery_ids=list(rows.values_list("pk", flat=True)))
    return list(mail.outbox)


# --- build_email --------------------------------------------------------------------------


def test_a_mail_is_written_in_the_recipients_language_with_an_html_version(
    finnish_maria: User,
) -> None:
    message = build_email("digest", finnish_maria, {"items": []})

    assert message.to == [finnish_maria.email]
    assert message.subject == "[Mentorointi] Päivittäinen koontisi"
    assert message.body.startswith("Hei Maria Mentor,")
    page = html_of(message)
    assert page.attr("html", "lang") == "fi"
    assert page.text("title") == "Päivittäinen koontisi"
    assert body_text(page).startswith("Hei Maria Mentor,")
    assert "http://127.0.0.1:8000/settings/notifications/" in hrefs(page)


def test_a_bare_address_gets_the_language_it_is_given_or_the_sites_default() -> None:
    context = {"subject": "Hello", "body_html": "", "url": ""}
    assert build_email("broadcast", "nina@example.com", context).subject == "[Mentoring] Hello"
    finnish = build_email("broadcast", "nina@example.com", context, language="fi")
    assert finnish.to == ["nina@example.com"]
    assert finnish.subject == "[Mentorointi] Hello"
    assert html_of(finnish).attr("html", "lang") == "fi"


def test_the_subject_is_one_line_whatever_the_template_gets(alice: User) -> None:
    context = {"subject": "Week 3\r\nBcc: everyone@example.com", "body_html": "", "url": ""}
    message = build_email("broadcast", alice, context)
    assert message.subject == "[Mentoring] Week 3 Bcc: everyone@example.com"
    assert html_of(message).text("title") == "Week 3 Bcc: everyone@example.com"


# --- Broadcasts ---------------------------------------------------------------------------


def test_a_broadcast_mail_has_the_text_and_an_html_version_that_shows_the_text_inert(
    alice: User, finnish_maria: User
) -> None:
    body = "Bring <script>alert(1)</script> & questions.\nSlides: https://example.org/slides"
    sent = deliver_broadcast([alice, finnish_maria], body=body, url="/pilots/kevat/")

    by_recipient = {message.to[0]: message for message in sent}
    english = parsed(by_recipient[alice.email].message().as_bytes())
    assert english.get_content_type() == "multipart/alternative"
    assert body in content(english, "plain")
    page = Html(content(english, "html"))
    assert page.attr("html", "lang") == "en"
    assert page.count("script") == 0
    assert "Bring <script>alert(1)</script> & questions." in body_text(page)
    assert "https://example.org/slides" in hrefs(page)
    assert "http://127.0.0.1:8000/pilots/kevat/" in hrefs(page)
    finnish = Html(content(parsed(by_recipient[finnish_maria.email].message().as_bytes()), "html"))
    assert finnish.attr("html", "lang") == "fi"
    assert body_text(finnish).startswith("Hei Maria Mentor,")


def test_the_fast_path_serialises_what_djangos_message_would(
    make_user: Callable[..., User],
) -> None:
    person = make_user("Äijä Ö'Brien", email="aija@example.com")
    (sent,) = deliver_broadcast(
        [person],
        subject="Viikko 3: tulevaisuuden taidot ja työelämä, pitkä otsikko " * 2,
        body="Tämä viikko: = merkki,\ntrailing space \n" + "pitkä rivi " * 20,
    )
    assert isinstance(sent, BroadcastEmail)

    fast = parsed(sent.message().as_bytes())
    smtp = EmailMultiAlternatives.message(sent, policy=email.policy.SMTP).as_bytes()
    django = parsed(smtp.replace(b"\r\n", b"\n"))

    assert not fast.defects
    assert all(not part.defects for part in fast.walk())
    for header in ("Subject", "From", "To", "MIME-Version"):
        assert str(fast[header]) == str(django[header]), header
    assert fast.get_content_type() == django.get_content_type() == "multipart/alternative"
    for kind in ("plain", "html"):
        assert content(fast, kind) == content(django, kind)
    # On the wire (the SMTP backend asks for policy=SMTP): CRLF line ends only, short lines.
    wire = sent.message(policy=email.policy.SMTP).as_bytes()
    assert wire.count(b"\n") == wire.count(b"\r\n")
    assert max(len(line) for line in wire.split(b"\r\n")) <= 78


# --- Private messages and digests ---------------------------------------------------------


def test_no_part_of_a_new_messages_email_carries_the_message_text(
    pilot: Pilot,
    alice: User,
    mentor_maria: User,
    settings: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    settings.MESSAGE_EMAIL_DELAY = 0
    question = conversations.start_direct(
        sender=alice, recipient=mentor_maria, subject="How did you get your first job?"
    )
    conversations.send_message(
        sender=alice, conversation=question, body=SECRET, client_id=uuid.uuid4()
    )
    later = timezone.now() + datetime.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert messaging.send_message_emails(now=later) == 1

    (message,) = mail.outbox
    raw = parsed(message.message().as_bytes())
    page = Html(content(raw, "html"))
    assert "Alice Actor" in body_text(page)
    assert "How did you get your first job?" in body_text(page)
    assert f"http://127.0.0.1:8000{question.get_absolute_url()}" in hrefs(page)
    for written in (str(message.subject), content(raw, "plain"), content(raw, "html")):
        assert "hunter2" not in written
        assert "salary" not in written


def test_the_digest_lists_each_item_as_a_link_in_the_recipients_language(
    finnish_maria: User, settings: Any
) -> None:
    messaging.set_email_choice(user=finnish_maria, kind=Kind.ANNOUNCEMENT, email="digest")
    for number, path in ((1, "/pilots/a/"), (2, "/pilots/b/")):
        messaging.broadcast(
            kind=Kind.ANNOUNCEMENT,
            source=f"test:digest:{number}",
            subject=f"News {number}",
            body="Body",
            url=path,
            recipient_ids=[finnish_maria.pk],
        )
    now = timezone.localtime().replace(hour=settings.DIGEST_HOUR, minute=30)
    Delivery.objects.filter(status=Delivery.Status.DIGEST).update(
        created_at=now - datetime.timedelta(hours=2)
    )
    assert messaging.send_digests(now=now) == 1

    (digest,) = mail.outbox
    page = html_of(digest)
    assert page.attr("html", "lang") == "fi"
    assert ("http://127.0.0.1:8000/pilots/a/", "News 1") in links(page)
    assert ("http://127.0.0.1:8000/pilots/b/", "News 2") in links(page)
    assert body_text(page).startswith("Hei Maria Mentor,")
