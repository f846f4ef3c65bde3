"""Computed results kept between requests: in this process, or in Redis for every worker.

A key names everything a result depends on, including a cheap freshness stamp of the
data (:func:`freshness`), so nothing is ever invalidated by hand: new answers, new
weights or a new previous-period link make a new key, and old entries age out (LRU in
process, a TTL in Redis). Values are pickled for Redis, which must therefore be a
server only the application writes to (the same one the rate limiter uses).
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select

from surveyapp.extensions import DbSession
from surveyapp.models import Response, Sample, SeriesMapping, Survey, counted

T = TypeVar("T")
log = logging.getLogger(__name__)

LOCAL_ENTRIES = 128
TTL_SECONDS = 24 * 3600
PREFIX = "surveyapp:results:"


class ResultCache:
    """``get_or_compute(key, compute)``; Redis when ``redis_url`` is given, else a local LRU.

    A Redis that does not answer is logged and skipped (the page is computed), never an
    error for the user.
    """

    def __init__(self, redis_url: str | None = None, entries: int = LOCAL_ENTRIES) -> None:
        self._local: OrderedDict[str, Any] = OrderedDict()
        self._entries = entries
        self._lock = threading.Lock()
        self._redis: Any = None
        if redis_url:
            import redis  # only needed when configured (the prod extra installs it)

            self._redis = redis.Redis.from_url(redis_url, socket_timeout=1.0)

    def get_or_compute(self, key: str, compute: Callable[[], T]) -> T:
        found = self._get(key)
        if found is not None:
            return found
        value = compute()
        self._put(key, value)
        return value

    def _get(self, key: str) -> Any:
        if self._redis is not None:
            try:
                raw = self._redis.get(PREFIX + key)
            except Exception as error:  # any Redis failure: compute instead
                log.warning("result cache: Redis get failed: %s", error)
                return None
            return None if raw is None else pickle.loads(raw)  # our own Redis (see above)
        with self._lock:
            if key in self._local:
                self._local.move_to_end(key)
                return self._local[key]
        return None

    def _put(self, key: str, value: Any) -> None:
        if self._redis is not None:
            try:
                self._redis.set(PREFIX + key, pickle.dumps(value), ex=TTL_SECONDS)
            except Exception as error:
                log.warning("result cache: Redis set failed: %s", error)
            return
        with self._lock:
            self._local[key] = value
            self._local.move_to_end(key)
            while len(self._local) > self._entries:
                self._local.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._local.clear()


@dataclass(frozen=True)
class Freshness:
    """Stamps of a survey's round and of its previous one (None: no previous round)."""

    current: str
    previous: str | None

    @property
    def key(self) -> str:
        return f"{self.current}-{self.previous or '-'}"


def freshness(session: DbSession, survey: Survey) -> Freshness:
    """Stamps that change whenever the survey's scores could: per round, its submitted
    responses (count, latest change: new answers, reweighting), questionnaire version,
    weighting settings, PAR points, sample draw, previous-round link, series mapping
    and surveyed agencies."""
    previous = survey.previous
    return Freshness(
        _stamp(session, survey), _stamp(session, previous) if previous is not None else None
    )


def round_stamp(session: DbSession, surveys: list[Survey]) -> str:
    """One stamp for several rounds (a trend): changes when any of theirs does."""
    return "-".join(_stamp(session, s) for s in surveys)


def _stamp(session: DbSession, survey: Survey) -> str:
    count, latest = session.execute(
        select(func.count(), func.max(Response.updated_at)).where(counted(survey.id))
    ).one()
    parts: list[Any] = [
        survey.id,
        survey.created_at,
        survey.questionnaire_version_id,
        survey.previous_survey_id,
        survey.weighting,
        survey.par_points_max,
        # A (re)draw changes the strata sizes the finite-population correction uses.
        session.scalar(select(func.max(Sample.id)).where(Sample.survey_id == survey.id)),
        count,
        latest.isoformat() if latest else None,
        [a.id for a in survey.agencies],
        # A saved mapping is replaced whole: its rows' count and newest id tell it apart.
        list(
            session.execute(
                select(func.count(), func.max(SeriesMapping.id)).where(
                    SeriesMapping.survey_id == survey.id
                )
            ).one()
        ),
    ]
    raw = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]
