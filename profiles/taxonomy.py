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
