"""Sampling frames from one-stop records, the samples drawn from them, and contacts apart.

Contact details (name, phone, e-mail) live only in ``frame_contacts``, keyed by frame
unit: nothing that reads answers or writes exports joins that table, and a purge after
fieldwork empties it without touching the frame or the sample.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.extensions import Base
from surveyapp.models._types import JSONDocument, UTCDateTime, enum_column, utcnow
from surveyapp.models.org import Agency


class FrameChannel(enum.Enum):
    ONLINE = "online"  # dịch vụ công trực tuyến
    COUNTER = "counter"  # at the one-stop counter (Bộ phận Một cửa)


class Allocation(enum.Enum):
    PROPORTIONAL = "proportional"
    EQUAL = "equal"
    NEYMAN = "neyman"


class FrameUnit(Base):
    """One dossier (hồ sơ) of the one-stop records: a person served, who may be sampled."""

    __tablename__ = "frame_units"
    __table_args__ = (
        UniqueConstraint("survey_id", "dossier_code"),
        Index("ix_frame_units_survey_agency", "survey_id", "agency_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    dossier_code: Mapped[str] = mapped_column(String(64))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    service_field: Mapped[str | None] = mapped_column(String(128))
    procedure: Mapped[str | None] = mapped_column(String(255))
    received_at: Mapped[date] = mapped_column(Date)
    due_at: Mapped[date | None] = mapped_column(Date)
    returned_at: Mapped[date | None] = mapped_column(Date)
    channel: Mapped[FrameChannel | None] = mapped_column(enum_column(FrameChannel))
    district: Mapped[str | None] = mapped_column(String(128))
    # A stratum given by the records themselves, usable as a stratification column.
    stratum: Mapped[str | None] = mapped_column(String(128))

    agency: Mapped[Agency] = relationship()


class FrameContact(Base):
    """Personal data of a frame unit, kept apart from the frame, answers and exports."""

    __tablename__ = "frame_contacts"

    frame_unit_id: Mapped[int] = mapped_column(
        ForeignKey("frame_units.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(255))


class Sample(Base):
    """A seeded stratified draw from a survey's frame; the seed reproduces it exactly."""

    __tablename__ = "samples"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    allocation: Mapped[Allocation] = mapped_column(enum_column(Allocation))
    size: Mapped[int]
    margin: Mapped[float | None] = mapped_column(Float)
    minimum: Mapped[int] = mapped_column(default=0)
    reserve_fraction: Mapped[float] = mapped_column(Float, default=0.0)
    strata_columns: Mapped[list[Any]] = mapped_column(JSONDocument)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    strata: Mapped[list[SampleStratum]] = relationship(
        back_populates="sample",
        order_by="SampleStratum.label",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class SampleStratum(Base):
    """Per-stratum figures of a draw: N_h in the frame, n_h drawn, r_h in reserve."""

    __tablename__ = "sample_strata"

    sample_id: Mapped[int] = mapped_column(
        ForeignKey("samples.id", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[str] = mapped_column(String(128), primary_key=True)
    population: Mapped[int]  # N_h
    size: Mapped[int]  # n_h
    reserve: Mapped[int] = mapped_column(default=0)  # r_h

    sample: Mapped[Sample] = relationship(back_populates="strata")

    @property
    def weight(self) -> float:
        """Base weight N_h / n_h (0 when nothing was drawn from the stratum)."""
        return self.population / self.size if self.size else 0.0


class SampledUnit(Base):
    """A frame unit drawn into a sample (main or reserve) with its design figures."""

    __tablename__ = "sampled_units"
    __table_args__ = (UniqueConstraint("sample_id", "frame_unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id", ondelete="CASCADE"))
    frame_unit_id: Mapped[int] = mapped_column(
        ForeignKey("frame_units.id", ondelete="CASCADE"), index=True
    )
    stratum: Mapped[str] = mapped_column(String(128))
    inclusion_probability: Mapped[float] = mapped_column(Float)  # n_h / N_h, a proportion
    base_weight: Mapped[float] = mapped_column(Float)  # N_h / n_h
    reserve: Mapped[bool] = mapped_column(default=False)
    reserve_order: Mapped[int | None]  # 1, 2, ... within the stratum; None in the main sample
    invitation_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitations.id", ondelete="SET NULL"), unique=True
    )

    frame_unit: Mapped[FrameUnit] = relationship()
