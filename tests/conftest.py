"""Shared fixtures: named personas and small factories.

alice is a student (actor), mentor_maria a working-life mentor, staff_sam project staff and
oscar an outsider with a profile nobody else may see.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from profiles import services, taxonomy
from profiles.models import Competence, Language, Organisation, Profile, ProfileCompetence, User

PASSWORD = "correct-horse-battery-9"
_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: Any, tmp_path: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()  # rate-limit counters live in the cache (Redis in the main pass)
    # LocaleMiddleware leaves the last request's language active in the thread.
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def vocab(db: None) -> None:
    """The seeded taxonomy (a transactional test's flush removes what the migration loaded)."""
    taxonomy.load(Competence, Language)


@pytest.fixture
def competence(vocab: None) -> Callable[[str], Competence]:
    return lambda slug: Competence.objects.get(slug=slug)


@pytest.fixture
def language(vocab: None) -> Callable[[str], Language]:
    return lambda code: Language.objects.get(code=code)


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(
        name: str | None = None,
        *,
        email: str | None = None,
        kind: str = Profile.Kind.STUDENT,
        is_staff: bool = False,
        verified: bool = True,
        shares: tuple[str, ...] = (),
        learns: tuple[str, ...] = (),
        languages: tuple[str, ...] = (),
        **profile_fields: Any,
    ) -> User:
        number = next(_numbers)
        name = name or f"Person {number}"
        email = email or f"person{number}@example.com"
        user = services.create_user(
            email=email, display_name=name, password=PASSWORD, kind=kind, is_staff=is_staff
        )
        EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
        if profile_fields:
            Profile.objects.filter(pk=user.pk).update(**profile_fields)
        if shares or learns or languages:
            taxonomy.load(Competence, Language)
        for direction, slugs in (("share", shares), ("learn", learns)):
            for slug in slugs:
                ProfileCompetence.objects.create(
                    profile_id=user.pk,
                    competence=Competence.objects.get(slug=slug),
                    direction=direction,
                    level=3 if direction == "share" else 1,
                )
        if languages:
            user.profile.languages.set(Language.objects.filter(code__in=languages))
        user.refresh_from_db()
        return user

    return make


@pytest.fixture
def organisation(db: None) -> Organisation:
    return Organisation.objects.create(name="Nordic Code Oy", slug="nordic-code")


@pytest.fixture
def alice(make_user: Callable[..., User]) -> User:
    return make_user(
        "Alice Actor",
        email="alice@example.com",
        learns=("programming-python", "cloud-services"),
        languages=("fi", "en"),
        degree_programme="ICT",
    )


@pytest.fixture
def mentor_maria(make_user: Callable[..., User], organisation: Organisation) -> User:
    return make_user(
        "Maria Mentor",
        email="maria@example.com",
        kind=Profile.Kind.PROFESSIONAL,
        organisation=organisation,
        job_title="Lead developer",
        shares=("programming-python", "web-development"),
        languages=("fi",),
    )


@pytest.fixture
def staff_sam(make_user: Callable[..., User]) -> User:
    return make_user("Sam Staff", email="sam@example.com", is_staff=True)


@pytest.fixture
def oscar(make_user: Callable[..., User]) -> User:
    return make_user(
        "Oscar Outsider", email="oscar@example.com", visibility=Profile.Visibility.STAFF
    )


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    return login


def page_text(response: Any) -> str:
    """A page without what differs on every request for reasons of no interest: the masked
    CSRF tokens and the language switch's return address. "Forbidden looks like missing"
    tests compare two 404 pages with it."""
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    return re.sub(r'name="next" type="hidden" value="[^"]*"', "", text)


@pytest.fixture
def superuser(make_user: Callable[..., User]) -> User:
    """Whoever runs the admin."""
    user = make_user("Admin Ada", is_staff=True)
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    user.refresh_from_db()
    return user


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Celery tasks run in the test's process, also on the main pass (which has a broker and
    no worker here). Test modules that need it everywhere make it autouse."""
    from mentoring.celery import app as celery_app

    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = before


# Browser tests: pytest-playwright's sync API leaves an event loop running for the rest of the
# session, so they run last, and Django's ORM must be told that is fine for them.
@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    import os

    if item.get_closest_marker("browser") is not None:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
