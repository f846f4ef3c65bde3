"""``surveyapp demo``: a province with a SIPAS survey and a few thousand responses, served."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime, timedelta

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select, text
from werkzeug.serving import run_simple

from surveyapp import MIGRATIONS_DIR, create_app
from surveyapp.accounts.services import users
from surveyapp.config import INSTANCE_DIR, env
from surveyapp.demo.counter import morning_at_the_counter
from surveyapp.demo.dossiers import DOSSIER_TITLE, seed_dossiers
from surveyapp.demo.synthetic import AgencyProfile, generate, generate_frame
from surveyapp.extensions import DbSession, db
from surveyapp.fieldwork.services import assignments, invitations
from surveyapp.models import Agency, QuestionnaireVersion, Survey, SurveyMode
from surveyapp.models._types import utcnow
from surveyapp.review.services import quality
from surveyapp.surveys.services import agencies, rounds, surveys

PROVINCE = ("AH", "", "Ủy ban nhân dân tỉnh An Hòa", "An Hoa Provincial People's Committee")
AGENCIES = [
    ("SXD", "AH", "Sở Xây dựng", "Department of Construction"),
    (
        "STNMT",
        "AH",
        "Sở Tài nguyên và Môi trường",
        "Department of Natural Resources and Environment",
    ),
    ("STP", "AH", "Sở Tư pháp", "Department of Justice"),
    ("SKHDT", "AH", "Sở Kế hoạch và Đầu tư", "Department of Planning and Investment"),
    (
        "SLDTBXH",
        "AH",
        "Sở Lao động - Thương binh và Xã hội",
        "Department of Labour, Invalids and Social Affairs",
    ),
    ("SGTVT", "AH", "Sở Giao thông vận tải", "Department of Transport"),
    ("TPAH", "AH", "Ủy ban nhân dân thành phố An Hòa", "An Hoa City People's Committee"),
    ("HTP", "AH", "Ủy ban nhân dân huyện Tân Phú", "Tan Phu District People's Committee"),
]
# Agencies differ on purpose, so that rankings and negative experiences show something.
PROFILES = {
    "SXD": AgencyProfile(0.76, 0.06, 0.05, 0.21, 0.45, 0.30),
    "STNMT": AgencyProfile(0.72, 0.08, 0.07, 0.26, 0.35, 0.35),
    "STP": AgencyProfile(0.90, 0.01, 0.01, 0.05, 0.85, 0.08),
    "SKHDT": AgencyProfile(0.87, 0.02, 0.02, 0.08, 0.75, 0.12),
    "SLDTBXH": AgencyProfile(0.83, 0.03, 0.03, 0.11, 0.65, 0.15),
    "SGTVT": AgencyProfile(0.80, 0.04, 0.04, 0.14, 0.55, 0.20),
    "TPAH": AgencyProfile(0.85, 0.03, 0.02, 0.09, 0.70, 0.15),
    "HTP": AgencyProfile(0.78, 0.05, 0.04, 0.17, 0.50, 0.25),
}
# Some elements are harder everywhere: feedback handling lags, as in national rounds.
ELEMENT_SHIFT = {"access": 0.03, "procedures": 0.01, "results": -0.03, "feedback": -0.07}
POPULATION = {  # dossiers handled in the period (the frame size per stratum)
    "SXD": 2400,
    "STNMT": 5200,
    "STP": 3100,
    "SKHDT": 1800,
    "SLDTBXH": 2600,
    "SGTVT": 6900,
    "TPAH": 9800,
    "HTP": 4300,
}
SAMPLE = {  # completed interviews per agency
    "SXD": 360,
    "STNMT": 390,
    "STP": 370,
    "SKHDT": 330,
    "SLDTBXH": 360,
    "SGTVT": 400,
    "TPAH": 420,
    "HTP": 380,
}
# Share of dossiers returned late in the one-stop records (rule R6 flags 5 % and over):
# some agencies' records look better than what their citizens report.
RECORDED_LATE = {
    "SXD": 0.09,
    "STNMT": 0.12,
    "STP": 0.01,
    "SKHDT": 0.03,
    "SLDTBXH": 0.06,
    "SGTVT": 0.04,
    "TPAH": 0.02,
    "HTP": 0.07,
}
PASSWORD = "demo-2026"
LOGINS = [
    ("admin@example.org", "admin", None, "every page (accounts: `surveyapp users`)"),
    ("analyst@example.org", "analyst", None, "results of every agency"),
    ("sxd@example.org", "analyst", "SXD", "results of Sở Xây dựng only"),
    ("designer@example.org", "designer", None, "surveys and questionnaires"),
    ("fieldwork@example.org", "fieldwork", None, "invitations"),
]
SURVEY_TITLE = "SIPAS 2026 – tỉnh An Hòa (dữ liệu mẫu)"
PREVIOUS_TITLE = "SIPAS 2025 – tỉnh An Hòa (dữ liệu mẫu)"
# Last year's round: most agencies a little worse, Construction clearly worse on late
# results and Natural Resources better, so "change since last period" shows both ways.
PREVIOUS_PROFILES = {
    code: replace(p, satisfaction=p.satisfaction - 0.03) for code, p in PROFILES.items()
} | {
    "SXD": replace(PROFILES["SXD"], satisfaction=0.70, late=0.32),
    "STNMT": replace(PROFILES["STNMT"], satisfaction=0.75, late=0.20),
}
OLDEST_TITLE = "SIPAS 2024 – tỉnh An Hòa (dữ liệu mẫu)"
# Two years ago: lower again, Construction lowest, so the trend page shows three points
# and ranks that move. A smaller round keeps the demo quick to seed.
OLDEST_PROFILES = {
    code: replace(p, satisfaction=p.satisfaction - 0.06) for code, p in PROFILES.items()
} | {
    "SXD": replace(PROFILES["SXD"], satisfaction=0.66, late=0.35),
    "STNMT": replace(PROFILES["STNMT"], satisfaction=0.74, late=0.22),
}
OLDEST_SAMPLE = {code: n // 2 for code, n in SAMPLE.items()}
# One-stop records give each dossier a service field (lĩnh vực), a dashboard filter.
SERVICE_FIELDS = {
    "SXD": ("Xây dựng", "Nhà ở"),
    "STNMT": ("Đất đai", "Môi trường"),
    "STP": ("Hộ tịch", "Lý lịch tư pháp"),
    "SKHDT": ("Đăng ký doanh nghiệp", "Đầu tư"),
    "SLDTBXH": ("Người có công", "Bảo trợ xã hội"),
    "SGTVT": ("Đường bộ", "Giấy phép lái xe"),
    "TPAH": ("Hộ tịch", "Đất đai"),
    "HTP": ("Đất đai", "Hộ tịch"),
}
DEMO_PAR_POINTS = 25.0
OPEN_TITLE = "SIPAS 2026 – đường link mở và máy tính bảng tại quầy (dữ liệu mẫu)"
PAR_TITLE = "PAR INDEX 2026 – đánh giá chéo của cán bộ (dữ liệu mẫu)"
# Officials of five agencies; each of the eight agencies is rated by three of them.
OFFICIALS = [
    (f"official-{code.lower()}@example.org", code)
    for code in ("SXD", "STP", "SGTVT", "TPAH", "HTP")
]
RATERS_PER_AGENCY = 3


def run_demo(*, port: int, fresh: bool, serve: bool) -> None:
    database = INSTANCE_DIR / "surveyapp.sqlite"
    if fresh and database.exists():
        database.unlink()
    # Printed links must point at the port actually served, unless configured otherwise.
    base = {} if env("BASE_URL") else {"BASE_URL": f"http://127.0.0.1:{port}"}
    app = create_app(base, demo=True)
    with app.app_context():
        upgrade(directory=str(MIGRATIONS_DIR))
        if db.engine.dialect.name == "sqlite":
            # Pages keep reading while a background frame import writes its rows.
            db.session.execute(text("PRAGMA journal_mode=WAL"))
            db.session.commit()
        survey = db.session.scalar(select(Survey).where(Survey.title == SURVEY_TITLE))
        if survey is None:
            click.echo("Seeding the demo province (three rounds, about 7,500 responses)…", err=True)
            survey = seed(app.config["SECRET_KEY"])
        if db.session.scalar(select(Survey).where(Survey.title == PAR_TITLE)) is None:
            seed_officials()
        open_survey = db.session.scalar(select(Survey).where(Survey.title == OPEN_TITLE))
        if open_survey is None:
            open_survey = seed_open()
        dossier_survey = db.session.scalar(select(Survey).where(Survey.title == DOSSIER_TITLE))
        if dossier_survey is None:
            dossier_survey = _seed_dossiers()
        links = _try_links(app, survey)
        survey_id, open_id, dossier_id = survey.id, open_survey.id, dossier_survey.id
    _print_welcome(port, survey_id, links, open_id, dossier_id)
    if serve:
        # Flask's app.run() refuses to run inside a CLI command; serve with Werkzeug directly.
        run_simple("127.0.0.1", port, app, threaded=True)


def seed(secret: str | None = None) -> Survey:
    session = db.session
    agencies.import_agencies(
        session,
        [
            dict(zip(("code", "parent", "name_vi", "name_en"), row, strict=True))
            for row in [PROVINCE, *AGENCIES]
        ],
    )
    by_code = {a.code: a for a in session.scalars(select(Agency))}
    for email, role, scope, _ in LOGINS:
        users.create_user(session, email, role, PASSWORD, by_code[scope] if scope else None)
    now = utcnow()
    version = surveys.questionnaire_version(session, "sipas-2017")
    surveyed = [by_code[code] for code, *_ in AGENCIES]
    oldest = _past_round(session, version, surveyed, now - timedelta(days=730))
    last_year = now - timedelta(days=365)
    previous = surveys.create_survey(
        session, version=version, title=PREVIOUS_TITLE, agencies=surveyed, now=last_year
    )
    previous.previous_survey_id = oldest.id
    generate(
        session,
        previous,
        PREVIOUS_PROFILES,
        POPULATION,
        SAMPLE,
        ELEMENT_SHIFT,
        now=last_year,
        seed=2025,
        service_fields=SERVICE_FIELDS,
    )
    rounds.close_now(session, previous, None, last_year + timedelta(days=45))
    survey = surveys.create_survey(
        session, version=version, title=SURVEY_TITLE, agencies=surveyed, now=now
    )
    generate(
        session,
        survey,
        PROFILES,
        POPULATION,
        SAMPLE,
        ELEMENT_SHIFT,
        now=now,
        service_fields=SERVICE_FIELDS,
        secret=secret,
        with_careless=True,  # a few speeders and straight-liners for the review page
    )
    survey.previous_survey_id = previous.id
    # The satisfaction survey's share of a department-level PAR INDEX scheme (SIPAS.md §3.6).
    oldest.par_points_max = previous.par_points_max = survey.par_points_max = DEMO_PAR_POINTS
    generate_frame(session, survey, POPULATION, RECORDED_LATE, SERVICE_FIELDS, today=now.date())
    for seeded in (previous, survey):
        quality.recompute(session, seeded)  # as each response's submit would have
    session.commit()
    return survey


def _past_round(
    session: DbSession, version: QuestionnaireVersion, surveyed: list[Agency], when: datetime
) -> Survey:
    """The 2024 round, answered and closed: the oldest point of the demo's series."""
    oldest = surveys.create_survey(
        session, version=version, title=OLDEST_TITLE, agencies=surveyed, now=when
    )
    generate(
        session,
        oldest,
        OLDEST_PROFILES,
        POPULATION,
        OLDEST_SAMPLE,
        ELEMENT_SHIFT,
        now=when,
        seed=2024,
        service_fields=SERVICE_FIELDS,
    )
    rounds.close_now(session, oldest, None, when + timedelta(days=45))
    return oldest


def seed_officials() -> Survey:
    """A PAR cross-evaluation of the departments and districts, officials assigned."""
    session = db.session
    by_code = {a.code: a for a in session.scalars(select(Agency))}
    for email, code in OFFICIALS:
        users.create_user(session, email, "official", PASSWORD, by_code[code])
    now = utcnow()
    survey = surveys.create_survey(
        session,
        version=surveys.questionnaire_version(session, "par-officials"),
        title=PAR_TITLE,
        agencies=[by_code[code] for code, *_ in AGENCIES],
        mode=SurveyMode.OFFICIALS,
        now=now,
    )
    assignments.assign(session, survey, RATERS_PER_AGENCY, seed=2026, actor_id=None, now=now)
    session.commit()
    return survey


def seed_open() -> Survey:
    """An open-link survey: what a counter's QR poster and kiosk tablet point at."""
    session = db.session
    by_code = {a.code: a for a in session.scalars(select(Agency))}
    survey = surveys.create_survey(
        session,
        version=surveys.questionnaire_version(session, "sipas-2017"),
        title=OPEN_TITLE,
        agencies=[by_code[code] for code, *_ in AGENCIES],
        mode=SurveyMode.OPEN,
        now=utcnow(),
    )
    session.flush()
    yesterday = (utcnow() - timedelta(days=1)).replace(hour=1, minute=0, second=0, microsecond=0)
    morning_at_the_counter(session, survey, by_code["SXD"], PROFILES["SXD"], yesterday)
    quality.recompute(session, survey)  # a dossier code rated twice, a burst from the tablet
    session.commit()
    return survey


def _seed_dossiers() -> Survey:
    session = db.session
    by_code = {a.code: a for a in session.scalars(select(Agency))}
    # Dossiers score full points less often than citizens say they are satisfied.
    good = {code: profile.satisfaction - 0.25 for code, profile in PROFILES.items()}
    survey = seed_dossiers(session, [by_code[code] for code, *_ in AGENCIES], good, utcnow())
    session.commit()
    return survey


def _try_links(app: Flask, survey: Survey) -> list[str]:
    """Fresh links to try answering (tokens are stored hashed, so new ones each run)."""
    agency = survey.agencies[0]
    links = invitations.create_invitations(
        db.session,
        survey,
        agency,
        3,
        links=invitations.Links.of(app.config),
        base_weight=POPULATION.get(agency.code, 1) / SAMPLE.get(agency.code, 1),
    )
    db.session.commit()
    return [link.url for link in links]


def _print_welcome(
    port: int, survey_id: int, links: list[str], open_id: int, dossier_id: int
) -> None:
    base = f"http://127.0.0.1:{port}"
    lines = [
        "",
        f"surveyapp demo: {base}",
        f"  results:  {base}/results/{survey_id}",
        f"  trend:    {base}/results/{survey_id}/trend  (2024, 2025, 2026)",
        f"  weights:  {base}/surveys/{survey_id}/weights",
        f"  records:  {base}/results/{survey_id}/records",
        f"  review:   {base}/surveys/{survey_id}/review  (flags, void, correct; as fieldwork)",
        f"  dossier points (TT01): {base}/results/{dossier_id}/dossiers",
        f"  logins (password for all: {PASSWORD}):",
        *[f"    {email:<24} {role:<10} {what}" for email, role, _, what in LOGINS],
        f"  officials rating other agencies (PAR INDEX; their list: {base}/officials):",
        *[f"    {email:<28} official of {code}" for email, code in OFFICIALS],
        "  answer as a citizen (each link works once):",
        *[f"    {url}" for url in links],
        "  answer on an open link, or as the counter tablet would (anyone, any number of times):",
        f"    {base}/o/{open_id}/SXD",
        f"    {base}/o/{open_id}/SXD/kiosk",
        "The server runs in this terminal; press Ctrl-C to stop it.",
        "",
    ]
    click.echo("\n".join(lines), err=False)
    sys.stdout.flush()
