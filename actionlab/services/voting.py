"""The voting kit every canvas shares: dots within a budget per person and a cap per card,
anonymous or named, and proxy votes the facilitator enters for people without a device."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import Conflict, InvalidInput
from ..i18n import N_
from ..library import Library
from .canvas import DELETED, Author, OnBehalf, acting_member, existing_card
from .options import VoteRules, vote_rules

MAX_BUDGET = 20
VOTING = OnBehalf(
    others=N_("Only the facilitator enters votes for someone else."),
    whom=N_("Choose whom you are voting for."),
    group=N_("Votes go to cards of the voter's own group."),
)

if TYPE_CHECKING:
    from ..db.models import Card, Workshop
    from ..store import Store


@dataclass
class Tally:
    """Votes on one group's canvas: dots per card, and per card who gave them."""

    rules: VoteRules
    counts: Counter = field(default_factory=Counter)  # card id → dots
    voters: dict[int, Counter] = field(default_factory=dict)  # card id → member id → dots
    spent: Counter = field(default_factory=Counter)  # member id → dots on this canvas

    def left(self, member_id: int | None) -> int:
        return max(self.rules.budget - self.spent.get(member_id, 0), 0)

    def mine(self, card_id: int, member_id: int | None) -> int:
        return self.voters.get(card_id, Counter()).get(member_id, 0)


class VotingService:
    def __init__(self, store: Store, library: Library):
        self.store = store
        self.library = library

    def rules(self, workshop: Workshop, canvas: str) -> VoteRules:
        return vote_rules(workshop, canvas)

    def set_rules(self, workshop: Workshop, canvas: str, *, budget: int, cap: int,
                  anonymous: bool) -> Workshop:
        """The facilitator's budget, cap and anonymity for one canvas of the workshop."""
        try:
            budget, cap = int(budget), int(cap)
        except (TypeError, ValueError):
            raise InvalidInput(N_("Budget and cap are whole numbers.")) from None
        if not 1 <= budget <= MAX_BUDGET:
            raise InvalidInput(N_("Each person has 1 to {n} votes."), n=MAX_BUDGET)
        if not 1 <= cap <= budget:
            raise InvalidInput(N_("The cap per card is between 1 and the budget."))
        return self.store.update_workshop_options(
            "facilitator", workshop.id, ("vote", canvas),
            {"budget": budget, "cap": cap, "anonymous": bool(anonymous)})

    def tally(self, workshop: Workshop, group_id: int, canvas: str) -> Tally:
        tally = Tally(self.rules(workshop, canvas))
        for vote in self.store.find_votes(workshop.id, group_id=group_id, canvas=canvas):
            tally.counts[vote.card_id] += 1
            tally.voters.setdefault(vote.card_id, Counter())[vote.member_id] += 1
            tally.spent[vote.member_id] += 1
        return tally

    def _target(self, author: Author, card_id: int, for_member: int | None) -> tuple[Card, int]:
        card = existing_card(self.store, card_id)
        if not self.library.canvas(card.canvas).column(card.column).vote:
            raise InvalidInput(N_("Cards in this column are not voted on."))
        return card, acting_member(self.store, author, card, for_member, VOTING)

    def vote(self, author: Author, card_id: int, for_member: int | None = None) -> None:
        card, voter = self._target(author, card_id, for_member)
        workshop = self.store.find_workshop_by_id(card.workshop_id)
        rules = self.rules(workshop, card.canvas)
        try:
            self.store.add_vote(author.actor, card, voter, budget=rules.budget, cap=rules.cap)
        except Conflict as exc:
            if str(exc) == "budget":
                raise InvalidInput(N_("All {n} votes are used. Take one back to vote again."),
                                   n=rules.budget) from None
            if str(exc) == "cap":
                raise InvalidInput(N_("At most {n} votes on one card."), n=rules.cap) from None
            raise InvalidInput(DELETED) from None  # the card went while the vote was on its way

    def unvote(self, author: Author, card_id: int, for_member: int | None = None) -> None:
        card, voter = self._target(author, card_id, for_member)
        if not self.store.remove_vote(author.actor, card, voter):
            raise InvalidInput(N_("There is no vote to take back on this card."))

    def clear(self, workshop: Workshop, group_id: int, canvas: str) -> int:
        """Start a new round: the facilitator clears one group's votes on a canvas."""
        return self.store.remove_votes("facilitator", workshop.id, group_id, canvas)
