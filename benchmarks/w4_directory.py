"""W4: the profile directory with 10,000 profiles, search and filters on, pages of 50.

Baseline: a bare Django view on the same server process (benchmarks.urls), with the same
session cookie, so both go through the same middleware. The pages are served as in production
(docker-compose.yml `web`): gunicorn, 2 sync workers, DEBUG off, manifest static files. Needs
DATABASE_URL (a role with CREATEDB; a throwaway database `bench_w4` is created and dropped on
that server) and REDIS_URL; scripts/bench.sh provides both. Prints one JSON object on stdout.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from yarl import URL

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    django_env,
    drop_database,
    free_port,
    progress_logger,
    recreate_database,
    services_from_env,
    setup_django,
    start_page_server,
    stop_process,
    with_database,
)

PROFILES = 10_000
SMALL = 100  # the query count is measured here too and must be the same
ORGANISATIONS = 50
CONCURRENCY = 16
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
RUN_SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))
WARMUP_SECONDS = 2.0
BENCH_DB = "bench_w4"
SECRET_KEY = "bench-w4-not-a-secret-" + "x" * 40
# Production's value (docker-compose.yml, README), with the connection pool. BENCH_CONN_MAX_AGE=60
# measures persistent connections instead (the pool is then off). Under ASGI, before W6 moved
# pages to gunicorn, those were never reused: each request opened one more, which exhausted
# PostgreSQL's 200 slots at about 200 req/s of /healthz.
CONN_MAX_AGE = os.environ.get("BENCH_CONN_MAX_AGE", "0")
VIEWER_EMAIL = "viewer@example.com"
VIEWER_PASSWORD = "bench-viewer-password-9"
SERVER_STOP_SECONDS = 20

log = progress_logger("W4")


# --- Realistic data ----------------------------------------------------------------------


def words(text: str) -> list[str]:
    return text.split()


FIRST_NAMES = words(
    "Aino Eero Elina Juha Jussi Kaisa Laura Mikko Minna Niko Olli Pekka Riikka Sanna Satu "
    "Teemu Tiina Ville Anna Matti Emilia Onni Helmi Leevi Sofia Eetu Ella Joonas Iida Aleksi "
    "Amir Fatima Li Mei Daniel Maria Oskar Ahmed Nguyen Priya Sven Ingrid Lukas Chiara"
)
LAST_NAMES = words(
    "Virtanen Korhonen Mäkinen Nieminen Mäkelä Hämäläinen Laine Heikkinen Koskinen Järvinen "
    "Lehtonen Lehtinen Saarinen Salminen Heinonen Niemi Heikkilä Kinnunen Salonen Turunen "
    "Savolainen Karjalainen Pitkänen Räsänen Hyvönen Tran Ali Smith Müller Andersson Rossi"
)
DEGREE_PROGRAMMES = [
    ("Business Information Technology", "ict"),
    ("Software Engineering", "ict"),
    ("Information and Communication Technology", "ict"),
    ("Data Engineering and Artificial Intelligence", "ict"),
    ("Cybersecurity", "ict"),
    ("Game Design", "ict"),
    ("International Business", "business"),
    ("Business Administration", "business"),
    ("Marketing and Sales", "business"),
    ("Logistics Engineering", "other"),
    ("Social Services", "other"),
]
JOB_TITLES = [
    "Software Developer",
    "Senior Software Engineer",
    "Data Analyst",
    "Data Scientist",
    "Cloud Architect",
    "DevOps Engineer",
    "Project Manager",
    "Product Owner",
    "UX Designer",
    "Security Consultant",
    "Marketing Manager",
    "Sales Director",
    "HR Business Partner",
    "Controller",
    "CEO",
    "Team Lead",
    "Test Automation Engineer",
    "Business Analyst",
]
ORG_PREFIXES = words(
    "Savo Kuopio Pohjola Nordic Lakeside Aurora Kallavesi Puijo Taiga Kide Revontuli Saimaa "
    "Karelia Lumi Kaleva Tapio Väinö Meri Helka Sisu Ilmari Tuuli Kivi Hiisi Otava"
)
ORG_SUFFIXES = [
    ("Software", "company"),
    ("Data", "company"),
    ("Consulting", "company"),
    ("Logistics", "company"),
    ("Digital", "company"),
    ("Health", "other"),
    ("University of Applied Sciences", "university"),
    ("Bank", "company"),
    ("Energy", "company"),
    ("Games", "company"),
]
INTERESTS = [
    "start-ups",
    "game design",
    "sustainability",
    "open source",
    "running",
    "photography",
    "volunteering",
    "AI ethics",
    "board games",
    "travel",
    "music production",
    "e-sports",
]
ORDINALS = ["First", "Second", "Third", "Fourth", "Fifth"]


@dataclass
class Vocabulary:
    competence_ids: list[int]
    competence_weights: list[float]
    competence_names: dict[int, str]
    language_ids: dict[str, int]
    organisation_ids: list[int]
    organisation_names: dict[int, str]
    password_hash: str


def load_vocabulary(rng: random.Random) -> Vocabulary:
    from django.contrib.auth.hashers import make_password

    from profiles.models import Competence, Language, Organisation

    competences = list(Competence.objects.order_by("pk"))
    assert competences, "the taxonomy migration should have loaded the competences"
    popularity = competences[:]
    rng.shuffle(popularity)
    favourites = {"programming-python", "data-analysis", "web-development", "cloud-services"}
    popularity.sort(key=lambda c: c.slug not in favourites)  # a few very common ones first
    weights = {c.pk: 1 / (rank + 1) ** 0.7 for rank, c in enumerate(popularity)}

    organisations = []
    names = [
        (f"{prefix} {suffix}", kind)
        for prefix in ORG_PREFIXES
        for suffix, kind in ORG_SUFFIXES
        if kind != "university" or prefix in {"Savo", "Karelia", "Saimaa"}
    ]
    for number, (name, kind) in enumerate(rng.sample(names, ORGANISATIONS)):
        organisations.append(
            Organisation(
                name=name,
                slug=f"org-{number:02}-" + name.lower().replace(" ", "-")[:40],
                kind=kind,
                website=f"https://org{number}.example.com/",
                description=f"{name} works with students of the region.",
            )
        )
    Organisation.objects.bulk_create(organisations)
    return Vocabulary(
        competence_ids=[c.pk for c in competences],
        competence_weights=[weights[c.pk] for c in competences],
        competence_names={c.pk: c.name_en for c in competences},
        language_ids={lang.code: lang.pk for lang in Language.objects.all()},
        organisation_ids=[o.pk for o in organisations],
        organisation_names={o.pk: o.name for o in organisations},
        password_hash=make_password(None),  # unusable: nobody but the viewer logs in
    )


def pick_competences(rng: random.Random, vocab: Vocabulary, count: int) -> list[int]:
    chosen: set[int] = set()
    while len(chosen) < count:
        chosen.add(rng.choices(vocab.competence_ids, vocab.competence_weights)[0])
    return list(chosen)


def seed_profiles(start: int, count: int, rng: random.Random, vocab: Vocabulary) -> None:
    """Bulk-create `count` users with profiles, competences, languages and e-mail addresses."""
    from allauth.account.models import EmailAddress
    from django.db import transaction

    from profiles.models import Profile, ProfileCompetence, User

    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(
                    email=f"person{number}@example.com",
                    display_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    password=vocab.password_hash,
                )
                for number in range(start, start + count)
            ],
            batch_size=2000,
        )
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
            batch_size=2000,
        )
        profiles: list[Profile] = []
        links: list[ProfileCompetence] = []
        speaks: list[Any] = []
        through = Profile.languages.through
        for user in users:
            shares = pick_competences(rng, vocab, rng.randint(1, 5))
            learns = pick_competences(rng, vocab, rng.randint(1, 4))
            names = [vocab.competence_names[pk].lower() for pk in shares + learns]
            profile = Profile(
                user=user,
                is_available=rng.random() < 0.8,
                capacity=rng.randint(1, 8),
                visibility=rng.choices(
                    [Profile.Visibility.SIGNED_IN, Profile.Visibility.STAFF], [97, 3]
                )[0],
                interests=", ".join(rng.sample(INTERESTS, rng.randint(0, 3))),
                bio="I like to learn by doing and to talk about " + " and ".join(names[:2]) + ".",
            )
            if rng.random() < 0.6:
                programme, study_field = rng.choice(DEGREE_PROGRAMMES)
                year = rng.randint(1, 5)
                profile.kind = Profile.Kind.STUDENT
                profile.degree_programme = programme
                profile.study_field = study_field
                profile.study_year = year
                profile.headline = (
                    f"{ORDINALS[year - 1]}-year {programme} student into {names[-1]}"
                )[:120]
            else:
                organisation = rng.choice(vocab.organisation_ids)
                profile.kind = Profile.Kind.PROFESSIONAL
                profile.organisation_id = organisation
                profile.job_title = rng.choice(JOB_TITLES)
                profile.headline = (
                    f"{profile.job_title} at {vocab.organisation_names[organisation]}, "
                    f"happy to talk about {names[0]}"
                )[:120]
                profile.career_story = "Studied, switched fields once, never stopped learning."
            profiles.append(profile)
            for direction, chosen in (("share", shares), ("learn", learns)):
                links += [
                    ProfileCompetence(
                        profile_id=user.pk,
                        competence_id=pk,
                        direction=direction,
                        level=rng.randint(1, 4),
                    )
                    for pk in chosen
                ]
            codes = {code for code, share in (("fi", 0.85), ("en", 0.8)) if rng.random() < share}
            codes |= set(rng.sample(sorted(vocab.language_ids), rng.choice([0, 0, 1, 1, 2])))
            speaks += [
                through(profile_id=user.pk, language_id=vocab.language_ids[c]) for c in codes
            ]
        Profile.objects.bulk_create(profiles, batch_size=2000)
        ProfileCompetence.objects.bulk_create(links, batch_size=5000)
        through.objects.bulk_create(speaks, batch_size=5000)


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def create_viewer() -> Any:
    """A signed-in student with a verified address: the one whose session the load uses."""
    from allauth.account.models import EmailAddress

    from profiles import services

    viewer = services.create_user(
        email=VIEWER_EMAIL, display_name="Ville Viewer", password=VIEWER_PASSWORD
    )
    EmailAddress.objects.create(user=viewer, email=VIEWER_EMAIL, verified=True, primary=True)
    return viewer


def directory_paths() -> list[str]:
    """Realistic searches, rotated through by the load. Chosen from the first 100 profiles so
    that each finds people there too: the query counts compare like with like."""
    from collections import Counter

    from profiles.models import Competence, Profile

    def competence(slug: str) -> int:
        return Competence.objects.get(slug=slug).pk

    people = Profile.objects.filter(visibility=Profile.Visibility.SIGNED_IN)
    surname = Counter(
        name.split()[-1].lower() for name in people.values_list("user__display_name", flat=True)
    ).most_common(1)[0][0]
    organisation = Counter(
        people.filter(organisation__isnull=False).values_list("organisation__slug", flat=True)
    ).most_common(1)[0][0]
    python, data = competence("programming-python"), competence("data-analysis")
    return [
        "/people/?q=python&kind=professional",
        f"/people/?competence={python}&direction=share&language=fi&page=3",
        "/people/?q=data&available=on",
        "/people/?kind=student&page=2",
        f"/people/?competence={competence('cloud-services')}&direction=learn",
        f"/people/?organisation={organisation}&kind=professional",
        f"/people/?q={surname}",
        "/people/?language=en&page=4",
        "/people/?q=software&available=on",
        f"/people/?q=student&competence={data}",
        "/people/",
        "/people/?page=40",
    ]


def first_pages(paths: list[str]) -> list[str]:
    """The paths at page 1, plus page 2 of everyone: pages that exist with 100 profiles too
    (past the last page, Django's paginator shows the last one, at the cost of one query)."""
    from urllib.parse import parse_qsl, urlencode

    pages = ["/people/?page=2"]
    for path in paths:
        route, _sep, query = path.partition("?")
        params = [(k, v) for k, v in parse_qsl(query) if k != "page"]
        first = f"{route}?{urlencode(params)}" if params else route
        if first not in pages:
            pages.append(first)
    return pages


def count_queries(viewer: Any, paths: list[str]) -> dict[str, tuple[int, int]]:
    """Per path: the queries one request makes, and how many people its page shows."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(viewer)
    counts = {}
    for path in paths:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        shown = response.content.count(b'class="profile-card"')  # profiles/card.html's root
        counts[path] = (len(queries), shown)
    return counts


def session_cookie(viewer: Any) -> tuple[str, str]:
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(viewer)
    return settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value


# --- Server ------------------------------------------------------------------------------


# --- Load --------------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile_ms(self, percent: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered)) - 1))
        return ordered[index] * 1000


async def load(base: str, paths: list[str], cookie: tuple[str, str], seconds: float) -> Run:
    """CONCURRENCY clients, on kept-alive connections where the server keeps them (gunicorn's
    sync workers close each), each sending its next request as soon as the last one is
    answered, for `seconds`. Only 200 answers count; anything else is an error."""
    jar = aiohttp.CookieJar(unsafe=True)  # unsafe: accept cookies for an IP address
    jar.update_cookies({cookie[0]: cookie[1]}, URL(base))
    next_path = itertools.cycle(paths).__next__
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    timeout = aiohttp.ClientTimeout(total=30)
    run = Run(seconds=seconds)
    async with aiohttp.ClientSession(
        base, connector=connector, cookie_jar=jar, timeout=timeout
    ) as session:
        started = time.perf_counter()
        deadline = started + seconds

        async def client() -> None:
            while time.perf_counter() < deadline:
                path = next_path()
                sent = time.perf_counter()
                try:
                    async with session.get(path, allow_redirects=False) as response:
                        await response.read()
                        ok = response.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                if ok:
                    run.latencies.append(time.perf_counter() - sent)
                else:
                    run.errors += 1

        await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
        run.seconds = time.perf_counter() - started
    return run


def summary(runs: list[Run]) -> dict[str, Any]:
    return {
        "rps": round(statistics.median(r.rps for r in runs), 1),
        "p50_ms": round(statistics.median(r.percentile_ms(50) for r in runs), 1),
        "p99_ms": round(statistics.median(r.percentile_ms(99) for r in runs), 1),
        "requests": sum(len(r.latencies) for r in runs),
        "runs_rps": [round(r.rps, 1) for r in runs],
    }


async def measure(
    base: str, bare: list[str], directory: list[str], cookie: tuple[str, str]
) -> tuple[list[Run], list[Run]]:
    for paths in (bare, directory):  # warm both workers: templates, connections, caches
        await load(base, paths, cookie, WARMUP_SECONDS)
    baseline: list[Run] = []
    subject: list[Run] = []
    for number in range(RUNS):
        baseline.append(await load(base, bare, cookie, RUN_SECONDS))
        subject.append(await load(base, directory, cookie, RUN_SECONDS))
        log(
            f"run {number + 1}/{RUNS}: bare {baseline[-1].rps:.0f} req/s, "
            f"directory {subject[-1].rps:.0f} req/s, "
            f"p99 {subject[-1].percentile_ms(99):.0f} ms"
        )
    return baseline, subject


# --- Main --------------------------------------------------------------------------------


def main() -> dict[str, Any]:
    server_url, redis_url = services_from_env("W4")
    began = time.monotonic()
    database_url = with_database(server_url, BENCH_DB)
    static_root = tempfile.mkdtemp(prefix="bench-w4-static-")
    server: subprocess.Popen[bytes] | None = None
    recreate_database(server_url, BENCH_DB)
    try:
        env = django_env(
            settings_module="benchmarks.settings",
            secret_key=SECRET_KEY,
            database_url=database_url,
            redis_url=redis_url,
            ALLOWED_HOSTS="127.0.0.1",
            CONN_MAX_AGE=CONN_MAX_AGE,
            # Persistent connections only count without the pool (which sets CONN_MAX_AGE 0).
            DATABASE_POOL_SIZE="0" if CONN_MAX_AGE != "0" else "12",
            STATIC_ROOT=static_root,
        )
        setup_django(env, collect_static=True)
        from django.db import connections

        rng = random.Random(4)
        vocab = load_vocabulary(rng)
        viewer = create_viewer()
        seed_profiles(1, SMALL - 1, rng, vocab)
        analyze()
        paths = directory_paths()
        counted = first_pages(paths)
        small = count_queries(viewer, counted)
        t0 = time.monotonic()
        seed_profiles(SMALL, PROFILES - SMALL, rng, vocab)
        analyze()
        log(f"seeded {PROFILES} profiles in {time.monotonic() - t0:.1f} s")
        large = count_queries(viewer, counted)
        cookie = session_cookie(viewer)
        connections.close_all()

        port = free_port()
        server = start_page_server("gunicorn", env, port, stop_timeout=SERVER_STOP_SECONDS)
        base = f"http://127.0.0.1:{port}"
        baseline, subject = asyncio.run(measure(base, ["/bench/bare/"], paths, cookie))
    finally:
        if server is not None:
            stop_process(server, timeout=SERVER_STOP_SECONDS)
        drop_database(server_url, BENCH_DB, log=log)
        shutil.rmtree(static_root, ignore_errors=True)

    base_summary, subject_summary = summary(baseline), summary(subject)
    # Same number of queries for every path, and every page showed people at both sizes.
    equal = all(
        small[path][0] == large[path][0] and small[path][1] and large[path][1] for path in counted
    )
    ratio = subject_summary["rps"] / base_summary["rps"]
    return {
        "id": "W4",
        "profiles": PROFILES,
        "concurrency": CONCURRENCY,
        "page_size": 50,
        "server": {"kind": "gunicorn", "workers": 2, "conn_max_age": int(CONN_MAX_AGE)},
        "baseline": base_summary,
        "subject": subject_summary,
        "ratio_rps": round(ratio, 3),
        "targets": {"ratio_rps": ">=0.2", "p99_ms": "<=200", "queries_per_page": "constant"},
        "met": {
            "ratio_rps": ratio >= 0.2,
            "p99_ms": subject_summary["p99_ms"] <= 200,
            "queries_per_page": equal,
        },
        "queries_per_page": {
            f"at_{SMALL}": max(queries for queries, _shown in small.values()),
            f"at_{PROFILES}": max(queries for queries, _shown in large.values()),
            "equal": equal,
            "by_path": {
                path: {f"at_{SMALL}": list(small[path]), f"at_{PROFILES}": list(large[path])}
                for path in counted
            },
        },
        "errors": sum(r.errors for r in baseline + subject),
        "runs": RUNS,
        "seconds_per_run": RUN_SECONDS,
        "total_seconds": round(time.monotonic() - began, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)
