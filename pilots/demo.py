"""The demo pilot, shaped like the first one: two months of weekly themes, orientation
material, the 28 actors and 11 mentors of profiles.demo, its staff and one announcement.
It is running now, so "this week" has a theme. `seed()` is idempotent."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from pilots import services
from pilots.models import Announcement, Material, Pilot, Role
from pilots.texts import set_versions
from profiles.demo import STAFF_EMAIL, UNIVERSITY
from profiles.models import Organisation, User

SLUG = "speed-mentoring-spring"

# Each week's theme, description and prompts in English, Finnish and Swedish.
THEMES: list[dict[str, tuple[str, str, str]]] = [
    {
        "en": (
            "What I expect from speed mentoring",
            "Get to know the network and say what you hope to get out of the next two months.",
            "What do I want to learn from working life?\nWhat kind of mentor would help me most?",
        ),
        "fi": (
            "Mitä odotan pikamentoroinnilta",
            "Tutustu verkostoon ja kerro, mitä toivot saavasi seuraavista kahdesta kuukaudesta.",
            "Mitä haluan oppia työelämästä?\nMillainen mentori auttaisi minua eniten?",
        ),
        "sv": (
            "Vad jag väntar mig av snabbmentorering",
            "Lär känna nätverket och berätta vad du hoppas få ut av de kommande två månaderna.",
            "Vad vill jag lära mig av arbetslivet?\nVilken sorts mentor skulle hjälpa mig mest?",
        ),
    },
    {
        "en": (
            "A mentor's career story",
            "Mentors tell how they got where they are, turns and surprises included.",
            "What was your first job in the field?\nWhat would you do differently?",
        ),
        "fi": (
            "Mentorin urapolku",
            "Mentorit kertovat, miten päätyivät nykyiseen työhönsä, käänteineen ja yllätyksineen.",
            "Mikä oli ensimmäinen työsi alalla?\nMitä tekisit toisin?",
        ),
        "sv": (
            "En mentors karriärberättelse",
            "Mentorerna berättar hur de kom dit de är i dag, med vändningar och överraskningar.",
            "Vilket var ditt första jobb i branschen?\nVad skulle du göra annorlunda?",
        ),
    },
    {
        "en": (
            "Future skills and working life",
            "Which skills will matter in five years, and how do you build them while studying?",
            "Which skill do you use most at work?\nWhat should a student learn first?",
        ),
        "fi": (
            "Tulevaisuuden taidot ja työelämä",
            "Mitkä taidot ovat tärkeitä viiden vuoden päästä, ja miten niitä kerrytetään "
            "opiskellessa?",
            "Mitä taitoa käytät työssäsi eniten?\nMitä opiskelijan kannattaa oppia ensin?",
        ),
        "sv": (
            "Framtidens färdigheter och arbetslivet",
            "Vilka färdigheter är viktiga om fem år, och hur bygger man upp dem under studierna?",
            "Vilken färdighet använder du mest i arbetet?\nVad ska en studerande lära sig först?",
        ),
    },
    {
        "en": (
            "Working-life skills: communication and teamwork",
            "The skills nobody lists in a job advert but everybody needs.",
            "How do you give feedback to a colleague?\nWhat makes a team work?",
        ),
        "fi": (
            "Työelämätaidot: viestintä ja tiimityö",
            "Taidot, joita ei lue työpaikkailmoituksessa mutta joita jokainen tarvitsee.",
            "Miten annat palautetta kollegalle?\nMikä saa tiimin toimimaan?",
        ),
        "sv": (
            "Arbetslivsfärdigheter: kommunikation och teamarbete",
            "Färdigheterna som ingen nämner i en platsannons men som alla behöver.",
            "Hur ger du respons till en kollega?\nVad får ett team att fungera?",
        ),
    },
    {
        "en": (
            "Reverse mentoring: digital tools",
            "Students show mentors a tool or way of working they use every day.",
            "Which tool could save your team time?\nHow do students use AI tools in their studies?",
        ),
        "fi": (
            "Käänteinen mentorointi: digitaaliset työkalut",
            "Opiskelijat esittelevät mentoreille työkalun tai työtavan, jota käyttävät päivittäin.",
            "Mikä työkalu säästäisi tiimisi aikaa?\n"
            "Miten opiskelijat käyttävät tekoälyä opinnoissaan?",
        ),
        "sv": (
            "Omvänd mentorering: digitala verktyg",
            "Studerande visar mentorerna ett verktyg eller arbetssätt som de använder varje dag.",
            "Vilket verktyg kunde spara tid för ditt team?\n"
            "Hur använder studerande AI i studierna?",
        ),
    },
    {
        "en": (
            "IT-field discussions",
            "Open discussion about the IT field: jobs, trends, the region's companies.",
            "What does a junior developer do in their first month?\n"
            "Which companies in the region hire trainees?",
        ),
        "fi": (
            "IT-alan keskustelut",
            "Avointa keskustelua IT-alasta: työpaikat, trendit ja alueen yritykset.",
            "Mitä juniorikehittäjä tekee ensimmäisenä kuukautenaan?\n"
            "Mitkä alueen yritykset ottavat harjoittelijoita?",
        ),
        "sv": (
            "Diskussioner om IT-branschen",
            "Öppen diskussion om IT-branschen: jobb, trender och regionens företag.",
            "Vad gör en juniorutvecklare under sin första månad?\n"
            "Vilka företag i regionen tar emot praktikanter?",
        ),
    },
    {
        "en": (
            "Networking and job seeking",
            "How to find a traineeship or thesis topic, and how to ask for one.",
            "How did you find your current job?\nWhat makes a CV stand out?",
        ),
        "fi": (
            "Verkostoituminen ja työnhaku",
            "Miten löytää harjoittelupaikka tai opinnäytetyön aihe, ja miten sitä kysytään.",
            "Miten löysit nykyisen työsi?\nMikä saa CV:n erottumaan?",
        ),
        "sv": (
            "Nätverkande och jobbsökning",
            "Hur man hittar en praktikplats eller ett ämne för lärdomsprovet, och hur man frågar.",
            "Hur hittade du ditt nuvarande jobb?\nVad får ett CV att sticka ut?",
        ),
    },
    {
        "en": (
            "What I learned and how it shows in working life",
            "Look back: what did the conversations change in how you see your studies and career?",
            "What is one thing you will do differently?\nWhat would you tell the next group?",
        ),
        "fi": (
            "Mitä opin ja miten se näkyy työelämässä",
            "Katso taaksepäin: mitä keskustelut muuttivat siinä, miten näet opintosi ja urasi?",
            "Minkä asian teet jatkossa toisin?\nMitä kertoisit seuraavalle ryhmälle?",
        ),
        "sv": (
            "Vad jag lärde mig och hur det syns i arbetslivet",
            "Se tillbaka: vad ändrade samtalen i hur du ser på dina studier och din karriär?",
            "Vad kommer du att göra annorlunda?\nVad skulle du säga till nästa grupp?",
        ),
    },
    {
        "en": (
            "Wrap-up and feedback",
            "Last conversations, thanks, and feedback for the project team.",
            "What worked in speed mentoring?\nWhat should we change?",
        ),
        "fi": (
            "Yhteenveto ja palaute",
            "Viimeiset keskustelut, kiitokset ja palaute projektitiimille.",
            "Mikä pikamentoroinnissa toimi?\nMitä meidän pitäisi muuttaa?",
        ),
        "sv": (
            "Sammanfattning och respons",
            "De sista samtalen, tack och respons till projektteamet.",
            "Vad fungerade i snabbmentoreringen?\nVad borde vi ändra?",
        ),
    },
]

NAME = {
    "en": "Digital speed mentoring, spring",
    "fi": "Digitaalinen pikamentorointi, kevät",
    "sv": "Digital snabbmentorering, våren",
}
DESCRIPTION = {
    "en": "Students of ICT and business meet mentors from five regional companies in short "
    "conversations around weekly themes.",
    "fi": "ICT- ja liiketalouden opiskelijat tapaavat viiden alueen yrityksen mentoreita "
    "lyhyissä keskusteluissa viikoittaisten teemojen ympärillä.",
    "sv": "Studerande inom ICT och företagsekonomi möter mentorer från fem regionala företag i "
    "korta samtal kring veckans teman.",
}
ACTOR_TERM = {"fi": "aktori", "en": "actor", "sv": "aktör"}
WELCOME = {
    "en": (
        "Welcome to the pilot!",
        "Hello everyone, and welcome. Please read the orientation material before your first "
        "conversation. This week's theme is on the pilot's page.",
    ),
    "fi": (
        "Tervetuloa mukaan pilottiin!",
        "Hei kaikki ja tervetuloa. Lue perehdytysmateriaali ennen ensimmäistä keskusteluasi. "
        "Tämän viikon teema on pilotin sivulla.",
    ),
    "sv": (
        "Välkommen till piloten!",
        "Hej alla och välkomna. Läs introduktionsmaterialet före ditt första samtal. "
        "Veckans tema finns på pilotens sida.",
    ),
}

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
    pilot = Pilot.objects.filter(slug=SLUG).first()
    if pilot is not None:
        return pilot
    pilot = Pilot(
        slug=SLUG,
        host=host,
        starts_on=start,
        ends_on=start + datetime.timedelta(weeks=len(THEMES), days=-1),
        status=Pilot.Status.RUNNING,
        requires_orientation=True,
    )
    set_versions(pilot, name=NAME, description=DESCRIPTION, actor_term=ACTOR_TERM)
    pilot.save()
    weeks = services.plan_weeks(pilot=pilot)
    for week, texts in zip(weeks, THEMES, strict=False):
        set_versions(
            week,
            theme={code: text[0] for code, text in texts.items()},
            description={code: text[1] for code, text in texts.items()},
            prompts={code: text[2] for code, text in texts.items()},
        )
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
    announcement = Announcement(pilot=pilot, author=staff)
    set_versions(
        announcement,
        title={code: text[0] for code, text in WELCOME.items()},
        body={code: text[1] for code, text in WELCOME.items()},
    )
    announcement.save()
    services.send_announcement(announcement=announcement)
    return pilot
