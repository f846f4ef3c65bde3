"""Frame files uploaded on the web, kept between the mapping, report and import steps.

A file lives in ``folder`` under a random name that also carries its owner and survey
(``<user>-<survey>-<token><suffix>``): another user, or the same token on another
survey, finds nothing. Files are removed after the import, when cancelled, and once
older than ``MAX_AGE``.
"""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path
from typing import IO

from surveyapp.fieldwork.services.frames.files import SPREADSHEET_SUFFIXES

SUFFIXES = (".csv", ".txt", *SPREADSHEET_SUFFIXES)
MAX_AGE = 24 * 3600  # seconds
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def save_upload(
    folder: Path, user_id: int, survey_id: int, stream: IO[bytes], filename: str
) -> str | None:
    """Store an uploaded file; its token, or None when the suffix is not CSV/XLSX."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale(folder)
    token = secrets.token_urlsafe(18)
    target = folder / f"{user_id}-{survey_id}-{token}{suffix}"
    with target.open("xb") as handle:
        while block := stream.read(1 << 20):
            handle.write(block)
    return token


def upload_path(folder: Path, user_id: int, survey_id: int, token: str) -> Path | None:
    """The file of ``token`` if this user uploaded it for this survey."""
    if not _TOKEN.fullmatch(token):
        return None
    for suffix in SUFFIXES:
        path = folder / f"{user_id}-{survey_id}-{token}{suffix}"
        if path.is_file():
            return path
    return None


def remove_upload(path: Path) -> None:
    path.unlink(missing_ok=True)


def remove_stale(folder: Path, *, now: float | None = None) -> int:
    """Delete uploads older than ``MAX_AGE`` (abandoned imports); how many went."""
    limit = (now if now is not None else time.time()) - MAX_AGE
    stale = [p for p in folder.glob("*-*-*") if p.is_file() and p.stat().st_mtime < limit]
    for path in stale:
        path.unlink(missing_ok=True)
    return len(stale)
