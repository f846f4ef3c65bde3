"""Benchmark: frames.import_frame() against a bare psycopg bulk insert of the same rows.

Generates a CSV frame of one-stop records (default 1,000,000 rows, dd/mm/yyyy dates,
contacts on every row, 24 agencies), imports it through
``fieldwork/services/frames/imports.py`` into a
scratch PostgreSQL database, then, in the same run, loads the same file into the same
tables with no validation: csv.reader → psycopg ``COPY`` (and, separately, psycopg
``executemany``), ids from the table's sequence, contacts into ``frame_contacts``.
Prints rows/s for each, the ratios (target: import ≥ 50 % of the bare insert) and the
peak RSS after each step (the import streams, so it must not grow with the row count).
Never asserts.

    .venv/bin/python bench/frame_import.py [--rows 1000000] [--skip-executemany]

Needs ``createdb``/``dropdb`` against 127.0.0.1:5432 (user postgres); the scratch
database is dropped at the end.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

PG = "postgresql://postgres@127.0.0.1:5432"
AGENCIES = [f"S{i:02d}" for i in range(1, 25)]
FIELDS = ["Xây dựng", "Hộ tịch", "Đất đai", "Kinh doanh", "Tư pháp", "Giao thông"]
DISTRICTS = ["Ba Đình", "Hoàn Kiếm", "Đống Đa", "Cầu Giấy", "Long Biên"]
HEADER = ["Mã hồ sơ", "Cơ quan", "Lĩnh vực", "Thủ tục", "Ngày tiếp nhận", "Ngày hẹn trả",
          "Ngày trả kết quả", "Hình thức", "Họ tên", "Số điện thoại", "Email",
          "Quận/Huyện"]  # fmt: skip
UNIT_COLUMNS = ("id", "survey_id", "dossier_code", "agency_id", "service_field", "procedure",
                "received_at", "due_at", "returned_at", "channel", "district")  # fmt: skip


def generate(path: Path, rows: int, seed: int = 4) -> None:
    rng = random.Random(seed)
    start = date(2024, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(rows):
            received = start + timedelta(days=rng.randrange(300))
            due = received + timedelta(days=rng.randrange(1, 20))
            returned = due + timedelta(days=rng.randrange(-5, 3)) if rng.random() < 0.9 else None
            writer.writerow([
                f"HS{n:08d}", rng.choice(AGENCIES), rng.choice(FIELDS), f"Thủ tục {n % 97}",
                f"{received:%d/%m/%Y}", f"{due:%d/%m/%Y}",
                f"{max(returned, received):%d/%m/%Y}" if returned else "",
                rng.choice(("online", "trực tiếp")), f"Người dân {n}",
                f"09{rng.randrange(10**8):08d}", f"nguoi{n}@example.vn", rng.choice(DISTRICTS),
            ])  # fmt: skip


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup(url: str) -> tuple[Any, int, int]:
    """The app on the scratch database, migrated, with agencies and two surveys."""
    from flask_migrate import upgrade

    from surveyapp import MIGRATIONS_DIR, create_app
    from surveyapp.extensions import db
    from surveyapp.models._types import utcnow
    from surveyapp.surveys.services import agencies, surveys

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        rows = [{"code": "HN", "parent": "", "name_vi": "Tỉnh", "name_en": "Province"}]
        rows += [{"code": c, "parent": "HN", "name_vi": c, "name_en": c} for c in AGENCIES]
        agencies.import_agencies(db.session, rows)
        version = surveys.questionnaire_version(db.session, "sipas-2017")
        ids = []
        for title in ("import", "baseline"):
            survey = surveys.create_survey(
                db.session, version=version, title=title,
                agencies=agencies.by_codes(db.session, ["HN"]), now=utcnow(),
            )  # fmt: skip
            ids.append(survey.id)
        db.session.commit()
    return app, ids[0], ids[1]


def run_import(app: Any, survey_id: int, path: Path) -> int:
    from surveyapp.extensions import db
    from surveyapp.fieldwork.services.frames import imports as frames
    from surveyapp.surveys.services import surveys

    with app.app_context():
        survey = surveys.get_survey(db.session, survey_id)
        summary = frames.import_frame(db.session, survey, path)
        db.session.commit()
        return summary.imported


def _day(text: str) -> date | None:
    return datetime.strptime(text, "%d/%m/%Y").date() if text else None


def _bare_rows(conn: psycopg.Connection[Any], survey_id: int, path: Path) -> Iterator[Any]:
    """(unit row, contact row) per CSV row: codes looked up, dates parsed, nothing checked."""
    agency_ids = dict(conn.execute("SELECT code, id FROM agencies").fetchall())
    channels = {"online": "online", "trực tiếp": "counter"}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        while True:
            chunk = [row for _, row in zip(range(5000), reader, strict=False)]
            if not chunk:
                return
            ids = [r[0] for r in conn.execute(
                "SELECT nextval('frame_units_id_seq') FROM generate_series(1, %s)", [len(chunk)]
            )]  # fmt: skip
            for unit_id, r in zip(ids, chunk, strict=True):
                unit = (unit_id, survey_id, r[0], agency_ids[r[1]], r[2], r[3], _day(r[4]),
                        _day(r[5]), _day(r[6]), channels[r[7]], r[11])  # fmt: skip
                yield unit, (unit_id, r[8], r[9], r[10])


def bare_copy(url: str, survey_id: int, path: Path) -> int:
    with psycopg.connect(url) as conn:
        units: list[Any] = []
        contacts: list[Any] = []
        count = 0
        cur = conn.cursor()
        for unit, contact in _bare_rows(conn, survey_id, path):
            units.append(unit)
            contacts.append(contact)
            if len(units) == 5000:
                count += _copy(cur, units, contacts)
                units, contacts = [], []
        count += _copy(cur, units, contacts)
        conn.commit()
    return count


def _copy(cur: Any, units: list[Any], contacts: list[Any]) -> int:
    with cur.copy(f"COPY frame_units ({', '.join(UNIT_COLUMNS)}) FROM STDIN") as copy:
        for row in units:
            copy.write_row(row)
    with cur.copy("COPY frame_contacts (frame_unit_id, name, phone, email) FROM STDIN") as copy:
        for row in contacts:
            copy.write_row(row)
    return len(units)


def bare_executemany(url: str, survey_id: int, path: Path) -> int:
    unit_sql = (f"INSERT INTO frame_units ({', '.join(UNIT_COLUMNS)}) "
                f"VALUES ({', '.join(['%s'] * len(UNIT_COLUMNS))})")  # fmt: skip
    contact_sql = (
        "INSERT INTO frame_contacts (frame_unit_id, name, phone, email) VALUES (%s, %s, %s, %s)"
    )
    with psycopg.connect(url) as conn:
        cur = conn.cursor()
        units: list[Any] = []
        contacts: list[Any] = []
        count = 0
        for unit, contact in _bare_rows(conn, survey_id, path):
            units.append(unit)
            contacts.append(contact)
            if len(units) == 5000:
                cur.executemany(unit_sql, units)
                cur.executemany(contact_sql, contacts)
                count += len(units)
                units, contacts = [], []
        if units:
            cur.executemany(unit_sql, units)
            cur.executemany(contact_sql, contacts)
            count += len(units)
        conn.commit()
    return count


def clear(url: str, survey_id: int) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "DELETE FROM frame_contacts WHERE frame_unit_id IN "
            "(SELECT id FROM frame_units WHERE survey_id = %s)", [survey_id]
        )  # fmt: skip
        conn.execute("DELETE FROM frame_units WHERE survey_id = %s", [survey_id])


def timed(label: str, rows: int, action: Any) -> float:
    started = time.perf_counter()
    done = action()
    elapsed = time.perf_counter() - started
    rate = done / elapsed
    print(f"{label:<28} {done:>9,} rows {elapsed:8.1f} s {rate:>10,.0f} rows/s   "
          f"peak RSS {peak_rss_mb():6.0f} MB")  # fmt: skip
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-executemany", action="store_true")
    args = parser.parse_args()
    name = f"surveyapp_bench_frames_{os.getpid()}"
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    url = f"{PG}/{name}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "frame.csv"
            generate(path, args.rows)
            size_mb = path.stat().st_size / 2**20
            print(
                f"frame: {args.rows:,} rows, {size_mb:.0f} MB CSV; peak RSS {peak_rss_mb():.0f} MB"
            )
            app, survey_id, baseline_id = setup(url)
            print(f"after app setup: peak RSS {peak_rss_mb():.0f} MB")
            ours = timed("frames.import_frame", args.rows, lambda: run_import(app, survey_id, path))
            copy = timed("bare COPY", args.rows, lambda: bare_copy(url, baseline_id, path))
            print(f"import / bare COPY:          {ours / copy:6.1%}  (target >= 50 %)")
            if not args.skip_executemany:
                clear(url, baseline_id)
                many = timed("bare executemany", args.rows,
                             lambda: bare_executemany(url, baseline_id, path))  # fmt: skip
                print(f"import / bare executemany:   {ours / many:6.1%}  (target >= 50 %)")
            with app.app_context():
                from surveyapp.extensions import db

                db.engine.dispose()
    finally:
        subprocess.run(
            ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name], check=False
        )


if __name__ == "__main__":
    main()
