"""Built-in questionnaires, shipped as JSON inside the package."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class TemplateInfo:
    id: str
    version: int
    title: dict[str, str]
    audience: str


@cache
def _documents() -> dict[str, str]:
    folder = resources.files(__package__)
    return {
        entry.name.removesuffix(".json"): entry.read_text(encoding="utf-8")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    }


def list_templates() -> list[TemplateInfo]:
    infos = []
    for text in _documents().values():
        doc = json.loads(text)
        infos.append(
            TemplateInfo(doc["id"], int(doc.get("version", 1)), doc["title"], doc["audience"])
        )
    return infos


def load_template(template_id: str) -> dict[str, Any]:
    """A fresh copy of a built-in questionnaire; ``KeyError`` for an unknown id."""
    return dict(json.loads(_documents()[template_id]))
