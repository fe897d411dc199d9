"""The production deployment: Dockerfile, docker-compose.yml and the production settings.

There is no Docker engine on the test machines, so the files are tested without it: every
command in the compose file is resolved against the code the way gunicorn, uvicorn, Celery and
Django resolve it, the compose environment is loaded into the settings in subprocesses (as the
containers load it), and the web service's command, migration and health check run for real
on a local SQLite file.
"""

from __future__ import annotations

import ast
import fnmatch
import http.client
import inspect
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from celery import Celery
from celery.app.utils import find_app
from celery.bin.base import CLIContext
from celery.bin.celery import celery as celery_cli
from django.conf import settings
from django.core.management import get_commands, load_command_class
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import Client
from django.urls import include, path, resolve
from django.utils.module_loading import import_string
from gunicorn.config import Config as GunicornConfig
from gunicorn.util import import_app as gunicorn_import_app
from uvicorn.importer import import_from_string
from uvicorn.main import main as uvicorn_cli

from mentoring import views as site_views

ROOT = Path(__file__).resolve().parents[1]
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


# --- helpers ---------------------------------------------------------------------------------


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


def _interpolate(text: str, variables: dict[str, str]) -> str:
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


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _compose_app_env(variables: dict[str, str] = COMPOSE_VARIABLES) -> dict[str, str]:
    return {
        name: _interpolate(str(value), variables) for name, value in COMPOSE["x-app-env"].items()
    }


def _base_env() -> dict[str, str]:
    """This process's environment without anything the settings would read."""
    drop = {"DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SECRET_KEY", "DEBUG"} | SETTINGS_ENV_NAMES
    env = {name: value for name, value in os.environ.items() if name not in drop}
    env["DJANGO_SETTINGS_MODULE"] = "mentoring.settings"
    return env


def _production_env(tmp_path: Path, **changes: str | None) -> dict[str, str]:
    """The smallest production environment: no Redis, SQLite, SMTP e-mail."""
    env = _base_env() | {
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


def _python(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
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


def _settings_in(env: dict[str, str], *names: str) -> dict[str, Any]:
    result = _python("-c", _PRINT_SETTINGS, *names, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _argv(command: str | list[str]) -> list[str]:
    return command.split() if isinstance(command, str) else [str(part) for part in command]


def _dockerfile() -> list[tuple[str, str]]:
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


def _dockerfile_cmd() -> list[str]:
    commands = [json.loads(arguments) for keyword, arguments in _dockerfile() if keyword == "CMD"]
    assert commands, "the Dockerfile has no CMD"
    return commands[-1]


def _csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        if part.strip():
            name, *sources = part.split()
            directives[name] = sources
    return directives


def _assert_security_headers(headers: dict[str, str], html: str) -> str | None:
    """The headers every page carries; returns the page's CSP nonce, if it used one.

    Django 6 puts 'nonce-...' into script-src only on responses whose rendering used the
    nonce ({% csp_nonce_attr %} / {{ csp_nonce }}); a page without inline scripts gets
    script-src 'self' alone, which is stricter.
    """
    csp = headers["content-security-policy"]
    directives = _csp_directives(csp)
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
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or (nonce and f'nonce="{nonce}"' in tag), tag
    assert not re.search(r"<style\b|\sstyle=", html), "inline styles are blocked by style-src"
    return nonce


_NONCE_SOURCE = r"'nonce-[\w+/=-]{16,}'"


# --- docker-compose.yml: services and commands -----------------------------------------------


def test_compose_runs_the_production_processes() -> None:
    assert set(SERVICES) == {"postgres", "redis", "migrate", "web", "ws", "worker", "beat"}
    assert SERVICES["postgres"]["image"] == "postgres:15"
    assert SERVICES["redis"]["image"] == "redis:7"
    assert APP_SERVICES == ["beat", "migrate", "web", "worker", "ws"]
    for name in APP_SERVICES:
        assert "command" in SERVICES[name], f"{name} must say which process it runs"
    volumes = {
        entry.split(":")[1]: entry.split(":")[0]
        for name in SERVICES
        for entry in SERVICES[name].get("volumes", [])
    }
    assert volumes["/var/lib/postgresql/data"] in COMPOSE["volumes"]
    assert volumes["/app/media"] in COMPOSE["volumes"]


def _check_uvicorn(args: list[str]) -> None:
    params = uvicorn_cli.make_context("uvicorn", list(args)).params  # unknown options raise
    application = import_from_string(params["app"])
    assert application is import_string(settings.ASGI_APPLICATION)
    assert inspect.iscoroutinefunction(application.__call__)  # an ASGI application
    assert params["host"] == "0.0.0.0"  # noqa: S104 - inside the container, behind the balancer


def _check_gunicorn(args: list[str]) -> None:
    parsed = GunicornConfig().parser().parse_args(list(args))  # unknown options exit
    (app_uri,) = parsed.args
    assert gunicorn_import_app(app_uri) is import_string(settings.WSGI_APPLICATION)
    assert parsed.bind == ["0.0.0.0:8000"]
    assert int(parsed.workers or 0) >= 1


def _check_celery(args: list[str]) -> None:
    assert len(args) >= 3, f"expected celery -A MODULE COMMAND: {args}"
    assert args[0] in {"-A", "--app"}, f"expected celery -A MODULE COMMAND: {args}"
    module, subcommand, *options = args[1:]
    app = find_app(module)  # what `celery -A` does
    assert isinstance(app, Celery)
    assert app.conf.broker_url == settings.CELERY_BROKER_URL  # configured from the settings
    assert subcommand in celery_cli.commands, f"celery has no {subcommand!r} command"
    parent = celery_cli.make_context("celery", ["-A", module, subcommand])
    parent.obj = CLIContext(app=app, no_color=True, workdir=None, quiet=True)
    celery_cli.commands[subcommand].make_context(subcommand, options, parent=parent)


def _check_manage(args: list[str]) -> None:
    name, *options = args
    commands = get_commands()
    assert name in commands, f"manage.py has no {name!r} command"
    parser = load_command_class(commands[name], name).create_parser("manage.py", name)
    parser.parse_args(options)  # unknown options raise CommandError


@pytest.mark.parametrize("service", [*APP_SERVICES, "Dockerfile CMD"])
def test_app_commands_name_real_code(service: str) -> None:
    argv = _dockerfile_cmd() if service == "Dockerfile CMD" else _argv(SERVICES[service]["command"])
    match argv:
        case ["uvicorn", *args]:
            _check_uvicorn(args)
        case ["gunicorn", *args]:
            _check_gunicorn(args)
        case ["celery", *args]:
            _check_celery(args)
        case ["python", "manage.py", *args] if args:
            _check_manage(args)
        case _:
            pytest.fail(f"{service}: unrecognised command {argv}")


def test_the_checks_above_can_fail() -> None:
    with pytest.raises(Exception, match=r"no_such_app|No module|attribute"):
        _check_uvicorn(["mentoring.asgi:no_such_app"])
    with pytest.raises(Exception, match="bogus"):
        _check_uvicorn(["mentoring.asgi:application", "--bogus"])
    with pytest.raises(Exception, match=r"no_such_app|object"):
        _check_gunicorn(["mentoring.wsgi:no_such_app", "--bind", "0.0.0.0:8000"])
    with pytest.raises(SystemExit):
        _check_gunicorn(["mentoring.wsgi:application", "--bogus"])
    with pytest.raises(AssertionError):
        _check_celery(["-A", "mentoring", "wrker"])
    with pytest.raises(Exception, match="bogus"):
        _check_celery(["-A", "mentoring", "worker", "--bogus"])
    with pytest.raises(AssertionError):
        _check_manage(["migrat"])
    with pytest.raises(Exception, match="unrecognized arguments"):
        _check_manage(["migrate", "--no-input-please"])


def test_services_wait_for_what_they_depend_on() -> None:
    """A dependency is healthy (it has a health check) or a one-shot that finished.

    migrate is the one dependency without a health check: it is a one-shot job, and
    `service_completed_successfully` waits for it to exit with 0 (a failed migration stops
    the web servers and workers from starting on an old schema).
    """
    depended_on = set()
    for name, service in SERVICES.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on needs a condition per service"
        for target, spec in depends_on.items():
            depended_on.add(target)
            condition = spec.get("condition")
            if condition == "service_healthy":
                test = SERVICES[target].get("healthcheck", {}).get("test")
                assert test, f"{target} has no health check for {name}"
                assert test != ["NONE"], f"{target} has its health check off"
            elif condition == "service_completed_successfully":
                assert SERVICES[target].get("restart") == "no", f"{target} is not a one-shot"
            else:
                pytest.fail(f"{name} starts before {target} is ready ({condition})")
    assert depended_on == {"postgres", "redis", "migrate"}
    for name in set(APP_SERVICES) - {"migrate"}:
        depends_on = SERVICES[name]["depends_on"]
        assert depends_on["migrate"]["condition"] == "service_completed_successfully", name
        assert depends_on["redis"]["condition"] == "service_healthy", name
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def _listens_on(argv: list[str]) -> str:
    """The port a server command listens on (uvicorn's --port, gunicorn's --bind)."""
    if "--port" in argv:
        return argv[argv.index("--port") + 1]
    return argv[argv.index("--bind") + 1].rpartition(":")[2]


def _port_range(service: dict[str, Any]) -> tuple[int, int]:
    low, high = (int(n) for n in str(service["ports"][0]).split(":")[-2].split("-"))
    return low, high


@pytest.mark.parametrize("name", ["web", "ws"])
def test_servers_have_a_health_check_on_healthz_and_can_be_scaled(name: str) -> None:
    service = SERVICES[name]
    assert service["healthcheck"]["test"][:3] == ["CMD", "python", "-c"]
    assert '"/healthz"' in service["healthcheck"]["test"][3]
    assert resolve("/healthz").func is site_views.healthz
    # `--scale web=N` needs no fixed container name and no single fixed host port.
    assert "container_name" not in service
    for mapping in service.get("ports", []):
        *host, container = str(mapping).split(":")
        assert container == "8000"
        if host:
            assert re.fullmatch(r"\d+-\d+", host[-1]), f"{mapping}: one host port for N replicas"
    assert _listens_on(_argv(service["command"])) == "8000"
    assert ("EXPOSE", "8000") in _dockerfile()


def test_pages_and_websockets_have_servers_of_their_own() -> None:
    """gunicorn's sync workers serve the pages (benchmark W6), uvicorn the WebSockets; their
    published port ranges do not overlap, so a proxy on the host can tell them apart."""
    assert _argv(SERVICES["web"]["command"])[0] == "gunicorn"
    assert _argv(SERVICES["ws"]["command"])[0] == "uvicorn"
    assert _dockerfile_cmd()[0] == "gunicorn"
    web, ws = _port_range(SERVICES["web"]), _port_range(SERVICES["ws"])
    assert web[1] < ws[0] or ws[1] < web[0]


def test_postgres_takes_every_server_process_full_pool() -> None:
    """Scaled to the most containers the published port ranges allow, PostgreSQL still has
    connections for the Celery processes and an admin: a ws worker may fill its pool, a
    sync web worker holds one connection at a time."""
    declared = str(COMPOSE["x-app-env"]["DATABASE_POOL_SIZE"])
    pool = re.fullmatch(r"\$\{DATABASE_POOL_SIZE:-(\d+)\}", declared)
    assert pool, declared
    assert int(pool.group(1)) == settings.DATABASE_POOL_SIZE
    worker = _argv(SERVICES["worker"]["command"])
    concurrency = next(a for a in worker if a.startswith("--concurrency="))
    needed = 20 + int(concurrency.partition("=")[2]) + 1  # a connection each, and beat's
    for name, per_worker in (("web", 1), ("ws", settings.DATABASE_POOL_SIZE)):
        argv = _argv(SERVICES[name]["command"])
        low, high = _port_range(SERVICES[name])
        needed += (high - low + 1) * int(argv[argv.index("--workers") + 1]) * per_worker
    command = _argv(SERVICES["postgres"]["command"])
    max_connections = int(command[command.index("-c") + 1].removeprefix("max_connections="))
    assert max_connections >= needed


# --- docker-compose.yml: environment -----------------------------------------------------------


def test_every_app_service_gets_the_shared_environment() -> None:
    for name in APP_SERVICES:
        assert SERVICES[name]["environment"] == COMPOSE["x-app-env"], name


def test_compose_env_names_are_read_by_settings() -> None:
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= SETTINGS_ENV_NAMES  # the parse works
    unread = set(COMPOSE["x-app-env"]) - SETTINGS_ENV_NAMES
    assert not unread, f"set in docker-compose.yml but never read by settings.py: {unread}"


def test_settings_env_names_are_in_compose() -> None:
    missing = SETTINGS_ENV_NAMES - set(COMPOSE["x-app-env"]) - set(NOT_IN_COMPOSE)
    assert not missing, f"settings.py reads {missing}: set them in x-app-env or explain why not"
    assert set(NOT_IN_COMPOSE) <= SETTINGS_ENV_NAMES, "NOT_IN_COMPOSE names a variable nobody reads"
    assert not set(NOT_IN_COMPOSE) & set(COMPOSE["x-app-env"])


def test_every_compose_variable_has_a_default_or_refuses_to_start() -> None:
    for text in _strings(COMPOSE):
        _interpolate(text, COMPOSE_VARIABLES)  # raises for a variable with neither
    assert COMPOSE["x-app-env"]["SECRET_KEY"].startswith("${SECRET_KEY:?")
    for required in COMPOSE_VARIABLES:
        without = {name: value for name, value in COMPOSE_VARIABLES.items() if name != required}
        with pytest.raises(LookupError, match=required):
            _compose_app_env(without)
        with pytest.raises(LookupError, match=required):
            _compose_app_env(without | {required: ""})


def test_compose_env_switches_on_the_production_parts() -> None:
    env = _base_env() | _compose_app_env()
    values = _settings_in(
        env,
        "DEBUG",
        "DATABASES",
        "CACHES",
        "CHANNEL_LAYERS",
        "CELERY_BROKER_URL",
        "CELERY_TASK_ALWAYS_EAGER",
        "MAILERS",
        "DEFAULT_FROM_EMAIL",
        "SECURE_PROXY_SSL_HEADER",
        "ALLAUTH_TRUSTED_PROXY_COUNT",
        "MEDIA_ROOT",
        "STORAGES",
        "ALLOWED_HOSTS",
    )
    assert values["DEBUG"] is False
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["NAME"], database["PASSWORD"]) == (
        "postgres",
        "mentoring",
        "example-password",
    )
    assert database["CONN_MAX_AGE"] == 0
    assert values["CACHES"]["default"]["LOCATION"] == "redis://redis:6379/0"
    assert values["CHANNEL_LAYERS"]["default"]["BACKEND"].startswith("channels_redis.")
    assert values["CELERY_BROKER_URL"] == "redis://redis:6379/0"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    mailer = values["MAILERS"]["default"]
    assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (mailer["OPTIONS"]["host"], mailer["OPTIONS"]["use_tls"]) == ("smtp.example.org", True)
    assert values["DEFAULT_FROM_EMAIL"] == "Mentoring <noreply@example.org>"
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["ALLAUTH_TRUSTED_PROXY_COUNT"] == 1
    assert values["MEDIA_ROOT"] == "/app/media"
    assert values["STORAGES"]["staticfiles"]["BACKEND"].startswith("whitenoise.")
    assert values["ALLOWED_HOSTS"] == [SITE_HOST]


def test_check_deploy_passes_with_the_compose_environment() -> None:
    env = _base_env() | _compose_app_env()
    result = _python("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


# --- production settings -----------------------------------------------------------------------


def test_check_deploy_passes_with_production_settings(tmp_path: Path) -> None:
    env = _production_env(tmp_path)
    assert "REDIS_URL" not in env
    result = _python("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output
    assert "ERRORS" not in output


@pytest.mark.parametrize(
    ("changes", "issue"),
    [
        ({"SECRET_KEY": "too-short-and-guessable"}, "security.W009"),
        ({"EMAIL_URL": None}, "mail.E001"),
        ({"HTTPS": "0"}, "security.W012"),
        ({"DEBUG": "1"}, "security.W018"),
    ],
    ids=["weak-secret-key", "no-email-url", "no-https", "debug-on"],
)
def test_check_deploy_catches_a_weak_setup(
    tmp_path: Path, changes: dict[str, str | None], issue: str
) -> None:
    env = _production_env(tmp_path, **changes)
    result = _python("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert issue in result.stdout + result.stderr


@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
@pytest.mark.parametrize(
    "argv",
    [("manage.py", "check"), ("-c", "import mentoring.asgi")],
    ids=["manage.py", "asgi-import"],
)
def test_debug_off_without_secret_key_refuses_to_start(
    tmp_path: Path, argv: tuple[str, ...], secret_key: str | None
) -> None:
    result = _python(*argv, env=_production_env(tmp_path, SECRET_KEY=secret_key))
    assert result.returncode != 0
    assert "Set SECRET_KEY when DEBUG is off." in result.stderr


@pytest.mark.parametrize("https", [True, False])
def test_cookies_are_secure_when_served_over_https(tmp_path: Path, https: bool) -> None:
    env = _production_env(tmp_path, HTTPS="1" if https else "0")
    values = _settings_in(
        env,
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_HTTPONLY",
        "DEBUG",
    )
    assert values["DEBUG"] is False
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SECURE"] is https
    assert values["CSRF_COOKIE_SECURE"] is https
    assert values["SECURE_SSL_REDIRECT"] is https
    assert (values["SECURE_HSTS_SECONDS"] >= 365 * 24 * 3600) is https


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@pytest.mark.django_db
def test_pages_carry_the_content_security_policy(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    _assert_security_headers(_lower(response.headers), response.content.decode())


def _inline_script_page(request: HttpRequest) -> HttpResponse:
    """A page with an inline script, as a template would write it."""
    template = engines["django"].from_string(
        "<p>hi</p><script {% csp_nonce_attr %}>console.log(1)</script>"
    )
    return HttpResponse(template.render(request=request))


urlpatterns = [
    path("deploy-test/inline-script", _inline_script_page),
    path("", include("mentoring.urls")),
]


@pytest.mark.urls(__name__)
def test_inline_scripts_run_with_a_fresh_nonce_per_response(client: Client) -> None:
    first = client.get("/deploy-test/inline-script")
    nonce = _assert_security_headers(_lower(first.headers), first.content.decode())
    assert nonce
    assert f'<script nonce="{nonce}">' in first.content.decode()
    second = client.get("/deploy-test/inline-script")
    assert _assert_security_headers(_lower(second.headers), second.content.decode()) != nonce
    # The same script without the nonce is what the policy blocks, and the check sees it.
    with pytest.raises(AssertionError):
        _assert_security_headers(_lower(first.headers), "<script>console.log(1)</script>")


# --- Dockerfile and build context ------------------------------------------------------------


def test_dockerfile_installs_from_the_lock_as_a_non_root_user() -> None:
    instructions = _dockerfile()
    args = dict(arguments.split("=", 1) for keyword, arguments in instructions if keyword == "ARG")
    bases = [
        _interpolate(arguments.split()[0], args)
        for keyword, arguments in instructions
        if keyword == "FROM"
    ]
    assert bases
    assert all(base == "python:3.12-slim" for base in bases), bases
    runs = [arguments for keyword, arguments in instructions if keyword == "RUN"]
    assert any("uv sync --frozen --no-dev" in run for run in runs)
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users
    assert users[-1].split(":")[0] not in {"root", "0"}
    # The throwaway build key must not stay in the image's environment.
    for keyword, arguments in instructions:
        if keyword in {"ENV", "ARG"}:
            assert "SECRET_KEY" not in arguments
    collect = [run for run in runs if "collectstatic --noinput" in run]
    assert len(collect) == 1
    assert "DEBUG=0" in collect[0]
    assert "SECRET_KEY=" in collect[0]


def _ignored(path: str) -> bool:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert not any(pattern.startswith("!") for pattern in patterns)  # keep the matcher simple
    return any(fnmatch.fnmatch(path, pattern.removeprefix("**/")) for pattern in patterns)


def test_build_context_leaves_out_secrets_and_keeps_the_code() -> None:
    for private in (".env", ".env.production", ".git", ".venv", "db.sqlite3", "media"):
        assert _ignored(private), private
    local_apps = {
        path.parent.name
        for path in ROOT.glob("*/apps.py")
        if (path.parent / "__init__.py").exists()
    }
    needed = {"manage.py", "pyproject.toml", "uv.lock", "mentoring", "templates", "static"}
    needed |= local_apps | {"locale"}
    for name in needed:
        assert (ROOT / name).exists(), name
        assert not _ignored(name), f".dockerignore leaves {name} out of the image"


# --- the web service's command, for real, with production settings -------------------------


@dataclass
class Server:
    port: int
    env: dict[str, str]

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path, headers={"Host": SITE_HOST, **headers})
            response = connection.getresponse()
            body = response.read().decode(errors="replace")
            headers_out: dict[str, str] = {}
            for name, value in response.getheaders():
                key = name.lower()
                headers_out[key] = f"{headers_out[key]}\n{value}" if key in headers_out else value
            return response.status, headers_out, body
        finally:
            connection.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _with_port(argv: list[str], port: int) -> list[str]:
    argv = list(argv)
    if "--port" in argv:
        argv[argv.index("--port") + 1] = str(port)
    else:
        argv[argv.index("--bind") + 1] = f"127.0.0.1:{port}"
    return argv


@pytest.fixture(scope="module")
def production_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """collectstatic as the image build runs it, then the migrate and web services' commands.

    The compose environment, with SQLite in place of PostgreSQL and no Redis (the in-memory
    parts), and STATIC_ROOT/MEDIA_ROOT in a temporary folder.
    """
    tmp = tmp_path_factory.mktemp("production")
    static_root = tmp / "static"
    build_env = _base_env() | {
        "DEBUG": "0",
        "SECRET_KEY": "build-time-only-throwaway-key",
        "STATIC_ROOT": str(static_root),
    }
    collected = _python("manage.py", "collectstatic", "--noinput", env=build_env)
    assert collected.returncode == 0, collected.stderr
    assert (static_root / "staticfiles.json").exists()  # the manifest DEBUG=0 asks for

    env = _base_env() | _compose_app_env()
    del env["REDIS_URL"]
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp / "media"),
        "STATIC_ROOT": str(static_root),
    }
    migrate = _argv(SERVICES["migrate"]["command"])
    assert migrate[0] == "python"
    migrated = _python(*migrate[1:], env=env)
    assert migrated.returncode == 0, migrated.stderr

    port = _free_port()
    web = _with_port(_argv(SERVICES["web"]["command"]), port)
    assert web[0] == "gunicorn"
    log_path = tmp / "web.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", *web],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # the server's worker processes go with it
        )
    server = Server(port=port, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(f"the web command exited: {log_path.read_text()}")
            try:
                if server.get("/healthz", **{"X-Forwarded-Proto": "https"})[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the web command did not answer: {log_path.read_text()}")
            time.sleep(0.2)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_web_health_check_passes_on_the_running_server(production_server: Server) -> None:
    probe = SERVICES["web"]["healthcheck"]["test"][3]
    assert probe.count("8000") == 1
    probe = probe.replace("8000", str(production_server.port))
    result = _python("-c", probe, env=production_server.env)
    assert result.returncode == 0, result.stderr
    # ... and fails when nothing answers.
    closed = probe.replace(str(production_server.port), str(_free_port()))
    assert _python("-c", closed, env=production_server.env).returncode != 0


def test_production_server_sends_the_security_headers(production_server: Server) -> None:
    status, headers, body = production_server.get(
        "/accounts/login/", **{"X-Forwarded-Proto": "https"}
    )
    assert status == 200, body
    _assert_security_headers(headers, body)
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"
    csrf_cookie = next(c for c in headers["set-cookie"].split("\n") if c.startswith("csrftoken="))
    assert "Secure" in csrf_cookie
    # Static files collected at build time, under their hashed names, served by WhiteNoise.
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', body)
    assert assets
    for asset in assets:
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", asset), asset
        asset_status, asset_headers, _ = production_server.get(
            asset, **{"X-Forwarded-Proto": "https"}
        )
        assert asset_status == 200, asset
        assert "immutable" in asset_headers.get("cache-control", ""), asset


def test_production_server_redirects_http_and_refuses_unknown_hosts(
    production_server: Server,
) -> None:
    status, headers, _ = production_server.get("/accounts/login/")
    assert status == 301
    assert headers["location"] == f"https://{SITE_HOST}/accounts/login/"
    status, _, _ = production_server.get(
        "/healthz", Host="attacker.example", **{"X-Forwarded-Proto": "https"}
    )
    assert status == 400
