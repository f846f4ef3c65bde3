"""Benchmark: load_response_arrays() against a bare binary COPY of the same answer rows.

Creates a scratch PostgreSQL database (or uses --url), builds the schema with the
project's migrations, inserts N submitted responses × 33 likert items with COPY FROM
(bypassing the ORM), then times

  (a) a bare psycopg ``COPY (SELECT response_id, item_id, value_num ...) TO STDOUT
      (FORMAT BINARY)`` of the survey's answer rows into one bytearray, no parsing;
  (b) ``load_response_arrays`` for the survey (responses + answers → arrays).

Prints both times (best of --repeat), their ratio (target ≤ 2×) and the peak RSS of
each. Never asserts. The scratch database is dropped at the end.

    .venv/bin/python bench/load.py [--responses 1000000] [--repeat 3] [--url URL]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from flask_migrate import upgrade

from surveyapp import MIGRATIONS_DIR, create_app
from surveyapp.config import database_url
from surveyapp.extensions import db
from surveyapp.models import (
    Agency,
    AgencyLevel,
    Questionnaire,
    QuestionnaireVersion,
    Survey,
    SurveyStatus,
    VersionStatus,
)
from surveyapp.results.services.loading import load_response_arrays

SERVER = "postgresql://postgres@127.0.0.1:5432"
ITEMS = [f"q9_{i:02d}" for i in range(1, 34)]  # 5 bytes each: fixed-width COPY rows
AGENCIES, STRATA = 16, 60
SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # + flags 0 + header extension 0
TRAILER = b"\xff\xff"
EPOCH_2000_US = 946_684_800 * 1_000_000  # binary timestamptz counts from 2000-01-01
BARE = """
COPY (
    SELECT a.response_id, a.item_id, a.value_num
    FROM answers a JOIN responses r ON r.id = a.response_id
    WHERE r.survey_id = %s AND r.status = 'submitted' AND a.position = 0
      AND a.value_num IS NOT NULL AND a.item_id = ANY(%s::text[])
) TO STDOUT (FORMAT BINARY)
"""


def tuples(**fields: str) -> np.dtype[np.void]:
    layout = [("nf", ">i2")]
    for name, kind in fields.items():
        layout += [(f"len_{name}", ">i4"), (name, kind)]
    return np.dtype(layout)


def binary_rows(dtype: np.dtype[np.void], n: int, **values: Any) -> np.ndarray:
    rows = np.zeros(n, dtype=dtype)
    rows["nf"] = len(values)
    for name, value in values.items():
        rows[f"len_{name}"] = dtype[name].itemsize
        rows[name] = value
    return rows


def document() -> dict[str, Any]:
    sat5 = [{"code": c, "label": {"vi": str(c)}} for c in range(1, 6)]
    sat5.append({"code": 9, "label": {"vi": "KTL"}, "missing": True})
    items = [{"id": i, "type": "likert", "scale": "sat5", "label": {"vi": i}} for i in ITEMS]
    return {
        "id": "bench-load",
        "version": 1,
        "title": {"vi": "bench"},
        "scales": {"sat5": {"options": sat5}},
        "sections": [{"id": "q9", "title": {"vi": "q9"}, "items": items}],
        "framework": {"satisfied": [4, 5], "elements": [{"id": "all", "criteria": []}]},
    }


def setup_survey() -> Survey:
    province = Agency(code="P", level=AgencyLevel.PROVINCE, name_vi="P", name_en="P", path="/P/")
    units = [
        Agency(code=f"U{k}", level=AgencyLevel.UNIT, name_vi=f"U{k}", name_en="", path=f"/P/U{k}/")
        for k in range(AGENCIES)
    ]
    questionnaire = Questionnaire(key="bench-load")
    db.session.add_all([province, *units, questionnaire])
    db.session.flush()
    version = QuestionnaireVersion(
        questionnaire_id=questionnaire.id, version=1, document=document(), status=VersionStatus.OPEN
    )
    survey = Survey(title="bench", version=version, status=SurveyStatus.OPEN, agencies=units)
    db.session.add(survey)
    db.session.commit()
    return survey


def insert(url: str, survey: Survey, n: int, seed: int = 20240101) -> None:
    """COPY FROM in binary, with the answers' keys dropped meanwhile (rebuilt after)."""
    rng = np.random.default_rng(seed)
    agency_ids = np.array([a.id for a in survey.agencies])
    stratum = rng.integers(0, STRATA, n)
    now_us = int(time.time() * 1_000_000) - EPOCH_2000_US
    response = tuples(
        id=">i4", survey_id=">i4", version_id=">i4", agency_id=">i4", channel="S3",
        status="S9", stratum="S3", weight=">f8", started=">i8", updated=">i8", submitted=">i8",
    )  # fmt: skip
    answer = tuples(response_id=">i4", item_id="S5", position=">i2", value=">f8")
    items = np.array(ITEMS, dtype="S5")
    with psycopg.connect(url) as conn:
        conn.execute("ALTER TABLE answers DROP CONSTRAINT fk_answers_response_id_responses")
        conn.execute("ALTER TABLE answers DROP CONSTRAINT pk_answers")
        conn.execute("DROP INDEX ix_answers_item_value")
        cols = "id, survey_id, questionnaire_version_id, agency_id, channel, status, stratum, "
        cols += "weight, started_at, updated_at, submitted_at"
        with conn.cursor().copy(f"COPY responses ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
            rows = binary_rows(
                response, n, id=np.arange(1, n + 1), survey_id=survey.id,
                version_id=survey.questionnaire_version_id, agency_id=agency_ids[stratum % 16],
                channel=b"web", status=b"submitted",
                stratum=np.char.add(b"S", np.char.zfill(stratum.astype("S2"), 2)),
                weight=rng.uniform(5.0, 50.0, STRATA)[stratum] * rng.uniform(0.8, 1.2, n),
                started=now_us, updated=now_us, submitted=now_us,
            )  # fmt: skip
            copy.write(SIGNATURE + rows.tobytes() + TRAILER)
        cols = "response_id, item_id, position, value_num"
        with conn.cursor().copy(f"COPY answers ({cols}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(SIGNATURE)
            for first in range(1, n + 1, 50_000):
                ids = np.arange(first, min(first + 50_000, n + 1))
                mood = rng.normal(0.0, 1.0, len(ids))[:, None]
                code = np.clip(np.round(3.6 + mood + rng.normal(0, 1, (len(ids), 33))), 1, 5)
                code[rng.random(code.shape) < 0.06] = 9  # "no answer" option
                kept = rng.random(code.shape) >= 0.03  # skipped: no row at all
                rid = np.broadcast_to(ids[:, None], code.shape)[kept]
                item = np.broadcast_to(items, code.shape)[kept]
                rows = binary_rows(
                    answer, len(rid), response_id=rid, item_id=item, position=0, value=code[kept]
                )
                copy.write(rows.tobytes())
            copy.write(TRAILER)
        conn.execute("SELECT setval('responses_id_seq', %s)", (n,))
        conn.execute("ALTER TABLE answers ADD CONSTRAINT pk_answers PRIMARY KEY "
                     "(response_id, item_id, position)")  # fmt: skip
        conn.execute("CREATE INDEX ix_answers_item_value ON answers (item_id, value_num)")
        conn.execute(
            "ALTER TABLE answers ADD CONSTRAINT fk_answers_response_id_responses "
            "FOREIGN KEY (response_id) REFERENCES responses (id) ON DELETE CASCADE"
        )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) responses, answers")  # hint bits set: fair timings


def bare_copy(survey_id: int) -> int:
    """Every row into memory, read as the loader reads (joined slices of messages)."""
    raw = db.session.connection().connection.driver_connection
    assert isinstance(raw, psycopg.Connection)
    with raw.cursor() as cursor, cursor.copy(BARE, (survey_id, ITEMS)) as copy:
        messages = iter(copy)
        parts = list(iter(lambda: b"".join(islice(messages, 1 << 16)), b""))
    db.session.rollback()
    return sum(len(p) for p in parts)


def loader(survey: Survey) -> int:
    arrays = load_response_arrays(db.session, survey)
    db.session.rollback()
    return arrays.n


def peak_rss_reset() -> bool:
    """Reset the kernel's peak-RSS mark (Linux); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def rss_mb(field: str = "VmHWM") -> float:
    """Peak (VmHWM) or current (VmRSS) resident set size in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(fns: list[Callable[[], Any]], repeat: int) -> list[tuple[float, float, float, Any]]:
    """Best wall time, best client CPU time, peak RSS and result of each.

    Interleaved so that load from other processes hits both alike; CPU time of this
    process is the steadier figure on a busy machine.
    """
    best = [(float("inf"), float("inf"), 0.0, None)] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            peak_rss_reset()
            start, cpu = time.perf_counter(), time.process_time()
            result = fn()
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
            wall_best, cpu_best, peak, _ = best[k]
            best[k] = (min(wall_best, wall), min(cpu_best, cpu), max(peak, rss_mb()), result)
    return best


@contextmanager
def scratch_database(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    name = f"sa_bench_load_{os.getpid()}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{SERVER}/{name}"
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--url", help="an empty PostgreSQL database to use (kept)")
    args = parser.parse_args()
    with scratch_database(args.url) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(url), "SECRET_KEY": "bench"})
        with app.app_context():
            upgrade(directory=str(MIGRATIONS_DIR))
            survey = setup_survey()
            start = time.perf_counter()
            insert(url, survey, args.responses)
            t_insert = time.perf_counter() - start
            base_rss = rss_mb("VmRSS")
            (t_bare, c_bare, rss_bare, size), (t_load, c_load, rss_load, n) = measure(
                [lambda: bare_copy(survey.id), lambda: loader(survey)], args.repeat
            )
            db.session.remove()
            db.engine.dispose()
    print(f"{args.responses:,} submitted responses × {len(ITEMS)} likert items "
          f"(insert + keys + VACUUM: {t_insert:.1f} s), best of {args.repeat}")  # fmt: skip
    print(f"(a) bare COPY BINARY into memory: {t_bare:8.3f} s (client CPU {c_bare:8.3f} s)  "
          f"{size / 2**20:,.1f} MiB of rows")  # fmt: skip
    print(f"(b) load_response_arrays:          {t_load:8.3f} s (client CPU {c_load:8.3f} s)  "
          f"{n:,} rows")  # fmt: skip
    print(f"ratio (b) / (a): {t_load / t_bare:5.2f}× wall, {c_load / c_bare:5.2f}× client CPU "
          "(target ≤ 2)")  # fmt: skip
    print(f"peak RSS: before {base_rss:.0f} MiB, during (a) {rss_bare:.0f} MiB, "
          f"during (b) {rss_load:.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
