"""Scores and votes as pandas tables: rankings with the facilitator's weights, ties, cards
nobody scored, vote results, the impact matrix; on a real SQLite store."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from actionlab import analysis
from actionlab.services.canvas import FACILITATOR_AUTHOR, Author

CRITERIA = ["important", "urgent", "complex", "feasible", "specific", "timely"]



@pytest.fixture
def board(wb):
    """A workshop of two groups; three members of group 1 and one of group 2."""
    ws = wb.workshops.create("Analysis", "en", 2, canvases=["topic", "restructure", "strategy"])
    g1, g2 = wb.workshops.groups(ws)
    people = [Author(wb.workshops.join(ws.code, g1.id, name).member) for name in ("Ada", "Ben", "Cy")]
    other = Author(wb.workshops.join(ws.code, g2.id, "Dee").member)
    return ws, g1, g2, people, other


def topics(wb, ws, group_id, author, *texts):
    return [wb.canvas.add_card(author, ws, group_id, "topic", "candidates", text,
                               fields={"kind": "task"}) for text in texts]


def score(wb, author, card, **values):
    for criterion, value in values.items():
        wb.scoring.score(author, card.id, criterion, value)


@pytest.fixture
def scored(wb, board):
    """A: important 5, urgent 2 (means); B: 2 and 4; C: 4 and 3 (one rater); D: not scored."""
    ws, g1, g2, (ada, ben, cy), dee = board
    a, b, c, d = topics(wb, ws, g1.id, ada, "A first", "B second", "C third", "D fourth")
    score(wb, ada, a, important=5, urgent=1)
    score(wb, ben, a, important=5, urgent=3)
    score(wb, ada, b, important=2, urgent=4)
    score(wb, ben, b, important=2, urgent=4)
    score(wb, cy, c, important=4, urgent=3)
    # Noise that must stay out: another group's card, a card of another column.
    (elsewhere,) = topics(wb, ws, g2.id, dee, "Other group")
    score(wb, dee, elsewhere, important=1, urgent=1)
    wb.canvas.add_card(ada, ws, g1.id, "topic", "subtopics", "A sub-topic",
                       fields={"units": "u", "problems": "p", "goals": "g"}, parent_id=a.id)
    return ws, g1, {"A": a, "B": b, "C": c, "D": d}


def test_ranking_has_a_row_per_card_with_criteria_in_the_definitions_order(wb, scored):
    ws, g1, cards = scored
    frame = analysis.ranking(wb, ws, g1.id, "topic", "candidates")
    assert list(frame.columns) == ["card_id", "text", *CRITERIA, "total", "raters", "rank", "decided"]
    assert sorted(frame["card_id"]) == sorted(c.id for c in cards.values())
    row = frame.set_index("text").loc["A first"]
    assert row["important"] == 5 and row["urgent"] == 2 and math.isnan(row["complex"])
    assert row["raters"] == 2


def test_equal_totals_share_the_best_rank_and_unscored_cards_come_last(wb, scored):
    ws, g1, _cards = scored
    frame = analysis.ranking(wb, ws, g1.id, "topic", "candidates")
    # Equal weights: A (5+2)/2 = 3.5, C (4+3)/2 = 3.5, B (2+4)/2 = 3.0.
    assert list(frame["text"]) == ["A first", "C third", "B second", "D fourth"]
    assert list(frame["total"][:3]) == [3.5, 3.5, 3.0]
    assert list(frame["rank"][:3]) == [1, 1, 3]
    last = frame.iloc[-1]
    assert math.isnan(last["total"]) and pd.isna(last["rank"]) and last["raters"] == 0
    assert frame["rank"].dtype == "Int64"


def test_the_facilitators_weights_change_totals_and_order(wb, scored):
    ws, g1, _cards = scored
    wb.scoring.set_weight(ws, "topic", "candidates", "urgent", 3)
    # ``ws`` is the object from before the change: the ranking reads the weights in force.
    frame = analysis.ranking(wb, ws, g1.id, "topic", "candidates")
    totals = dict(zip(frame["text"], frame["total"], strict=True))
    assert totals["B second"] == pytest.approx((2 + 4 * 3) / 4)  # 3.5
    assert totals["C third"] == pytest.approx((4 + 3 * 3) / 4)  # 3.25
    assert totals["A first"] == pytest.approx((5 + 2 * 3) / 4)  # 2.75
    assert list(frame["text"]) == ["B second", "C third", "A first", "D fourth"]
    assert list(frame["rank"][:3]) == [1, 2, 3]
    assert analysis.criteria_weights(wb, ws, "topic", "candidates")["urgent"] == 3


def test_a_weight_of_zero_leaves_the_criterion_out_of_the_total(wb, scored):
    ws, g1, _cards = scored
    wb.scoring.set_weight(ws, "topic", "candidates", "important", 0)
    frame = analysis.ranking(wb, ws, g1.id, "topic", "candidates").set_index("text")
    assert frame.loc["A first", "total"] == 2 and frame.loc["B second", "total"] == 4


def test_ranking_agrees_with_the_participants_summary(wb, scored):
    ws, g1, _cards = scored
    wb.scoring.set_weight(ws, "topic", "candidates", "urgent", 2.5)
    ws = wb.workshops.get(ws.code)
    summary = wb.scoring.summary(ws, g1.id, "topic", "candidates")
    frame = analysis.ranking(wb, ws, g1.id, "topic", "candidates")
    for row in frame.itertuples():
        if row.card_id in summary:
            assert row.total == pytest.approx(summary[row.card_id].total)


def test_decided_cards_are_marked(wb, scored):
    ws, g1, cards = scored
    wb.canvas.decide(FACILITATOR_AUTHOR, cards["B"].id, True)
    frame = analysis.ranking(wb, ws, g1.id, "topic", "candidates").set_index("text")
    assert frame["decided"].to_dict() == {"A first": False, "C third": False, "B second": True,
                                          "D fourth": False}


def test_ranking_of_an_empty_column(wb, board):
    ws, g1, *_ = board
    frame = analysis.ranking(wb, ws, g1.id, "topic", "candidates")
    assert frame.empty and list(frame.columns)[-4:] == ["total", "raters", "rank", "decided"]


def test_score_frame_is_tidy_and_in_board_order(wb, scored):
    ws, g1, cards = scored
    frame = analysis.score_frame(wb, ws, g1.id, "topic", "candidates")
    assert list(frame.columns) == ["card_id", "text", "member_id", "criterion", "value"]
    assert len(frame) == 10  # A: 2 people × 2, B: 2 × 2, C: 1 × 2; nothing of group 2
    assert list(dict.fromkeys(frame["text"])) == ["A first", "B second", "C third"]
    a = frame[frame["card_id"] == cards["A"].id]
    assert list(a["criterion"]) == ["important", "important", "urgent", "urgent"]
    assert sorted(a[a["criterion"] == "urgent"]["value"]) == [1, 3]
    assert analysis.score_frame(wb, ws, g1.id, "strategy", "options").empty


def test_a_column_without_scores_is_refused(wb, board):
    ws, g1, *_ = board
    with pytest.raises(ValueError):
        analysis.ranking(wb, ws, g1.id, "topic", "subtopics")
    with pytest.raises(ValueError):
        analysis.matrix_frame(wb, ws, g1.id, "restructure", "key_problem")


def test_vote_results_count_every_card_most_first(wb, board):
    ws, g1, _g2, (ada, ben, cy), _dee = board
    first, second, third = (wb.canvas.add_card(ada, ws, g1.id, "restructure", "key_problem", t)
                            for t in ("first", "second", "third"))
    for author in (ada, ben, cy):
        wb.voting.vote(author, third.id)
    wb.voting.vote(ada, first.id)
    frame = analysis.vote_results(wb, ws, g1.id, "restructure")
    assert list(frame.columns) == ["card_id", "text", "column", "votes"]
    assert list(zip(frame["text"], frame["votes"], strict=True)) == [
        ("third", 3), ("first", 1), ("second", 0)]
    assert set(frame["column"]) == {"key_problem"}
    assert frame["card_id"].tolist() == [third.id, first.id, second.id]


def test_private_cards_stay_out_until_revealed(wb, board):
    ws, g1, _g2, (ada, ben, _cy), _dee = board
    mine = wb.canvas.add_card(ada, ws, g1.id, "restructure", "restatements", "my own view")
    wb.voting.vote(ben, mine.id)
    assert analysis.vote_results(wb, ws, g1.id, "restructure").empty
    wb.canvas.reveal(ws, "restructure", "restatements")
    frame = analysis.vote_results(wb, ws, g1.id, "restructure")
    assert frame[["text", "column", "votes"]].values.tolist() == [
        ["my own view", "restatements", 1]]


def test_vote_frame_names_voters_only_when_votes_are_not_anonymous(wb, board):
    ws, g1, _g2, (ada, ben, _cy), _dee = board
    card = wb.canvas.add_card(ada, ws, g1.id, "restructure", "key_problem", "the problem")
    wb.voting.vote(ben, card.id)
    wb.voting.vote(ben, card.id)
    frame = analysis.vote_frame(wb, ws, g1.id, "restructure")
    assert len(frame) == 2 and frame["member_id"].isna().all()
    wb.voting.set_rules(ws, "restructure", budget=5, cap=3, anonymous=False)
    frame = analysis.vote_frame(wb, ws, g1.id, "restructure")
    assert frame["member_id"].tolist() == [ben.member_id, ben.member_id]


def test_matrix_frame_takes_the_first_two_criteria(wb, board):
    ws, g1, _g2, (ada, ben, _cy), _dee = board
    quick, hard, idle = (wb.canvas.add_card(ada, ws, g1.id, "strategy", "options", t)
                         for t in ("quick", "hard", "idle"))
    for author, (qi, qf, hi, hf) in ((ada, (5, 4, 5, 1)), (ben, (4, 4, 4, 2))):
        score(wb, author, quick, impact=qi, feasibility=qf)
        score(wb, author, hard, impact=hi, feasibility=hf)
    wb.canvas.decide(FACILITATOR_AUTHOR, quick.id, True)
    frame = analysis.matrix_frame(wb, ws, g1.id, "strategy", "options")
    assert list(frame.columns) == ["card_id", "text", "x", "y", "raters", "decided"]
    rows = frame.set_index("text")
    assert (rows.loc["quick", "x"], rows.loc["quick", "y"]) == (4.5, 4.0)
    assert (rows.loc["hard", "x"], rows.loc["hard", "y"]) == (4.5, 1.5)
    assert rows.loc["quick", "decided"] and not rows.loc["hard", "decided"]
    assert math.isnan(rows.loc["idle", "x"]) and rows.loc["idle", "raters"] == 0
    assert idle.id in frame["card_id"].tolist()
