"""The demo network shaped like the first pilot: a host university, 5 companies, 11 mentors,
28 students of ICT and business and a staff user. `seed()` is idempotent."""

from __future__ import annotations

import random

from allauth.account.models import EmailAddress
from django.db import transaction

from profiles import services
from profiles.models import Competence, Language, Organisation, Profile, ProfileCompetence, User

DEMO_PASSWORD = "demo-mentoring"  # noqa: S105 - printed for the demo logins on purpose
STAFF_EMAIL = "staff@demo.example"

UNIVERSITY = ("demo-uas", "Demo University of Applied Sciences", "https://www.example.edu")
COMPANIES = [
    ("nordic-code", "Nordic Code Oy", "Software consultancy: web, mobile and cloud projects."),
    ("lakeside-analytics", "Lakeside Analytics", "Data and AI for retail and logistics."),
    ("kaamos-games", "Kaamos Games", "An indie game studio with players in 40 countries."),
    ("pohjola-logistics", "Pohjola Logistics Oy", "Logistics and supply chain services."),
    ("savo-secure", "Savo Secure", "Cybersecurity audits and managed security services."),
]
# (name, company slug, job title, languages, shares, learns, headline)
MENTORS = [
    (
        "Anna Virtanen",
        "nordic-code",
        "Lead developer",
        ["fi", "en"],
        ["web-development", "programming-python", "software-architecture"],
        ["generative-ai"],
        "Fifteen years of web projects; I like helping people find their first dev job.",
    ),
    (
        "Mikko Korhonen",
        "nordic-code",
        "Agile coach",
        ["fi", "en", "sv"],
        ["agile-methods", "project-management", "teamwork"],
        ["data-analysis"],
        "Scrum master turned coach. Ask me about teams that work.",
    ),
    (
        "Laura Mäkinen",
        "lakeside-analytics",
        "Data scientist",
        ["fi", "en"],
        ["data-analysis", "machine-learning", "programming-python"],
        ["leadership"],
        "From business student to data scientist: it can be done.",
    ),
    (
        "Jukka Nieminen",
        "lakeside-analytics",
        "CEO",
        ["fi", "en", "de"],
        ["entrepreneurship", "business-development", "sales"],
        ["social-media"],
        "Founded two companies, one failed. Both taught me a lot.",
    ),
    (
        "Sanna Heikkinen",
        "kaamos-games",
        "Producer",
        ["fi", "en"],
        ["game-development", "product-management", "communication"],
        ["cloud-services"],
        "Games are products too: let's talk about shipping them.",
    ),
    (
        "Emil Lindqvist",
        "kaamos-games",
        "Gameplay programmer",
        ["sv", "fi", "en"],
        ["game-development", "programming-csharp", "problem-solving"],
        ["presentation"],
        "Unity, C# and a lot of playtesting.",
    ),
    (
        "Päivi Laine",
        "pohjola-logistics",
        "HR manager",
        ["fi", "en"],
        ["hr", "job-seeking", "career-planning"],
        ["generative-ai"],
        "I read hundreds of CVs a year. I can tell you what works.",
    ),
    (
        "Tomi Hämäläinen",
        "pohjola-logistics",
        "Supply chain analyst",
        ["fi", "en"],
        ["supply-chain", "business-intelligence", "erp-systems"],
        ["machine-learning"],
        "Spreadsheets, ERP and trucks that arrive on time.",
    ),
    (
        "Riikka Koskinen",
        "savo-secure",
        "Security consultant",
        ["fi", "en"],
        ["cybersecurity", "networks", "data-privacy"],
        ["leadership"],
        "Ethical hacker. Curious minds welcome.",
    ),
    (
        "Oskari Järvinen",
        "savo-secure",
        "Cloud architect",
        ["fi", "en", "et"],
        ["cloud-services", "devops", "cybersecurity"],
        ["presentation"],
        "AWS, Azure and the art of not paying for idle servers.",
    ),
    (
        "Helena Salo",
        "nordic-code",
        "UX designer",
        ["fi", "en", "fr"],
        ["ux-design", "customer-service", "presentation"],
        ["programming-javascript"],
        "Designing services people actually want to use.",
    ),
]
STUDENT_NAMES = [
    "Aino Lehtonen",
    "Eetu Saarinen",
    "Iida Rantanen",
    "Joonas Turunen",
    "Veera Karjalainen",
    "Niko Lehtinen",
    "Emma Pitkänen",
    "Aleksi Miettinen",
    "Sofia Aaltonen",
    "Lauri Ahonen",
    "Ella Hiltunen",
    "Onni Kinnunen",
    "Linnea Manninen",
    "Elias Peltonen",
    "Helmi Rautio",
    "Väinö Vainio",
    "Siiri Koivisto",
    "Leevi Laaksonen",
    "Amanda Räsänen",
    "Daniel Okafor",
    "Mai Nguyen",
    "Oliver Smith",
    "Pihla Seppälä",
    "Ville Anttila",
    "Kerttu Mustonen",
    "Rasmus Salonen",
    "Jenna Vesterinen",
    "Arttu Kettunen",
]
ICT_PROGRAMME = "Bachelor of Engineering, Information and Communication Technology"
BUSINESS_PROGRAMME = "Bachelor of Business Administration"
ICT_SKILLS = [
    "programming-python",
    "programming-java",
    "programming-javascript",
    "web-development",
    "databases",
    "networks",
    "software-testing",
    "mobile-development",
    "game-development",
    "ux-design",
    "cloud-services",
    "cybersecurity",
]
BUSINESS_SKILLS = [
    "digital-marketing",
    "accounting",
    "sales",
    "project-management",
    "entrepreneurship",
    "social-media",
    "customer-service",
    "business-development",
    "supply-chain",
    "branding",
]
META_SKILLS = [
    "communication",
    "presentation",
    "teamwork",
    "time-management",
    "networking",
    "job-seeking",
    "career-planning",
    "resilience",
    "intercultural",
    "remote-work",
]


def demo_email(prefix: str, number: int) -> str:
    return f"{prefix}{number}@demo.example"


@transaction.atomic
def seed() -> int:
    """Create what is missing; returns how many accounts were created."""
    competences = {c.slug: c for c in Competence.objects.all()}
    languages = {lang.code: lang for lang in Language.objects.all()}
    rng = random.Random(2026)

    university, _ = Organisation.objects.get_or_create(
        slug=UNIVERSITY[0],
        defaults={
            "name": UNIVERSITY[1],
            "website": UNIVERSITY[2],
            "kind": Organisation.Kind.UNIVERSITY,
        },
    )
    companies = {}
    for slug, name, description in COMPANIES:
        companies[slug], _ = Organisation.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )

    created = 0
    staff, made = _user(STAFF_EMAIL, "Project Staff", Profile.Kind.PROFESSIONAL, is_staff=True)
    created += made
    if made:
        Profile.objects.filter(pk=staff.pk).update(
            organisation=university,
            job_title="Project coordinator",
            visibility=Profile.Visibility.SIGNED_IN,
        )

    for number, (name, company, title, langs, shares, learns, headline) in enumerate(MENTORS, 1):
        user, made = _user(demo_email("mentor", number), name, Profile.Kind.PROFESSIONAL)
        created += made
        if not made:
            continue
        Profile.objects.filter(pk=user.pk).update(
            organisation=companies[company],
            job_title=title,
            headline=headline,
            bio=f"{headline} Tervetuloa juttelemaan, suomeksi tai englanniksi.",
            career_story=(
                "I studied at a university of applied sciences, started as a trainee, and "
                "learned most of what I know from the people around me. Ask me anything."
            ),
            capacity=rng.choice([3, 4, 5, 6]),
            is_available=number != 11,
        )
        _competences(user.profile, shares, learns, competences, rng, share_levels=(3, 4))
        user.profile.languages.set([languages[code] for code in langs])

    for number, name in enumerate(STUDENT_NAMES, 1):
        user, made = _user(demo_email("student", number), name, Profile.Kind.STUDENT)
        created += made
        if not made:
            continue
        ict = number % 2 == 1
        pool = ICT_SKILLS if ict else BUSINESS_SKILLS
        picks = rng.sample(pool, 4) + rng.sample(META_SKILLS, 2)
        langs = (
            ["fi", "en"]
            if number not in (20, 21, 22)
            else ["en", rng.choice(["ar", "vi", "zh", "fr"])]
        )
        Profile.objects.filter(pk=user.pk).update(
            degree_programme=ICT_PROGRAMME if ict else BUSINESS_PROGRAMME,
            study_field=Profile.StudyField.ICT if ict else Profile.StudyField.BUSINESS,
            study_year=rng.choice([1, 2, 2, 3, 3, 4]),
            headline=(
                f"{'ICT' if ict else 'Business'} student interested in "
                f"{competences[picks[0]].name_en.lower()}"
            ),
            bio="Opiskelija, joka haluaa oppia työelämästä. I want to learn from working life.",
            interests=", ".join(
                rng.sample(
                    [
                        "gaming",
                        "sports",
                        "music",
                        "start-ups",
                        "travel",
                        "photography",
                        "volunteering",
                        "coding",
                    ],
                    2,
                )
            ),
            visibility=Profile.Visibility.STAFF if number == 28 else Profile.Visibility.SIGNED_IN,
        )
        _competences(
            user.profile,
            [picks[1], picks[4]],
            [picks[0], picks[2], picks[3], picks[5]],
            competences,
            rng,
            share_levels=(1, 2),
        )
        user.profile.languages.set([languages[code] for code in langs])

    return created


def _user(email: str, name: str, kind: str, is_staff: bool = False) -> tuple[User, bool]:
    existing = User.objects.filter(email=email).first()
    if existing:
        return existing, False
    user = services.create_user(
        email=email, display_name=name, password=DEMO_PASSWORD, kind=kind, is_staff=is_staff
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user, True


def _competences(
    profile: Profile,
    shares: list[str],
    learns: list[str],
    competences: dict[str, Competence],
    rng: random.Random,
    share_levels: tuple[int, int],
) -> None:
    ProfileCompetence.objects.bulk_create(
        [
            ProfileCompetence(
                profile=profile,
                competence=competences[slug],
                direction=ProfileCompetence.Direction.SHARE,
                level=rng.choice(share_levels),
            )
            for slug in shares
        ]
        + [
            ProfileCompetence(
                profile=profile,
                competence=competences[slug],
                direction=ProfileCompetence.Direction.LEARN,
                level=ProfileCompetence.Level.BEGINNER,
            )
            for slug in learns
        ]
    )
