"""Orientation materials on the staff pages: added, edited, previewed (sanitised Markdown),
listed with drafts and completions.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pilots.models import (
    Material,
    MaterialCompletion,
    Pilot,
)
from profiles.models import User
from tests.support.html import markup
from tests.support.pages import count_queries
from tests.support.pilots import preview_of, staff_url

pytestmark = pytest.mark.django_db


def material_form(**changes: Any) -> dict[str, Any]:
    data = {
        "title_en": "Welcome to speed mentoring",
        "kind": "text",
        "body_en": "Read this **first**.",
        "video_url": "",
        "required": "on",
        "position": "1",
        "is_published": "on",
    }
    data.update(changes)
    return data


def test_staff_add_a_required_published_material(pilot: Pilot, sam: Client) -> None:
    response = sam.post(staff_url(pilot, "materials/new/"), material_form())
    assert response.status_code == 302
    material = Material.objects.get(pilot=pilot)
    assert (material.title, material.required, material.is_published) == (
        "Welcome to speed mentoring",
        True,
        True,
    )


def test_staff_edit_a_material(pilot: Pilot, sam: Client) -> None:
    material = Material.objects.create(pilot=pilot, title="Old", body="Old text")
    response = sam.post(
        staff_url(pilot, f"materials/{material.pk}/"), material_form(title_en="New title")
    )
    assert response.status_code == 302
    material.refresh_from_db()
    assert material.title == "New title"
    assert material.pilot == pilot


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "video", "video_url": "http://video.example.com/intro"}, "video_url"),
        ({"kind": "video", "video_url": "javascript:alert(1)"}, "video_url"),
        ({"kind": "video", "video_url": ""}, "video_url"),
        ({"kind": "text", "body_en": ""}, "body_en"),
        ({"title_en": ""}, "title_en"),
        ({"body_en": "z" * 20_001}, "body_en"),
        ({"body_en": "bad \x1b[31m escape"}, "body_en"),
    ],
)
def test_invalid_material_is_refused(
    pilot: Pilot, sam: Client, changes: dict[str, str], field: str
) -> None:
    response = sam.post(staff_url(pilot, "materials/new/"), material_form(**changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Material.objects.exists()


def test_video_material_with_an_https_link_is_saved(pilot: Pilot, sam: Client) -> None:
    url = "https://video.example.com/intro"
    sam.post(
        staff_url(pilot, "materials/new/"), material_form(kind="video", body_en="", video_url=url)
    )
    assert Material.objects.get(pilot=pilot).video_url == url


def test_preview_shows_sanitised_markdown_and_saves_nothing(pilot: Pilot, sam: Client) -> None:
    body = "**Bold** move\n\n<script>alert('x')</script>\n\n[link](javascript:alert(1))"
    response = sam.post(
        staff_url(pilot, "materials/new/"), material_form(body_en=body, preview="1")
    )
    preview = preview_of(response.content.decode())
    assert response.status_code == 200
    assert preview.texts("strong") == ["Bold"]
    assert "Bold move" in preview.texts("p")
    assert not preview.select("script")
    assert not preview.select('[href^="javascript:"]')
    assert "javascript:" not in markup(preview.root)
    assert not Material.objects.exists()


def test_materials_list_shows_drafts_and_completions(
    pilot: Pilot, sam: Client, alice: User
) -> None:
    done = Material.objects.create(pilot=pilot, title="Read me", body="x", is_published=True)
    Material.objects.create(pilot=pilot, title="Unfinished draft", body="x")
    MaterialCompletion.objects.create(material=done, user=alice)
    html = sam.get(staff_url(pilot, "materials/")).content.decode()
    assert "Unfinished draft" in html
    assert "Draft" in html
    assert "1 person" in html


def test_materials_list_has_a_constant_query_count(pilot: Pilot, sam: Client) -> None:
    Material.objects.bulk_create([Material(pilot=pilot, title=f"M{n}", body="x") for n in range(2)])
    few = count_queries(sam, staff_url(pilot, "materials/"))
    Material.objects.bulk_create(
        [Material(pilot=pilot, title=f"N{n}", body="x") for n in range(20)]
    )
    assert count_queries(sam, staff_url(pilot, "materials/")) == few
