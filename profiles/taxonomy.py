"""The curated starting vocabulary: competences for ICT and business students, and languages.

Loaded by a data migration so every installation starts with it; staff extend it in the admin.
(slug, category, English, Finnish)
"""

COMPETENCES: list[tuple[str, str, str, str]] = [
    # ICT and software
    ("programming-python", "ict", "Python programming", "Python-ohjelmointi"),
    ("programming-java", "ict", "Java programming", "Java-ohjelmointi"),
    ("programming-javascript", "ict", "JavaScript and TypeScript", "JavaScript ja TypeScript"),
    ("programming-csharp", "ict", "C# and .NET", "C# ja .NET"),
    ("web-development", "ict", "Web development", "Verkkokehitys"),
    ("mobile-development", "ict", "Mobile app development", "Mobiilisovelluskehitys"),
    ("software-testing", "ict", "Software testing", "Ohjelmistotestaus"),
    ("devops", "ict", "DevOps and CI/CD", "DevOps ja CI/CD"),
    ("cloud-services", "ict", "Cloud services", "Pilvipalvelut"),
    ("cybersecurity", "ict", "Cybersecurity", "Kyberturvallisuus"),
    ("networks", "ict", "Networks and infrastructure", "Tietoverkot ja infrastruktuuri"),
    ("databases", "ict", "Databases and SQL", "Tietokannat ja SQL"),
    ("ux-design", "ict", "UX and service design", "Käyttäjäkokemus- ja palvelumuotoilu"),
    ("software-architecture", "ict", "Software architecture", "Ohjelmistoarkkitehtuuri"),
    ("game-development", "ict", "Game development", "Pelikehitys"),
    ("erp-systems", "ict", "ERP systems", "Toiminnanohjausjärjestelmät (ERP)"),
    ("it-service-management", "ict", "IT service management", "IT-palvelunhallinta"),
    # Data and AI
    ("data-analysis", "data", "Data analysis", "Data-analytiikka"),
    ("machine-learning", "data", "Machine learning", "Koneoppiminen"),
    ("generative-ai", "data", "Generative AI tools", "Generatiivisen tekoälyn työkalut"),
    (
        "business-intelligence",
        "data",
        "Business intelligence and reporting",
        "Liiketoimintatiedon raportointi",
    ),
    ("data-privacy", "data", "Data protection and GDPR", "Tietosuoja ja GDPR"),
    # Business and management
    ("project-management", "business", "Project management", "Projektinhallinta"),
    ("agile-methods", "business", "Agile methods", "Ketterät menetelmät"),
    ("product-management", "business", "Product management", "Tuotehallinta"),
    ("entrepreneurship", "business", "Entrepreneurship", "Yrittäjyys"),
    ("accounting", "business", "Accounting and finance", "Laskentatoimi ja talous"),
    ("business-development", "business", "Business development", "Liiketoiminnan kehittäminen"),
    ("leadership", "business", "Leadership", "Johtaminen"),
    ("hr", "business", "Human resources", "Henkilöstöhallinto"),
    ("supply-chain", "business", "Supply chain and logistics", "Toimitusketjut ja logistiikka"),
    (
        "sustainability",
        "business",
        "Sustainability and responsibility",
        "Kestävyys ja vastuullisuus",
    ),
    # Marketing and sales
    ("digital-marketing", "marketing", "Digital marketing", "Digitaalinen markkinointi"),
    ("sales", "marketing", "Sales and negotiation", "Myynti ja neuvottelu"),
    ("customer-service", "marketing", "Customer experience", "Asiakaskokemus"),
    ("branding", "marketing", "Brand and content creation", "Brändi ja sisällöntuotanto"),
    ("social-media", "marketing", "Social media", "Sosiaalinen media"),
    # Working-life skills (metaskills)
    ("communication", "working_life", "Communication", "Viestintä"),
    ("presentation", "working_life", "Presenting and public speaking", "Esiintyminen"),
    ("teamwork", "working_life", "Teamwork", "Tiimityö"),
    ("problem-solving", "working_life", "Problem solving", "Ongelmanratkaisu"),
    ("time-management", "working_life", "Time management", "Ajanhallinta"),
    ("networking", "working_life", "Professional networking", "Verkostoituminen"),
    ("job-seeking", "working_life", "Job seeking and CVs", "Työnhaku ja CV"),
    ("career-planning", "working_life", "Career planning", "Urasuunnittelu"),
    (
        "resilience",
        "working_life",
        "Resilience and well-being at work",
        "Resilienssi ja työhyvinvointi",
    ),
    ("learning-to-learn", "working_life", "Learning to learn", "Oppimaan oppiminen"),
    ("intercultural", "working_life", "Intercultural competence", "Kulttuurienvälinen osaaminen"),
    ("remote-work", "working_life", "Remote and hybrid work", "Etä- ja hybridityö"),
]

# (code, English, Finnish)
LANGUAGES: list[tuple[str, str, str]] = [
    ("fi", "Finnish", "suomi"),
    ("en", "English", "englanti"),
    ("sv", "Swedish", "ruotsi"),
    ("de", "German", "saksa"),
    ("fr", "French", "ranska"),
    ("es", "Spanish", "espanja"),
    ("et", "Estonian", "viro"),
    ("ru", "Russian", "venäjä"),
    ("uk", "Ukrainian", "ukraina"),
    ("ar", "Arabic", "arabia"),
    ("zh", "Chinese", "kiina"),
    ("ja", "Japanese", "japani"),
    ("vi", "Vietnamese", "vietnam"),
    ("ne", "Nepali", "nepali"),
    ("hi", "Hindi", "hindi"),
    ("so", "Somali", "somali"),
    ("fa", "Persian", "persia"),
    ("tr", "Turkish", "turkki"),
]


# Swedish names, by slug and by code: added after the Finnish and English ones (migration 0006).
COMPETENCES_SV: dict[str, str] = {
    "programming-python": "Python-programmering",
    "programming-java": "Java-programmering",
    "programming-javascript": "JavaScript och TypeScript",
    "programming-csharp": "C# och .NET",
    "web-development": "Webbutveckling",
    "mobile-development": "Utveckling av mobilappar",
    "software-testing": "Programvarutestning",
    "devops": "DevOps och CI/CD",
    "cloud-services": "Molntjänster",
    "cybersecurity": "Cybersäkerhet",
    "networks": "Nätverk och infrastruktur",
    "databases": "Databaser och SQL",
    "ux-design": "UX och tjänstedesign",
    "software-architecture": "Programvaruarkitektur",
    "game-development": "Spelutveckling",
    "erp-systems": "Affärssystem (ERP)",
    "it-service-management": "IT-tjänstehantering",
    "data-analysis": "Dataanalys",
    "machine-learning": "Maskininlärning",
    "generative-ai": "Verktyg för generativ AI",
    "business-intelligence": "Business intelligence och rapportering",
    "data-privacy": "Dataskydd och GDPR",
    "project-management": "Projektledning",
    "agile-methods": "Agila metoder",
    "product-management": "Produktledning",
    "entrepreneurship": "Entreprenörskap",
    "accounting": "Redovisning och ekonomi",
    "business-development": "Affärsutveckling",
    "leadership": "Ledarskap",
    "hr": "Personalfrågor (HR)",
    "supply-chain": "Försörjningskedjor och logistik",
    "sustainability": "Hållbarhet och ansvarstagande",
    "digital-marketing": "Digital marknadsföring",
    "sales": "Försäljning och förhandling",
    "customer-service": "Kundupplevelse",
    "branding": "Varumärke och innehållsproduktion",
    "social-media": "Sociala medier",
    "communication": "Kommunikation",
    "presentation": "Att presentera och tala inför publik",
    "teamwork": "Teamarbete",
    "problem-solving": "Problemlösning",
    "time-management": "Tidshantering",
    "networking": "Professionellt nätverkande",
    "job-seeking": "Jobbsökning och cv",
    "career-planning": "Karriärplanering",
    "resilience": "Resiliens och välbefinnande i arbetet",
    "learning-to-learn": "Att lära sig lära",
    "intercultural": "Interkulturell kompetens",
    "remote-work": "Distans- och hybridarbete",
}
LANGUAGES_SV: dict[str, str] = {
    "fi": "finska",
    "en": "engelska",
    "sv": "svenska",
    "de": "tyska",
    "fr": "franska",
    "es": "spanska",
    "et": "estniska",
    "ru": "ryska",
    "uk": "ukrainska",
    "ar": "arabiska",
    "zh": "kinesiska",
    "ja": "japanska",
    "vi": "vietnamesiska",
    "ne": "nepali",
    "hi": "hindi",
    "so": "somaliska",
    "fa": "persiska",
    "tr": "turkiska",
}


def load(competence_model, language_model) -> None:  # type: ignore[no-untyped-def]
    """Create what is missing; never overwrite what staff have edited."""
    for slug, category, name_en, name_fi in COMPETENCES:
        competence_model.objects.get_or_create(
            slug=slug, defaults={"category": category, "name_en": name_en, "name_fi": name_fi}
        )
    for code, name_en, name_fi in LANGUAGES:
        language_model.objects.get_or_create(
            code=code, defaults={"name_en": name_en, "name_fi": name_fi}
        )
    if any(field.name == "name_sv" for field in competence_model._meta.fields):
        name_in_swedish(competence_model, language_model)  # not yet in migration 0002's models


def name_in_swedish(competence_model, language_model) -> None:  # type: ignore[no-untyped-def]
    """Give every row without a Swedish name one: ours, else (a row staff added) the English."""
    for model, key, names in (
        (competence_model, "slug", COMPETENCES_SV),
        (language_model, "code", LANGUAGES_SV),
    ):
        for row in model.objects.filter(name_sv=""):
            row.name_sv = names.get(getattr(row, key), row.name_en)
            row.save(update_fields=["name_sv"])
