"""The project's settings with the benchmark baselines added to the URLs."""

from mentoring.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
