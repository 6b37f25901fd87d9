"""Scores: each member rates cards on a column's criteria (1–5 by default), and the
fist-to-five consensus check (0–5). Summaries here are plain Python, cheap enough for a
participant's kernel; the pandas ranking lives in :mod:`actionlab.analysis`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import InvalidInput
from ..i18n import N_
from ..library import Library
from .canvas import Author, OnBehalf, acting_member, existing_card
from .options import weights

CONSENSUS = "consensus"  # the criterion key of fist-to-five
FIST_LOW, FIST_HIGH = 0, 5
#: Fist-to-five: 3 or more means "I can live with it"; agreement when nobody shows less.
FIST_AGREE = 3


SCORING = OnBehalf(
    others=N_("Only the facilitator enters scores for someone else."),
    whom=N_("Choose whom you are scoring for."),
    group=N_("Members score their own group's cards."),
)

if TYPE_CHECKING:
    from ..db.models import Card, Score, Workshop
    from ..store import Store


@dataclass(frozen=True)
class CardScore:
    card_id: int
    means: dict[str, float]  # criterion → mean score
    raters: int  # how many people scored the card at all
    total: float | None  # weighted mean over the criteria (None without any score)


@dataclass(frozen=True)
class Consensus:
    card_id: int
    hands: dict[int, int]  # member id → 0–5
    low: int | None

    @property
    def agreed(self) -> bool:
        return bool(self.hands) and self.low is not None and self.low >= FIST_AGREE

    def histogram(self) -> list[int]:
        counts = [0] * (FIST_HIGH - FIST_LOW + 1)
        for value in self.hands.values():
            counts[value - FIST_LOW] += 1
        return counts


class ScoringService:
    def __init__(self, store: Store, library: Library):
        self.store = store
        self.library = library

    def _scorer(self, author: Author, card: Card, for_member: int | None) -> int:
        return acting_member(self.store, author, card, for_member, SCORING)

    def score(self, author: Author, card_id: int, criterion: str, value: int | None,
              for_member: int | None = None) -> None:
        """Set one score (None clears it). Criteria and range come from the column."""
        card = existing_card(self.store, card_id)
        column = self.library.canvas(card.canvas).column(card.column)
        if criterion == CONSENSUS:
            if not column.consensus:
                raise InvalidInput(N_("Cards in this column have no consensus check."))
            low, high = FIST_LOW, FIST_HIGH
        else:
            if column.score is None or criterion not in {c.key for c in column.score.criteria}:
                raise InvalidInput(N_("Cards in this column are not scored on that."))
            low, high = column.score.low, column.score.high
        if value is not None:
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise InvalidInput(N_("A score is a whole number from {low} to {high}."),
                                   low=low, high=high) from None
            if not low <= value <= high:
                raise InvalidInput(N_("A score is a whole number from {low} to {high}."),
                                   low=low, high=high)
        member_id = self._scorer(author, card, for_member)
        self.store.set_score(author.actor, card, member_id, criterion, value)

    def set_weight(self, workshop: Workshop, canvas: str, column: str, criterion: str,
                   weight: float) -> Workshop:
        try:
            weight = float(weight)
        except (TypeError, ValueError):
            raise InvalidInput(N_("A weight is a number from 0 to 10.")) from None
        if not 0 <= weight <= 10:
            raise InvalidInput(N_("A weight is a number from 0 to 10."))
        col = self.library.canvas(canvas).column(column)
        if col.score is None or criterion not in {c.key for c in col.score.criteria}:
            raise InvalidInput(N_("Cards in this column are not scored on that."))
        return self.store.update_workshop_options(
            "facilitator", workshop.id, ("weights", canvas, column, criterion), weight)

    def scores(self, workshop: Workshop, group_id: int, canvas: str) -> list[Score]:
        """Every score of one group's canvas: read once, then handed to ``mine``, ``summary``
        and ``consensus`` so a board refresh queries the table once."""
        return self.store.find_scores(workshop.id, group_id=group_id, canvas=canvas)

    def mine(self, workshop: Workshop, group_id: int, canvas: str, member_id: int,
             scores: list[Score] | None = None) -> dict[tuple[int, str], int]:
        """(card id, criterion) → the member's own score."""
        if scores is None:
            scores = self.scores(workshop, group_id, canvas)
        return {(s.card_id, s.criterion): s.value for s in scores if s.member_id == member_id}

    def summary(self, workshop: Workshop, group_id: int, canvas: str, column_key: str,
                scores: list[Score] | None = None) -> dict[int, CardScore]:
        """Mean per criterion and weighted total for every scored card of a column."""
        column = self.library.canvas(canvas).column(column_key)
        if column.score is None:
            return {}
        w = weights(workshop, canvas, column)
        by_card: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        raters: dict[int, set[int]] = defaultdict(set)
        if scores is None:
            scores = self.scores(workshop, group_id, canvas)
        for s in scores:
            if s.criterion in w:
                by_card[s.card_id][s.criterion].append(s.value)
                raters[s.card_id].add(s.member_id)
        out = {}
        for card_id, per in by_card.items():
            means = {k: sum(v) / len(v) for k, v in per.items()}
            weight_sum = sum(w[k] for k in means)
            total = sum(means[k] * w[k] for k in means) / weight_sum if weight_sum else None
            out[card_id] = CardScore(card_id, means, len(raters[card_id]), total)
        return out

    def consensus(self, workshop: Workshop, group_id: int, canvas: str,
                  scores: list[Score] | None = None) -> dict[int, Consensus]:
        hands: dict[int, dict[int, int]] = defaultdict(dict)
        if scores is None:
            scores = self.scores(workshop, group_id, canvas)
        for s in scores:
            if s.criterion == CONSENSUS:
                hands[s.card_id][s.member_id] = s.value
        return {cid: Consensus(cid, h, min(h.values()) if h else None) for cid, h in hands.items()}
