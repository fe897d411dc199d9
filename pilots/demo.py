"""The demo pilot, shaped like the first one: two months of weekly themes, orientation
material, the 28 actors and 11 mentors of profiles.demo, its staff and one announcement.
It is running now, so "this week" has a theme. `seed()` is idempotent."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from pilots import services
from pilots.models import Announcement, Material, Pilot, Role
from profiles.demo import STAFF_EMAIL, UNIVERSITY
from profiles.models import Organisation, User

SLUG = "speed-mentoring-spring"

THEMES = [
    (
        "What I expect from speed mentoring",
        "Get to know the network and say what you hope to get out of the next two months.",
        "What do I want to learn from working life?\nWhat kind of mentor would help me most?",
    ),
    (
        "A mentor's career story",
        "Mentors tell how they got where they are, turns and surprises included.",
        "What was your first job in the field?\nWhat would you do differently?",
    ),
    (
        "Future skills and working life",
        "Which skills will matter in five years, and how do you build them while studying?",
        "Which skill do you use most at work?\nWhat should a student learn first?",
    ),
    (
        "Working-life skills: communication and teamwork",
        "The skills nobody lists in a job advert but everybody needs.",
        "How do you give feedback to a colleague?\nWhat makes a team work?",
    ),
    (
        "Reverse mentoring: digital tools",
        "Students show mentors a tool or way of working they use every day.",
        "Which tool could save your team time?\nHow do students use AI tools in their studies?",
    ),
    (
        "IT-field discussions",
        "Open discussion about the IT field: jobs, trends, the region's companies.",
        "What does a junior developer do in their first month?\n"
        "Which companies in the region hire trainees?",
    ),
    (
        "Networking and job seeking",
        "How to find a traineeship or thesis topic, and how to ask for one.",
        "How did you find your current job?\nWhat makes a CV stand out?",
    ),
    (
        "What I learned and how it shows in working life",
        "Look back: what did the conversations change in how you see your studies and career?",
        "What is one thing you will do differently?\nWhat would you tell the next group?",
    ),
    (
        "Wrap-up and feedback",
        "Last conversations, thanks, and feedback for the project team.",
        "What worked in speed mentoring?\nWhat should we change?",
    ),
]

MATERIALS = [
    (
        "Welcome to speed mentoring",
        Material.Kind.TEXT,
        True,
        "Speed mentoring is **a series of short conversations about specific questions**.\n\n"
        "- Ask one concrete question at a time.\n- Keep it short: ten minutes is fine.\n"
        "- Say thank you, and tell what you will do with the answer.",
    ),
    (
        "How to have a good short conversation",
        Material.Kind.TEXT,
        True,
        "1. Read the other person's profile first.\n"
        "2. Start with your question, then the context.\n"
        "3. End with a next step.\n\nPikamentorointi toimii suomeksi ja englanniksi.",
    ),
    (
        "Video: what is speed mentoring?",
        Material.Kind.VIDEO,
        False,
        "A three-minute introduction for students and mentors.",
    ),
]


@transaction.atomic
def seed() -> Pilot:
    host = Organisation.objects.get(slug=UNIVERSITY[0])
    today = timezone.localdate()
    start = today - datetime.timedelta(days=today.weekday() + 14)  # a Monday two weeks ago
    pilot, created = Pilot.objects.get_or_create(
        slug=SLUG,
        defaults={
            "host": host,
            "name": "Digital speed mentoring, spring",
            "description": (
                "Students of ICT and business meet mentors from five regional companies in short "
                "conversations around weekly themes."
            ),
            "starts_on": start,
            "ends_on": start + datetime.timedelta(weeks=len(THEMES), days=-1),
            "status": Pilot.Status.RUNNING,
            "actor_term": "aktori",
            "requires_orientation": True,
        },
    )
    if not created:
        return pilot
    weeks = services.plan_weeks(pilot=pilot)
    for week, (theme, description, prompts) in zip(weeks, THEMES, strict=False):
        week.theme, week.description, week.prompts = theme, description, prompts
        if week.ends_on < today:
            week.broadcast_at = timezone.now()  # the past weeks' themes went out back then
        week.save()
    for position, (title, kind, required, body) in enumerate(MATERIALS):
        Material.objects.create(
            pilot=pilot,
            title=title,
            kind=kind,
            required=required,
            body=body,
            video_url="https://www.example.edu/speed-mentoring-intro"
            if kind == Material.Kind.VIDEO
            else "",
            position=position,
            is_published=True,
        )
    staff = User.objects.get(email=STAFF_EMAIL)
    services.add_participant(pilot=pilot, user=staff, role=Role.STAFF)
    for number in range(1, 12):
        services.add_participant(
            pilot=pilot,
            user=User.objects.get(email=f"mentor{number}@demo.example"),
            role=Role.MENTOR,
        )
    for number in range(1, 29):
        services.add_participant(
            pilot=pilot,
            user=User.objects.get(email=f"student{number}@demo.example"),
            role=Role.ACTOR,
            earns_credits=number % 2 == 0,
        )
    announcement = Announcement.objects.create(
        pilot=pilot,
        author=staff,
        title="Welcome to the pilot!",
        body=(
            "Hello everyone, and welcome. Please read the orientation material before your first "
            "conversation. This week's theme is on the pilot's page."
        ),
    )
    services.send_announcement(announcement=announcement)
    return pilot
