"""surveyapp: SIPAS / PAR INDEX satisfaction surveys, from questionnaire to weighted index."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from surveyapp import config as app_config
from surveyapp.config import INSTANCE_DIR, Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: Mapping[str, Any] | None = None, *, demo: bool = False) -> Flask:
    """Build the app; ``config`` overrides what the environment says (tests use it)."""
    app = Flask(
        __name__,
        template_folder="../templates",
        instance_path=str(INSTANCE_DIR),
        instance_relative_config=False,
    )
    _configure(app, config, demo)
    _init_extensions(app)
    app.url_map.converters["int"] = IdConverter
    _register_blueprints(app)
    _register_hooks(app)
    _trust_proxies(app)
    return app


def _configure(app: Flask, overrides: Mapping[str, Any] | None, demo: bool) -> None:
    app.config.update(Config.from_env(demo=demo))
    if overrides:
        app.config.update(overrides)
    app_config.check(app.config)


def _init_extensions(app: Flask) -> None:
    from flask_login import current_user

    from surveyapp import models  # noqa: F401  (registers the tables)
    from surveyapp.extensions import babel, csrf, db, limiter, login_manager, migrate
    from surveyapp.i18n import select_locale
    from surveyapp.security import init_login

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    # ``current_user`` as a proxy, read when a template reads it: Flask-Login's own context
    # processor would load the user for every page, a respondent's too.
    login_manager.init_app(app, add_context_processor=False)
    app.jinja_env.globals["current_user"] = current_user
    init_login(login_manager)


class IdConverter(IntegerConverter):
    """``<int:…>`` fits the tables' integer ids: a larger number is a 404, not a 500."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)  # PostgreSQL's integer
        super().__init__(url_map, *args, **kwargs)


def _register_blueprints(app: Flask) -> None:
    from surveyapp.accounts.views import admin as accounts_admin
    from surveyapp.accounts.views import audit, auth
    from surveyapp.collect.views import officials, paper, respond
    from surveyapp.design.views import designer
    from surveyapp.design.views import versions as designer_versions
    from surveyapp.fieldwork.views import fieldwork, outreach, posters
    from surveyapp.results.views import api, downloads, results, weights
    from surveyapp.review.views import review
    from surveyapp.surveys.views import home, surveys

    blueprints = (
        home,
        auth,
        accounts_admin,
        audit,
        surveys,
        designer,
        designer_versions,
        fieldwork,
        respond,
        results,
    )
    for module in (
        *blueprints,
        officials,
        paper,
        outreach,
        posters,
        downloads,
        api,
        weights,
        review,
    ):
        app.register_blueprint(module.bp)


def _register_hooks(app: Flask) -> None:
    from surveyapp import errors, i18n, security

    errors.init_app(app)
    i18n.init_app(app)
    security.init_headers(app)


def _trust_proxies(app: Flask) -> None:
    # Per-IP rate limits and Secure cookies need the client's address and scheme, which a
    # reverse proxy only passes on in X-Forwarded-* headers; trust exactly that many hops.
    hops = app.config["PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
