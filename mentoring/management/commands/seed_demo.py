"""Create the demo data of every app, shaped like the first pilot. Running it again changes
nothing; it prints how to log in."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from groups import demo as groups_demo
from mentoring.admin_access import grant_pilot_staff
from pilots import demo as pilots_demo
from profiles import demo as profiles_demo
from profiles.models import User


class Command(BaseCommand):
    help = "Create a demo network and pilot like the first one (idempotent); print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        created = profiles_demo.seed()
        pilot = pilots_demo.seed()
        groups_demo.seed(pilot)
        # The demo staff's Admin link leads to what staff need there, not to "no permission".
        grant_pilot_staff(user=User.objects.get(email=profiles_demo.STAFF_EMAIL))
        self.stdout.write(
            self.style.SUCCESS(f"Demo data ready ({created} new accounts; pilot “{pilot.name}”).")
        )
        self.stdout.write(
            f"Demo logins (password for all: {profiles_demo.DEMO_PASSWORD}):\n"
            f"  staff:   {profiles_demo.STAFF_EMAIL}\n"
            "  mentor:  mentor1@demo.example … mentor11@demo.example\n"
            "  student: student1@demo.example … student28@demo.example"
        )
