"""Do what is due now: weekly themes, scheduled announcements, the outbox sweeper, digests.

Celery beat runs it every minute in production. `--every N` keeps running it, every N seconds,
which is how `make run` fires scheduled work in the embedded default.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from pilots.services import run_due

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Send the weekly themes and scheduled announcements that are due, and sweep the outbox."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds.")

    def handle(self, *args: Any, every: int = 0, **options: Any) -> None:
        while True:
            try:
                report = run_due()
            except Exception:
                if not every:
                    raise
                # Repeating: a failed run (the database restarting, say) must not end the loop.
                logger.exception("run_due failed; the next run tries again in %s s", every)
            else:
                if options["verbosity"] > 1 or any(vars(report).values()):
                    self.stdout.write(
                        f"weeks {report.weeks}, announcements {report.announcements}, "
                        f"requeued {report.requeued}, digests {report.digests}, "
                        f"message e-mails {report.message_emails}, nudges {report.nudges}"
                    )
            if not every:
                return
            # A long-running loop is no request: drop a connection that is too old or broken.
            close_old_connections()
            time.sleep(every)
