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

import numpy as np
import numpy.typing as npt
from sqlalchemy import select

from surveyapp.extensions import DbSession
from surveyapp.models import Sample, SampleStratum, Survey

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
    populations = np.array([sizes.get(str(label), np.inf) for label in labels], dtype=np.float64)
    over = counts > populations
    if over.any():
        log.warning(
            "strata %s have more responses than their frame size: no fpc for them",
            ", ".join(str(label) for label in labels[over]),
        )
        populations[over] = np.inf
    return populations[inverse.reshape(-1)]
