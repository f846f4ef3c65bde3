"""What the sample draw tells the estimates about the design: the strata's sizes N_h.

A survey whose invitations were drawn from its frame (``sample draw``) samples each
stratum without replacement: its estimates carry the finite-population correction
1 − n_h/N_h, N_h being the stratum's size in the frame when drawn. Open links, kiosks,
officials' ratings and invitations made without a draw have no frame: they stay
with-replacement (no correction), as do responses whose stratum the draw does not
know (an extra invitation, a paper form keyed without one).

Every draw today is stratified element sampling (one dossier per unit), so there are
no clusters: each response is its own PSU.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
from sqlalchemy import func, select

from surveyapp.exports.table import ExportDesign
from surveyapp.extensions import DbSession
from surveyapp.models import Response, ResponseStatus, Sample, SampleStratum, Survey
from surveyapp.results.services.weighting import final_weight_lookup

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


def stratum_sizes(session: DbSession, survey: Survey) -> dict[str, int] | None:
    """Stratum label → N_h of the survey's draw; None when it was not drawn from a frame."""
    sample_id = session.scalar(
        select(Sample.id).where(Sample.survey_id == survey.id).order_by(Sample.id.desc()).limit(1)
    )
    if sample_id is None:
        return None
    found = session.execute(
        select(SampleStratum.label, SampleStratum.population).where(
            SampleStratum.sample_id == sample_id
        )
    )
    return {label: int(population) for label, population in found}


def row_fpc(strata: npt.NDArray[np.str_], sizes: dict[str, int] | None) -> FloatArray | None:
    """N_h of each row's stratum (``SurveyDesign``'s ``fpc``); None without a frame.

    A stratum the draw does not know gets ∞ (f_h = 0: with replacement), and so does
    one with more respondents than its N_h, which only responses from outside the draw
    can cause (the correction would otherwise be negative).
    """
    if sizes is None:
        return None
    labels, inverse, counts = np.unique(strata, return_inverse=True, return_counts=True)
    usable = usable_sizes(sizes, dict(zip(labels.tolist(), counts.tolist(), strict=True)))
    populations = np.array([usable.get(str(label), np.inf) for label in labels], dtype=np.float64)
    return populations[inverse.reshape(-1)]


def usable_sizes(sizes: Mapping[str, int], responses: Mapping[str, int]) -> dict[str, int]:
    """The N_h that can correct: those of strata with no more responses than N_h."""
    over = sorted(label for label, n in responses.items() if label in sizes and n > sizes[label])
    if over:
        log.warning("strata %s have more responses than their frame size: no fpc", over)
    return {label: size for label, size in sizes.items() if label not in over}


def export_design(session: DbSession, survey: Survey) -> ExportDesign:
    """The exports' design columns: final weights and the N_h the estimates use."""
    sizes = stratum_sizes(session, survey)
    if sizes is not None:
        label = func.coalesce(Response.stratum, "")
        counts = session.execute(
            select(label, func.count())
            .where(Response.survey_id == survey.id, Response.status == ResponseStatus.SUBMITTED)
            .group_by(label)
        ).all()
        sizes = usable_sizes(sizes, {str(k): int(n) for k, n in counts})
    return ExportDesign(weights=final_weight_lookup(session, survey), populations=sizes)
