"""W5: the weekly theme to 10,000 participants, in the app and by e-mail.

Subject: "do what is due" (`pilots.services.run_due`, as beat runs it) publishes a running
pilot's week to its 10,000 participants: Broadcast and Delivery rows in one transaction, tasks
enqueued to Redis after commit, and a real Celery worker (as deployed: prefork, one process per
core, CONN_MAX_AGE=0) delivering in-app notifications first and then e-mail to a local SMTP
server (aiosmtpd, a no-op handler that counts, in a process of its own).

Baselines in the same run, alternated with the subject:
- in-app: a bare `bulk_create` of 10,000 Notification rows from this process;
- e-mail: raw `smtplib` sending the same 10,000 mails (rendered beforehand) over one connection.

Needs DATABASE_URL (a role with CREATEDB; a throwaway database `bench_w5` is created and dropped
on that server) and REDIS_URL; scripts/bench.sh provides both. Prints one JSON object on stdout.
"""

from __future__ import annotations

import datetime
import json
import multiprocessing
import os
import smtplib
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import (
    django_env,
    drop_database,
    free_port,
    progress_logger,
    recreate_database,
    services_from_env,
    setup_django,
    start_module,
    stop_process,
    wait_until_ready,
    with_database,
)

RECIPIENTS = int(os.environ.get("BENCH_RECIPIENTS", "10000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
WORKER_CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", str(os.cpu_count() or 2)))
WARMUP_RECIPIENTS = 300
DEADLINE_SECONDS = 300  # one subject run may take this long at most
POLL_SECONDS = 0.02
BENCH_DB = "bench_w5"
SECRET_KEY = "bench-w5-not-a-secret-" + "x" * 40
THEME = "Future skills and working life"
DESCRIPTION = (
    "This week we talk about the skills working life will ask for in five years, and how "
    "you can start building them during your studies."
)
PROMPTS = "Which skill surprised you most at work?\nWhat would you learn first, and how?"
WORKER_STOP_SECONDS = 30

log = progress_logger("W5")


# --- Database ------------------------------------------------------------------------------


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- Data ----------------------------------------------------------------------------------


@dataclass
class Scene:
    pilot: Any
    week: Any
    user_ids: list[int]


def seed(count: int) -> Scene:
    """A running pilot with `count` participants (actors, mentors, staff) and a theme for the
    current week; every participant keeps the default: e-mail right away."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from pilots import services
    from pilots.models import Participation, Pilot, Role
    from profiles.models import Organisation, User

    with transaction.atomic():
        host = Organisation.objects.create(
            name="Bench University", slug="bench-university", kind=Organisation.Kind.UNIVERSITY
        )
        start = timezone.localdate() - datetime.timedelta(weeks=2)
        pilot = Pilot.objects.create(
            host=host,
            name="Spring pilot",
            slug="spring-pilot",
            starts_on=start,
            ends_on=start + datetime.timedelta(weeks=8, days=-1),
            status=Pilot.Status.RUNNING,
        )
        services.plan_weeks(pilot=pilot)
        unusable = make_password(None)
        users = User.objects.bulk_create(
            [
                User(
                    email=f"participant{n}@example.com",
                    display_name=f"Participant {n}",
                    password=unusable,
                )
                for n in range(count + WARMUP_RECIPIENTS)
            ],
            batch_size=2000,
        )
        roles = [Role.ACTOR] * 8 + [Role.MENTOR] * 2
        Participation.objects.bulk_create(
            [
                Participation(pilot=pilot, user=user, role=roles[n % len(roles)])
                for n, user in enumerate(users[:count])
            ],
            batch_size=2000,
        )
    week = pilot.current_week()
    assert week is not None
    week.theme, week.description, week.prompts = THEME, DESCRIPTION, PROMPTS
    week.save(update_fields=["theme", "description", "prompts"])
    return Scene(pilot=pilot, week=week, user_ids=[user.pk for user in users])


def reset(scene: Scene) -> None:
    """Undo a run: its broadcast (and outbox rows), notifications, the week's "sent" mark."""
    from messaging.models import Broadcast, Notification
    from pilots.models import Week

    Notification.objects.all().delete()
    Broadcast.objects.all().delete()
    Week.objects.filter(pk=scene.week.pk).update(broadcast_at=None)
    vacuum()


# --- SMTP server and worker ----------------------------------------------------------------


class CountingHandler:
    """A no-op SMTP handler: accepts every message and counts it."""

    def __init__(self, counter: Any) -> None:
        self.counter = counter

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.counter.get_lock():
            self.counter.value += len(envelope.rcpt_tos)
        return "250 2.0.0 OK"


def serve_smtp(port: int, counter: Any, ready: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(CountingHandler(counter), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds used by a process and its descendants, those still running and those it
    has reaped (PostgreSQL's backends come and go with CONN_MAX_AGE=0)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    own = sum(int(value) for value in fields[11:15]) / CLOCK_TICKS  # utime stime cutime cstime
    return own + sum(tree_cpu(int(child)) for child in children)


@dataclass
class Processes:
    worker: int
    postgres: int
    smtp_server: int

    def cpu(self) -> dict[str, float]:
        return {
            "worker": tree_cpu(self.worker),
            "postgres": tree_cpu(self.postgres),
            "smtp_server": tree_cpu(self.smtp_server),
            "this_process": time.process_time(),
        }


def cpu_ms_per_item(
    before: dict[str, float], after: dict[str, float], items: int
) -> dict[str, float]:
    return {name: round((after[name] - before[name]) * 1000 / items, 3) for name in before}


def postmaster_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    return int(Path(f"/proc/{backend}/stat").read_text().rpartition(")")[2].split()[1])


def start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    from mentoring.celery import app

    name = f"bench-w5-{os.getpid()}@localhost"
    with log_path.open("ab") as log_file:
        worker = start_module(
            [
                "celery",
                "-A",
                "mentoring",
                "worker",
                "--loglevel=info",
                f"--concurrency={WORKER_CONCURRENCY}",
                "--without-gossip",
                "--without-mingle",
                "-n",
                name,
            ],
            env={**env, "LOG_LEVEL": "INFO"},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    wait_until_ready(
        worker,
        lambda: bool(app.control.ping(destination=[name], timeout=0.5)),
        name="the worker",
        request="a ping",
        stop_timeout=WORKER_STOP_SECONDS,
        exit_hint=f"; see {log_path}",
    )
    return worker


# --- Measurements --------------------------------------------------------------------------


def wait_for(condition: Any, what: str) -> float:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(POLL_SECONDS)
    return time.perf_counter()


def bulk_create_baseline(scene: Scene, run: int) -> float:
    from messaging.models import Kind, Notification

    ids = scene.user_ids[:RECIPIENTS]
    subject = f"{scene.week.number}. {THEME}"
    started = time.perf_counter()
    Notification.objects.bulk_create(
        [
            Notification(
                user_id=uid,
                kind=Kind.WEEK,
                source=f"bench:{run}",
                subject=subject,
                body=DESCRIPTION,
                url="/pilots/spring-pilot/",
            )
            for uid in ids
        ]
    )
    seconds = time.perf_counter() - started
    Notification.objects.filter(source=f"bench:{run}").delete()
    return seconds


@dataclass
class SubjectRun:
    in_app_seconds: float
    email_seconds: float
    email_span_seconds: float
    notifications: int
    emails_sent: int
    mails_received: int
    in_app_cpu: dict[str, float]
    email_cpu: dict[str, float]


def broadcast_subject(scene: Scene, counter: Any, processes: Processes) -> SubjectRun:
    from django.db.models import Max, Min

    from messaging.models import Broadcast, Delivery, Notification
    from pilots import services

    received_before = counter.value
    cpu_start = processes.cpu()
    started = time.perf_counter()
    report = services.run_due()
    assert report.weeks == 1, report
    item = Broadcast.objects.get(source=scene.week.source)
    waiting = Delivery.objects.filter(broadcast=item, status=Delivery.Status.PENDING)

    def in_app_done() -> bool:
        return not waiting.filter(channel=Delivery.Channel.IN_APP).exists()

    def email_done() -> bool:
        return not waiting.filter(channel=Delivery.Channel.EMAIL).exists()

    in_app_at = wait_for(in_app_done, "the in-app deliveries")
    cpu_in_app = processes.cpu()
    # Watch the SMTP server's counter (shared memory), not the database, while mail goes out:
    # polling would add load to the database the worker writes to.
    wait_for(lambda: counter.value - received_before >= RECIPIENTS, "the mails")
    email_at = wait_for(email_done, "the e-mail deliveries")
    cpu_email = processes.cpu()
    emails = Delivery.objects.filter(broadcast=item, channel=Delivery.Channel.EMAIL)
    span = emails.aggregate(first=Min("sent_at"), last=Max("sent_at"))
    return SubjectRun(
        in_app_seconds=in_app_at - started,
        email_seconds=email_at - in_app_at,
        email_span_seconds=(span["last"] - span["first"]).total_seconds(),
        notifications=Notification.objects.filter(source=item.source).count(),
        emails_sent=emails.filter(status=Delivery.Status.SENT).count(),
        mails_received=counter.value - received_before,
        in_app_cpu=cpu_ms_per_item(cpu_start, cpu_in_app, RECIPIENTS),
        email_cpu=cpu_ms_per_item(cpu_in_app, cpu_email, RECIPIENTS),
    )


def rendered_mails(scene: Scene) -> list[tuple[str, str, bytes]]:
    """The same mails the worker sends, rendered by the same code, as smtplib's input."""
    import email.policy

    from django.conf import settings
    from django.utils import translation

    from messaging.services import render_email
    from profiles.models import User

    week = scene.week
    body = f"{DESCRIPTION}\n\n" + "\n".join(f"- {line}" for line in PROMPTS.splitlines())
    mails = []
    with translation.override(settings.LANGUAGE_CODE):
        for user in User.objects.filter(pk__in=scene.user_ids[:RECIPIENTS]).order_by("pk"):
            message = render_email(
                recipient=user,
                subject=f"{week.number}. {THEME}",
                body=body,
                url=scene.pilot.get_absolute_url(),
            )
            mails.append(
                (
                    settings.DEFAULT_FROM_EMAIL,
                    user.email,
                    message.message(policy=email.policy.SMTP).as_bytes(),
                )
            )
    return mails


def smtplib_baseline(
    port: int, mails: list[tuple[str, str, bytes]], counter: Any, processes: Processes | None
) -> tuple[float, dict[str, float]]:
    received_before = counter.value
    cpu_start = processes.cpu() if processes else {}
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for sender, recipient, data in mails:
            smtp.sendmail(sender, [recipient], data)
    seconds = time.perf_counter() - started
    cpu = cpu_ms_per_item(cpu_start, processes.cpu(), len(mails)) if processes else {}
    received = counter.value - received_before
    assert received == len(mails), (received, len(mails))
    return seconds, cpu


def warm_up(scene: Scene, port: int, mails: list[tuple[str, str, bytes]], counter: Any) -> None:
    """Both sides once on a small scale: imports, templates, connections, caches."""
    from django.db import transaction

    from messaging import services as messaging
    from messaging.models import Broadcast, Delivery, Kind

    smtplib_baseline(port, mails[:WARMUP_RECIPIENTS], counter, None)
    with transaction.atomic():
        item = messaging.broadcast(
            kind=Kind.WEEK,
            source="bench:warm-up",
            subject="Warm-up",
            body=DESCRIPTION,
            url="/",
            recipient_ids=scene.user_ids[RECIPIENTS:],
        )
    waiting = Delivery.objects.filter(broadcast=item, status=Delivery.Status.PENDING)
    wait_for(lambda: not waiting.exists(), "the warm-up broadcast")
    Broadcast.objects.filter(pk=item.pk).delete()


def median(values: list[float]) -> float:
    return statistics.median(values)


def median_cpu(runs: list[dict[str, float]]) -> dict[str, float]:
    return {name: round(median([run[name] for run in runs]), 3) for name in runs[0]}


# --- Main ----------------------------------------------------------------------------------


def main() -> dict[str, Any]:
    server_url, redis_url = services_from_env("W5")
    began = time.monotonic()
    database_url = with_database(server_url, BENCH_DB)
    log_dir = Path(tempfile.mkdtemp(prefix="bench-w5-"))
    smtp_port = free_port()
    context = multiprocessing.get_context("spawn")
    counter = context.Value("q", 0)
    ready, stop = context.Event(), context.Event()
    smtp = context.Process(target=serve_smtp, args=(smtp_port, counter, ready, stop), daemon=True)
    smtp.start()
    if not ready.wait(30):
        raise RuntimeError("the SMTP server did not start")
    worker: subprocess.Popen[bytes] | None = None
    recreate_database(server_url, BENCH_DB)
    in_app_base: list[float] = []
    email_base: list[float] = []
    email_base_cpu: list[dict[str, float]] = []
    subject_runs: list[SubjectRun] = []
    try:
        env = django_env(
            settings_module="mentoring.settings",
            secret_key=SECRET_KEY,
            database_url=database_url,
            redis_url=redis_url,
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            CONN_MAX_AGE="0",
        )
        setup_django(env)
        from mentoring.celery import app

        app.control.purge()
        t0 = time.monotonic()
        scene = seed(RECIPIENTS)
        vacuum()
        log(f"seeded {RECIPIENTS} participants in {time.monotonic() - t0:.1f} s")
        mails = rendered_mails(scene)
        worker = start_worker(env, log_dir / "worker.log")
        assert smtp.pid is not None
        processes = Processes(worker=worker.pid, postgres=postmaster_pid(), smtp_server=smtp.pid)
        warm_up(scene, smtp_port, mails, counter)
        reset(scene)
        for number in range(RUNS):
            in_app_base.append(bulk_create_baseline(scene, number))
            vacuum()
            subject_runs.append(broadcast_subject(scene, counter, processes))
            reset(scene)
            seconds, cpu = smtplib_baseline(smtp_port, mails, counter, processes)
            email_base.append(seconds)
            email_base_cpu.append(cpu)
            last = subject_runs[-1]
            log(
                f"run {number + 1}/{RUNS}: in-app {last.in_app_seconds:.2f} s "
                f"(bulk_create {in_app_base[-1]:.2f} s), e-mail {last.email_seconds:.2f} s "
                f"(smtplib {email_base[-1]:.2f} s)"
            )
    finally:
        if worker is not None:
            stop_process(worker, timeout=WORKER_STOP_SECONDS)
        drop_database(server_url, BENCH_DB, log=log)
        stop.set()
        smtp.join(10)

    in_app_subject = median([r.in_app_seconds for r in subject_runs])
    in_app_baseline = median(in_app_base)
    email_subject_rate = median([RECIPIENTS / r.email_seconds for r in subject_runs])
    email_baseline_rate = median([RECIPIENTS / s for s in email_base])
    in_app_ratio = in_app_subject / in_app_baseline
    email_ratio = email_subject_rate / email_baseline_rate
    complete = all(
        r.notifications == RECIPIENTS
        and r.emails_sent == RECIPIENTS
        and r.mails_received == RECIPIENTS
        for r in subject_runs
    )
    return {
        "id": "W5",
        "recipients": RECIPIENTS,
        "chunk_size": 100,
        "worker": {"pool": "prefork", "concurrency": WORKER_CONCURRENCY, "conn_max_age": 0},
        "in_app": {
            "baseline": {
                "what": "bulk_create of the Notification rows",
                "seconds": round(in_app_baseline, 3),
                "runs_seconds": [round(s, 3) for s in in_app_base],
            },
            "subject": {
                "what": "run_due: outbox rows, enqueue, tasks, until all in-app rows are sent",
                "seconds": round(in_app_subject, 3),
                "runs_seconds": [round(r.in_app_seconds, 3) for r in subject_runs],
            },
            "ratio_time": round(in_app_ratio, 2),
        },
        "email": {
            "baseline": {
                "what": "raw smtplib, the same rendered mails, one connection",
                "per_second": round(email_baseline_rate, 1),
                "runs_per_second": [round(RECIPIENTS / s, 1) for s in email_base],
            },
            "subject": {
                "what": "worker e-mail tasks, from the in-app part done until every mail is sent",
                "per_second": round(email_subject_rate, 1),
                "runs_per_second": [round(RECIPIENTS / r.email_seconds, 1) for r in subject_runs],
                "runs_first_to_last_sent_seconds": [
                    round(r.email_span_seconds, 2) for r in subject_runs
                ],
            },
            "ratio_throughput": round(email_ratio, 3),
        },
        "cpu_ms_per_recipient": {
            "what": "CPU time per recipient by process, median of the runs: where the time goes",
            "in_app_subject": median_cpu([r.in_app_cpu for r in subject_runs]),
            "email_subject": median_cpu([r.email_cpu for r in subject_runs]),
            "email_baseline": median_cpu(email_base_cpu),
        },
        "targets": {"in_app_ratio_time": "<=5", "email_ratio_throughput": ">=0.8"},
        "met": {
            "in_app_ratio_time": in_app_ratio <= 5,
            "email_ratio_throughput": email_ratio >= 0.8,
        },
        "complete": {
            "every_run_delivered_all": complete,
            "notifications": [r.notifications for r in subject_runs],
            "emails_sent": [r.emails_sent for r in subject_runs],
            "mails_received": [r.mails_received for r in subject_runs],
        },
        "runs": RUNS,
        "total_seconds": round(time.monotonic() - began, 1),
    }


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)
