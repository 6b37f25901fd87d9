"""The rules the services hold: workshops, joining, cards, access, records."""

from __future__ import annotations

import pytest

from actionlab.errors import AccessDenied, InvalidInput, LibraryError
from actionlab.services.access import CODE_ALPHABET, normalize_code
from actionlab.services.canvas import FACILITATOR_AUTHOR, Author


@pytest.mark.parametrize("title,lang,groups,msg", [
    ("", "zh", 3, "Give the workshop a title."),
    ("   ", "zh", 3, "Give the workshop a title."),
    ("x" * 121, "zh", 3, "The title is too long (at most {n} characters)."),
    ("OK", "fr", 3, "Choose Chinese or English."),
    ("OK", "zh", 0, "A workshop has 1 to {n} groups."),
    ("OK", "zh", 6, "A workshop has 1 to {n} groups."),
    ("OK", "zh", "three", "A workshop has 1 to {n} groups."),
])
def test_create_rejects_bad_input_with_a_clear_message(wb, title, lang, groups, msg):
    with pytest.raises(InvalidInput) as info:
        wb.workshops.create(title, lang, groups)
    assert info.value.message_id == msg
    assert wb.workshops.all() == []


def test_create_makes_groups_and_a_readable_code(wb):
    ws = wb.workshops.create("  Spaces   collapse ", "zh", 5)
    assert ws.title == "Spaces collapse"
    assert len(ws.code) == 6 and set(ws.code) <= set(CODE_ALPHABET)
    assert [g.name for g in wb.workshops.groups(ws)] == ["第1组", "第2组", "第3组", "第4组", "第5组"]
    assert wb.workshops.get(ws.code.lower()).id == ws.id
    assert normalize_code(f" {ws.code[:3]}-{ws.code[3:]} ".lower()) == ws.code


def test_unknown_canvas_is_refused(wb):
    with pytest.raises(LibraryError):
        wb.workshops.create("X", "en", 1, canvases=["no_such_canvas"])


def test_join_and_resume(wb):
    ws = wb.workshops.create("Join", "en", 2)
    g1, g2 = wb.workshops.groups(ws)
    joined = wb.workshops.join(ws.code.lower(), g1.id, "  Ada  Lovelace ")
    assert joined.member.name == "Ada Lovelace" and joined.member.group_id == g1.id
    assert joined.token not in joined.member.token_hash  # only a hash is stored
    assert wb.workshops.resume(ws.code, joined.token).id == joined.member.id
    with pytest.raises(AccessDenied):
        wb.workshops.resume(ws.code, "forged-token")
    other = wb.workshops.create("Other", "en", 1)
    with pytest.raises(AccessDenied):
        wb.workshops.resume(other.code, joined.token)
    # same name in another group is fine, in the same group it is not
    wb.workshops.join(ws.code, g2.id, "Ada Lovelace")
    with pytest.raises(InvalidInput, match="already uses"):
        wb.workshops.join(ws.code, g1.id, "ada lovelace")
    for bad_group, name in ((999, "Bob"), (g1.id, ""), (g1.id, "x" * 41)):
        with pytest.raises(InvalidInput):
            wb.workshops.join(ws.code, bad_group, name)
    with pytest.raises(InvalidInput, match="No workshop"):
        wb.workshops.join("ZZZZZZ", g1.id, "Bob")


def test_card_rules(wb):
    ws = wb.workshops.create("Cards", "en", 2)
    g1, g2 = wb.workshops.groups(ws)
    ada = Author(wb.workshops.join(ws.code, g1.id, "Ada").member)
    card = wb.canvas.add_card(ada, ws, g1.id, "restructure", "symptoms", "  trimmed  ")
    assert card.text == "trimmed"
    for column, text in (("symptoms", "   "), ("symptoms", "x" * 501), ("nope", "ok")):
        with pytest.raises(InvalidInput):
            wb.canvas.add_card(ada, ws, g1.id, "restructure", column, text)
    with pytest.raises(InvalidInput, match="own group"):
        wb.canvas.add_card(ada, ws, g2.id, "restructure", "symptoms", "not mine")
    theirs = wb.canvas.add_card(FACILITATOR_AUTHOR, ws, g2.id, "restructure", "causes", "by facilitator")
    with pytest.raises(InvalidInput, match="own group"):
        wb.canvas.edit_card(ada, theirs.id, "hijack")
    with pytest.raises(InvalidInput, match="own group"):
        wb.canvas.delete_card(ada, theirs.id)
    wb.canvas.delete_card(ada, card.id)
    with pytest.raises(InvalidInput, match="deleted"):
        wb.canvas.edit_card(ada, card.id, "too late")
    assert [c.text for c in wb.canvas.cards(ws)] == ["by facilitator"]


def test_facilitator_keys_are_stored_hashed(wb):
    key = wb.access.issue_facilitator_key()
    assert wb.access.is_facilitator_key(key)
    assert not wb.access.is_facilitator_key(key + "x")
    assert not wb.access.is_facilitator_key("")
    assert key not in wb.store.find_facilitator_key_hashes()
    chosen = wb.access.issue_facilitator_key("room-key")
    assert chosen == "room-key" and wb.access.is_facilitator_key("room-key")
    for _ in range(6):
        wb.access.issue_facilitator_key()
    assert not wb.access.is_facilitator_key("room-key")  # only the newest five stay valid


def test_record_holds_every_card_by_column_with_author(wb):
    ws = wb.workshops.create("Record", "zh", 2)
    g1, _g2 = wb.workshops.groups(ws)
    ada = Author(wb.workshops.join(ws.code, g1.id, "小林").member)
    wb.canvas.add_card(ada, ws, g1.id, "restructure", "causes", "原因一")
    wb.canvas.add_card(FACILITATOR_AUTHOR, ws, g1.id, "restructure", "key_problem", "关键")
    record = wb.records.build(ws.code)
    assert record.member_count == 1 and record.card_count == 2
    group = record.groups[0]
    canvas = group.canvases[0]
    titles = [c.title for c in canvas.columns]
    assert titles[1:4] == ["摆现象", "查问题", "析原因"] and titles[-1] == "关键问题"
    columns = {c.key: c for c in canvas.columns}
    causes = columns["causes"].cards
    assert causes[0].text == "原因一" and causes[0].author == "小林"
    assert columns["key_problem"].cards[0].author == "促进师"
    assert group.members[0].role == wb.library.item("roles", "member").title("zh")
    name, media, data = wb.records.render(ws.code, "md")
    assert name == f"{ws.code}-record.md" and "原因一" in data.decode("utf-8")
