"""The facilitator's settings of a workshop, kept in ``Workshop.options`` (one JSON document).

``{"vote": {canvas: {"budget": 5, "cap": 3, "anonymous": true}},
   "weights": {canvas: {column: {criterion: weight}}},
   "reveal": {canvas: [column, …]}}``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..library import ColumnDef

if TYPE_CHECKING:
    from ..db.models import Workshop

DEFAULT_BUDGET = 5
DEFAULT_CAP = 3


@dataclass(frozen=True)
class VoteRules:
    budget: int = DEFAULT_BUDGET  # dots per person on one canvas
    cap: int = DEFAULT_CAP  # dots one person may put on one card
    anonymous: bool = True  # results show counts only, not who voted


def vote_rules(workshop: Workshop, canvas: str) -> VoteRules:
    raw = ((workshop.options or {}).get("vote") or {}).get(canvas) or {}
    return VoteRules(
        budget=int(raw.get("budget", DEFAULT_BUDGET)),
        cap=int(raw.get("cap", DEFAULT_CAP)),
        anonymous=bool(raw.get("anonymous", True)),
    )


def weights(workshop: Workshop, canvas: str, column: ColumnDef) -> dict[str, float]:
    """Criterion → weight for a scored column: the facilitator's, else the definition's."""
    if column.score is None:
        return {}
    raw = (((workshop.options or {}).get("weights") or {}).get(canvas) or {}).get(column.key) or {}
    return {c.key: float(raw.get(c.key, c.weight)) for c in column.score.criteria}


def revealed(workshop: Workshop, canvas: str, column: str) -> bool:
    return column in (((workshop.options or {}).get("reveal") or {}).get(canvas) or [])
