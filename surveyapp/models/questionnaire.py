"""Questionnaires and their versions: the JSON document, frozen once fielded."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.extensions import Base, db
from surveyapp.models._types import JSONDocument, UTCDateTime, enum_column, utcnow


class VersionStatus(enum.Enum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Questionnaire(Base):
    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The document's own ``id`` (e.g. "sipas-2017"); unique per owning province.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    owner_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", order_by="QuestionnaireVersion.version"
    )


class QuestionnaireVersion(Base):
    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"))
    version: Mapped[int]
    status: Mapped[VersionStatus] = mapped_column(
        enum_column(VersionStatus), default=VersionStatus.DRAFT
    )
    document: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(255))  # what changed, for the history

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="versions")

    @property
    def frozen(self) -> bool:
        return self.status is not VersionStatus.DRAFT


class FrozenVersionError(RuntimeError):
    """A fielded questionnaire version was about to change."""


@event.listens_for(QuestionnaireVersion, "before_update")
def _refuse_edits_to_frozen(mapper: Any, connection: Any, target: QuestionnaireVersion) -> None:
    # Answers point at a version: its document must never change once fielded.
    state = db.inspect(target)
    status = state.attrs.status.history
    status_before = status.deleted[0] if status.deleted else target.status
    if state.attrs.document.history.has_changes() and status_before is not VersionStatus.DRAFT:
        raise FrozenVersionError(
            f"questionnaire version {target.id} is {status_before.value}; make a new version"
        )
