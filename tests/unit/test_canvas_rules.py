"""The canvases' rules: typed fields, links, why, decisions by role, private columns and reveal,
the voting kit (budget, cap, anonymity, proxies), scores with weights, fist-to-five, edit
conflicts and the strategy map."""

from __future__ import annotations

import pytest

from actionlab.errors import InvalidInput
from actionlab.services.canvas import FACILITATOR_AUTHOR, Author, EditConflict

ALL = ["topic", "restructure", "goals", "strategy", "actions"]



@pytest.fixture
def room(wb):
    ws = wb.workshops.create("Rules", "en", 2, canvases=ALL)
    g1, g2 = wb.workshops.groups(ws)
    people = {name: wb.workshops.join(ws.code, g1.id, name).member for name in ("Ann", "Ben", "Cy")}
    other = wb.workshops.join(ws.code, g2.id, "Dee").member
    return ws, g1, g2, people, other


def msg(info) -> str:
    return info.value.message_id


# -- fields and links ---------------------------------------------------------------------


def test_typed_fields_are_checked_and_stored(wb, room):
    ws, g1, _g2, people, other = room
    ann = Author(people["Ann"])
    goal_parent = wb.canvas.add_card(ann, ws, g1.id, "restructure", "key_problem", "Slow handling")
    goal = wb.canvas.add_card(ann, ws, g1.id, "goals", "goals", "Answer in two days",
                              fields={"level": "team", "measure": "days to answer",
                                      "deadline": "2027-03-31", "owner": people["Ben"].id},
                              parent_id=goal_parent.id)
    assert goal.fields == {"level": "team", "measure": "days to answer",
                           "deadline": "2027-03-31", "owner": people["Ben"].id}
    assert goal.parent_id == goal_parent.id
    column = wb.library.canvas("goals").column("goals")
    assert wb.canvas.missing_fields(goal, column) == []
    bare = wb.canvas.add_card(ann, ws, g1.id, "goals", "goals", "Fewer complaints")
    assert [f.key for f in wb.canvas.missing_fields(bare, column)] == [
        "level", "measure", "deadline", "owner"]
    for fields, expected in [
        ({"level": "galaxy"}, "Choose one of the offered values."),
        ({"deadline": "next spring"}, "Write the date as YYYY-MM-DD."),
        ({"owner": other.id}, "Choose a member of the group."),
        ({"colour": "red"}, "This card has no field {name}."),
    ]:
        with pytest.raises(InvalidInput) as info:
            wb.canvas.add_card(ann, ws, g1.id, "goals", "goals", "x", fields=fields)
        assert msg(info) == expected
    with pytest.raises(InvalidInput) as info:  # a link must point into the named column
        wb.canvas.add_card(ann, ws, g1.id, "goals", "goals", "x", parent_id=bare.id)
    assert msg(info) == "That card cannot be linked here."


def test_why_adds_a_linked_cause_and_drills_deeper(wb, room):
    ws, g1, _g2, people, _other = room
    ann = Author(people["Ann"])
    problem = wb.canvas.add_card(ann, ws, g1.id, "restructure", "problems", "Late answers")
    cause = wb.canvas.ask_why(ann, problem.id, "No owner for complaints")
    deeper = wb.canvas.ask_why(Author(people["Ben"]), cause.id, "Roles never written down")
    assert (cause.column, cause.parent_id) == ("causes", problem.id)
    assert (deeper.column, deeper.parent_id) == ("causes", cause.id)
    symptom = wb.canvas.add_card(ann, ws, g1.id, "restructure", "symptoms", "Complaints up")
    with pytest.raises(InvalidInput):
        wb.canvas.ask_why(ann, symptom.id, "no why on symptoms")


def test_only_leaders_and_the_facilitator_record_decisions(wb, room):
    ws, g1, _g2, people, _other = room
    card = wb.canvas.add_card(Author(people["Ann"]), ws, g1.id, "restructure", "key_problem", "K")
    with pytest.raises(InvalidInput) as info:
        wb.canvas.decide(Author(people["Ann"]), card.id)
    assert "group leader" in msg(info)
    wb.teams.set_role(ws, people["Ann"].id, "group_leader")
    leader = Author(wb.store.find_member(people["Ann"].id))
    assert wb.canvas.decide(leader, card.id).decided
    assert not wb.canvas.decide(FACILITATOR_AUTHOR, card.id, False).decided
    symptom = wb.canvas.add_card(leader, ws, g1.id, "restructure", "symptoms", "S")
    with pytest.raises(InvalidInput):
        wb.canvas.decide(leader, symptom.id)


def test_private_restatements_stay_hidden_until_the_reveal(wb, room):
    ws, g1, _g2, people, _other = room
    ann, ben = Author(people["Ann"]), Author(people["Ben"])
    wb.canvas.add_card(ann, ws, g1.id, "restructure", "restatements", "Ann's view")
    wb.canvas.add_card(ben, ws, g1.id, "restructure", "restatements", "Ben's view")
    cards = wb.canvas.cards(ws, g1.id, "restructure")
    assert [c.text for c in wb.canvas.visible(ws, cards, ann)] == ["Ann's view"]
    assert wb.canvas.visible(ws, cards, None) == []  # projector
    assert wb.canvas.visible(ws, cards, FACILITATOR_AUTHOR) == []
    ws = wb.canvas.reveal(ws, "restructure", "restatements")
    assert [c.text for c in wb.canvas.visible(ws, cards, None)] == ["Ann's view", "Ben's view"]
    ws = wb.canvas.reveal(ws, "restructure", "restatements", False)
    assert wb.canvas.visible(ws, cards, None) == []
    with pytest.raises(InvalidInput):
        wb.canvas.reveal(ws, "restructure", "symptoms")


def test_an_edit_over_someone_elses_newer_save_is_refused_with_their_version(wb, room):
    ws, g1, _g2, people, _other = room
    ann, ben = Author(people["Ann"]), Author(people["Ben"])
    card = wb.canvas.add_card(ann, ws, g1.id, "restructure", "symptoms", "first")
    wb.canvas.edit_card(ben, card.id, "Ben's version", base=card)
    with pytest.raises(EditConflict) as info:
        wb.canvas.edit_card(ann, card.id, "Ann's version", base=card)
    assert info.value.current.text == "Ben's version"
    assert wb.store.find_card(card.id).text == "Ben's version"
    saved = wb.canvas.edit_card(ann, card.id, "Ann's version", base=info.value.current)
    assert saved.text == "Ann's version"


# -- voting ---------------------------------------------------------------------------------


def test_votes_respect_budget_and_cap_and_can_be_taken_back(wb, room):
    ws, g1, _g2, people, _other = room
    ann = Author(people["Ann"])
    cards = [wb.canvas.add_card(ann, ws, g1.id, "restructure", "key_problem", f"K{i}")
             for i in range(3)]
    for _ in range(3):
        wb.voting.vote(ann, cards[0].id)
    with pytest.raises(InvalidInput) as info:
        wb.voting.vote(ann, cards[0].id)
    assert msg(info) == "At most {n} votes on one card."
    wb.voting.vote(ann, cards[1].id)
    wb.voting.vote(ann, cards[2].id)
    with pytest.raises(InvalidInput) as info:
        wb.voting.vote(ann, cards[2].id)
    assert msg(info) == "All {n} votes are used. Take one back to vote again."
    tally = wb.voting.tally(ws, g1.id, "restructure")
    assert tally.counts == {cards[0].id: 3, cards[1].id: 1, cards[2].id: 1}
    assert tally.left(people["Ann"].id) == 0
    wb.voting.unvote(ann, cards[0].id)
    assert wb.voting.tally(ws, g1.id, "restructure").left(people["Ann"].id) == 1
    symptom = wb.canvas.add_card(ann, ws, g1.id, "restructure", "symptoms", "S")
    with pytest.raises(InvalidInput):
        wb.voting.vote(ann, symptom.id)


def test_facilitator_sets_rules_and_enters_proxy_votes(wb, room):
    ws, g1, g2, people, other = room
    card = wb.canvas.add_card(FACILITATOR_AUTHOR, ws, g1.id, "restructure", "key_problem", "K")
    ws = wb.voting.set_rules(ws, "restructure", budget=2, cap=1, anonymous=False)
    assert wb.voting.rules(ws, "restructure").budget == 2
    wb.voting.vote(FACILITATOR_AUTHOR, card.id, for_member=people["Cy"].id)
    tally = wb.voting.tally(ws, g1.id, "restructure")
    assert tally.voters[card.id] == {people["Cy"].id: 1}
    assert wb.store.find_votes(ws.id)[0].entered_by == "facilitator"
    with pytest.raises(InvalidInput) as info:  # cap 1 now
        wb.voting.vote(FACILITATOR_AUTHOR, card.id, for_member=people["Cy"].id)
    assert msg(info) == "At most {n} votes on one card."
    with pytest.raises(InvalidInput):  # members cannot vote for others
        wb.voting.vote(Author(people["Ann"]), card.id, for_member=people["Ben"].id)
    with pytest.raises(InvalidInput):  # nor on another group's cards
        wb.voting.vote(Author(other), card.id)
    with pytest.raises(InvalidInput):  # the facilitator must say for whom
        wb.voting.vote(FACILITATOR_AUTHOR, card.id)
    for budget, cap in [(0, 1), (21, 1), (3, 4), ("x", 1)]:
        with pytest.raises(InvalidInput):
            wb.voting.set_rules(ws, "restructure", budget=budget, cap=cap, anonymous=True)
    assert wb.voting.clear(ws, g1.id, "restructure") == 1
    assert wb.voting.tally(ws, g1.id, "restructure").counts == {}


# -- scores ---------------------------------------------------------------------------------


def test_topic_scores_give_weighted_means(wb, room):
    ws, g1, _g2, people, _other = room
    ann, ben = Author(people["Ann"]), Author(people["Ben"])
    topic = wb.canvas.add_card(ann, ws, g1.id, "topic", "candidates", "Complaints",
                               fields={"kind": "problem", "source": "service"})
    wb.scoring.score(ann, topic.id, "important", 5)
    wb.scoring.score(ben, topic.id, "important", 3)
    wb.scoring.score(ann, topic.id, "urgent", 2)
    s = wb.scoring.summary(ws, g1.id, "topic", "candidates")[topic.id]
    assert s.means == {"important": 4.0, "urgent": 2.0} and s.raters == 2
    assert s.total == pytest.approx(3.0)
    ws = wb.scoring.set_weight(ws, "topic", "candidates", "urgent", 3)
    s = wb.scoring.summary(ws, g1.id, "topic", "candidates")[topic.id]
    assert s.total == pytest.approx((4 * 1 + 2 * 3) / 4)
    wb.scoring.score(ann, topic.id, "urgent", 4)  # changing one's mind replaces the score
    wb.scoring.score(ben, topic.id, "important", None)  # and None clears it
    s = wb.scoring.summary(ws, g1.id, "topic", "candidates")[topic.id]
    assert s.means == {"important": 5.0, "urgent": 4.0}
    for criterion, value in [("important", 6), ("important", 0), ("impact", 3), ("urgent", "x")]:
        with pytest.raises(InvalidInput):
            wb.scoring.score(ann, topic.id, criterion, value)


def test_fist_to_five_shows_consensus_only_when_everyone_is_at_three(wb, room):
    ws, g1, _g2, people, _other = room
    goal = wb.canvas.add_card(Author(people["Ann"]), ws, g1.id, "goals", "goals", "G")
    for name, hand in (("Ann", 5), ("Ben", 3), ("Cy", 2)):
        wb.scoring.score(Author(people[name]), goal.id, "consensus", hand)
    result = wb.scoring.consensus(ws, g1.id, "goals")[goal.id]
    assert (result.low, result.agreed, result.histogram()) == (2, False, [0, 0, 1, 1, 0, 1])
    wb.scoring.score(FACILITATOR_AUTHOR, goal.id, "consensus", 4, for_member=people["Cy"].id)
    assert wb.scoring.consensus(ws, g1.id, "goals")[goal.id].agreed
    topic = wb.canvas.add_card(Author(people["Ann"]), ws, g1.id, "topic", "candidates", "T")
    with pytest.raises(InvalidInput):
        wb.scoring.score(Author(people["Ann"]), topic.id, "consensus", 3)


# -- strategy map, sub-topics and the record ----------------------------------------------


def test_strategy_map_follows_links_from_the_agreed_key_problem(wb, room):
    ws, g1, _g2, people, _other = room
    a = Author(people["Ann"])
    dropped = wb.canvas.add_card(a, ws, g1.id, "restructure", "key_problem", "Not this one")
    key = wb.canvas.add_card(a, ws, g1.id, "restructure", "key_problem", "Slow complaint handling")
    wb.canvas.decide(FACILITATOR_AUTHOR, key.id)
    goal = wb.canvas.add_card(a, ws, g1.id, "goals", "goals", "Two-day answers", parent_id=key.id)
    option = wb.canvas.add_card(a, ws, g1.id, "strategy", "options", "One owner per complaint",
                                parent_id=goal.id)
    wb.canvas.add_card(a, ws, g1.id, "actions", "actions", "Write the owner rota",
                       parent_id=option.id, fields={"status": "in_progress"})
    wb.canvas.add_card(a, ws, g1.id, "goals", "goals", "Unlinked goal")
    tree = wb.canvas.map_tree(ws, g1.id, wb.library.canvas("strategy").map)
    assert [n.card.text for n in tree] == ["Slow complaint handling"]
    assert [c.card.text for c in tree[0].children] == ["Two-day answers"]
    leaf = tree[0].children[0].children[0].children[0]
    assert (leaf.level, leaf.card.text) == (3, "Write the owner rota")
    record = wb.records.build(ws.code)
    strategy = next(c for c in record.groups[0].canvases if c.key == "strategy")
    assert [(line.level, line.text) for line in strategy.map] == [
        (0, "Slow complaint handling"), (1, "Two-day answers"), (2, "One owner per complaint"),
        (3, "Write the owner rota")]
    restructure = next(c for c in record.groups[0].canvases if c.key == "restructure")
    assert restructure.compare == ((), ("Slow complaint handling",))
    assert dropped.id not in {n.card.id for n in tree}


def test_sub_topic_count_warning_and_record_details(wb, room):
    ws, g1, _g2, people, _other = room
    a = Author(people["Ann"])
    column = wb.library.canvas("topic").column("subtopics")
    for i in range(2):
        wb.canvas.add_card(a, ws, g1.id, "topic", "subtopics", f"Sub {i}",
                           fields={"units": "Office", "problems": "P", "goals": "G"})
    cards = wb.canvas.cards(ws, g1.id, "topic")
    assert wb.canvas.count_warning(cards, column) == (3, 5)
    wb.canvas.add_card(a, ws, g1.id, "topic", "subtopics", "Sub 3")
    assert wb.canvas.count_warning(wb.canvas.cards(ws, g1.id, "topic"), column) is None
    record = wb.records.build(ws.code)
    topic = next(c for c in record.groups[0].canvases if c.key == "topic")
    subs = next(col for col in topic.columns if col.key == "subtopics").cards
    assert ("Participating units", "Office") in subs[0].details
    assert ("Result goals", "(missing)") in subs[2].details


# -- teams ----------------------------------------------------------------------------------


def test_team_checks_warn_but_never_block(wb, room):
    ws, g1, g2, people, other = room
    _ = __import__("actionlab.i18n", fromlist=["translator"]).translator("en")
    texts = [c.translated(_) for c in wb.teams.checks(ws)]
    assert "Group 1 has 3 members; a group works best with 4 to 8." in texts
    assert "Group 1 has no group leader yet." in texts
    assert any(t.startswith("No sub-task yet: Ann, Ben") for t in texts)
    zh = __import__("actionlab.i18n", fromlist=["translator"]).translator("zh")
    assert any("：Ann、Ben、Cy" in c.translated(zh) for c in wb.teams.checks(ws))
    wb.teams.set_role(ws, people["Ann"].id, "group_leader")
    for name in ("Ann", "Ben", "Cy"):
        wb.teams.set_subtask("facilitator", ws, people[name].id, f"{name}'s part")
    wb.teams.assign(ws, other.id, g1.id)
    texts = [c.translated(_) for c in wb.teams.checks(ws)]
    assert not any(t.startswith("Group 1") for t in texts)
    assert "Group 2 has 0 members; a group works best with 4 to 8." in texts
    assert [m.name for m in wb.teams.without_subtask(ws)] == ["Dee"]


def test_profile_values_are_limited_to_what_the_store_holds(wb, room):
    ws, _g1, _g2, people, _other = room
    member = wb.teams.set_profile(ws, people["Ann"].id, gender="x" * 40, unit="u" * 120)
    assert len(member.gender) == 40
    with pytest.raises(InvalidInput) as info:
        wb.teams.set_profile(ws, people["Ann"].id, gender="x" * 41)
    assert info.value.params == {"n": 40}


def test_a_moved_member_writes_by_their_stored_group_not_the_page_they_loaded(wb):
    """The page keeps the member it loaded; after the facilitator moves the person, the old
    board's widgets must not write to the old group, and the new group's board works."""
    from actionlab.services.canvas import Author

    ws = wb.workshops.create("Moved", "en", 2)
    g1, g2 = wb.workshops.groups(ws)
    ann = wb.workshops.join(ws.code, g1.id, "Ann").member
    loaded = Author(ann)  # what the page holds
    wb.canvas.add_card(loaded, ws, g1.id, "restructure", "symptoms", "before the move")
    wb.store.update_member("facilitator", ann.id, group_id=g2.id)
    with pytest.raises(InvalidInput):
        wb.canvas.add_card(loaded, ws, g1.id, "restructure", "symptoms", "after the move")
    card = wb.canvas.add_card(loaded, ws, g2.id, "restructure", "symptoms", "in the new group")
    assert card.group_id == g2.id
    assert [c.text for c in wb.store.find_cards(ws.id, group_id=g1.id)] == ["before the move"]
