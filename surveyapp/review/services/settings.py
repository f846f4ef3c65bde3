"""A survey's data-quality settings: the thresholds of its flags and the kiosk's rule on
a dossier code answered already. Changing a threshold recomputes the survey's flags.
The caller commits."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from surveyapp.extensions import DbSession
from surveyapp.models import Survey
from surveyapp.models.audit import record
from surveyapp.problems import InputRefused, Problem
from surveyapp.review.services import quality

# Name → (lowest, highest) accepted.
RANGES = {
    "speeding_seconds": (0.1, 60.0),
    "nonresponse_share": (0.01, 0.99),
    "burst_count": (2, 100),
    "burst_minutes": (1, 1440),
}
THRESHOLDS = tuple(RANGES)


def set_quality_settings(
    session: DbSession,
    survey: Survey,
    actor_id: int | None,
    *,
    speeding_seconds: float,
    nonresponse_share: float,
    burst_count: int,
    burst_minutes: int,
    refuse_repeat_dossier: bool,
) -> list[str]:
    """Set the survey's thresholds (``nonresponse_share`` a proportion, not a percent);
    the names of those changed, audit-logged with their old and new values."""
    given = {
        "speeding_seconds": float(speeding_seconds),
        "nonresponse_share": float(nonresponse_share),
        "burst_count": int(burst_count),
        "burst_minutes": int(burst_minutes),
    }
    problems = [
        Problem(name, _l("Enter a number from %(min)s to %(max)s.", min=low, max=high))
        for name, (low, high) in RANGES.items()
        if not low <= given[name] <= high
    ]
    if problems:
        raise InputRefused(problems)
    values = {**given, "refuse_repeat_dossier": bool(refuse_repeat_dossier)}
    before = {name: getattr(survey, name) for name in values}
    changed = [name for name in values if before[name] != values[name]]
    if not changed:
        return []
    for name in changed:
        setattr(survey, name, values[name])
    record(
        session,
        actor_id,
        "survey.quality_settings",
        survey,
        before={n: before[n] for n in changed},
        after={n: values[n] for n in changed},
    )
    if set(changed) & set(THRESHOLDS):
        quality.recompute(session, survey)
    return changed
