"""A survey's data-quality summary, for analysts: what counts, what was set aside, and
which questions went unanswered (``nonresponse``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from surveyapp.extensions import DbSession
from surveyapp.models import Agency, Response, ResponseStatus, Survey
from surveyapp.review.services.checks import KINDS
from surveyapp.review.services.nonresponse import ItemNonresponse, item_nonresponse
from surveyapp.review.services.quality import FlagCount, flag_counts, label, totals


@dataclass(frozen=True)
class DataQuality:
    submitted: int  # counted: submitted and not voided
    voided: int
    items: list[ItemNonresponse]
    flags: list[FlagCount]

    @property
    def kind_labels(self) -> list[tuple[str, str]]:
        """Each flag kind with its name in the current language."""
        return [(kind, label(kind)) for kind in KINDS]

    @property
    def high(self) -> list[ItemNonresponse]:
        """The questions whose nonresponse is high (``ItemNonresponse.high``)."""
        return [i for i in self.items if i.high]

    @property
    def flag_totals(self) -> dict[str, int]:
        """Kind → flagged counted responses over every agency and channel shown."""
        return totals(self.flags)


def data_quality(
    session: DbSession, survey: Survey, under: Agency | None, lang: str
) -> DataQuality:
    """The summary over the responses about ``under`` (None: the whole survey)."""
    query = (
        select(Response.status, func.count())
        .where(Response.survey_id == survey.id)
        .group_by(Response.status)
    )
    if under is not None:
        query = query.where(Response.agency_id.in_(under.subtree_ids()))
    by_status = {status: n for status, n in session.execute(query).all()}
    return DataQuality(
        submitted=by_status.get(ResponseStatus.SUBMITTED, 0),
        voided=by_status.get(ResponseStatus.VOIDED, 0),
        items=item_nonresponse(session, survey, under, lang),
        flags=flag_counts(session, survey, under),
    )
