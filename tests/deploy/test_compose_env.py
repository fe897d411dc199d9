"""docker-compose.yml's environment: every app service gets the shared environment, its names
are the ones settings.py reads, and loaded into the settings in a subprocess (as the
containers load it) it switches on the production parts and passes check --deploy.

There is no Docker engine on the test machines, so the files are tested without it (see
tests/support/deploy.py).
"""

from __future__ import annotations

import pytest

from tests.support.deploy import (
    APP_SERVICES,
    COMPOSE,
    COMPOSE_VARIABLES,
    NOT_IN_COMPOSE,
    SERVICES,
    SETTINGS_ENV_NAMES,
    SITE_HOST,
    base_env,
    compose_app_env,
    interpolate,
    run_python,
    settings_in,
    strings,
)

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
    for text in strings(COMPOSE):
        interpolate(text, COMPOSE_VARIABLES)  # raises for a variable with neither
    assert COMPOSE["x-app-env"]["SECRET_KEY"].startswith("${SECRET_KEY:?")
    for required in COMPOSE_VARIABLES:
        without = {name: value for name, value in COMPOSE_VARIABLES.items() if name != required}
        with pytest.raises(LookupError, match=required):
            compose_app_env(without)
        with pytest.raises(LookupError, match=required):
            compose_app_env(without | {required: ""})


def test_compose_env_switches_on_the_production_parts() -> None:
    env = base_env() | compose_app_env()
    values = settings_in(
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
    env = base_env() | compose_app_env()
    result = run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
