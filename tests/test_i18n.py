"""Finnish, English and Swedish ship together: complete, compiled catalogues (fi and sv; English
is the source) and pages in their language.

The catalogue checks need no GNU gettext: the committed .po is parsed here, the committed .mo is
read with the standard library, and the strings the code marks for translation are collected
the way `makemessages` does (Django's `templatize` for templates, the gettext keywords in Python).
"""

from __future__ import annotations

import ast
import gettext as stdlib_gettext
import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.apps import apps
from django.conf import settings
from django.template import engines
from django.test import Client
from django.utils import translation
from django.utils.translation.template import templatize

from pilots.models import Pilot
from profiles import taxonomy
from profiles.models import Competence, Language, User
from tests.support.html import Html

# The catalogues we write; English is the source language and needs none.
CATALOGUES = ["fi", "sv"]


def po_file(lang: str) -> Path:
    return Path(settings.LOCALE_PATHS[0]) / lang / "LC_MESSAGES" / "django.po"


def mo_file(lang: str) -> Path:
    return po_file(lang).with_suffix(".mo")


def fix(lang: str, msgids: list[str]) -> str:
    listed = "\n".join(f"  {msgid}" for msgid in msgids)
    return (
        f"{len(msgids)} string(s) without a {lang} translation:\n{listed}\n"
        f"Run `make messages`, translate them in locale/{lang}/LC_MESSAGES/django.po "
        "(no empty msgstr, no fuzzy flag) and run `make messages` again to compile."
    )


# --- The catalogue ----------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$')


def parse_po(text: str, source: Path) -> list[Entry]:
    """Every entry of a .po file but the header; enough of the format for Django's output."""
    entries: list[Entry] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        values: dict[str, str] = {}
        flags: set[str] = set()
        obsolete = False
        current = ""
        for raw in block.splitlines():
            line = raw.strip()
            if line.startswith("#~"):
                obsolete = True
                line = line[2:].strip()
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",")}
                continue
            if not line or line.startswith("#"):
                continue
            if match := _KEYWORD.match(line):
                current = match.group(1)
                values[current] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and current:
                values[current] += ast.literal_eval(line)
            else:
                raise AssertionError(f"Unreadable line in {source}: {raw!r}")
        if "msgid" not in values:
            raise AssertionError(f"An entry without msgid in {source}: {block!r}")
        if values["msgid"] == "" and "msgctxt" not in values:
            continue  # the header
        plural_forms = sorted(k for k in values if k.startswith("msgstr["))
        entries.append(
            Entry(
                msgid=values["msgid"],
                msgctxt=values.get("msgctxt"),
                msgid_plural=values.get("msgid_plural"),
                msgstr=[values[k] for k in plural_forms] or [values.get("msgstr", "")],
                flags=flags,
                obsolete=obsolete,
            )
        )
    return entries


@pytest.fixture(scope="module", params=CATALOGUES)
def catalogue_lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def po_entries(catalogue_lang: str) -> list[Entry]:
    path = po_file(catalogue_lang)
    return [e for e in parse_po(path.read_text(encoding="utf-8"), path) if not e.obsolete]


def test_catalogues_are_those_the_site_offers() -> None:
    offered = [code for code, _name in settings.LANGUAGES]
    assert offered == ["fi", "en", "sv"]
    assert sorted(CATALOGUES) == sorted(code for code in offered if code != "en")


def test_po_file_is_the_catalogue_of_its_language_with_two_plural_forms(
    catalogue_lang: str,
) -> None:
    # Finnish and Swedish both have "one" and "other".
    header = po_file(catalogue_lang).read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert f'"Language: {catalogue_lang}\\n"' in header
    assert '"Plural-Forms: nplurals=2; plural=(n != 1);\\n"' in header
    assert "#, fuzzy" not in header  # msgfmt skips a fuzzy header, plural rules and all


def test_every_entry_is_translated_and_none_is_fuzzy(
    catalogue_lang: str, po_entries: list[Entry]
) -> None:
    assert len(po_entries) > 100  # the parser really read the file
    untranslated = [e.msgid for e in po_entries if not all(e.msgstr)]
    fuzzy = [e.msgid for e in po_entries if "fuzzy" in e.flags]
    assert untranslated == [], fix(catalogue_lang, untranslated)
    assert fuzzy == [], "Review the fuzzy entries and remove their `#, fuzzy` flags:\n" + "\n".join(
        fuzzy
    )


def test_plural_entries_have_both_forms(po_entries: list[Entry]) -> None:
    plurals = [e for e in po_entries if e.msgid_plural is not None]
    assert plurals
    for entry in plurals:
        assert len(entry.msgstr) == 2, entry.msgid


_PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")


def placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def test_translations_keep_the_placeholders(po_entries: list[Entry]) -> None:
    formatted = [e for e in po_entries if "python-format" in e.flags]
    assert any(e.msgid_plural for e in formatted)
    for entry in formatted:
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid_plural]
        expected = placeholders(sources[0])
        for translated in entry.msgstr:
            assert placeholders(translated) == expected, (entry.msgid, translated)


def test_compiled_catalogue_is_up_to_date_with_the_po_file(
    catalogue_lang: str, po_entries: list[Entry]
) -> None:
    with mo_file(catalogue_lang).open("rb") as handle:
        compiled = stdlib_gettext.GNUTranslations(handle)
    stale = []
    for entry in po_entries:
        if entry.msgid_plural is None:
            got = (
                compiled.pgettext(entry.msgctxt, entry.msgid)
                if entry.msgctxt is not None
                else compiled.gettext(entry.msgid)
            )
            if got != entry.msgstr[0]:
                stale.append(entry.msgid)
            continue
        for n, expected in ((1, entry.msgstr[0]), (2, entry.msgstr[1])):
            got = (
                compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                if entry.msgctxt is not None
                else compiled.ngettext(entry.msgid, entry.msgid_plural, n)
            )
            if got != expected:
                stale.append(entry.msgid)
    assert stale == [], "django.mo is older than django.po: run `make messages`."


def test_django_serves_the_project_translations(
    catalogue_lang: str, po_entries: list[Entry]
) -> None:
    # Ours must win over Django's and allauth's own catalogues of the same language.
    with translation.override(catalogue_lang):
        for entry in po_entries:
            if entry.msgid_plural is not None:
                assert translation.ngettext(entry.msgid, entry.msgid_plural, 1) == entry.msgstr[0]
                assert translation.ngettext(entry.msgid, entry.msgid_plural, 5) == entry.msgstr[1]
            elif entry.msgctxt is not None:
                assert translation.pgettext(entry.msgctxt, entry.msgid) == entry.msgstr[0]
            else:
                assert translation.gettext(entry.msgid) == entry.msgstr[0]


# --- What the code marks for translation ------------------------------------------------

_STRING = r"""u?(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
_TEMPLATIZED_CALL = re.compile(
    rf"\b(gettext|ngettext|pgettext|npgettext)\(\s*((?:{_STRING}\s*,\s*)*{_STRING})"
    rf"(?:\s*,\s*\w+)?\s*\)"
)
# xgettext's keywords as `makemessages` passes them: name -> (context argument, msgid argument)
_PY_KEYWORDS: dict[str, tuple[int | None, int]] = {
    "_": (None, 0),
    "gettext": (None, 0),
    "gettext_lazy": (None, 0),
    "gettext_noop": (None, 0),
    "ngettext": (None, 0),
    "ngettext_lazy": (None, 0),
    "pgettext": (0, 1),
    "pgettext_lazy": (0, 1),
    "npgettext": (0, 1),
    "npgettext_lazy": (0, 1),
}


def local_packages() -> list[Path]:
    """The project's own Python packages: local apps and the project package (settings, URLs)."""
    urlconf = importlib.import_module(settings.ROOT_URLCONF)
    roots = {Path(str(urlconf.__file__)).resolve().parent}
    roots |= {Path(app.path).resolve() for app in apps.get_app_configs()}
    return sorted(root for root in roots if is_ours(root))


def is_ours(path: Path) -> bool:
    # Not the virtualenv's packages, even when it lives inside the project directory.
    base = Path(settings.BASE_DIR).resolve()
    return path.is_relative_to(base) and not path.relative_to(base).parts[0].startswith(".")


def template_files() -> list[Path]:
    """The templates of the project and its local apps (not those of installed packages)."""
    dirs = {Path(d).resolve() for engine in engines.all() for d in engine.template_dirs}
    return sorted(
        path
        for directory in dirs
        if is_ours(directory) and directory.is_dir()
        for path in directory.rglob("*")
        if path.suffix in {".html", ".txt"}
    )


def template_msgids(path: Path) -> Iterator[tuple[str | None, str]]:
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    for match in _TEMPLATIZED_CALL.finditer(code):
        args = ast.literal_eval(f"({match.group(2)},)")
        if match.group(1) in {"pgettext", "npgettext"}:
            yield (args[0], args[1])
        else:
            yield (None, args[0])


def python_msgids(path: Path) -> Iterator[tuple[str | None, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name not in _PY_KEYWORDS:
            continue
        context_at, msgid_at = _PY_KEYWORDS[name]
        args = [
            a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None
            for a in node.args
        ]
        msgid = args[msgid_at] if len(args) > msgid_at else None
        if msgid is None:
            continue  # a variable, as in translation.gettext(entry.msgid): nothing to extract
        yield (args[context_at] if context_at is not None else None, msgid)


def test_the_scanners_find_known_strings() -> None:
    base = Path(settings.BASE_DIR)
    assert (None, "My profile") in set(template_msgids(base / "templates" / "base.html"))
    in_models = set(python_msgids(base / "profiles" / "models.py"))
    assert (None, "Working-life professional") in in_models


def test_every_translatable_string_in_the_code_is_in_the_catalogue(
    catalogue_lang: str, po_entries: list[Entry]
) -> None:
    catalogue = {entry.key for entry in po_entries}
    templates = template_files()
    sources = [p for package in local_packages() for p in package.rglob("*.py")]
    assert templates
    assert sources
    missing = sorted(
        {
            f"{path.relative_to(settings.BASE_DIR)}: {msgid!r}"
            for path in templates
            for key in template_msgids(path)
            if key not in catalogue
            for msgid in [key[1]]
        }
        | {
            f"{path.relative_to(settings.BASE_DIR)}: {msgid!r}"
            for path in sources
            for key in python_msgids(path)
            if key not in catalogue
            for msgid in [key[1]]
        }
    )
    assert missing == [], fix(catalogue_lang, missing)


# --- Pages in their language ------------------------------------------------------------


class _PageReader(HTMLParser):
    """The visible text of a page, and the `next` field of the language switcher."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.switcher_next: str | None = None
        self._skip = 0
        self._in_switcher = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in {"script", "style"}:
            self._skip += 1
        if tag == "form" and attributes.get("action") == "/i18n/setlang/":
            self._in_switcher = True
        if self._in_switcher and tag == "input" and attributes.get("name") == "next":
            self.switcher_next = attributes.get("value")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._skip -= 1
        if tag == "form":
            self._in_switcher = False

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def read(html: bytes) -> _PageReader:
    reader = _PageReader()
    reader.feed(html.decode())
    reader.close()
    return reader


def text_of(html: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(read(html).text))


def html_lang(html: bytes) -> str | None:
    root = Html(html).root
    assert root.tag == "html"
    return root.get("lang")


# The navigation and footer of every signed-in page, then texts of the page itself.
SIGNED_IN = {
    "fi": ["Oma profiili", "Ihmiset", "Kirjaudu ulos", "Vaihda kieli"],
    "en": ["My profile", "People", "Sign out", "Change language"],
    "sv": ["Min profil", "Personer", "Logga ut", "Byt språk"],
}
PAGES = {
    "/me/": {
        "fi": ["Muokkaa profiilia"],
        "en": ["Edit profile"],
        "sv": ["Redigera profilen"],
    },
    "/people/": {
        "fi": ["Tyhjennä suodattimet", "Suunta"],
        "en": ["Clear filters", "Direction"],
        "sv": ["Rensa filtren", "Riktning"],
    },
}
ALL = ["fi", "en", "sv"]
OTHERS = {lang: [other for other in ALL if other != lang] for lang in ALL}


@pytest.mark.django_db
@pytest.mark.parametrize("path", list(PAGES))
@pytest.mark.parametrize("lang", ALL)
def test_signed_in_pages_render_in_the_browsers_language(alice: User, path: str, lang: str) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(alice)
    response = client.get(path)
    assert response.status_code == 200
    assert html_lang(response.content) == lang
    text = text_of(response.content)
    for expected in SIGNED_IN[lang] + PAGES[path].get(lang, []):
        assert expected in text
    for other in OTHERS[lang]:
        for foreign in SIGNED_IN[other]:
            assert foreign not in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "expected", "absent"),
    [
        ("fi", ["Kirjaudu sisään", "Rekisteröidy", "Salasana"], ["Password", "Lösenord"]),
        ("en", ["Sign in", "Sign up", "Password"], ["Salasana", "Lösenord"]),
        ("sv", ["Logga in", "Registrera dig", "Lösenord"], ["Password", "Salasana"]),
    ],
)
def test_login_page_renders_in_the_browsers_language(
    lang: str, expected: list[str], absent: list[str]
) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE=lang).get("/accounts/login/")
    assert response.status_code == 200
    assert html_lang(response.content) == lang
    text = text_of(response.content)
    for words in expected:
        assert words in text
    for words in absent:
        assert words not in text


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ALL)
def test_language_switcher_offers_each_language_in_its_own_name(lang: str) -> None:
    page = Html(Client(HTTP_ACCEPT_LANGUAGE=lang).get("/accounts/login/"))
    assert page.root.get("lang") == lang
    options = [
        (option.get("value"), option.get("lang"), option.text_content().strip())
        for option in page.select("#language-select option")
    ]
    assert options == [("fi", "fi", "Suomi"), ("en", "en", "English"), ("sv", "sv", "Svenska")]
    assert page.attr("#language-select option[selected]", "value") == lang


@pytest.mark.django_db
def test_switching_to_swedish_sticks(alice: User, client_for: Callable[[User], Client]) -> None:
    client = client_for(alice)
    response = client.post("/i18n/setlang/", {"language": "sv", "next": "/people/"})
    assert response["Location"] == "/people/"
    page = client.get("/people/", HTTP_ACCEPT_LANGUAGE="fi")
    assert html_lang(page.content) == "sv"
    assert "Personer" in text_of(page.content)


@pytest.mark.django_db
def test_language_switcher_points_back_to_the_current_page(
    alice: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(alice).get("/people/?q=Alice&kind=student")
    assert read(response.content).switcher_next == "/people/?q=Alice&kind=student"


@pytest.mark.django_db
def test_switching_language_redirects_back_and_sticks(
    alice: User, client_for: Callable[[User], Client], settings: Any
) -> None:
    settings.LANGUAGE_CODE = "en"
    client = client_for(alice)
    assert html_lang(client.get("/me/").content) == "en"  # the default without a choice

    response = client.post("/i18n/setlang/", {"language": "fi", "next": "/people/?q=Alice"})
    assert response.status_code == 302
    assert response["Location"] == "/people/?q=Alice"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fi"
    page = client.get(response["Location"])
    assert html_lang(page.content) == "fi"
    assert "Ihmiset" in text_of(page.content)

    # The choice wins over what the browser asks for, until it is changed back.
    assert html_lang(client.get("/me/", HTTP_ACCEPT_LANGUAGE="en").content) == "fi"
    client.post("/i18n/setlang/", {"language": "en", "next": "/me/"})
    assert "My profile" in text_of(client.get("/me/").content)


@pytest.mark.django_db
def test_switcher_does_not_redirect_off_site() -> None:
    response = Client().post(
        "/i18n/setlang/", {"language": "fi", "next": "https://evil.example.com/"}
    )
    assert response.status_code == 302
    assert "evil.example.com" not in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lang", "shown", "hidden"),
    [
        ("fi", "Python-ohjelmointi", "Python programming"),
        ("en", "Python programming", "Python-ohjelmointi"),
        ("sv", "Python-programmering", "Python programming"),
    ],
)
def test_directory_names_competences_in_the_active_language(
    alice: User, mentor_maria: User, lang: str, shown: str, hidden: str
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(alice)
    text = text_of(client.get("/people/").content)
    assert shown in text  # on the cards and in the competence filter
    assert hidden not in text


@pytest.mark.django_db
def test_every_competence_and_language_has_a_swedish_name(vocab: None) -> None:
    added = Competence.objects.create(
        slug="quantum", category="ict", name_en="Quantum computing", name_fi="Kvanttilaskenta"
    )
    taxonomy.name_in_swedish(Competence, Language)  # as migration 0006 does for existing rows
    added.refresh_from_db()
    assert added.name_sv == "Quantum computing"  # staff's own row: its English name until edited
    assert not Competence.objects.filter(name_sv="").exists()
    assert not Language.objects.filter(name_sv="").exists()
    assert Language.objects.get(code="fi").name_sv == "finska"
    with translation.override("sv"):
        assert str(Competence.objects.get(slug="cloud-services")) == "Molntjänster"


@pytest.mark.django_db
def test_directory_in_finnish_counts_people_with_finnish_plurals(
    alice: User, mentor_maria: User
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fi")
    client.force_login(alice)
    assert re.search(r"\b2 henkilöä\b", text_of(client.get("/people/").content))
    assert re.search(r"\b1 henkilö\b", text_of(client.get("/people/?q=Maria").content))


@pytest.mark.django_db
def test_suggestion_reason_is_finnish_on_a_finnish_page(
    alice: User, mentor_maria: User, pilot: Pilot
) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fi")
    client.force_login(alice)
    text = text_of(client.get("/").content)  # Today's suggestions
    assert "Mentori: Osaa jakaa sen, mitä haluat oppia: Python-ohjelmointi." in text
    assert "Yhteiset kielenne: suomi." in text


CONTROL_CHARACTER_ERROR = {
    "fi": "Tekstissä on näkymättömiä ohjausmerkkejä.",
    "en": "This text contains invisible control characters.",
    "sv": "Texten innehåller osynliga styrtecken.",
}


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ALL)
def test_validation_errors_are_in_the_active_language(alice: User, lang: str) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.force_login(alice)
    text = text_of(client.get(f"/people/?q={quote(chr(1))}").content)
    assert CONTROL_CHARACTER_ERROR[lang] in text
    for other in OTHERS[lang]:
        assert CONTROL_CHARACTER_ERROR[other] not in text


@pytest.mark.django_db
def test_profile_form_errors_are_finnish(alice: User) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE="fi")
    client.force_login(alice)
    response = client.post(
        "/me/edit/",
        {
            "display_name": "Alice\x07",
            "kind": "student",
            "visibility": "signed_in",
            "capacity": "5",
            "competences-TOTAL_FORMS": "0",
            "competences-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    text = text_of(response.content)
    assert CONTROL_CHARACTER_ERROR["fi"] in text
    assert "Muokkaa profiiliasi" in text
    # Django 6.1's blank choice label, which only our catalogue translates so far.
    assert "- Valitse vaihtoehto -" in text
    assert "Select an option" not in text
