"""Surveys (a questionnaire version fielded for a set of agencies) and invitations."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Float, ForeignKey, String, Table, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.extensions import Base
from surveyapp.models._types import JSONDocument, UTCDateTime, enum_column, utcnow
from surveyapp.models.org import Agency, User
from surveyapp.models.questionnaire import QuestionnaireVersion


class SurveyMode(enum.Enum):
    INVITED = "invited"  # single-use links from a drawn sample
    OPEN = "open"  # one open link / kiosk per agency counter
    OFFICIALS = "officials"  # logged-in officials rate other agencies


class SurveyStatus(enum.Enum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


survey_agencies = Table(
    "survey_agencies",
    Base.metadata,
    Column("survey_id", ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True),
    Column("agency_id", ForeignKey("agencies.id"), primary_key=True),
)


class Survey(Base):
    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255))
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    mode: Mapped[SurveyMode] = mapped_column(enum_column(SurveyMode), default=SurveyMode.INVITED)
    status: Mapped[SurveyStatus] = mapped_column(
        enum_column(SurveyStatus), default=SurveyStatus.DRAFT
    )
    anonymous: Mapped[bool] = mapped_column(default=False)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The same survey's previous round, for "change since last period".
    previous_survey_id: Mapped[int | None] = mapped_column(
        ForeignKey("surveys.id", ondelete="SET NULL")
    )
    # How final weights are made from base weights (nonresponse adjustment, raking
    # targets); None = base weights as drawn. Applied when responses are loaded.
    weighting: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    # Rule R6: an agency whose late dossiers reach this share of those due fails the year.
    # Letter 2307/UBND-NC sets 5 %; each province sets its own.
    late_threshold: Mapped[float] = mapped_column(Float, default=0.05, server_default="0.05")
    # Frame contacts (names, phones, e-mails) are deleted this many days after the round
    # closes: ``surveyapp contacts purge --due``, run daily, does it.
    contact_retention_days: Mapped[int] = mapped_column(default=90, server_default="90")
    # The PAR INDEX points the province's scheme gives this survey at a 100 % index
    # (QĐ 876/QĐ-BNV; a department scheme, e.g. 25); None = not part of a PAR INDEX.
    par_points_max: Mapped[float | None] = mapped_column(Float)
    # Data-quality flags (``review.services.quality``): a response is a speeder under this
    # median of seconds per answered item; flagged for item nonresponse above this share
    # of its items left blank or "don't know"; a burst is ``burst_count`` responses from
    # one device within ``burst_minutes``.
    speeding_seconds: Mapped[float] = mapped_column(Float, default=1.5, server_default="1.5")
    nonresponse_share: Mapped[float] = mapped_column(Float, default=0.5, server_default="0.5")
    burst_minutes: Mapped[int] = mapped_column(default=10, server_default="10")
    burst_count: Mapped[int] = mapped_column(default=3, server_default="3")
    # The kiosk: a dossier code already answered for is refused (True), or taken and flagged.
    refuse_repeat_dossier: Mapped[bool] = mapped_column(default=True, server_default=true())

    version: Mapped[QuestionnaireVersion] = relationship()
    previous: Mapped[Survey | None] = relationship(remote_side=[id])
    agencies: Mapped[list[Agency]] = relationship(secondary=survey_agencies, order_by=Agency.code)

    def is_open(self, now: datetime) -> bool:
        return taking_answers(self.status, self.opens_at, self.closes_at, now)


def taking_answers(
    status: SurveyStatus, opens_at: datetime | None, closes_at: datetime | None, now: datetime
) -> bool:
    """Whether a survey in this state takes answers at ``now`` (respondent pages read the
    columns without loading the survey)."""
    if status is not SurveyStatus.OPEN:
        return False
    if opens_at and now < opens_at:
        return False
    return not (closes_at and now >= closes_at)


class SeriesMapping(Base):
    """Which figure of ``previous_survey_id`` continues a figure of ``survey_id`` in the
    series across rounds (``"elements.access"`` → ``"elements.svc_access"``); a None
    ``previous_figure`` is a break. Rows exist only once the designer saved the mapping
    of the pair; without them the suggested mapping is used."""

    __tablename__ = "series_mappings"
    __table_args__ = (UniqueConstraint("survey_id", "previous_survey_id", "figure"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    previous_survey_id: Mapped[int] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), index=True
    )
    figure: Mapped[str] = mapped_column(String(160))
    previous_figure: Mapped[str | None] = mapped_column(String(160))


class Disposition(enum.Enum):
    """Where an invitation stands (AAPOR-style final and interim codes)."""

    NOT_SENT = "not_sent"
    SENT = "sent"
    OPENED = "opened"
    PARTIAL = "partial"
    COMPLETE = "complete"
    REFUSED = "refused"
    INELIGIBLE = "ineligible"
    UNREACHABLE = "unreachable"


class Invitation(Base):
    """A sampled unit's single-use link; the token itself is never stored, only its SHA-256."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token is re-derived from this salt and the server secret (letters, reminders):
    # the database alone opens no survey. None for tokens handed out once (CSV only).
    token_salt: Mapped[str | None] = mapped_column(String(32))
    stratum: Mapped[str | None] = mapped_column(String(128))
    base_weight: Mapped[float] = mapped_column(Float, default=1.0)
    disposition: Mapped[Disposition] = mapped_column(
        enum_column(Disposition), default=Disposition.NOT_SENT, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminders: Mapped[int] = mapped_column(default=0, server_default="0")

    survey: Mapped[Survey] = relationship()
    agency: Mapped[Agency] = relationship()


class RaterAssignment(Base):
    """An official asked to rate one agency in a PAR cross-evaluation (never their own)."""

    __tablename__ = "rater_assignments"
    __table_args__ = (UniqueConstraint("survey_id", "rater_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    rater_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    survey: Mapped[Survey] = relationship()
    rater: Mapped[User] = relationship()
    agency: Mapped[Agency] = relationship()
