"""From stored answers to weighted indices: load arrays once, hand them to scoring."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Survey
from surveyapp.models.audit import record
from surveyapp.results.services.arrays import ResponseArrays
from surveyapp.results.services.loading import load_response_arrays
from surveyapp.scoring import Framework, IndexResult, element_alphas, score, score_by
from surveyapp.security import Scope


def load_arrays(session: DbSession, survey: Survey) -> ResponseArrays:
    """Numeric answers of every submitted response; "missing" option codes become NaN."""
    return load_response_arrays(session, survey)


def subtree_mask(
    session: DbSession, arrays: ResponseArrays, agency: Agency
) -> npt.NDArray[np.bool_]:
    """Rows answered about ``agency`` or any agency under it."""
    ids = session.scalars(
        select(Agency.id).where(Agency.path.startswith(agency.path, autoescape=True))
    ).all()
    return np.isin(arrays.agency_ids, list(ids))


def indices(
    survey: Survey,
    arrays: ResponseArrays,
    domain: npt.NDArray[np.bool_] | None = None,
) -> IndexResult:
    return score(_framework(survey), arrays.answers, arrays.design(), domain=domain)


def indices_by_agency(
    session: DbSession, survey: Survey, arrays: ResponseArrays, scope: Agency | None = None
) -> dict[Agency, IndexResult]:
    """One result per surveyed agency (its whole subtree), in one pass over the data."""
    return {a: result for a, (result, _rows) in _by_agency(session, survey, arrays, scope).items()}


def _by_agency(
    session: DbSession, survey: Survey, arrays: ResponseArrays, scope: Agency | None
) -> dict[Agency, tuple[IndexResult, npt.NDArray[np.bool_]]]:
    """Each surveyed agency in scope: its result and the rows it was computed on."""
    wanted = Scope(scope).agencies(survey)
    by = agency_labels(session, arrays, wanted)
    scores = score_by(_framework(survey), arrays.answers, arrays.design(), by)
    empty = indices(survey, arrays, np.zeros(arrays.n, dtype=bool))
    return {a: (scores.domains.get(float(i), empty), by == i) for i, a in enumerate(wanted)}


def agency_labels(
    session: DbSession, arrays: ResponseArrays, agencies: list[Agency]
) -> npt.NDArray[np.float64]:
    """Each row's position in ``agencies`` (whose subtree holds it), NaN for none.

    When surveyed agencies nest, a row counts for the later one in the list.
    """
    labels = np.full(arrays.n, np.nan)
    for position, agency in enumerate(agencies):
        labels[subtree_mask(session, arrays, agency)] = position
    return labels


def _framework(survey: Survey) -> Framework:
    return Framework.from_dict(survey.version.document["framework"])


def survey_json(
    session: DbSession, survey: Survey, *, scope: Agency | None = None, by_agency: bool = False
) -> dict[str, Any]:
    """The shape of ``surveyapp score --format json`` and of the API's indices.

    In every block (the top level, each agency) ``n`` is the number of responses in its
    scope; each estimate's own ``n`` counts its valid answers. Element estimates carry
    ``alpha``, Cronbach's α of their criteria on the block's responses.
    """
    arrays = load_arrays(session, survey)
    domain = subtree_mask(session, arrays, scope) if scope is not None else None
    rows = np.ones(arrays.n, dtype=bool) if domain is None else domain
    body: dict[str, Any] = {
        "survey": survey.id,
        **_block(survey, arrays, indices(survey, arrays, domain), rows),
    }
    # The reasons may name other agencies' strata or categories: the whole survey's only.
    body["weighting"] = arrays.weights_used.as_dict(with_problems=scope is None)
    if by_agency:
        body["agencies"] = {
            agency.code: _block(survey, arrays, result, mine)
            for agency, (result, mine) in _by_agency(session, survey, arrays, scope).items()
        }
    return body


def _block(
    survey: Survey, arrays: ResponseArrays, result: IndexResult, rows: npt.NDArray[np.bool_]
) -> dict[str, Any]:
    """One scope's JSON: its responses, its estimates, α on each element."""
    block: dict[str, Any] = {"n": int(rows.sum()), **result.as_dict()}
    answers = {item: values[rows] for item, values in arrays.answers.items()}
    for element, alpha in element_alphas(_framework(survey), answers).items():
        block["elements"][element]["alpha"] = alpha if math.isfinite(alpha) else None
    return block


PAR_POINTS_MAX = 100  # a PAR INDEX has 100 points in all


def set_par_points(
    session: DbSession, survey: Survey, points: float | None, *, actor_id: int | None
) -> None:
    """Store the PAR INDEX points the scheme gives ``survey`` (None: none) and audit-log
    it; ValueError outside (0, 100]. The caller commits."""
    if points is not None and not 0 < points <= PAR_POINTS_MAX:
        raise ValueError(points)
    before, survey.par_points_max = survey.par_points_max, points
    record(session, actor_id, "survey.par_points", survey, before=before, after=points)
