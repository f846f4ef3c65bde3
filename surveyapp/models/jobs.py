"""Background jobs: exports too large to build, and frame imports too large to read, inside
one request."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from surveyapp.extensions import Base
from surveyapp.models._types import JSONDocument, UTCDateTime, enum_column, utcnow


class JobStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


EXPORT = "export"
FRAME_IMPORT = "frame_import"


class ExportJob(Base):
    """One requested download (or, ``kind`` FRAME_IMPORT, one frame import): its options,
    progress, and the file once written (the uploaded file to import).

    Rows live in the database so that any worker process can report progress and
    serve the file; the file itself lies in the instance's export folder.
    """

    __tablename__ = "export_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=EXPORT, server_default=EXPORT)
    format: Mapped[str] = mapped_column(String(8))  # xlsx, csv, sav, dta
    options: Mapped[dict[str, Any]] = mapped_column(JSONDocument)  # labels, agency scope
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus), default=JobStatus.QUEUED)
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1
    rows: Mapped[int] = mapped_column(default=0)
    filename: Mapped[str] = mapped_column(String(255))
    path: Mapped[str | None] = mapped_column(String(512))
    size: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)  # a frame import's
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The worker's last sign of life (start, each progress report): a running job silent
    # for long has lost its worker (results/services/export_jobs.py, STALE_AFTER).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
