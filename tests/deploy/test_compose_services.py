"""docker-compose.yml's services: every command in it names real code (resolved the way
gunicorn, uvicorn, Celery and Django resolve it), services wait for what they depend on, the
servers have health checks and ports to scale over, PostgreSQL takes every server's pool.

There is no Docker engine on the test machines, so the files are tested without it (see
tests/support/deploy.py).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import pytest
from celery import Celery
from celery.app.utils import find_app
from celery.bin.base import CLIContext
from celery.bin.celery import celery as celery_cli
from django.conf import settings
from django.core.management import get_commands, load_command_class
from django.urls import resolve
from django.utils.module_loading import import_string
from gunicorn.config import Config as GunicornConfig
from gunicorn.util import import_app as gunicorn_import_app
from uvicorn.importer import import_from_string
from uvicorn.main import main as uvicorn_cli

from mentoring import views as site_views
from tests.support.deploy import (
    APP_SERVICES,
    COMPOSE,
    SERVICES,
    argv_of,
    dockerfile,
    dockerfile_cmd,
)

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
    argv = (
        dockerfile_cmd() if service == "Dockerfile CMD" else argv_of(SERVICES[service]["command"])
    )
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
    assert _listens_on(argv_of(service["command"])) == "8000"
    assert ("EXPOSE", "8000") in dockerfile()


def test_pages_and_websockets_have_servers_of_their_own() -> None:
    """gunicorn's sync workers serve the pages (benchmark W6), uvicorn the WebSockets; their
    published port ranges do not overlap, so a proxy on the host can tell them apart."""
    assert argv_of(SERVICES["web"]["command"])[0] == "gunicorn"
    assert argv_of(SERVICES["ws"]["command"])[0] == "uvicorn"
    assert dockerfile_cmd()[0] == "gunicorn"
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
    worker = argv_of(SERVICES["worker"]["command"])
    concurrency = next(a for a in worker if a.startswith("--concurrency="))
    needed = 20 + int(concurrency.partition("=")[2]) + 1  # a connection each, and beat's
    for name, per_worker in (("web", 1), ("ws", settings.DATABASE_POOL_SIZE)):
        argv = argv_of(SERVICES[name]["command"])
        low, high = _port_range(SERVICES[name])
        needed += (high - low + 1) * int(argv[argv.index("--workers") + 1]) * per_worker
    command = argv_of(SERVICES["postgres"]["command"])
    max_connections = int(command[command.index("-c") + 1].removeprefix("max_connections="))
    assert max_connections >= needed
