"""Who changed what, when: an append-only log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from surveyapp.extensions import Base
from surveyapp.models._types import JSONDocument, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    # The survey the event concerns, when there is one: the audit page filters by it. No
    # foreign key: the log outlives what it describes.
    survey_id: Mapped[int | None] = mapped_column(index=True)


def record(session: Any, actor_id: int | None, action: str, obj: Any, **details: Any) -> AuditEvent:
    """Add an audit event for ``obj`` (a model with an ``id``) to the caller's transaction."""
    table = type(obj).__tablename__
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        object_type=table,
        object_id=str(obj.id),
        details=details,
        survey_id=obj.id
        if table == "surveys"
        else getattr(obj, "survey_id", details.get("survey")),
    )
    session.add(event)
    return event
