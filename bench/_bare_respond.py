"""The ceiling for bench/respond.py: a bare Flask app serving the product's pages.

It sends the HTML the product sent (captured by the benchmark into BARE_PAGES), reads
the posted form, does one INSERT per POST into the same PostgreSQL database, and keeps
the page number in a cookie. No sessions, CSRF, validation, rules or ORM: what a
respondent page costs with nothing of the product in it.
"""

from __future__ import annotations

import os
from pathlib import Path

import psycopg
from flask import Flask, Response, redirect, request

PAGES = [
    (Path(os.environ["BARE_PAGES"]) / f"{i}.html").read_text()
    for i in range(int(os.environ["BARE_COUNT"]))
]
URL = os.environ["SURVEYAPP_DATABASE_URL"]

app = Flask(__name__)
_connection: psycopg.Connection | None = None


def connection() -> psycopg.Connection:
    global _connection  # one connection per worker process, opened after the fork
    if _connection is None:
        _connection = psycopg.connect(URL, autocommit=True)
    return _connection


def _page() -> int:
    return min(int(request.cookies.get("p", "0")), len(PAGES) - 1)


@app.get("/s/<token>")
def show(token: str) -> str:
    return PAGES[_page()]


@app.post("/s/<token>")
def save(token: str) -> Response:
    body = "&".join(f"{k}={v}" for k, v in request.form.items(multi=True))
    connection().execute("INSERT INTO bare_posts (token, body) VALUES (%s, %s)", (token, body))
    moved = redirect(request.path, 303)
    moved.set_cookie("p", str(_page() + 1))
    return moved
