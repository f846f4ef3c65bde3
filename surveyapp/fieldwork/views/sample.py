"""Sample size calculator and the stratified draw (routes on the fieldwork blueprint)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from surveyapp.extensions import db
from surveyapp.fieldwork.forms import STRATA_LABELS, DrawForm, SampleSizeForm, random_seed
from surveyapp.fieldwork.services import sample_size, sampling
from surveyapp.fieldwork.services.frames import imports as frames
from surveyapp.fieldwork.services.invitations import Links
from surveyapp.fieldwork.views.fieldwork import bp, invited_survey, problem_message
from surveyapp.models import FrameUnit, Sample, SampledUnit, Survey
from surveyapp.problems import InputRefused
from surveyapp.security import requires


@bp.get("/<int:survey_id>/sample-size")
@requires("field")
def sample_size_page(survey_id: int) -> Any:
    survey = invited_survey(survey_id)
    frame_size = frames.frame_size(db.session, survey)
    # No query string yet: the defaults, not judged (an empty one would untick every
    # checkbox, and required fields would count as left empty).
    form = SampleSizeForm(request.args or None, meta={"csrf": False})
    table = None
    if request.args and form.validate():
        assumptions = sample_size.Assumptions(
            margin=float(form.margin.data or 0),
            level=float(form.level.data or 0.95),
            p=float(form.p.data or 0),
            deff=float(form.deff.data or 1),
            response_rate=float(form.response_rate.data or 1),
        )
        if frame_size:
            populations = sample_size.stratum_sizes(db.session, survey, form.strata.data or [])
        else:
            populations = {"": form.population.data or 0}
        table = sample_size.size_table(populations, assumptions)
    return render_template(
        "fieldwork/sample_size.html",
        survey=survey,
        form=form,
        table=table,
        frame_size=frame_size,
        strata_labels=STRATA_LABELS,
    )


@bp.route("/<int:survey_id>/draw", methods=["GET", "POST"])
@requires("field")
def draw(survey_id: int) -> Any:
    survey = invited_survey(survey_id)
    form = DrawForm()
    if request.method == "GET":
        _settings_of_current_sample(survey, form)
    if form.validate_on_submit():
        try:
            result = sampling.draw_sample(
                db.session,
                survey,
                size=form.size.data,
                margin=float(form.margin.data) if form.margin.data is not None else None,
                allocation=form.allocation.data or "proportional",
                minimum=form.minimum.data or 0,
                strata_columns=form.strata.data or [],
                seed=form.seed.data or 0,
                reserve_fraction=float(form.reserve.data or 0),
                links=Links.of(current_app.config),
                actor_id=current_user.id,
            )
        except InputRefused as refused:
            db.session.rollback()
            for problem in refused.problems:
                flash(problem_message(problem), "error")
        else:
            db.session.commit()
            message = _(
                "Sample drawn with seed %(seed)s: %(size)s units and %(invitations)s invitations.",
                seed=result.sample.seed,
                size=result.size,
                invitations=len(result.links),
            )
            flash(message, "success")
            return redirect(url_for(".draw", survey_id=survey.id), 303)
    return render_template("fieldwork/draw.html", **_draw_page(survey, form))


@bp.get("/<int:survey_id>/draw/sample.csv")
@requires("field")
def sample_csv(survey_id: int) -> Any:
    """The drawn units by dossier code (no contact details): compare two draws with it."""
    survey = invited_survey(survey_id)
    sample = sampling.current_sample(db.session, survey)
    if sample is None:
        flash(_("No sample has been drawn yet."), "error")
        return redirect(url_for(".draw", survey_id=survey.id), 303)
    rows = db.session.execute(
        select(
            FrameUnit.dossier_code,
            SampledUnit.stratum,
            SampledUnit.reserve_order,
            SampledUnit.inclusion_probability,
            SampledUnit.base_weight,
        )
        .join(FrameUnit, FrameUnit.id == SampledUnit.frame_unit_id)
        .where(SampledUnit.sample_id == sample.id)
        .order_by(SampledUnit.stratum, SampledUnit.reserve, SampledUnit.reserve_order, FrameUnit.id)
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["dossier_code", "stratum", "reserve_order", "inclusion_probability",
                     "base_weight"])  # fmt: skip
    for code, stratum, order, probability, weight in rows:
        writer.writerow([code, stratum, order or "", f"{probability:.6f}", f"{weight:.4f}"])
    name = f"survey-{survey.id}-sample-seed-{sample.seed}.csv"
    return Response(
        "\ufeff" + buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _settings_of_current_sample(survey: Survey, form: DrawForm) -> None:
    """Start from the current sample's settings, its seed included: a redraw usually
    changes one thing. Before any draw, a fresh seed to write down and reuse."""
    sample = sampling.current_sample(db.session, survey)
    if sample is None:
        form.seed.data = random_seed()
        return
    form.seed.data = sample.seed
    form.strata.data = list(sample.strata_columns)
    form.allocation.data = sample.allocation.value
    if sample.margin is None:
        form.size.data = sample.size
    else:
        form.margin.data = Decimal(str(sample.margin))
    form.minimum.data = sample.minimum
    form.reserve.data = Decimal(str(sample.reserve_fraction))


def _draw_page(survey: Survey, form: DrawForm) -> dict[str, Any]:
    sample: Sample | None = sampling.current_sample(db.session, survey)
    return {
        "survey": survey,
        "form": form,
        "sample": sample,
        "strata_labels": STRATA_LABELS,
        "frame_size": frames.frame_size(db.session, survey),
        "sample_population": sum(s.population for s in sample.strata) if sample else 0,
        "sample_size": sum(s.size for s in sample.strata) if sample else 0,
        "sample_reserve": sum(s.reserve for s in sample.strata) if sample else 0,
    }
