"""The project's settings with the benchmark baselines added to the URLs."""

from mentoring.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"

# W2 compares the channel layers: BENCH_CHANNEL_LAYER=core serves this process with channels_redis'
# RedisChannelLayer instead of production's RedisPubSubChannelLayer (only with REDIS_URL set).
if REDIS_URL and env.str("BENCH_CHANNEL_LAYER", default="pubsub") == "core":  # noqa: F405
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 reads with a 5 s socket timeout by default, which the layer's 5 s
            # BZPOPMIN reaches: every idle consumer then dies with TimeoutError. Longer here.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}]},  # noqa: F405
        }
    }
