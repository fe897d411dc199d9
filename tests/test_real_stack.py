"""The main pass runs on the parts production runs: PostgreSQL, Redis cache and channel layer."""

from __future__ import annotations

import uuid

import pytest
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection


def test_database_is_postgresql(db: None) -> None:
    assert connection.vendor == "postgresql"


def test_cache_is_redis() -> None:
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    key = f"probe-{uuid.uuid4()}"
    cache.set(key, "here", 5)
    assert cache.get(key) == "here"


async def test_channel_layer_round_trips_through_redis() -> None:
    layer = get_channel_layer()
    assert type(layer).__module__.startswith("channels_redis")
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "probe", "n": 1})
    assert await layer.receive(channel) == {"type": "probe", "n": 1}


def test_celery_uses_the_redis_broker() -> None:
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    assert settings.CELERY_TASK_ALWAYS_EAGER is False


@pytest.mark.django_db
def test_health_endpoint(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
