"""Agencies (a province's hierarchy), staff accounts and their API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Select, String, false, select
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from surveyapp.extensions import Base
from surveyapp.models._types import UTCDateTime, enum_column, utcnow


class AgencyLevel(enum.Enum):
    PROVINCE = "province"
    DEPARTMENT = "department"
    DISTRICT = "district"
    UNIT = "unit"


class Agency(Base):
    """A node of the province → department/district → unit tree.

    ``path`` is the materialised chain of codes (``/HN/SXD/``) so that "this agency
    and everything under it" is one indexed prefix match.
    """

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    level: Mapped[AgencyLevel] = mapped_column(enum_column(AgencyLevel))
    name_vi: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255))
    path: Mapped[str] = mapped_column(String(512), index=True)

    parent: Mapped[Agency | None] = relationship(remote_side=[id])

    def subtree_ids(self) -> Select[int]:
        """A select of the ids of this agency and every agency under it."""
        return select(Agency.id).where(Agency.path.startswith(self.path, autoescape=True))

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name_vi

    def __repr__(self) -> str:
        return f"<Agency {self.code}>"


class Role(enum.Enum):
    ADMIN = "admin"
    DESIGNER = "designer"
    FIELDWORK = "fieldwork"
    ANALYST = "analyst"
    OFFICIAL = "official"


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    # None = every agency; otherwise this agency and everything under it.
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session's id (``get_id``): raising it ends all of the user's sessions.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    # Set by an admin's temporary password: every page asks for a new one until it is set.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    agency: Mapped[Agency | None] = relationship()

    def set_password(self, password: str) -> None:
        """Store the password's hash; sessions signed in with the old one end."""
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        self.session_version = (self.session_version or 0) + 1

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
