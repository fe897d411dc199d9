"""The Dockerfile and its build context: installs from the lock as a non-root user, leaves out
secrets and keeps the code.

There is no Docker engine on the test machines, so the files are tested without it (see
tests/support/deploy.py).
"""

from __future__ import annotations

import fnmatch

from tests.support.deploy import (
    ROOT,
    dockerfile,
    interpolate,
)

# --- Dockerfile and build context ------------------------------------------------------------


def test_dockerfile_installs_from_the_lock_as_a_non_root_user() -> None:
    instructions = dockerfile()
    args = dict(arguments.split("=", 1) for keyword, arguments in instructions if keyword == "ARG")
    bases = [
        interpolate(arguments.split()[0], args)
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
    private_files = (".env", ".env.production", ".git", ".venv", "db.sqlite3", "media")
    for private in (*private_files, ".embedded-secret-key"):
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
