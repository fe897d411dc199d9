"""Helpers of the deployment tests (tests/deploy/): docker-compose.yml and the Dockerfile read
as data, compose's variable interpolation, the production environment for a settings
subprocess, and the security headers every page carries."""

from __future__ import annotations

import ast
import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from tests.support.html import Html, markup

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILE = ROOT / "mentoring" / "settings.py"
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
# Services built from the Dockerfile run the project's code; the others are stock images.
APP_SERVICES = sorted(name for name, service in SERVICES.items() if "build" in service)
SITE_HOST = "mentoring.example.org"

# Read by settings.py but deliberately not set in docker-compose.yml, each with the reason.
NOT_IN_COMPOSE = {
    # collectstatic fills it at build time; the image serves what it baked in.
    "STATIC_ROOT": "baked into the image",
    # Follows HTTPS (a year); set it only to ramp HSTS up slowly on a new domain.
    "SECURE_HSTS_SECONDS": "derived from HTTPS",
    # The product's defaults (English, Europe/Helsinki); users switch language themselves.
    "LANGUAGE_CODE": "product default",
    "TIME_ZONE": "product default",
    # Delivery tuning; the defaults suit production, tests shorten them.
    "DELIVERY_MAX_RETRIES": "tuning",
    "DELIVERY_RETRY_BASE_DELAY": "tuning",
    "DELIVERY_SWEEP_AFTER": "tuning",
}

# What the compose file needs from whoever runs it (a .env file or the environment).
COMPOSE_VARIABLES = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "POSTGRES_PASSWORD": "example-password",
    "ALLOWED_HOSTS": SITE_HOST,
    "EMAIL_URL": "smtp+tls://mailer:mail-password@smtp.example.org:587",
    "DEFAULT_FROM_EMAIL": "Mentoring <noreply@example.org>",
    "SITE_URL": f"https://{SITE_HOST}",
}


def _env_names_read_by_settings() -> set[str]:
    """Names settings.py reads: env("X"), env.<cast>("X"), os.environ.get("X"), os.getenv("X")."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS_FILE.read_text())):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        first = node.args[0]
        if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
            continue
        func = ast.unparse(node.func)
        if re.fullmatch(r"env(\.\w+)?", func) or func in {"os.environ.get", "os.getenv"}:
            names.add(first.value)
    return names


SETTINGS_ENV_NAMES = _env_names_read_by_settings()

_VARIABLE = re.compile(
    r"\$\$|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}"
    r"|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)"
)


def interpolate(text: str, variables: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $$.

    Stricter than compose in one way: a variable without a default or an error message is an
    error here (compose would substitute an empty string with only a warning).
    """

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name = match.group("name") or match.group("bare")
        value = variables.get(name)
        op = match.group("op") or ""
        missing = not value if op.startswith(":") else value is None
        if op.endswith("-") and missing:
            return match.group("arg")
        if op.endswith("?") and missing:
            raise LookupError(f"{name}: {match.group('arg')}")
        if value is None:
            raise LookupError(f"{name} has neither a value, a default nor an error message")
        return value

    return _VARIABLE.sub(substitute, text)


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def compose_app_env(variables: dict[str, str] = COMPOSE_VARIABLES) -> dict[str, str]:
    return {
        name: interpolate(str(value), variables) for name, value in COMPOSE["x-app-env"].items()
    }


def base_env() -> dict[str, str]:
    """This process's environment without anything the settings would read."""
    drop = {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SECRET_KEY", "DEBUG"} | SETTINGS_ENV_NAMES
    env = {name: value for name, value in os.environ.items() if name not in drop}
    env["DJANGO_SETTINGS_MODULE"] = "mentoring.settings"
    return env


def production_env(tmp_path: Path, **changes: str | None) -> dict[str, str]:
    """The smallest production environment: no Redis, SQLite, SMTP e-mail."""
    env = base_env() | {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": SITE_HOST,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        # Without it mail goes to the console, which check --deploy reports (mail.E001).
        "EMAIL_URL": "smtp://smtp.example.org:587",
    }
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


_PRINT_SETTINGS = """
import json, sys
import django
from django.conf import settings
django.setup()
print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}, default=str))
"""


def settings_in(env: dict[str, str], *names: str) -> dict[str, Any]:
    result = run_python("-c", _PRINT_SETTINGS, *names, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def argv_of(command: str | list[str]) -> list[str]:
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pending += " " + stripped.removesuffix("\\").strip()
        if stripped.endswith("\\"):
            continue
        keyword, _, arguments = pending.strip().partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def dockerfile_cmd() -> list[str]:
    commands = [json.loads(arguments) for keyword, arguments in dockerfile() if keyword == "CMD"]
    assert commands, "the Dockerfile has no CMD"
    return commands[-1]


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        if part.strip():
            name, *sources = part.split()
            directives[name] = sources
    return directives


def assert_security_headers(headers: dict[str, str], html: str) -> str | None:
    """The headers every page carries; returns the page's CSP nonce, if it used one.

    Django 6 puts 'nonce-...' into script-src only on responses whose rendering used the
    nonce ({% csp_nonce_attr %} / {{ csp_nonce }}); a page without inline scripts gets
    script-src 'self' alone, which is stricter.
    """
    csp = headers["content-security-policy"]
    directives = csp_directives(csp)
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    script_src = directives["script-src"]
    assert script_src[0] == "'self'"
    nonces = [source for source in script_src[1:] if re.fullmatch(_NONCE_SOURCE, source)]
    assert nonces == script_src[1:], script_src
    assert len(nonces) <= 1, script_src
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    nonce = nonces[0].removeprefix("'nonce-").removesuffix("'") if nonces else None
    # The policy blocks inline scripts without the header's nonce, and every inline style.
    page = Html(html)
    for script in page.select("script"):
        assert script.get("src") or (nonce and script.get("nonce") == nonce), markup(script)
    assert not page.select("style, [style]"), "inline styles are blocked by style-src"
    return nonce


_NONCE_SOURCE = r"'nonce-[\w+/=-]{16,}'"


def lowercase_keys(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
