"""Responses and their typed answers (one row per answer, so counts aggregate in SQL)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.extensions import Base
from surveyapp.models._types import JSONDocument, UTCDateTime, enum_column, utcnow
from surveyapp.models.org import Agency


class Channel(enum.Enum):
    WEB = "web"
    KIOSK = "kiosk"
    PAPER = "paper"


class ResponseStatus(enum.Enum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    # Set aside by staff when cleaning (with a reason, in the audit log): kept, never
    # counted, and back to SUBMITTED when restored.
    VOIDED = "voided"


class Response(Base):
    """One respondent's answers to one questionnaire version.

    ``invitation_id`` is unique, so an invitation can never hold two responses; it is
    left empty for anonymous surveys, where the respondent's browser finds its response
    again through ``resume_hash`` (an HMAC of the token the invitation does not store).
    """

    __tablename__ = "responses"
    __table_args__ = (
        Index("ix_responses_survey_status", "survey_id", "status"),
        # The kiosk's "this dossier code answered already" and the duplicate flags.
        Index("ix_responses_survey_dossier", "survey_id", "dossier_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    questionnaire_version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_versions.id"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL"), unique=True
    )
    resume_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel), default=Channel.WEB)
    status: Mapped[ResponseStatus] = mapped_column(
        enum_column(ResponseStatus), default=ResponseStatus.IN_PROGRESS
    )
    current_page: Mapped[str | None] = mapped_column(String(64))
    stratum: Mapped[str | None] = mapped_column(String(128))
    # Kiosk: the dossier code (mã hồ sơ) a citizen may type, to match the records.
    dossier_code: Mapped[str | None] = mapped_column(String(64))
    # Officials: the rater assignment answered (one response each).
    assignment_id: Mapped[int | None] = mapped_column(
        ForeignKey("rater_assignments.id", ondelete="SET NULL"), unique=True
    )
    # Paper: the staff member who keyed the questionnaire in.
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Paradata: how the answers were given, kept apart from them (``collect`` writes it
    # in the same statements as the answers). ``page_seconds``: page id → seconds spent
    # on it, summed over visits (the time from the page being reached to it being left).
    page_seconds: Mapped[dict[str, float] | None] = mapped_column(JSONDocument)
    back_navigations: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    # "phone", "tablet" or "desktop", from the user agent (the string itself is not kept).
    device: Mapped[str | None] = mapped_column(String(8))
    # An HMAC of the respondent's IP address under the server's secret: spots bursts from
    # one network without the address; emptied with the contacts (``retention``).
    ip_hash: Mapped[str | None] = mapped_column(String(64))

    agency: Mapped[Agency] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan", passive_deletes=True
    )


class Answer(Base):
    """One stored value: a code or number in ``value_num``, text or a date beside it.

    A ``multi`` item stores one row per ticked code (``position`` 0, 1, ...).
    """

    __tablename__ = "answers"
    __table_args__ = (Index("ix_answers_item_value", "item_id", "value_num"),)

    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0)
    value_num: Mapped[float | None] = mapped_column(Float)
    value_text: Mapped[str | None] = mapped_column(Text)
    value_date: Mapped[date | None] = mapped_column(Date)

    response: Mapped[Response] = relationship(back_populates="answers")


def counted(survey_id: int, *, include_voided: bool = False) -> ColumnElement[bool]:
    """The responses of a survey that count: submitted and not voided. Every score,
    dashboard, API page and export selects with this; ``include_voided`` adds the voided
    ones back (an export asked for them, with their status)."""
    if include_voided:
        statuses = Response.status.in_([ResponseStatus.SUBMITTED, ResponseStatus.VOIDED])
        return (Response.survey_id == survey_id) & statuses
    return (Response.survey_id == survey_id) & (Response.status == ResponseStatus.SUBMITTED)


class AnswerCorrection(Base):
    """One answer changed by staff after submission (a paper-entry typo, say), with the
    value it had: the answers table holds the corrected value only. ``old_value`` and
    ``new_value`` are written as ``responses correct`` takes them (codes joined by ";"
    for a multi item, ISO dates); NULL is "not answered"."""

    __tablename__ = "answer_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("responses.id", ondelete="CASCADE"), index=True
    )
    item_id: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ResponseFlag(Base):
    """A data-quality flag on a response (``review.services.quality``): listed for review,
    never acted on by itself. ``detail`` holds the figures behind it (JSON)."""

    __tablename__ = "response_flags"
    __table_args__ = (UniqueConstraint("response_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
