"""The demo pilot's groups: pairs in the individual, reverse and peer modes, a mentoring group
(the group mode), and the discussion groups "IT field" and "Future skills", with a few
messages in Finnish and English. `seed(pilot)` is idempotent: groups are found by name and
messages carry fixed client ids, so running it again creates nothing new."""

from __future__ import annotations

import uuid

from django.db import transaction

from groups import services
from groups.models import Group
from messaging.services.conversations import send_message
from pilots.models import Pilot
from profiles.demo import STAFF_EMAIL
from profiles.models import User

CLIENT_IDS = uuid.UUID("6f1c1f9e-5a43-4f0e-9a53-2f3c7d2b8e10")

# (mode, mentor, mentee, messages as (sender, text)); people by demo e-mail prefix and number
PAIRS = [
    (
        Group.Mode.INDIVIDUAL,
        "mentor1",
        "student1",
        [
            ("student1", "Hei Anna! Miten pääsit ensimmäiseen koodarin työhösi?"),
            (
                "mentor1",
                "Hei Aino! Harjoittelun kautta: tein opinnäytetyön yritykselle ja jäin sinne "
                "töihin. Kannattaa kysyä harjoittelupaikkoja rohkeasti.",
            ),
            ("student1", "Kiitos! Kysyn tänä keväänä kolmesta yrityksestä."),
        ],
    ),
    (
        Group.Mode.INDIVIDUAL,
        "mentor9",
        "student3",
        [
            ("student3", "Hi Riikka, which certificate should I take first for security work?"),
            (
                "mentor9",
                "Start with the basics of networks, then a vendor-neutral entry-level "
                "certificate. Hands-on labs matter more than the paper.",
            ),
        ],
    ),
    (
        Group.Mode.REVERSE,
        "student2",
        "mentor4",
        [
            (
                "student2",
                "Hei Jukka! Näytän ensi kerralla, miten suunnittelemme somejulkaisut viikoksi "
                "kerrallaan yhdellä työkalulla.",
            ),
            ("mentor4", "Loistavaa, juuri tätä tarvitsen. Tuon mukaan yrityksemme tilin."),
        ],
    ),
    (
        Group.Mode.PEER,
        "student5",
        "student7",
        [
            ("student5", "Hi Emma, shall we practise our elevator pitches before the fair?"),
            ("student7", "Sopii! Harjoitellaan torstaina, ensin suomeksi ja sitten englanniksi."),
        ],
    ),
]

# (kind, name, description, is_open, members, messages)
GROUPS = [
    (
        Group.Kind.MENTORING,
        "Careers in ICT",
        "Two mentors and four actors talk about first jobs, CVs and the cloud.",
        False,
        ["mentor7", "mentor10", "student9", "student11", "student13", "student15"],
        [
            ("mentor7", "Welcome! Post your CV questions here, I read every one."),
            ("student9", "Kiitos! Kuinka pitkä CV:n pitäisi olla?"),
            ("mentor7", "Yksi sivu riittää opiskelijalle. Tärkeintä on, mitä osaat tehdä."),
        ],
    ),
    (
        Group.Kind.DISCUSSION,
        "IT field",
        "Open discussion about the IT field: jobs, trends, the region's companies.",
        True,
        ["staff", "mentor1", "mentor10", "student1", "student3", "student11", "student19"],
        [
            ("staff", "Tervetuloa IT-alan keskusteluun! Welcome to the IT field discussion."),
            ("mentor10", "What does a junior developer do in their first month? Ask away."),
            ("student19", "Käytetäänkö teillä tekoälytyökaluja koodauksessa?"),
        ],
    ),
    (
        Group.Kind.DISCUSSION,
        "Future skills",
        "Which skills will matter in five years, and how to build them while studying.",
        True,
        ["staff", "mentor2", "mentor3", "student2", "student4", "student6"],
        [
            ("staff", "Mitkä taidot ovat tärkeimpiä viiden vuoden päästä? Kertokaa!"),
            ("mentor3", "Data literacy, for everyone. Not only for data scientists."),
            ("student4", "And communication: explaining what the data means."),
        ],
    ),
]


def _person(key: str) -> User:
    if key == "staff":
        return User.objects.get(email=STAFF_EMAIL)
    return User.objects.get(email=f"{key}@demo.example")


def _say(group: Group, messages: list[tuple[str, str]]) -> None:
    for number, (sender, body) in enumerate(messages):
        send_message(
            sender=_person(sender),
            conversation=group.conversation,
            body=body,
            client_id=uuid.uuid5(CLIENT_IDS, f"{group.pilot.slug}:{group.name}:{number}"),
        )


@transaction.atomic
def seed(pilot: Pilot) -> list[Group]:
    """The demo groups of `pilot`; what exists already is kept as it is."""
    if pilot.is_closed:
        return list(pilot.groups.all())
    staff = _person("staff")
    groups = []
    for mode, mentor_key, mentee_key, messages in PAIRS:
        mentor, mentee = _person(mentor_key), _person(mentee_key)
        group = pilot.groups.filter(name=services.pair_name(mentor, mentee)).first()
        if group is None:
            group = services.form_pair(
                pilot=pilot, mentor=mentor, mentee=mentee, mode=mode, created_by=staff, force=True
            )
        _say(group, messages)
        groups.append(group)
    for kind, name, description, is_open, members, messages in GROUPS:
        group = pilot.groups.filter(name=name).first()
        if group is None:
            group = services.create_group(
                pilot=pilot,
                kind=kind,
                name=name,
                description=description,
                is_open=is_open,
                created_by=staff,
                member_ids=[_person(key).pk for key in members],
            )
        _say(group, messages)
        groups.append(group)
    return groups
