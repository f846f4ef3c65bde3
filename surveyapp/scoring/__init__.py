"""Survey statistics for SIPAS / PAR INDEX: designs, indices, planning (numpy/scipy only).

Public contract: ``spec/scoring-api.md``. Proportions in [0, 1], never percents. Beyond
the contract: ``score_by`` (every domain in one pass), comparisons and rankings
(:mod:`.compare`), TT01 dossier points (:mod:`.dossier`) and data quality (:mod:`.quality`).
"""

from surveyapp.scoring.compare import (
    Difference,
    Gap,
    Ranking,
    RoundChange,
    domain_difference,
    independent_difference,
    index_difference,
    rank_domains,
    round_change,
    target_gap,
    target_gaps,
)
from surveyapp.scoring.design import (
    SMALL_N,
    SUPPRESS_N,
    Estimate,
    SingletonStratumWarning,
    SurveyDesign,
)
from surveyapp.scoring.dossier import DossierScores, band_shares, dossier_points
from surveyapp.scoring.framework import Framework
from surveyapp.scoring.index import DomainScores, IndexResult, score, score_by
from surveyapp.scoring.planning import (
    allocate,
    cronbach_alpha,
    par_points,
    required_sample_size,
    slovin,
)
from surveyapp.scoring.quality import ItemNonresponse, element_alphas, item_nonresponse

__all__ = [
    "SMALL_N",
    "SUPPRESS_N",
    "Difference",
    "DomainScores",
    "DossierScores",
    "Estimate",
    "Framework",
    "Gap",
    "IndexResult",
    "ItemNonresponse",
    "Ranking",
    "RoundChange",
    "SingletonStratumWarning",
    "SurveyDesign",
    "allocate",
    "band_shares",
    "cronbach_alpha",
    "domain_difference",
    "dossier_points",
    "element_alphas",
    "independent_difference",
    "index_difference",
    "item_nonresponse",
    "par_points",
    "rank_domains",
    "required_sample_size",
    "round_change",
    "score",
    "score_by",
    "slovin",
    "target_gap",
    "target_gaps",
]
