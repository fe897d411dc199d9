"""The production settings: check --deploy passes and catches a weak setup, no DEBUG without a
secret key, secure cookies over HTTPS, and the content security policy on every page.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import Client
from django.urls import include, path

from tests.support.deploy import (
    assert_security_headers,
    lowercase_keys,
    production_env,
    run_python,
    settings_in,
)
from tests.support.html import Html

# --- production settings -----------------------------------------------------------------------


def test_check_deploy_passes_with_production_settings(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    assert "REDIS_URL" not in env
    result = run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env)
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
    env = production_env(tmp_path, **changes)
    result = run_python("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env)
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
    result = run_python(*argv, env=production_env(tmp_path, SECRET_KEY=secret_key))
    assert result.returncode != 0
    assert "Set SECRET_KEY when DEBUG is off." in result.stderr


@pytest.mark.parametrize("https", [True, False])
def test_cookies_are_secure_when_served_over_https(tmp_path: Path, https: bool) -> None:
    env = production_env(tmp_path, HTTPS="1" if https else "0")
    values = settings_in(
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


@pytest.mark.django_db
def test_pages_carry_the_content_security_policy(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert_security_headers(lowercase_keys(response.headers), response.content.decode())


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
    nonce = assert_security_headers(lowercase_keys(first.headers), first.content.decode())
    assert nonce
    assert Html(first).attr("script", "nonce") == nonce
    second = client.get("/deploy-test/inline-script")
    assert assert_security_headers(lowercase_keys(second.headers), second.content.decode()) != nonce
    # The same script without the nonce is what the policy blocks, and the check sees it.
    with pytest.raises(AssertionError):
        assert_security_headers(lowercase_keys(first.headers), "<script>console.log(1)</script>")
