"""The designer's framework editor, live preview, publishing, version history and diff."""

from __future__ import annotations

import io
import json
import tempfile
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from surveyapp.design.services import creation, designer, draft
from surveyapp.design.services import preview as design_preview
from surveyapp.design.views.designer import (
    editor_url,
    errors_by_field,
    flash_problems,
    load,
    page,
    run,
    scope,
)
from surveyapp.extensions import db
from surveyapp.forms.page import render_page
from surveyapp.i18n import current_language
from surveyapp.models import QuestionnaireVersion
from surveyapp.models._types import utcnow
from surveyapp.problems import Problem
from surveyapp.questionnaire import diff as questionnaire_diff
from surveyapp.questionnaire import xlsform
from surveyapp.questionnaire.document import Questionnaire as Document
from surveyapp.security import accepts_upload, requires

bp = Blueprint("designer_versions", __name__, url_prefix="/designer")

# The preview frame may be shown by the designer's own pages, and nowhere else.
PREVIEW_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'self'; base-uri 'none'; object-src 'none'"
)
WIDTHS = ("phone", "desktop")

# Form fields each framework change takes (lists are read with getlist).
FRAMEWORK_FIELDS: dict[str, tuple[str, ...]] = {
    "settings": ("satisfied", "aggregate"),
    "add_group": ("label_vi", "label_en", "weight"),
    "update_group": ("group_id", "label_vi", "label_en", "weight"),
    "delete_group": ("group_id",),
    "add_element": ("label_vi", "label_en", "weight", "group"),
    "update_element": ("element_id", "label_vi", "label_en", "weight", "group"),
    "move_element": ("element_id", "direction"),
    "delete_element": ("element_id",),
    "add_criterion": ("element_id", "item", "weight"),
    "remove_criterion": ("element_id", "item"),
    "add_indicator": ("label_vi", "label_en", "item", "codes", "min", "max"),
    "delete_indicator": ("indicator_id",),
    "set_targets": (),
    "set_points": ("points_items", "band_min", "band_vi", "band_en", "item_max", "points_max"),
    "clear_points": (),
}
LIST_FIELDS = {"codes", "points_items", "band_min", "band_vi", "band_en"}
BLANK_BAND_ROWS = 2


# --- framework ------------------------------------------------------------------------------


@bp.route("/<key>/<int:number>/framework", methods=["GET", "POST"])
@requires("design")
def framework(key: str, number: int) -> Any:
    version = load(key, number, edit=request.method == "POST")
    problems: list[Problem] = []
    operation = request.form.get("operation", "")
    if request.method == "POST":
        if operation not in FRAMEWORK_FIELDS:
            abort(400)
        fields: dict[str, Any] = {
            name: request.form.getlist(name) if name in LIST_FIELDS else request.form.get(name, "")
            for name in FRAMEWORK_FIELDS[operation]
        }
        if operation == "set_targets":
            fields["targets"] = {
                name.removeprefix("target_"): value
                for name, value in request.form.items()
                if name.startswith("target_")
            }
        _result, problems = run(
            lambda: draft.edit_framework(db.session, version, current_user.id, operation, **fields)
        )
        if not problems:
            flash(_("Saved."), "success")
            return redirect(url_for(".framework", key=key, number=number), 303)
    q = Document(version.document)
    lang = current_language()
    used = {c["item"] for e in q.framework.get("elements", []) for c in e.get("criteria", [])}
    target_rows = [
        ("overall", _("Overall")),
        *(
            (g["id"], q.text(g.get("label"), lang) or g["id"])
            for g in q.framework.get("groups", [])
        ),
        *(
            (e["id"], q.text(e.get("label"), lang) or e["id"])
            for e in q.framework.get("elements", [])
        ),
    ]
    return page(
        "designer/framework.html",
        version,
        fw=q.framework,
        criterion_items=[
            i for i in q.items if i["type"] in ("likert", "single") and i["id"] not in used
        ],
        indicator_items=[
            i for i in q.items if i["type"] in ("likert", "single", "multi", "number")
        ],
        target_rows=target_rows,
        known_items={i["id"] for i in q.items},
        points_items=[i for i in q.items if i["type"] in ("likert", "single")],
        band_rows=_band_rows(q.framework.get("points", {}), operation if problems else ""),
        failed=operation if problems else "",
        form=request.form,
        errors=errors_by_field(problems),
        problems=problems,
    )


def _band_rows(points: Any, failed: str) -> list[dict[str, str]]:
    """The bands as form rows (what was typed, after a refusal), and blank rows to add."""
    if failed == "set_points":
        typed = zip(
            request.form.getlist("band_min"),
            request.form.getlist("band_vi"),
            request.form.getlist("band_en"),
            strict=False,
        )
        rows = [{"min": low, "vi": vi, "en": en} for low, vi, en in typed]
    else:
        rows = [
            {
                "min": str(band.get("min", "")),
                "vi": band.get("label", {}).get("vi", ""),
                "en": band.get("label", {}).get("en", ""),
            }
            for band in points.get("bands", [])
        ]
    return [*rows, *({"min": "", "vi": "", "en": ""} for _ in range(BLANK_BAND_ROWS))]


# --- preview ----------------------------------------------------------------------------------


@bp.get("/<key>/<int:number>/preview")
@requires("design")
def preview(key: str, number: int) -> Any:
    version = load(key, number)
    width = request.args.get("width", "phone")
    shown = request.args.get("in", current_language())
    return page(
        "designer/preview.html",
        version,
        width=width if width in WIDTHS else "phone",
        shown=shown if shown in ("vi", "en") else "vi",
    )


def _preview_key(version: QuestionnaireVersion) -> str:
    return f"preview:{version.id}"


@bp.route("/<key>/<int:number>/preview/<any(vi, en):shown>/", methods=["GET", "POST"])
@requires("design")
def preview_frame(key: str, number: int, shown: str) -> Any:
    """The respondent pages of this version, answers kept only in the designer's session."""
    version = load(key, number)
    here = url_for(".preview_frame", key=key, number=number, shown=shown)
    state = session.get(_preview_key(version)) or {}
    if request.args.get("restart") or not isinstance(state, dict):
        state = {}
    q = Document(version.document)
    answers: dict[str, Any] = dict(state.get("answers", {}))
    current = str(state.get("page", design_preview.WELCOME))
    with force_locale(shown):
        if request.method == "POST":
            step = design_preview.post(q, answers, current, request.form, lang=shown)
            if step.form is None:
                session[_preview_key(version)] = {"page": step.page, "answers": step.answers}
                if step.finished:
                    session.pop(_preview_key(version), None)
                    return _framed(render_template("designer/preview_done.html", here=here, q=q))
                return redirect(here, 303)
            body = _render_page(q, step.page, step.answers, here, form=step.form)
        else:
            session[_preview_key(version)] = {"page": current, "answers": answers}
            body = _render_page(q, current, answers, here)
    return _framed(body)


def _render_page(
    q: Document, current: str, answers: dict[str, Any], here: str, form: Any = None
) -> str:
    path = design_preview.pages(q, answers)
    return render_page(q, current, answers, path, here, form, survey=None, agency=None)


def _framed(body: str) -> Any:
    response = make_response(body)
    response.headers["Content-Security-Policy"] = PREVIEW_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response


# --- publishing and versions ------------------------------------------------------------------


@bp.route("/<key>/<int:number>/publish", methods=["GET", "POST"])
@requires("design")
def publish(key: str, number: int) -> Any:
    version = load(key, number, edit=True)
    if request.method == "POST":
        if request.form.get("confirm") != "1":
            flash(_("Tick the box to confirm."), "error")
            return redirect(url_for(".publish", key=key, number=number), 303)
        _result, problems = run(
            lambda: designer.publish(db.session, version, actor_id=current_user.id, now=utcnow())
        )
        if problems:
            flash_problems(problems[:5])
            return redirect(editor_url(version, "problems"), 303)
        flash(_("Version %(n)s is published.", n=version.version), "success")
        return redirect(url_for(".history", key=key), 303)
    found = designer.problems(version, current_language())
    return page(
        "designer/publish.html", version, errors=[p for p in found if p.severity == "error"]
    )


@bp.post("/<key>/<int:number>/new-version")
@requires("design")
def new_version(key: str, number: int) -> Any:
    source = load(key, number, edit=True)
    created, problems = run(
        lambda: designer.new_version(
            db.session,
            source,
            note=request.form.get("note", ""),
            actor_id=current_user.id,
            now=utcnow(),
        )
    )
    if problems:
        errors = errors_by_field(problems)
        if "note" not in errors:
            flash_problems(problems)
            return redirect(url_for(".history", key=key), 303)
        return _history_page(source, errors=errors, note=request.form.get("note", ""))
    flash(_("Version %(n)s is a new draft.", n=created.version), "success")
    return redirect(editor_url(created), 303)


@bp.get("/<key>/history")
@requires("design")
def history(key: str) -> Any:
    return _history_page(load(key))


def _history_page(
    version: QuestionnaireVersion, errors: dict[str, list[str]] | None = None, note: str = ""
) -> str:
    rows = designer.history(db.session, version.questionnaire)
    return page("designer/history.html", version, rows=rows, errors=errors or {}, note=note)


@bp.get("/<key>/diff")
@requires("design")
def diff(key: str) -> Any:
    """What changed between any two versions: items added, removed and reworded."""
    newest = load(key)
    numbers = [v.version for v in newest.questionnaire.versions]
    after = request.args.get("to", type=int, default=numbers[-1])
    before = request.args.get("from", type=int, default=numbers[-2] if len(numbers) > 1 else after)
    old, new = load(key, before), load(key, after)
    try:
        changes = questionnaire_diff.diff(old.document, new.document)
    except (KeyError, TypeError):  # a draft half-way through an edit: say so, don't fail
        changes = None
    return page(
        "designer/diff.html",
        newest,
        numbers=numbers,
        old=old,
        new=new,
        old_q=Document(old.document),
        new_q=Document(new.document),
        changes=changes,
        item_changes=questionnaire_diff.ITEM_CHANGE_LABELS,
        section_changes=questionnaire_diff.SECTION_CHANGE_LABELS,
        framework_changes=questionnaire_diff.FRAMEWORK_CHANGE_LABELS,
    )


# --- files: export a version, import a questionnaire -----------------------------------------


@bp.get("/<key>/<int:number>/export.<any(json, xlsx):fmt>")
@requires("design")
def export(key: str, number: int, fmt: str) -> Any:
    """The version as our JSON, or as an XLSForm workbook to edit in Excel."""
    version = load(key, number)
    name = f"{key}-v{number}.{fmt}"
    if fmt == "json":
        body = json.dumps(version.document, ensure_ascii=False, indent=2)
        return send_file(io.BytesIO(body.encode()), "application/json", True, name)
    buffer = io.BytesIO()
    xlsform.to_xlsform(dict(version.document)).save(buffer)
    buffer.seek(0)
    return send_file(buffer, XLSX, as_attachment=True, download_name=name)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/import", methods=["GET", "POST"])
@requires("design")
@accepts_upload
def import_questionnaire() -> Any:
    """Upload a questionnaire (JSON or an XLSForm made in Excel/KoBo) as a new draft."""
    problems: list[Any] = []
    if request.method == "POST":
        upload = request.files.get("file")
        suffix = Path(upload.filename or "").suffix.lower() if upload else ""
        if upload is None or suffix not in (".json", ".xlsx"):
            flash(_("Choose a .json or .xlsx file."), "error")
            return redirect(url_for(".import_questionnaire"), 303)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload{suffix}"
            upload.save(path)
            version, problems = creation.import_file(
                db.session,
                scope(),
                path,
                Path(upload.filename or path.name).name,
                lang=current_language(),
                actor_id=current_user.id,
                now=utcnow(),
            )
        if version is not None:
            db.session.commit()
            flash(_("Imported as a new draft."), "success")
            for warning in problems:
                flash(f"{warning.path}: {_('warning')}: {warning.message}", "warning")
            return redirect(editor_url(version), 303)
    return render_template("designer/import.html", problems=problems)
