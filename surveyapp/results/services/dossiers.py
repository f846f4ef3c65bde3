"""Per-dossier points (TT01, or a designed points scheme): each dossier's total and band,
listed, and each agency's mean total and share of dossiers per band.

SIPAS.md §3.7 and ``scoring.dossier`` give the rules (rescaled when items are not
applicable, whole points, bands from the top). The figures are design-based like every
other: the mean and the shares are weighted, with 95 % confidence intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import and_, select

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Answer, Response, Survey, counted
from surveyapp.questionnaire.document import Questionnaire
from surveyapp.results.services import results
from surveyapp.results.services.arrays import LoadedArrays, answer_points
from surveyapp.results.services.loading import load_response_arrays
from surveyapp.scoring import DossierScores, Estimate, Framework, band_shares, dossier_points
from surveyapp.scoring.framework import PointsScheme
from surveyapp.security import Scope

# The TT01 template asks the dossier's code as a question; kiosk and paper entries keep
# it on the response itself.
DOSSIER_CODE_ITEM = "dossier_code"


@dataclass(frozen=True)
class Band:
    label: str
    share: Estimate


@dataclass(frozen=True)
class DossierPoints:
    """A points scheme's figures in one domain: the mean total (out of ``max_total``)
    over ``questions`` counted items, and the share of dossiers per band."""

    mean: Estimate
    max_total: float
    questions: int
    bands: list[Band]


@dataclass(frozen=True)
class Dossier:
    """One response as the scheme scores it; ``total`` None when nothing counted was
    answered (then ``band`` is None too)."""

    response_id: int
    agency: str
    dossier_code: str | None
    submitted_at: datetime | None
    answered: int
    total: int | None
    band: str | None


@dataclass(frozen=True)
class Register:
    scheme: PointsScheme
    band_labels: list[str]
    by_agency: dict[Agency, DossierPoints]
    dossiers: list[Dossier]  # empty unless asked for


def band_labels(q: Questionnaire, scheme: PointsScheme, lang: str) -> list[str]:
    return [q.text(b.label, lang) or f"≥ {b.min:g}" for b in scheme.bands]


def points_of(
    session: DbSession, survey: Survey, agency: Agency, lang: str
) -> DossierPoints | None:
    """``agency``'s figures (its whole subtree); None when the questionnaire scores none."""
    loaded = _scored(session, survey)
    if loaded is None:
        return None
    scheme, arrays, scores = loaded
    q = Questionnaire(survey.version.document)
    domain = results.subtree_mask(session, arrays, agency)
    return _figures(band_labels(q, scheme, lang), scheme, arrays, scores, domain)


def register(
    session: DbSession,
    survey: Survey,
    scope: Agency | None,
    lang: str,
    *,
    listed: Agency | None = None,
) -> Register | None:
    """Every surveyed agency's figures in ``scope``, and the dossiers one by one (newest
    first) of ``listed``, else of the whole scope. None when the questionnaire scores no
    points."""
    loaded = _scored(session, survey)
    if loaded is None:
        return None
    scheme, arrays, scores = loaded
    q = Questionnaire(survey.version.document)
    labels = band_labels(q, scheme, lang)
    by_agency = {
        a: _figures(labels, scheme, arrays, scores, results.subtree_mask(session, arrays, a))
        for a in Scope(scope).agencies(survey)
    }
    under = listed or scope
    mask = (
        results.subtree_mask(session, arrays, under)
        if under is not None
        else np.ones(arrays.n, dtype=bool)
    )
    dossiers = _dossiers(session, survey, under, arrays, scores, mask, labels)
    return Register(scheme, labels, by_agency, dossiers)


def _scored(
    session: DbSession, survey: Survey
) -> tuple[PointsScheme, LoadedArrays, DossierScores] | None:
    scheme = Framework.from_dict(survey.version.document["framework"]).points
    if scheme is None:
        return None
    arrays = load_response_arrays(session, survey, items=scheme.items)
    return scheme, arrays, dossier_points(scheme, answer_points(arrays, scheme.items))


def _figures(
    labels: list[str],
    scheme: PointsScheme,
    arrays: LoadedArrays,
    scores: DossierScores,
    domain: np.ndarray,
) -> DossierPoints:
    design = arrays.design()
    shares = band_shares(scheme, scores, design, domain=domain)
    return DossierPoints(
        mean=design.mean(scores.total, domain=domain),
        max_total=scheme.max_total,
        questions=len(scheme.items),
        bands=[Band(label, share) for label, share in zip(labels, shares, strict=True)],
    )


def _dossiers(
    session: DbSession,
    survey: Survey,
    under: Agency | None,
    arrays: LoadedArrays,
    scores: DossierScores,
    mask: np.ndarray,
    labels: list[str],
) -> list[Dossier]:
    rows = np.flatnonzero(mask)
    query = (
        select(
            Response.id,
            Response.dossier_code,
            Answer.value_text,
            Response.submitted_at,
            Agency.code,
        )
        .join(Agency, Agency.id == Response.agency_id)
        .outerjoin(
            Answer,
            and_(Answer.response_id == Response.id, Answer.item_id == DOSSIER_CODE_ITEM),
        )
        .where(counted(survey.id))
    )
    if under is not None:
        query = query.where(Response.agency_id.in_(under.subtree_ids()))
    facts = {
        rid: (code, typed, at, agency) for rid, code, typed, at, agency in session.execute(query)
    }
    found = []
    for r in rows:
        rid = int(arrays.response_ids[r])
        code, typed, at, agency = facts[rid]
        total = scores.total[r]
        scored = bool(np.isfinite(total))
        band = int(scores.band[r])
        found.append(
            Dossier(
                response_id=rid,
                agency=agency,
                dossier_code=code or typed,
                submitted_at=at,
                answered=int(scores.answered[r]),
                total=int(total) if scored else None,
                band=labels[band] if scored and band >= 0 else None,
            )
        )
    return sorted(found, key=lambda d: (d.submitted_at is not None, d.submitted_at), reverse=True)
