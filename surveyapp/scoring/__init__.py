"""Survey statistics for SIPAS / PAR INDEX: designs, indices, planning (numpy/scipy only).

Public contract: ``spec/scoring-api.md``. Proportions in [0, 1], never percents.
"""

from surveyapp.scoring.design import Estimate, SingletonStratumWarning, SurveyDesign
from surveyapp.scoring.framework import Framework
from surveyapp.scoring.index import DomainScores, IndexResult, score, score_by
from surveyapp.scoring.planning import (
    allocate,
    cronbach_alpha,
    par_points,
    required_sample_size,
    slovin,
)

__all__ = [
    "DomainScores",
    "Estimate",
    "Framework",
    "IndexResult",
    "SingletonStratumWarning",
    "SurveyDesign",
    "allocate",
    "cronbach_alpha",
    "par_points",
    "required_sample_size",
    "score",
    "score_by",
    "slovin",
]
