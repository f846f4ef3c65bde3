"""The stack's floor for bench/respond.py: the bare pages plus what #5 requires of every page.

Like bench/_bare_respond.py it sends the HTML the product sent, but through the
machinery every respondent page must pass: Flask's cookie session holding Flask-WTF's
CSRF token (checked on every POST, a fresh one in every page), the product's two
Flask-Limiter limits counted in Redis (per token on POSTs; per IP on failed token
look-ups, tested on every request so that a blocked guesser learns nothing from a good
link), and one read of the invitation's saved state through Flask-SQLAlchemy on every
request, one INSERT per POST. No questionnaire, rules,
validation or templates: what the required stack alone costs, to tell it from the
product's own work.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from flask import Flask, Response, abort, redirect, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect, generate_csrf
from sqlalchemy import text

CSRF = re.compile(r'name="csrf_token" value="[^"]*"')
PAGES = [
    (Path(os.environ["BARE_PAGES"]) / f"{i}.html").read_text()
    for i in range(int(os.environ["BARE_COUNT"]))
]

app = Flask(__name__)
app.config.update(
    SECRET_KEY=os.environ["SURVEYAPP_SECRET_KEY"],
    SQLALCHEMY_DATABASE_URI=os.environ["SURVEYAPP_DATABASE_URL"].replace(
        "postgresql://", "postgresql+psycopg://"
    ),
    SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
    WTF_CSRF_TIME_LIMIT=None,
    RATELIMIT_STORAGE_URI=os.environ["SURVEYAPP_REDIS_URL"],
    RATELIMIT_KEY_PREFIX="stack",
)
db = SQLAlchemy(app)
CSRFProtect(app)
limiter = Limiter(get_remote_address, app=app)


def _token_key() -> str:
    return "token:" + (request.view_args or {}).get("token", "")


def _read_state(token: str) -> None:
    """The invitation's saved state: read on every request, as a resuming page must."""
    found = db.session.execute(
        text("SELECT disposition FROM invitations WHERE token_hash = :t"),
        {"t": hashlib.sha256(token.encode()).hexdigest()},
    ).first()
    if found is None:
        abort(404)


# The limits of surveyapp's /s/<token> (config RATELIMIT_TOKEN, RATELIMIT_TOKEN_MISSES).
@app.route("/s/<token>", methods=["GET", "POST"])
@limiter.limit("60 per minute", key_func=_token_key, methods=["POST"])
@limiter.limit("20 per 10 minutes", deduct_when=lambda response: response.status_code == 404)
def page(token: str) -> str | Response:
    _read_state(token)
    at = min(session.get("p", 0), len(PAGES) - 1)
    if request.method == "GET":
        return CSRF.sub(f'name="csrf_token" value="{generate_csrf()}"', PAGES[at], count=1)
    body = "&".join(f"{k}={v}" for k, v in request.form.items(multi=True))
    db.session.execute(
        text("INSERT INTO bare_posts (token, body) VALUES (:t, :b)"), {"t": token, "b": body}
    )
    db.session.commit()
    session["p"] = at + 1
    return redirect(request.path, 303)
