"""Scores and votes of one group's canvas as pandas tables, for the console, the projector and
the charts (:mod:`actionlab.charts`).

pandas is a heavy import: only facilitator-side code imports this module, never a
participant's page (the plain-Python summaries live in :mod:`actionlab.services.scoring`).

Cards of a private column stay out until the facilitator reveals the column, as on the
projector. Anonymous votes (the canvas's vote rules) leave ``member_id`` empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .db.models import Card, Workshop
from .library import ColumnDef
from .services.options import vote_rules, weights

if TYPE_CHECKING:
    from .services import Workbook

SCORE_COLUMNS = ["card_id", "text", "member_id", "criterion", "value"]
VOTE_COLUMNS = ["card_id", "text", "column", "member_id"]
RESULT_COLUMNS = ["card_id", "text", "column", "votes"]
MATRIX_COLUMNS = ["card_id", "text", "x", "y", "raters", "decided"]


def _current(workbook: Workbook, workshop: Workshop) -> Workshop:
    """The workshop as stored now: weights, vote rules and reveals the facilitator changed
    since the caller read it count."""
    return workbook.store.find_workshop_by_id(workshop.id)


def _cards(workbook: Workbook, workshop: Workshop, group_id: int, canvas_key: str,
           columns: set[str]) -> list[Card]:
    """The group's cards of those columns, in board order, as the projector may show them."""
    cards = [c for c in workbook.store.find_cards(workshop.id, group_id=group_id, canvas=canvas_key)
             if c.column in columns]
    return workbook.canvas.visible(workshop, cards, None)


def _scored_column(workbook: Workbook, canvas_key: str, column_key: str) -> ColumnDef:
    column = workbook.library.canvas(canvas_key).column(column_key)
    if column.score is None:
        raise ValueError(f"column {canvas_key}.{column_key} is not scored")
    return column


def score_frame(workbook: Workbook, workshop: Workshop, group_id: int, canvas_key: str,
                column_key: str) -> pd.DataFrame:
    """Every score of the column's cards, one row per member, card and criterion:
    ``card_id, text, member_id, criterion, value`` (board order, then criteria order)."""
    column = _scored_column(workbook, canvas_key, column_key)
    workshop = _current(workbook, workshop)
    order = {c.key: i for i, c in enumerate(column.score.criteria)}
    cards = _cards(workbook, workshop, group_id, canvas_key, {column_key})
    position = {c.id: i for i, c in enumerate(cards)}
    text = {c.id: c.text for c in cards}
    rows = [(s.card_id, text[s.card_id], s.member_id, s.criterion, s.value)
            for s in workbook.store.find_scores(workshop.id, group_id=group_id, canvas=canvas_key)
            if s.card_id in text and s.criterion in order]
    rows.sort(key=lambda r: (position[r[0]], order[r[3]], r[2]))
    frame = pd.DataFrame(rows, columns=SCORE_COLUMNS)
    return frame.astype({"card_id": "int64", "member_id": "int64", "value": "int64",
                         "text": "object", "criterion": "object"})


def ranking(workbook: Workbook, workshop: Workshop, group_id: int, canvas_key: str,
            column_key: str) -> pd.DataFrame:
    """One row per card of the column, best first: ``card_id, text``, the mean of each
    criterion (in the definition's order), ``total`` (mean weighted with the facilitator's
    weights), ``raters``, ``rank`` (1 is best; equal totals share the lowest rank) and
    ``decided``. Cards nobody scored come last, with no total and no rank."""
    column = _scored_column(workbook, canvas_key, column_key)
    keys = [c.key for c in column.score.criteria]
    workshop = _current(workbook, workshop)
    summary = workbook.scoring.summary(workshop, group_id, canvas_key, column_key)
    rows = []
    for card in _cards(workbook, workshop, group_id, canvas_key, {column_key}):
        score = summary.get(card.id)
        means = score.means if score else {}
        total = score.total if score and score.total is not None else float("nan")
        rows.append([card.id, card.text, *(means.get(k, float("nan")) for k in keys),
                     total, score.raters if score else 0, bool(card.decided)])
    frame = pd.DataFrame(rows, columns=["card_id", "text", *keys, "total", "raters", "decided"])
    frame = frame.astype({"card_id": "int64", "raters": "int64", "decided": "bool",
                          "total": "float64", **{k: "float64" for k in keys}})
    # Rounded so that totals equal on paper are equal here despite floating-point sums.
    frame["rank"] = frame["total"].round(9).rank(method="min", ascending=False).astype("Int64")
    frame = frame.sort_values("rank", kind="stable", na_position="last").reset_index(drop=True)
    return frame[["card_id", "text", *keys, "total", "raters", "rank", "decided"]]


def criteria_weights(workbook: Workbook, workshop: Workshop, canvas_key: str,
                     column_key: str) -> dict[str, float]:
    """Criterion → the weight in force now (the facilitator's, else the definition's)."""
    column = _scored_column(workbook, canvas_key, column_key)
    return weights(_current(workbook, workshop), canvas_key, column)


def _voted_columns(workbook: Workbook, canvas_key: str) -> list[str]:
    return [c.key for c in workbook.library.canvas(canvas_key).columns if c.vote]


def vote_frame(workbook: Workbook, workshop: Workshop, group_id: int,
               canvas_key: str) -> pd.DataFrame:
    """Every dot on the canvas, one row each: ``card_id, text, column, member_id``
    (``member_id`` is empty when the canvas's votes are anonymous)."""
    workshop = _current(workbook, workshop)
    anonymous = vote_rules(workshop, canvas_key).anonymous
    cards = {c.id: c for c in _cards(workbook, workshop, group_id, canvas_key,
                                     set(_voted_columns(workbook, canvas_key)))}
    rows = [(v.card_id, cards[v.card_id].text, cards[v.card_id].column,
             None if anonymous else v.member_id)
            for v in workbook.store.find_votes(workshop.id, group_id=group_id, canvas=canvas_key)
            if v.card_id in cards]
    frame = pd.DataFrame(rows, columns=VOTE_COLUMNS)
    return frame.astype({"card_id": "int64", "text": "object", "column": "object",
                         "member_id": "Int64"})


def vote_results(workbook: Workbook, workshop: Workshop, group_id: int,
                 canvas_key: str) -> pd.DataFrame:
    """Dots per card of the canvas's voted columns, most first: ``card_id, text, column,
    votes``. Cards without a vote are listed with 0; equal counts keep the board order."""
    columns = _voted_columns(workbook, canvas_key)
    workshop = _current(workbook, workshop)
    cards = _cards(workbook, workshop, group_id, canvas_key, set(columns))
    counts = workbook.voting.tally(workshop, group_id, canvas_key).counts
    frame = pd.DataFrame([(c.id, c.text, c.column, counts.get(c.id, 0)) for c in cards],
                         columns=RESULT_COLUMNS)
    frame = frame.astype({"card_id": "int64", "text": "object", "column": "object",
                          "votes": "int64"})
    return frame.sort_values("votes", ascending=False, kind="stable").reset_index(drop=True)


def matrix_frame(workbook: Workbook, workshop: Workshop, group_id: int, canvas_key: str,
                 column_key: str) -> pd.DataFrame:
    """For a column scored on two criteria (``chart: matrix``): ``card_id, text``, ``x`` the
    mean of the first criterion, ``y`` of the second, ``raters`` and ``decided``. Cards
    nobody scored have no ``x``/``y``."""
    column = _scored_column(workbook, canvas_key, column_key)
    if len(column.score.criteria) < 2:
        raise ValueError(f"column {canvas_key}.{column_key} has no two criteria for a matrix")
    first, second = (c.key for c in column.score.criteria[:2])
    workshop = _current(workbook, workshop)
    summary = workbook.scoring.summary(workshop, group_id, canvas_key, column_key)
    nan = float("nan")
    rows = []
    for card in _cards(workbook, workshop, group_id, canvas_key, {column_key}):
        score = summary.get(card.id)
        means = score.means if score else {}
        rows.append((card.id, card.text, means.get(first, nan), means.get(second, nan),
                     score.raters if score else 0, bool(card.decided)))
    frame = pd.DataFrame(rows, columns=MATRIX_COLUMNS)
    return frame.astype({"card_id": "int64", "text": "object", "x": "float64", "y": "float64",
                         "raters": "int64", "decided": "bool"})
