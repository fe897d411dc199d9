# syntax=docker/dockerfile:1
# The production image. One image serves every process of docker-compose.yml: the page servers
# (gunicorn, the default command), the WebSocket servers (uvicorn), the Celery worker and beat,
# and the one-shot migration; the compose file picks the command. Build: docker build -t mentoring .

ARG PYTHON_IMAGE=python:3.12-slim

# --- build: dependencies from uv.lock, compiled translations, collected static files -------
FROM ${PYTHON_IMAGE} AS build

ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1 \
    UV_PYTHON_DOWNLOADS=never

# gettext's msgfmt for compilemessages; it stays in this stage.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

# The uv version scripts/venv.sh uses.
RUN pip install "uv==0.13.9"

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. The lock file decides every
# version; --frozen fails the build if it is out of date with pyproject.toml.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project --python /usr/local/bin/python3

ENV PATH=/app/.venv/bin:$PATH

COPY . .

# Settings refuse DEBUG off without SECRET_KEY: this throwaway key exists only during these
# commands and is not in the image. DEBUG=0 selects the manifest storage, whose hashed file
# names the running site asks for.
RUN DEBUG=0 SECRET_KEY=build-time-only-throwaway-key-not-used-at-run-time \
        python manage.py compilemessages --ignore=.venv \
    && DEBUG=0 SECRET_KEY=build-time-only-throwaway-key-not-used-at-run-time \
        python manage.py collectstatic --noinput

# --- run -------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/app/.venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=mentoring.settings

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin app

WORKDIR /app
# Code, virtualenv and static files stay owned by root: the processes cannot change them.
COPY --from=build /app /app
# Uploaded avatars (MEDIA_ROOT). A named volume mounted here inherits this owner.
RUN mkdir -p /app/media && chown app:app /app/media

USER 10001:10001

EXPOSE 8000

CMD ["gunicorn", "mentoring.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "2", "--timeout", "30", "--graceful-timeout", "20"]
