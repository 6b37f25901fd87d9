"""The decision meeting (stage 4): each group's proposal is adopted, revised or rejected,
with reasons and conditions. An adopted proposal moves the group on to stage 5, where its
actions are tracked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import InvalidInput
from ..i18n import N_
from ..library import Library
from .access import FACILITATOR
from .progress import clean_text
from .roomstate import room_state

if TYPE_CHECKING:
    from ..db.models import Decision, Workshop
    from ..store import Store

ADOPT, REVISE, REJECT = "adopt", "revise", "reject"
OUTCOMES = {ADOPT: N_("adopt"), REVISE: N_("revise"), REJECT: N_("reject")}


class DecisionService:
    def __init__(self, store: Store, library: Library):
        self.store = store
        self.library = library

    def proposal(self, workshop: Workshop, group_id: int) -> str:
        """The group's proposal as it stands: the agreed strategies, else the key problem's
        goals — a starting text the facilitator may edit before deciding."""
        for canvas, column in (("strategy", "options"), ("goals", "goals")):
            cards = [c for c in self.store.find_cards(workshop.id, group_id=group_id, canvas=canvas)
                     if c.column == column]
            agreed = [c.text for c in cards if c.decided] or [c.text for c in cards]
            if agreed:
                return "; ".join(agreed)
        return ""

    def decide(self, workshop: Workshop, group_id: int, outcome: str, *, proposal: str,
               reasons: str, conditions: str = "") -> Decision:
        if outcome not in OUTCOMES:
            raise InvalidInput(N_("Choose adopt, revise or reject."))
        if group_id not in {g.id for g in self.store.find_groups(workshop.id)}:
            raise InvalidInput(N_("Choose a group."))
        proposal, reasons, conditions = clean_text(proposal), clean_text(reasons), clean_text(conditions)
        if not proposal:
            raise InvalidInput(N_("Write the proposal being decided."))
        if not reasons:
            raise InvalidInput(N_("Give the reasons for the decision."))
        meeting_id = room_state(self.store.find_workshop_by_id(workshop.id)).meeting_id
        return self.store.add_decision(FACILITATOR, workshop_id=workshop.id, group_id=group_id,
                                       meeting_id=meeting_id or None, proposal=proposal,
                                       outcome=outcome, reasons=reasons, conditions=conditions)

    def decisions(self, workshop: Workshop, group_id: int | None = None) -> list[Decision]:
        return self.store.find_decisions(workshop.id, group_id=group_id)

    def latest(self, workshop: Workshop) -> dict[int, Decision]:
        """Each group's latest decision: a revised proposal may be decided again later."""
        out: dict[int, Decision] = {}
        for decision in self.decisions(workshop):
            out[decision.group_id] = decision
        return out

    def adopted_groups(self, workshop: Workshop) -> set[int]:
        """Groups whose proposal stands adopted: they are in stage 5 (tracking)."""
        return {g for g, d in self.latest(workshop).items() if d.outcome == ADOPT}
