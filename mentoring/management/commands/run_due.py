"""Do what is due now, app by app: pilots (weekly themes, scheduled announcements, nudges),
then messaging (the outbox sweeper, digests, new-message e-mails).

In production Celery beat runs each app's `run_due` task every minute on its own. This command
runs both once, or with `--every N` every N seconds, which is how `make run` fires scheduled work
in the embedded default.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from messaging import services as messaging
from pilots import services as pilots

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Send the weekly themes, scheduled announcements and nudges that are due, sweep the "
        "outbox and send digests and new-message e-mails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--every", type=int, default=0, help="Repeat every N seconds.")

    def handle(self, *args: Any, every: int = 0, **options: Any) -> None:
        while True:
            try:
                self.run_once(verbose=options["verbosity"] > 1)
            except Exception:
                if not every:
                    raise
                # Repeating: a failed run (the database restarting, say) must not end the loop.
                logger.exception("run_due failed; the next run tries again in %s s", every)
            if not every:
                return
            # A long-running loop is no request: drop a connection that is too old or broken.
            close_old_connections()
            time.sleep(every)

    def run_once(self, *, verbose: bool) -> None:
        # Pilots first: what it broadcasts now is in the outbox before messaging sweeps it.
        due = pilots.run_due()
        sent = messaging.run_due()
        if verbose or any(vars(due).values()) or any(vars(sent).values()):
            self.stdout.write(
                f"weeks {due.weeks}, announcements {due.announcements}, nudges {due.nudges}; "
                f"requeued {sent.requeued}, digests {sent.digests}, "
                f"message e-mails {sent.message_emails}"
            )
