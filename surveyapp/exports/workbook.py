"""The analysis sheets of the XLSX workbook: summary, indices with CIs, agencies,
codebook, weights and methodology notes, in the export's language and scope."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt
from flask_babel import force_locale, gettext
from sqlalchemy import select

from surveyapp.exports.dossier_sheet import DossierRow, dossiers_table
from surveyapp.exports.quality import QualityFigures, flags_table, quality_table
from surveyapp.exports.summary import index_rows
from surveyapp.exports.table import columns
from surveyapp.exports.xlsx import Styled, Table, Workbook
from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Survey
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.scoring import IndexResult, par_points
from surveyapp.scoring.design import SMALL_N, SUPPRESS_N

if TYPE_CHECKING:
    from surveyapp.exports.build import ExportSpec

PERCENTS = {2: "percent", 3: "percent", 4: "percent", 5: "percent"}  # value, se, ci_low, ci_high


class WeightsUsed(Protocol):
    """Which weights the figures use: ``status`` is "none" (the drawn ones), "applied"
    (the survey's weighting settings) or "not_applied" (saved settings left out)."""

    @property
    def status(self) -> str: ...
    @property
    def setting_name(self) -> object: ...
    @property
    def problems(self) -> Sequence[object]: ...


@dataclass(frozen=True)
class Analysis:
    """The weighted figures of the export's scope, computed by the results domain.

    ``agency_ids``, ``strata`` and ``weights`` hold the responses in scope, row by row.
    ``finite_population``: the sample was drawn from a frame, so estimates carry the
    finite-population correction; ``clustered``: the draw had PSUs; ``df``: the design's
    degrees of freedom.
    """

    result: IndexResult
    by_agency: Mapping[Agency, IndexResult]
    agency_ids: npt.NDArray[np.int64]
    strata: npt.NDArray[np.str_]
    weights: npt.NDArray[np.float64]
    weights_used: WeightsUsed
    finite_population: bool = False
    clustered: bool = False
    df: int = 0
    alphas: Mapping[str, float] = field(default_factory=dict)  # element → Cronbach's α
    quality: QualityFigures | None = None  # the ``quality`` sheet; none: no sheet
    dossiers: Sequence[DossierRow] | None = None  # a points questionnaire's register

    @property
    def n(self) -> int:
        return len(self.agency_ids)


def analysis_sheets(
    session: DbSession,
    survey: Survey,
    q: Questionnaire,
    spec: ExportSpec,
    now: datetime,
    analysis: Analysis,
) -> Workbook:
    result, by_agency = analysis.result, analysis.by_agency
    estimates = index_rows(q, result, spec.lang)
    with force_locale(spec.lang):
        heads = [
            gettext("Id"),
            gettext("Label"),
            gettext("Value"),
            gettext("Standard error"),
            gettext("95% CI low"),
            gettext("95% CI high"),
            gettext("Valid answers"),
            gettext("Flag"),
        ]
        levels = [
            ("groups", "group", None),
            ("elements", "element", gettext("Elements")),
            ("criteria", "criterion", None),
            ("indicators", "indicator", None),
        ]
        par = survey.par_points_max
        before = [_summary(survey, q, spec, result.overall, analysis, now, par)]
        for sheet, level, chart in levels:
            rows = [row[1:] for row in estimates if row[0] == level]
            if not rows:
                continue
            if level == "element":
                table = Table(
                    sheet,
                    [*heads, gettext("Cronbach's alpha")],
                    [[*row, _finite(analysis.alphas.get(row[0]))] for row in rows],
                    {**PERCENTS, 8: "decimal"},
                )
            else:
                table = Table(sheet, heads, rows, PERCENTS)
            table.chart = (chart, 1, 2) if chart else None
            before.append(table)
        agency_rows = sorted(
            (
                [a.code, a.name(spec.lang), *_figures(r.overall), *_points(r.overall, par)]
                for a, r in by_agency.items()
            ),
            key=lambda row: -1.0 if row[2] is None else -row[2],
        )
        points_head = [gettext("PAR INDEX points (of %(max)s)", max=f"{par:g}")] if par else []
        agencies = Table(
            "agencies",
            [gettext("Agency code"), gettext("Agency"), *heads[2:], *points_head],
            agency_rows,
            {2: "percent", 3: "percent", 4: "percent", 5: "percent", 8: "decimal"},
            (gettext("Overall index by agency"), 1, 2),
        )
        before.append(agencies)
        quality = (
            [quality_table(analysis.quality), flags_table(analysis.quality)]
            if analysis.quality is not None
            else []
        )
        if analysis.dossiers is not None:
            quality.append(dossiers_table(analysis.dossiers))
        after = [
            *quality,
            _codebook(q, spec.lang, analysis.clustered),
            _weights(session, analysis),
            _methodology(q, spec, now, analysis),
        ]
    return Workbook(before, after)


def _figures(estimate: Any) -> list[Any]:
    values = estimate.as_dict()
    if estimate.suppressed:
        values.update(value=None, se=None, ci_low=None, ci_high=None)
    return [
        values["value"],
        values["se"],
        values["ci_low"],
        values["ci_high"],
        estimate.n,
        estimate.flag or "",
    ]


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _points(estimate: Any, par: float | None) -> list[Any]:
    """The PAR INDEX points column of a row: none when the scheme sets no points."""
    if par is None:
        return []
    return [None if estimate.suppressed else _finite(par_points(estimate.value, par))]


def _summary(
    survey: Survey,
    q: Questionnaire,
    spec: ExportSpec,
    overall: Any,
    analysis: Analysis,
    now: datetime,
    par: float | None,
) -> Table:
    figures = _figures(overall)
    targets = q.framework.get("targets") or {}
    rows: list[list[Any]] = [
        [gettext("Survey"), survey.title],
        [gettext("Questionnaire"), f"{q.title(spec.lang)} ({q.id}, v{q.version})"],
        [gettext("Scope"), spec.scope.name(spec.lang) if spec.scope else gettext("All agencies")],
        [gettext("Completed responses"), Styled(analysis.n, "integer")],
        [gettext("Overall index"), Styled(figures[0], "percent")],
        [gettext("95% CI low"), Styled(figures[2], "percent")],
        [gettext("95% CI high"), Styled(figures[3], "percent")],
        [gettext("Valid answers"), Styled(figures[4], "integer")],
    ]
    if figures[5]:
        rows.append([gettext("Flag"), figures[5]])
    if targets.get("overall") is not None:
        rows.append([gettext("Target"), Styled(float(targets["overall"]), "percent")])
    if par and figures[0] is not None:
        rows.append(
            [
                gettext("PAR INDEX points (of %(max)s)", max=f"{par:g}"),
                Styled(par_points(figures[0], par), "decimal"),
            ]
        )
    if analysis.quality is not None:
        rows.append(
            [gettext("Voided responses (not counted)"), Styled(analysis.quality.voided, "integer")]
        )
    rows.append([gettext("Weights"), _weights_in_short(analysis.weights_used)])
    rows.append([gettext("Written at (UTC)"), now.strftime("%Y-%m-%d %H:%M")])
    return Table("summary", [gettext("Item"), gettext("Value")], rows)


def _codebook(q: Questionnaire, lang: str, clustered: bool) -> Table:
    rows: list[list[Any]] = []
    for column in columns(q, lang, clustered=clustered):
        item = column.item or {}
        options = q.options(item["id"]) if item else []
        values = "\n".join(f"{o['code']} = {q.label(o, lang)}" for o in options)
        missing = ", ".join(str(c) for c in sorted(q.missing_codes(item["id"]))) if item else ""
        rows.append([column.name, column.label, item.get("type", ""), values, missing])
    heads = [
        gettext("Variable"),
        gettext("Label"),
        gettext("Type"),
        gettext("Values"),
        gettext("Declared missing"),
    ]
    return Table("codebook", heads, rows)


def _weights(session: DbSession, analysis: Analysis) -> Table:
    """Weights by agency and stratum, and Kish's design effect of weighting overall."""
    codes = {i: c for i, c in session.execute(select(Agency.id, Agency.code))}
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for agency_id, stratum, weight in zip(
        analysis.agency_ids, analysis.strata, analysis.weights, strict=True
    ):
        groups[(codes.get(int(agency_id), "?"), str(stratum))].append(float(weight))
    rows: list[list[Any]] = [
        _weight_row(code, stratum, w) for (code, stratum), w in sorted(groups.items())
    ]
    every = [float(w) for w in analysis.weights]
    if every:
        rows.append(_weight_row(gettext("All"), "", every))
    heads = [
        gettext("Agency code"),
        gettext("Stratum"),
        gettext("Responses"),
        gettext("Sum of weights"),
        gettext("Smallest"),
        gettext("Mean"),
        gettext("Largest"),
        gettext("Design effect of weighting (Kish)"),
    ]
    formats = {3: "decimal", 4: "decimal", 5: "decimal", 6: "decimal", 7: "decimal"}
    return Table("weights", heads, rows, formats)


def _weight_row(code: str, stratum: str, weights: list[float]) -> list[Any]:
    w = np.asarray(weights)
    total = float(w.sum())
    deff = float(len(w) * (w**2).sum() / total**2) if total > 0 else None
    return [code, stratum, len(w), total, float(w.min()), float(w.mean()), float(w.max()), deff]


def _weights_in_short(used: WeightsUsed) -> str:
    if used.status == "applied":
        return gettext("final weights (the survey's weighting settings)")
    if used.status == "not_applied":
        return gettext(
            "base weights: the saved weighting settings no longer fit the responses "
            "(see the methodology sheet)"
        )
    return gettext("base weights of the sample draw")


def _weights_notes(used: WeightsUsed, spec: ExportSpec) -> list[str]:
    if used.status == "applied":
        return [
            gettext(
                "Weights: the final weights made by the survey's weighting settings "
                "(nonresponse adjustment, raking to known totals) from the base weights "
                "of the sample draw."
            )
        ]
    if used.status == "none":
        return [gettext("Weights: the base weights of the sample draw (N/n in each stratum).")]
    notes = [
        gettext(
            "Weights: the base weights of the sample draw. The saved weighting settings no "
            "longer fit the responses: “%(setting)s” cannot be applied. Change them on the "
            "survey's Weights page.",
            setting=str(used.setting_name),
        )
    ]
    if spec.scope is None:  # the reasons may name any agency's strata or categories
        notes += [str(p) for p in used.problems]
    return notes


def _design_notes(analysis: Analysis) -> list[str]:
    """How standard errors and intervals are computed, for this survey's design."""
    if analysis.finite_population:
        design = gettext(
            "Standard errors use Taylor linearisation under the sampling design: strata, "
            "weights%(psu)s and the finite-population correction 1 − n_h/N_h, N_h being the "
            "size of each stratum in the frame the sample was drawn from (the fpc column of "
            "the responses; a stratum the draw does not know is taken with replacement).",
            psu=gettext(", primary sampling units (psu)") if analysis.clustered else "",
        )
    else:
        design = gettext(
            "Standard errors use Taylor linearisation under the sampling design (strata and "
            "weights), with replacement: the responses were not drawn from a frame (open "
            "links, kiosks, officials' ratings or invitations made without a draw), so no "
            "finite-population correction applies and the fpc column is empty."
        )
    intervals = gettext(
        "Intervals are %(level)s confidence intervals. Criteria and indicators "
        "(proportions): logit intervals with Student's t on the design's %(df)s degrees of "
        "freedom (primary sampling units minus strata); when every valid answer is satisfied, "
        "or none is, the Wilson interval on the number of answers. Elements, groups and the "
        "overall index (linear combinations of criteria): the value ± 1.96 standard errors.",
        level="95%",
        df=analysis.df,
    )
    return [design, intervals]


def _methodology(q: Questionnaire, spec: ExportSpec, now: datetime, analysis: Analysis) -> Table:
    used = analysis.weights_used
    satisfied = ", ".join(str(c) for c in q.framework.get("satisfied", []))
    notes = [
        gettext(
            "Each criterion is the weighted share of valid answers in the satisfied codes "
            "(%(codes)s); options marked as not applicable or no answer are left out.",
            codes=satisfied,
        ),
        gettext(
            "Elements, groups and the overall index combine criteria with the weights of the "
            "questionnaire's framework."
        ),
        *_design_notes(analysis),
        gettext(
            "Figures on fewer than %(suppress)s valid answers are suppressed (left empty); "
            "fewer than %(small)s are flagged small.",
            suppress=SUPPRESS_N,
            small=SMALL_N,
        ),
        gettext(
            "Responses: completed responses only, one row each; a multiple-choice item lists "
            "its options separated by semicolons; an empty cell means not asked or skipped."
        ),
        *_weights_notes(used, spec),
        gettext("Times are in UTC. Written at %(at)s.", at=now.strftime("%Y-%m-%d %H:%M")),
    ]
    if spec.scope is not None:
        notes.append(
            gettext(
                "Only responses about %(agency)s and the units under it are included.",
                agency=spec.scope.name(spec.lang),
            )
        )
    return Table("methodology", [gettext("Note")], [[n] for n in notes])
