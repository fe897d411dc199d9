"""Do what is due now: weekly themes, scheduled announcements, the outbox sweeper, digests.

Celery beat runs it every minute in production. `--every N` keeps running it, every N seconds,
which is how `make run` fires scheduled work in the embedded default.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from pilots.services import run_due


class Command(BaseCommand):
    help = "Send the weekly themes and scheduled announcements that are due, and sweep the outbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds.")

    def handle(self, *args: Any, every: int = 0, **options: Any) -> None:
        while True:
            report = run_due()
            if options["verbosity"] > 1 or any(vars(report).values()):
                self.stdout.write(
                    f"weeks {report.weeks}, announcements {report.announcements}, "
                    f"requeued {report.requeued}, digests {report.digests}"
                )
            if not every:
                return
            time.sleep(every)
