"""Error pages in both languages, JSON for the API; never a traceback to a user."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from surveyapp.extensions import db

MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    401: _l("You need to sign in to see this."),
    403: _l("You do not have permission to see this page."),
    404: _l("This page does not exist, or you do not have access to it."),
    405: _l("This address does not accept that kind of request."),
    410: _l("This link is no longer valid."),
    413: _l("What you sent is too large."),
    429: _l("Too many requests. Please wait a minute and try again."),
    500: _l("Something went wrong on our side. Your earlier answers are safe; please try again."),
}
TITLES = {
    400: _l("Bad request"),
    401: _l("Sign-in required"),
    403: _l("Not allowed"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    410: _l("Link expired"),
    413: _l("Too large"),
    429: _l("Too many requests"),
    500: _l("Server error"),
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def retry_after(error: HTTPException) -> dict[str, str]:
    """The Retry-After header of a 429: the limit's window, at the latest it reopens.

    (Flask-Limiter's own X-RateLimit headers cost two more Redis calls on every request,
    so they are off; clients only need this one, and only when refused.)
    """
    limit = getattr(error, "limit", None)
    seconds = limit.limit.get_expiry() if limit is not None else 60
    return {"Retry-After": str(seconds)}


PROBLEM_JSON = "application/problem+json"


def render_error(
    code: int, message: str | None = None, invalid_params: list[dict[str, str]] | None = None
) -> Any:
    text = message or str(MESSAGES.get(code, MESSAGES[500]))
    title = str(TITLES.get(code, TITLES[500]))
    if wants_json():
        return problem_json(code, title, text, invalid_params), code
    return render_template("errors/error.html", code=code, title=title, message=text), code


def problem_json(
    code: int, title: str, detail: str, invalid_params: list[dict[str, str]] | None
) -> Any:
    """An RFC 9457 problem; ``error`` repeats it in the API's first shape, which clients
    already read; ``invalid_params`` names each refused query parameter."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": code,
        "detail": detail,
        "error": {"status": code, "title": title, "message": detail},
    }
    if invalid_params:
        body["invalid_params"] = invalid_params
    response = jsonify(body)
    response.mimetype = PROBLEM_JSON
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> Any:
        return render_error(
            400, str(_l("The form had expired or was sent from elsewhere. Please try again."))
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Any:
        code = error.code or 500
        # Our own aborts may carry a specific, user-facing description.
        specific = error.description if getattr(error, "user_message", False) else None
        body, status = render_error(code, specific, getattr(error, "invalid_params", None))
        return body, status, retry_after(error) if code == 429 else {}

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(InternalServerError.code)
