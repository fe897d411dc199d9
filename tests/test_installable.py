"""Installable on a phone: the web app manifest, the icons, the service worker at /sw.js and
the offline page it keeps. Only static files and that anonymous page are ever cached."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from PIL import Image

from profiles.models import User
from tests.support.html import Html

pytestmark = pytest.mark.django_db


def test_every_page_links_the_manifest_and_registers_the_worker(client: Client) -> None:
    page = Html(client.get("/accounts/login/"))
    assert page.one('link[rel="manifest"]').get("href") == "/manifest.webmanifest"
    themes = {m.get("media"): m.get("content") for m in page.select('meta[name="theme-color"]')}
    assert themes == {
        "(prefers-color-scheme: light)": "#0b3d91",
        "(prefers-color-scheme: dark)": "#13171f",
    }
    assert page.count('script[src$="js/pwa.js"]') == 1
    assert page.one('meta[name="color-scheme"]').get("content") == "light dark"


def test_the_manifest_names_the_app_and_its_icons(client: Client) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Speed mentoring"
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0b3d91"
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        path = finders.find(icon["src"].removeprefix("/static/"))
        assert isinstance(path, str), icon["src"]
        width, height = (int(n) for n in icon["sizes"].split("x"))
        with Image.open(path) as image:
            assert image.size == (width, height)
            assert image.format == "PNG"


def test_the_manifest_follows_the_language(client: Client) -> None:
    response = client.get("/manifest.webmanifest", headers={"accept-language": "fi"})
    assert json.loads(response.content)["lang"] == "fi"


def test_the_service_worker_is_served_from_the_root_never_stale(client: Client) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    source = response.content.decode()
    shell = json.loads(re.search(r"^const SHELL = (.*);$", source, re.M).group(1))  # type: ignore[union-attr]
    assert "/offline/" in shell
    # Only static files and the offline page: never a page of a signed-in person.
    assert all(url.startswith("/static/") or url == "/offline/" for url in shell)
    for url in shell:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
    assert re.search(r'^const VERSION = "[0-9a-f]{12}";$', source, re.M)
    assert 'addEventListener("fetch"' in source


def test_the_offline_page_stands_alone_and_names_nobody(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(alice).get("/offline/")
    assert response.status_code == 200
    page = Html(response)
    assert page.one("h1").text_content() == "You are offline"
    content = response.content.decode()
    assert alice.display_name not in content
    assert "csrfmiddlewaretoken" not in content
    assert not {"sessionid", "csrftoken"} & set(response.cookies)
