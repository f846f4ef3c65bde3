"""Skip logic of a draft: when an item or a section is shown, one condition at a time.

Each change is built by the rule builder (``edits.rules``, kinds ``item`` and ``section``)
and goes through ``draft.edit``, so it is validated and audit-logged as every edit is.
"""

from __future__ import annotations

from surveyapp.design.services.draft import edit
from surveyapp.design.services.edits import rules
from surveyapp.extensions import DbSession
from surveyapp.models import QuestionnaireVersion


def add_condition(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    kind: str,
    target_id: str,
    *,
    item: str,
    op: str,
    values: list[str],
    combine: str = "all",
) -> None:
    """Add "show when <item> <op> <value>" to an item's or section's rule."""
    edit(
        session,
        version,
        actor_id,
        "logic.add",
        lambda d: rules.add_condition(
            d, kind, target_id, item=item, op=op, values=values, combine=combine
        ),
        target=f"{kind}:{target_id}",
        item=item,
        op=op,
    )


def remove_condition(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    kind: str,
    target_id: str,
    index: int,
) -> None:
    edit(
        session,
        version,
        actor_id,
        "logic.remove",
        lambda d: rules.remove_condition(d, kind, target_id, index),
        target=f"{kind}:{target_id}",
        index=index,
    )


def set_combine(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    kind: str,
    target_id: str,
    combine: str,
) -> None:
    edit(
        session,
        version,
        actor_id,
        "logic.combine",
        lambda d: rules.set_combine(d, kind, target_id, combine),
        target=f"{kind}:{target_id}",
        combine=combine,
    )


def clear_rule(
    session: DbSession,
    version: QuestionnaireVersion,
    actor_id: int | None,
    kind: str,
    target_id: str,
) -> None:
    edit(
        session,
        version,
        actor_id,
        "logic.clear",
        lambda d: rules.target(d, kind, target_id).pop("show_when", None),
        target=f"{kind}:{target_id}",
    )
