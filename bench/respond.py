"""Benchmark: complete respondents per second through the real respondent pages.

gunicorn (--workers sync workers) serves the app on a scratch PostgreSQL database, with
Redis for the rate limits as in production. Simulated respondents in other processes on
127.0.0.1 walk an invitation link page by page, GET then POST with the CSRF token, the
same walker the tests use (tests/respondent.py), and send. Two questionnaires:

  sipas-2017   the built-in SIPAS 2017 template as the product paginates it
  one-page-30  a welcome page, then one page of 30 single-choice questions that sends
               (the layout a common PHP survey tool served at ~1.5 respondents/s here)

The ceiling is a bare Flask app under the same gunicorn settings and database serving
the same pages: the HTML the product sent (captured from one walk), one INSERT per
POST, the page number in a cookie. Between the two, "required stack alone" serves the
same captured pages through what #5 requires of every page and nothing of the product
(bench/_stack_respond.py): the cookie session with Flask-WTF's CSRF token, the
product's rate limits in Redis (per token on POSTs, per IP on failed look-ups), a read
of the saved state through SQLAlchemy. It tells what the stack costs from what the
product's own work costs; the product's ratio to it is printed beside the ratios of
earlier runs (PREVIOUS) for reference.

For each questionnaire and server it prints complete
respondents/s, requests/s, p95 page latency and the ratio to the ceiling (target ≥ 50 %,
and ≥ 100 respondents/s on the one-page form), measured after an untimed warm-up of both
servers. It also prints the CPU the serving side (gunicorn, the database's backends,
Redis) spent per respondent, and the ratio by that: on a machine busy with other work,
throughput swings with the neighbours, CPU per respondent much less. Never asserts.

    .venv/bin/python bench/respond.py [--respondents 400] [--warmup 64] [--clients 2]
                                      [--threads 8] [--workers 4]
                                      [--only sipas-2017|one-page-30]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.respondent import answer_everything  # noqa: E402  (the tests' walker)

SERVER = "postgresql://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/15"
CEILING = "bare Flask (ceiling)"
# The same captured pages served by bare Flask, and by the stack #5 requires (session with
# CSRF, the product's rate limits in Redis, a read of the saved state through SQLAlchemy)
# with nothing else.
STACK = "required stack alone"
SERVERS = {STACK: "bench._stack_respond:app", CEILING: "bench._bare_respond:app"}
PHP_BASELINE = 1.5  # complete respondents/s of a common PHP survey tool on this machine
# surveyapp against "required stack alone" in two runs before the respondent hot path was
# cut (issue #20): respondents/s and the ratio of throughputs.
PREVIOUS = {
    "sipas-2017": ((9.5, 0.75), (15.4, 0.57)),
    "one-page-30": ((36.5, 0.54), (62.7, 0.73)),
}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- an HTTP client the walker can drive ----------------------------------------------


@dataclass
class Reply:
    status_code: int
    text: str
    headers: dict[str, str]


@dataclass
class Browser:
    """One respondent: a keep-alive connection and its cookies; times every request."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    timings: list[float] = field(default_factory=list)
    conn: http.client.HTTPConnection | None = None

    def _request(self, method: str, url: str, body: str | None = None) -> Reply:
        headers = {"Accept-Language": "vi", "Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):  # a worker may close an idle keep-alive connection
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            started = time.perf_counter()
            try:
                self.conn.request(method, url, body=body, headers=headers)
                raw = self.conn.getresponse()
                text = raw.read().decode()
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                continue
            self.timings.append(time.perf_counter() - started)
            for name, value in raw.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            if raw.getheader("Connection", "").lower() == "close":
                self.conn.close()
                self.conn = None
            return Reply(raw.status, text, {k: v for k, v in raw.getheaders()})
        raise AssertionError("unreachable")

    def get(self, url: str) -> Reply:
        return self._request("GET", url)

    def post(self, url: str, data: dict[str, Any]) -> Reply:
        return self._request("POST", url, urlencode(data, doseq=True))


def respond(port: int, path: str) -> list[float]:
    """One complete respondent: every page, the send, the thank-you page."""
    browser = Browser(port)
    answer_everything(browser, path)
    thanks = browser.get(path)
    assert thanks.status_code == 200 and 'data-state="submitted"' in thanks.text, thanks.text
    if browser.conn is not None:
        browser.conn.close()
    return browser.timings


def _client(port: int, paths: list[str], threads: int, out: Any) -> None:
    timings: list[float] = []
    lock = threading.Lock()
    queue = iter(paths)

    def work() -> None:
        while True:
            with lock:
                path = next(queue, None)
            if path is None:
                return
            got = respond(port, path)
            with lock:
                timings.extend(got)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.send(timings)


@dataclass
class Run:
    respondents: int
    seconds: float
    latencies: list[float]
    serving_cpu: float  # seconds of CPU the server, its database and Redis used

    @property
    def cpu_ms(self) -> float:
        """Serving CPU per complete respondent: what throughput on a busy machine hides."""
        return 1000 * self.serving_cpu / self.respondents

    @property
    def per_second(self) -> float:
        return self.respondents / self.seconds

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def p95_ms(self) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[int(0.95 * (len(ordered) - 1))]


def serving_cpu(database: str) -> float:
    """CPU seconds used so far by gunicorn, the database's backends and Redis (/proc)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text()
        except (OSError, NotADirectoryError):
            continue
        ours = b"gunicorn" in command or b"redis-server" in command
        if ours or (command.startswith(b"postgres:") and database.encode() in command):
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def load(port: int, paths: list[str], clients: int, threads: int, database: str = "") -> Run:
    """Walk every path once, from ``clients`` processes × ``threads`` threads."""
    context = multiprocessing.get_context("fork")
    pipes, procs = [], []
    cpu_before = serving_cpu(database)
    started = time.perf_counter()
    for i in range(clients):
        mine, theirs = context.Pipe(duplex=False)
        proc = context.Process(target=_client, args=(port, paths[i::clients], threads, theirs))
        proc.start()
        pipes.append(mine)
        procs.append(proc)
    latencies: list[float] = []
    for pipe in pipes:
        latencies.extend(pipe.recv())
    for proc in procs:
        proc.join()
        if proc.exitcode:
            raise SystemExit(f"a load client failed (exit {proc.exitcode})")
    seconds = time.perf_counter() - started
    return Run(len(paths), seconds, latencies, serving_cpu(database) - cpu_before)


# --- the servers ----------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int) -> Iterator[int]:
    port = _free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--keep-alive",
        "5",
        "--log-level",
        "warning",
        app,
    ]
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"{app} did not start")
        yield port
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


# --- the product's data ---------------------------------------------------------------


def one_page_document() -> dict[str, Any]:
    """30 single-choice questions on one page, each its own 5-point scale question."""
    five = {
        "options": [
            {"code": c, "label": {"vi": f"Mức {c}", "en": f"Level {c}"}, "points": c}
            for c in range(1, 6)
        ]
    }
    return {
        "id": "bench-one-page-30",
        "version": 1,
        "title": {"vi": "Phiếu một trang, 30 câu", "en": "One page, 30 questions"},
        "languages": ["vi", "en"],
        "audience": "citizen",
        "estimated_minutes": 5,
        "scales": {"five": five},
        "sections": [
            {
                "id": "all",
                "title": {"vi": "Câu hỏi", "en": "Questions"},
                "items": [
                    {
                        "id": f"q{i:02d}",
                        "type": "single",
                        "label": {"vi": f"Câu hỏi số {i}?", "en": f"Question {i}?"},
                        "scale": "five",
                        "required": True,
                    }
                    for i in range(1, 31)
                ],
            }
        ],
    }


def seed(env: dict[str, str], respondents: int) -> dict[str, list[str]]:
    """Migrate, create both surveys, and issue ``respondents`` links for each."""
    os.environ.update(env)
    from flask_migrate import upgrade

    from surveyapp import MIGRATIONS_DIR, create_app
    from surveyapp.design.services import questionnaires
    from surveyapp.extensions import db
    from surveyapp.fieldwork.services import invitations
    from surveyapp.models import Agency, AgencyLevel
    from surveyapp.models._types import utcnow
    from surveyapp.surveys.services import surveys

    app = create_app()
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        agency = Agency(
            code="BENCH",
            level=AgencyLevel.DEPARTMENT,
            name_vi="Sở Thử nghiệm",
            name_en="Test Department",
            path="/BENCH/",
        )
        db.session.add(agency)
        db.session.flush()
        versions = {
            "sipas-2017": surveys.questionnaire_version(db.session, "sipas-2017"),
            "one-page-30": questionnaires.import_questionnaire(db.session, one_page_document()),
        }
        links = {}
        for name, version in versions.items():
            survey = surveys.create_survey(
                db.session, version=version, title=name, agencies=[agency], now=utcnow()
            )
            issued = invitations.create_invitations(
                db.session,
                survey,
                agency,
                respondents,
                links=invitations.Links(secret="bench", base_url="http://bench"),
            )
            links[name] = [f"/s/{link.token}" for link in issued]
        db.session.commit()
        db.engine.dispose()  # so that the scratch database can be dropped at the end
    return links


# --- the ceiling ----------------------------------------------------------------------


def capture(port: int, path: str, pages_dir: Path) -> int:
    """Walk once through the product, keeping the HTML of every GET in order."""

    class Recorder(Browser):
        def get(self, url: str) -> Reply:
            reply = super().get(url)
            seen.append(reply.text)
            return reply

    seen: list[str] = []
    recorder = Recorder(port)
    answer_everything(recorder, path)
    recorder.get(path)
    pages_dir.mkdir(parents=True, exist_ok=True)
    for i, html in enumerate(seen):
        (pages_dir / f"{i}.html").write_text(html)
    return len(seen)


def print_against_stack(form: str, product: Run, stack: Run) -> None:
    """surveyapp's share of what the required stack alone reaches, now and before."""
    print(f"surveyapp vs {STACK} (target ≥ 80 %):")
    print(f"  {'':24} {'resp/s':>8} {'ratio':>8} {'by CPU':>8}")
    for n, (per_second, ratio) in enumerate(PREVIOUS[form], start=1):
        print(f"  {f'before, run {n} (#20)':24} {per_second:8.1f} {ratio:8.0%}")
    ratio, by_cpu = product.per_second / stack.per_second, stack.cpu_ms / product.cpu_ms
    print(f"  {'this run':24} {product.per_second:8.1f} {ratio:8.0%} {by_cpu:8.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--respondents", type=int, default=400)
    parser.add_argument(
        "--warmup",
        type=int,
        default=64,
        help="respondents walked first, untimed: every worker compiles its templates and "
        "statements and reads the questionnaire before the measured run",
    )
    parser.add_argument("--clients", type=int, default=2, help="load processes")
    parser.add_argument("--threads", type=int, default=8, help="respondents at once per process")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--only", choices=["sipas-2017", "one-page-30"])
    args = parser.parse_args()

    name = f"bench_respond_{os.getpid()}"
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    url = f"{SERVER}/{name}"
    env = {
        "SURVEYAPP_DATABASE_URL": url,
        "SURVEYAPP_SECRET_KEY": secrets.token_hex(16),
        "SURVEYAPP_REDIS_URL": REDIS,
        "OPENBLAS_NUM_THREADS": "1",
    }
    work = Path(f"/tmp/{name}")
    try:
        # One link to capture the pages, then the warm-up's, then the measured run's.
        links = seed(env, 1 + args.warmup + args.respondents)
        print(
            f"{args.respondents} respondents per run, {args.clients}×{args.threads} at once, "
            f"gunicorn {args.workers} sync workers, PostgreSQL, {os.cpu_count()} cores "
            "shared with the load generator"
        )
        header = (
            f"{'':26} {'resp/s':>8} {'req/s':>8} {'p95 ms':>8} {'vs ceiling':>10}"
            f" {'CPU ms/resp':>11} {'by CPU':>9}"
        )
        for form, paths in links.items():
            if args.only and form != args.only:
                continue
            pages = work / form
            with gunicorn("wsgi:app", env, args.workers) as port:
                count = capture(port, paths[0], pages)
                load(port, paths[1 : 1 + args.warmup], args.clients, args.threads)
                product = load(port, paths[1 + args.warmup :], args.clients, args.threads, name)
            bare_env = {**env, "BARE_PAGES": str(pages), "BARE_COUNT": str(count)}
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("CREATE TABLE IF NOT EXISTS bare_posts (token text, body text)")
            runs = {"surveyapp": product}
            for label, app in SERVERS.items():
                with gunicorn(app, bare_env, args.workers) as port:
                    load(port, paths[1 : 1 + args.warmup], args.clients, args.threads)
                    runs[label] = load(
                        port, paths[1 + args.warmup :], args.clients, args.threads, name
                    )
            ceiling = runs[CEILING]
            print(f"\n{form}: {count} pages per respondent (GETs, thank-you included)")
            print(header)
            for label, run in runs.items():
                ratio = run.per_second / ceiling.per_second
                by_cpu = ceiling.cpu_ms / run.cpu_ms
                print(
                    f"{label:26} {run.per_second:8.1f} {run.requests_per_second:8.0f} "
                    f"{run.p95_ms:8.1f} {ratio:9.0%} {run.cpu_ms:10.1f} {by_cpu:9.0%}"
                )
            print(f"{'PHP survey tool (measured)':26} {PHP_BASELINE:8.1f}")
            print(f"surveyapp vs PHP baseline: {product.per_second / PHP_BASELINE:.0f}×")
            print_against_stack(form, product, runs[STACK])
    finally:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name])
        subprocess.run(["rm", "-rf", str(work)])


if __name__ == "__main__":
    main()
