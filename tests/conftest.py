"""Shared fixtures: named personas, small factories, a running pilot, and the real delivery
parts (an SMTP server, Celery workers) and live-event capture that several apps' tests use.

alice is a student (actor), mentor_maria a working-life mentor, staff_sam project staff and
oscar an outsider with a profile nobody else may see.

`pilot` is a running pilot shaped like the first one: it runs from four weeks ago to four weeks
ahead (so "this week" exists), with alice as an actor earning credits, mentor_maria as a mentor
and staff_sam as its staff; `sam` is staff_sam's browser with it in place. `other_pilot` has its
own staff member (`other_staff`), to check that staff of one pilot cannot manage another.

Plain helpers that are not fixtures live in tests/support/.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from allauth.account.models import EmailAddress
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone, translation

from mentoring.celery import app as celery_app
from pilots import services as pilot_services
from pilots.models import Participation, Pilot, Role
from profiles import services, taxonomy
from profiles.models import Competence, Language, Organisation, Profile, ProfileCompetence, User
from tests.support.delivery import RETRY_BASE_DELAY, SMTPRecorder, Worker, purge_queue
from tests.support.live_events import CaptureLiveEvents, LiveEvent
from tests.support.processes import database_url, free_port, redis_url

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


@pytest.fixture
def superuser(make_user: Callable[..., User]) -> User:
    """Whoever runs the admin."""
    user = make_user("Admin Ada", is_staff=True)
    User.objects.filter(pk=user.pk).update(is_superuser=True)
    user.refresh_from_db()
    return user


@pytest.fixture
def eager_tasks(request: pytest.FixtureRequest) -> Iterator[None]:
    """Celery tasks run in the test's process, also on the main pass (which has a broker and
    no worker here). Test modules that need it everywhere use it in their `pytestmark`.
    An embedded smoke test keeps what the embedded default configures itself."""
    if request.node.get_closest_marker("embedded"):
        yield
        return
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = before


@pytest.fixture
def capture_live_events(
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> CaptureLiveEvents:
    """Record the live events sent inside the block instead of sending them, and check how
    many there were (Zulip's capture_send_event_calls):

        with capture_live_events(expected=2) as sent:
            services.remove_member(group=group, user=bob)
        assert sent[0] == (events.user_group(bob.pk), {"type": "membership", ...})

    Every live event, however messaging/events.py sends it (after commit, several at once,
    or collected by the socket's database work), reaches the channel layer's `group_send` as
    {"type": "live.event", "event": ...}: that one point is replaced while the block runs.
    What else goes through it (closing sockets) is sent as usual. The block's on-commit
    callbacks run at its end, as a real commit would run them, so the events sent "after
    commit" are recorded in tests inside a transaction too.
    """

    @contextlib.contextmanager
    def capture(expected: int | None = None) -> Iterator[list[LiveEvent]]:
        layer = get_channel_layer()
        assert layer is not None, "no channel layer is configured"
        send = layer.group_send
        sent: list[LiveEvent] = []

        async def group_send(group: str, message: dict[str, Any]) -> None:
            if message.get("type") == "live.event":
                sent.append(LiveEvent(group, message["event"]))
            else:
                await send(group, message)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(layer, "group_send", group_send)
            with django_capture_on_commit_callbacks(execute=True):
                yield sent
        if expected is not None:
            assert len(sent) == expected, f"{len(sent)} live events, not {expected}: {sent}"

    return capture


# --- Pilots ----------------------------------------------------------------------------------


@pytest.fixture
def host(db: None) -> Organisation:
    return Organisation.objects.create(
        name="Demo University", slug="demo-university", kind=Organisation.Kind.UNIVERSITY
    )


@pytest.fixture
def make_pilot(host: Organisation) -> Callable[..., Pilot]:
    def make(
        slug: str = "spring-pilot", *, weeks_ago: int = 4, weeks: int = 8, **fields: Any
    ) -> Pilot:
        start = timezone.localdate() - datetime.timedelta(weeks=weeks_ago)
        pilot = Pilot.objects.create(
            host=host,
            name=fields.pop("name", f"Pilot {slug}"),
            slug=slug,
            starts_on=start,
            ends_on=start + datetime.timedelta(weeks=weeks, days=-1),
            status=fields.pop("status", Pilot.Status.RUNNING),
            **fields,
        )
        pilot_services.plan_weeks(pilot=pilot)
        return pilot

    return make


@pytest.fixture
def pilot(
    make_pilot: Callable[..., Pilot], alice: User, mentor_maria: User, staff_sam: User
) -> Pilot:
    pilot = make_pilot()
    pilot_services.add_participant(pilot=pilot, user=alice, role=Role.ACTOR, earns_credits=True)
    pilot_services.add_participant(pilot=pilot, user=mentor_maria, role=Role.MENTOR)
    pilot_services.add_participant(pilot=pilot, user=staff_sam, role=Role.STAFF)
    return pilot


@pytest.fixture
def actor(pilot: Pilot, make_user: Callable[..., User]) -> Callable[..., User]:
    """Make another actor of `pilot`: `actor("Bea")`, with make_user's profile fields."""

    def make(name: str | None = None, **fields: Any) -> User:
        user = make_user(name, **fields)
        pilot_services.add_participant(pilot=pilot, user=user, role=Role.ACTOR)
        return user

    return make


@pytest.fixture
def mentor(pilot: Pilot, make_user: Callable[..., User]) -> Callable[..., User]:
    """Make another mentor of `pilot` (a professional): `mentor("Olga", shares=(...))`."""

    def make(name: str | None = None, **fields: Any) -> User:
        fields.setdefault("kind", Profile.Kind.PROFESSIONAL)
        user = make_user(name, **fields)
        pilot_services.add_participant(pilot=pilot, user=user, role=Role.MENTOR)
        return user

    return make


@pytest.fixture
def other_pilot(make_pilot: Callable[..., Pilot], make_user: Callable[..., User]) -> Pilot:
    pilot = make_pilot("autumn-pilot")
    pilot_services.add_participant(pilot=pilot, user=make_user("Other Staff"), role=Role.STAFF)
    return pilot


@pytest.fixture
def other_staff(other_pilot: Pilot) -> User:
    return Participation.objects.get(pilot=other_pilot, role=Role.STAFF).user


@pytest.fixture
def sam(staff_sam: User, pilot: Pilot, client_for: Callable[[User], Client]) -> Client:
    """staff_sam's browser, with `pilot` (where sam is staff) in place."""
    return client_for(staff_sam)


# --- Real delivery parts: an SMTP server and Celery workers ----------------------------------
# A real Celery worker is `celery -A mentoring worker --pool=solo` in a subprocess, on the
# suite's Redis and the *test* database, sending mail to `smtp_server`, with retries after
# fractions of a second. Tests that use it need `@pytest.mark.django_db(transaction=True)`: the
# worker reads only what the test has committed. They run on the main pass only (`make test`),
# which has REDIS_URL.


@pytest.fixture
def smtp_server() -> Iterator[SMTPRecorder]:
    """An aiosmtpd server in a thread that records every message and answers as told."""
    recorder = SMTPRecorder(port=free_port())
    controller = Controller(recorder, hostname=recorder.host, port=recorder.port)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()


@pytest.fixture
def worker_factory(
    transactional_db: None, smtp_server: SMTPRecorder, tmp_path: Path
) -> Iterator[Callable[..., Worker]]:
    """start_worker(**extra_env) -> a running Worker; every one is stopped at teardown."""
    broker = redis_url()
    # The test process is the web side: it must really enqueue, to the worker's broker.
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    assert not celery_app.conf.task_always_eager
    assert celery_app.conf.broker_url == broker == settings.CELERY_BROKER_URL
    base_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mentoring.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": broker,
        "EMAIL_URL": f"smtp://{smtp_server.host}:{smtp_server.port}",
        "DELIVERY_RETRY_BASE_DELAY": str(RETRY_BASE_DELAY),
        "SECRET_KEY": "test-worker-" + "x" * 50,
        "DEBUG": "0",
        "HTTPS": "0",
        "CONN_MAX_AGE": "0",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }
    purge_queue()
    workers: list[Worker] = []

    def start_worker(**extra_env: str) -> Worker:
        name = f"test-{uuid.uuid4().hex[:8]}@localhost"
        worker = Worker(name, {**base_env, **extra_env}, tmp_path / f"worker-{len(workers)}.log")
        workers.append(worker)
        worker.wait_ready()
        return worker

    try:
        yield start_worker
    finally:
        for worker in workers:
            worker.stop()
        purge_queue()


@pytest.fixture
def celery_worker(worker_factory: Callable[..., Worker]) -> Worker:
    return worker_factory()


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
