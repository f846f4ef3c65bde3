"""Benchmark: our export writers against bare loops writing the same cells, same run.

100,000 responses × 40 columns (the 6 metadata columns, 28 five-point items with a
declared-missing 9, 2 numbers, a date, 3 texts — Vietnamese, some starting with "=").

- XLSX: ``exports.xlsx.write_workbook`` (the ``responses`` sheet, neutralising text,
  number formats) vs the faster of openpyxl write-only ``append`` and XlsxWriter
  ``constant_memory`` ``write_row``. Target: ≤ 1.3× the faster, peak RSS < 200 MB.
- CSV: ``exports.csvfile.stream_responses`` vs ``csv.writer.writerows``.
- SPSS: ``exports.stats.write`` (labels, value labels, declared missing) vs
  ``pyreadstat.write_sav`` of a data frame built from the same rows, no metadata.
  Stata likewise with ``write_dta``.

Each writer runs in its own child process, so each peak RSS (``ru_maxrss``) is its own;
the rows come from a generator there (a pool of 1,000 rows recycled with fresh ids),
never a list, and the same generator feeds every writer. Ratios are of CPU time (user +
system), which a busy machine disturbs far less than wall time (printed beside it); both
cover writing only, imports excluded; "after imports" shows what the modules alone cost
in memory. The database is not involved: see ``bench/load.py`` for reading. Prints;
never asserts.

    .venv/bin/python bench/export.py [--rows 100000] [--only xlsx,csv,sav,dta]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ITEMS = 28
WORDS = ["Cán bộ", "nhiệt tình", "thủ tục", "nhanh gọn", "cần", "cải thiện", "chỗ ngồi",
         "hồ sơ", "đúng hẹn", "phí", "công khai", "rõ ràng"]  # fmt: skip
CHILDREN = {
    "xlsx": ("xlsx-ours", "xlsx-openpyxl", "xlsx-xlsxwriter"),
    "csv": ("csv-ours", "csv-bare"),
    "sav": ("sav-ours", "sav-bare"),
    "dta": ("dta-ours", "dta-bare"),
}


def document() -> dict[str, Any]:
    """A questionnaire whose answerable items give the 34 item columns."""
    label = {"vi": "Câu hỏi", "en": "Question"}
    items: list[dict[str, Any]] = [
        {"id": f"q{i:02d}", "type": "likert", "scale": "sat5", "label": label}
        for i in range(1, ITEMS + 1)
    ]
    items += [
        {"id": "trips", "type": "number", "label": label},
        {"id": "wait_minutes", "type": "number", "label": label},
        {"id": "visit_date", "type": "date", "label": label},
        {"id": "service", "type": "text", "label": label},
        {"id": "comments", "type": "text", "label": label},
        {"id": "suggestion", "type": "text", "label": label},
    ]
    options = [{"code": c, "label": {"vi": f"Mức {c}", "en": f"Level {c}"}} for c in range(1, 6)]
    options.append(
        {"code": 9, "label": {"vi": "Không trả lời", "en": "No answer"}, "missing": True}
    )
    return {
        "id": "bench",
        "version": 1,
        "title": {"vi": "Khảo sát", "en": "Survey"},
        "languages": ["vi", "en"],
        "scales": {"sat5": {"options": options}},
        "sections": [{"id": "s1", "title": label, "items": items}],
        "framework": {"satisfied": [4, 5], "elements": []},
    }


def pool(seed: int = 6) -> list[list[Any]]:
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, 8, 0, 0)
    rows = []
    for n in range(1000):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(3, 12)))
        rows.append(
            [
                0,
                f"S{n % 24:02d}",
                f"S{n % 24:02d}-{n % 3}",
                rng.choice(("web", "kiosk", "paper")),
                start + timedelta(minutes=rng.randrange(200_000)),
                round(rng.uniform(0.5, 40), 3),
                *[rng.choice((1, 2, 3, 4, 4, 5, 5, 9)) for _ in range(ITEMS)],
                rng.randrange(1, 6),
                rng.randrange(0, 240) if rng.random() < 0.9 else None,
                date(2026, 2, 1) + timedelta(days=rng.randrange(28)),
                f"Thủ tục {n % 97}",
                ("=" + text) if n % 50 == 0 else text,
                None if n % 3 else text.upper(),
            ]
        )
    return rows


def rows(count: int) -> Iterator[list[Any]]:
    templates = pool()
    for i in range(count):
        row = list(templates[i % 1000])
        row[0] = i + 1
        yield row


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the writers, each run in its own child process ----------------------------------------


def child(name: str, count: int, out: Path) -> dict[str, float]:
    cells = rows(count)
    if name.endswith("-ours"):
        from flask import Flask
        from flask_babel import Babel

        from surveyapp.exports.table import columns
        from surveyapp.exports.variables import variables
        from surveyapp.questionnaire.document import Questionnaire

        app = Flask(__name__)  # labels are translated: a bare app with Babel, no database
        Babel(app)
        context = app.app_context()
        context.push()
        questionnaire = Questionnaire(document())
        cols = columns(questionnaire, "vi")
    imported = peak_rss_mb()
    started, cpu = time.perf_counter(), cpu_seconds()
    if name == "xlsx-ours":
        from surveyapp.exports import xlsx

        xlsx.write_workbook(str(out), cols, cells, labels=False)
    elif name == "xlsx-openpyxl":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("responses")
        for row in cells:
            sheet.append(row)
        book.save(out)
    elif name == "xlsx-xlsxwriter":
        import xlsxwriter

        book = xlsxwriter.Workbook(str(out), {"constant_memory": True})
        sheet = book.add_worksheet("responses")
        for r, row in enumerate(cells):
            sheet.write_row(r, 0, row)
        book.close()
    elif name == "csv-ours":
        from surveyapp.exports import csvfile

        with out.open("w", encoding="utf-8", newline="") as handle:
            for chunk in csvfile.stream_responses(cols, cells, labels=False):
                handle.write(chunk)
    elif name == "csv-bare":
        import csv

        with out.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows(cells)
    elif name in ("sav-ours", "dta-ours"):
        from surveyapp.exports import stats

        fmt = name[:3]
        spec = variables(cols, questionnaire, "vi")
        stats.write(out, fmt, spec, cells, expected_rows=count, file_label="Khảo sát")
    else:  # sav-bare, dta-bare: a data frame of the same rows, written with no metadata
        import pandas as pd
        import pyreadstat

        names = [f"c{i}" for i in range(40)]
        frame = pd.DataFrame.from_records(cells, columns=names)
        if name == "sav-bare":
            pyreadstat.write_sav(frame, str(out))
        else:
            pyreadstat.write_dta(frame, str(out), version=14)
    return {
        "seconds": time.perf_counter() - started,
        "cpu": cpu_seconds() - cpu,
        "imported_mb": imported,
        "peak_mb": peak_rss_mb(),
    }


def measure(name: str, count: int, folder: Path) -> dict[str, float]:
    out = folder / f"{name}.{name.split('-')[0]}"
    command = [sys.executable, __file__, "--child", name, "--rows", str(count), "--out", str(out)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    result["size_mb"] = out.stat().st_size / 2**20
    print(
        f"{name:<16} {result['cpu']:6.1f} s CPU ({result['seconds']:5.1f} s wall)   "
        f"peak RSS {result['peak_mb']:5.0f} MB "
        f"(after imports {result['imported_mb']:4.0f} MB)   file {result['size_mb']:6.1f} MB",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--only", default="xlsx,csv,sav,dta")
    parser.add_argument("--child")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.out)))
        return
    print(f"{args.rows:,} responses × 40 columns; each writer in its own process")
    with tempfile.TemporaryDirectory() as tmp:
        results = {
            name: measure(name, args.rows, Path(tmp))
            for fmt in args.only.split(",")
            for name in CHILDREN[fmt]
        }
    print()
    if "xlsx-ours" in results:
        ours = results["xlsx-ours"]
        fastest = min(("xlsx-openpyxl", "xlsx-xlsxwriter"), key=lambda n: results[n]["cpu"])
        print(
            f"xlsx: ours / {fastest} = {ours['cpu'] / results[fastest]['cpu']:.2f}× "
            f"(target ≤ 1.30×); ours / xlsx-openpyxl = "
            f"{ours['cpu'] / results['xlsx-openpyxl']['cpu']:.2f}×; "
            f"peak RSS {ours['peak_mb']:.0f} MB (target < 200 MB)"
        )
    for fmt in ("csv", "sav", "dta"):
        if f"{fmt}-ours" in results:
            ours, bare = results[f"{fmt}-ours"], results[f"{fmt}-bare"]
            print(
                f"{fmt}:  ours / bare = {ours['cpu'] / bare['cpu']:.2f}×; "
                f"peak RSS {ours['peak_mb']:.0f} MB vs {bare['peak_mb']:.0f} MB"
            )


if __name__ == "__main__":
    main()
