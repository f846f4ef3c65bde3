"""The results cache: shared through Redis between workers, never an error when Redis
is down, bounded in process."""

from __future__ import annotations

import uuid

import pytest

from surveyapp.results.services.dashboard.cache import ResultCache
from surveyapp.scoring import Estimate

REDIS = "redis://127.0.0.1:6379/15"


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_timeout=0.5).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis at 127.0.0.1:6379")
def test_a_value_built_by_one_worker_is_read_by_another() -> None:
    key = f"test:{uuid.uuid4().hex}"
    built = []

    def compute() -> Estimate:
        built.append(1)
        return Estimate(0.8, 0.01, 0.78, 0.82, 400)

    first = ResultCache(REDIS).get_or_compute(key, compute)
    second = ResultCache(REDIS).get_or_compute(key, compute)  # another process's cache
    assert first == second == Estimate(0.8, 0.01, 0.78, 0.82, 400)
    assert len(built) == 1


def test_an_unreachable_redis_only_means_computing_again() -> None:
    cache = ResultCache("redis://127.0.0.1:1/0")
    assert cache.get_or_compute("k", lambda: 41) == 41
    assert cache.get_or_compute("k", lambda: 42) == 42


def test_the_in_process_cache_keeps_the_most_recent_entries() -> None:
    cache = ResultCache(entries=2)
    for key in ("a", "b", "c"):
        cache.get_or_compute(key, lambda key=key: key.upper())
    assert cache.get_or_compute("c", lambda: "new") == "C"
    assert cache.get_or_compute("a", lambda: "again") == "again"  # evicted first
