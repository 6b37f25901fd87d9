"""Full JSON backup of one workshop and its restore (actionlab/backup.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import func, select

from actionlab import backup, migrate
from actionlab.db.models import Base
from actionlab.demo import create_demo
from actionlab.errors import InvalidInput
from actionlab.exporters import get_exporter
from actionlab.i18n import translator
from actionlab.services import Workbook
from actionlab.services.access import FACILITATOR
from actionlab.services.canvas import FACILITATOR_AUTHOR
from actionlab.services.roomstate import room_state
from actionlab.services.timer import READY
from actionlab.settings import Settings

AT = datetime(2026, 3, 1, 9, 30)
HOSTILE = [
    "\x00\x01\x02\x07\x08\x0b\x0c\x1b\x7f tab\tnew\nline\r\nend",
    "emoji 👩🏽‍💻🎉 𝄞 and a lone combining mark \u0301",
    "RTL \u202emirrored\u202c مرحبا بالعالم עברית \u200f",
    "<script>alert('x')</script>&amp; \"quotes\" {code} {0} %s \\u0000",
    "\u2028\u2029\ufeff zero\u200bwidth",
    "长" * 5000 + "x" * 5000,
]


def _open(path) -> Workbook:
    return Workbook.open(Settings(db_url=f"sqlite:///{path}"), upgrade=True)


def _counts(store) -> dict[str, int]:
    with store.read() as s:
        return {m.class_.__tablename__: s.scalar(select(func.count()).select_from(m.class_))
                for m in Base.registry.mappers}


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """The demo workshop (after another workshop, so its ids do not start at 1), with hostile
    texts, a participant's link, a card whose parent came after it, a removed card and a live
    room (meeting running, a speaking round, a question and a readiness prompt to a group)."""
    wb = _open(tmp_path_factory.mktemp("backup") / "source.db")
    wb.workshops.create("Another workshop", "en", 2)
    ws = create_demo(wb, "zh")
    group = wb.workshops.groups(ws)[0]
    joined = wb.workshops.join(ws.code, group.id, "Zoë")
    for text in HOSTILE:
        wb.store.add_card(FACILITATOR, workshop_id=ws.id, group_id=group.id, canvas="restructure",
                          column="problems", text=text, author_id=joined.member.id)
    wb.store.add_lesson(FACILITATOR, workshop_id=ws.id, stage="learning", text=HOSTILE[3],
                        group_id=group.id, author=HOSTILE[1][:20])
    wb.store.add_member(FACILITATOR, workshop_id=ws.id, group_id=group.id,
                        name="<b>👩🏽‍💻\x01 ‮x", token_hash=None, subtask=HOSTILE[0])
    child = wb.store.add_card(FACILITATOR, workshop_id=ws.id, group_id=group.id,
                              canvas="restructure", column="causes", text="child", author_id=None)
    parent = wb.store.add_card(FACILITATOR, workshop_id=ws.id, group_id=group.id,
                               canvas="restructure", column="problems", text="parent", author_id=None)
    wb.store.update_card(FACILITATOR, child.id, parent_id=parent.id)
    gone = wb.store.add_card(FACILITATOR, workshop_id=ws.id, group_id=group.id,
                             canvas="restructure", column="problems", text="gone", author_id=None)
    wb.store.remove_card(FACILITATOR, gone.id)
    meeting = wb.meetings.meetings(ws)[-1]
    wb.meetings.start(ws, meeting.id)
    wb.speaking.setup(FACILITATOR_AUTHOR, ws, group.id)
    wb.questions.push(ws, text="What else?", group_id=group.id)
    wb.timer.ask_ready(ws, group.id)
    wb.timer.answer(wb.workshops.get(ws.code), joined.member, READY)
    raw = backup.dumps(wb.store, ws.code, exported_at=AT)
    yield wb, wb.workshops.get(ws.code), raw, joined.token
    wb.close()


@pytest.fixture(scope="module")
def restored(source, tmp_path_factory):
    """The source's backup restored into another store that already holds three workshops
    (so every id differs from the source's); with the row counts before and after."""
    target = _open(tmp_path_factory.mktemp("restored") / "target.db")
    for n in range(1, 4):
        target.workshops.create(f"Already here {n}", "en", n)
    before = _counts(target.store)
    copy = backup.restore(target.store, source[2])
    yield target, copy, before, _counts(target.store)
    target.close()


@pytest.fixture(scope="module")
def empty(tmp_path_factory):
    """A store the failing imports below leave empty."""
    target = _open(tmp_path_factory.mktemp("empty") / "empty.db")
    yield target
    counts = _counts(target.store)
    assert counts["workshops"] == counts["changes"] == counts["members"] == 0
    target.close()


def test_round_trip_gives_the_same_document(source, restored):
    _wb, ws, raw, _token = source
    target, copy = restored[:2]
    assert copy.code == ws.code and copy.title == ws.title and copy.id != ws.id
    assert backup.dumps(target.store, copy.code, exported_at=AT) == raw
    doc = json.loads(raw)
    assert doc["format"] == "actionlab-backup" and doc["format_version"] == 1
    assert doc["schema"] == migrate.head_revision() and doc["exported_at"] == "2026-03-01T09:30:00"
    assert raw.decode("utf-8").count("\n") > 1000  # indented, one value a line


def test_every_table_of_a_workshop_is_in_the_backup_with_every_row(source, restored):
    wb, ws, raw, _token = source
    _target, _copy, before, after = restored
    tables = {m.class_.__tablename__ for m in Base.registry.mappers}
    assert tables == set(backup.TABLES) | set(backup.OTHER_TABLES)
    doc = backup.loads(raw)
    found = wb.store.find_workshop_rows(ws.id, list(backup.TABLES))
    for table in backup.TABLES:
        assert len(doc["tables"][table]) == len(found[table]) > 0, table
        assert [row["id"] for row in doc["tables"][table]] == list(range(1, len(found[table]) + 1))
    for table in backup.TABLES[:-1]:
        assert after[table] - before[table] == len(found[table]), table
    assert after["workshops"] == before["workshops"] + 1
    assert after["changes"] == before["changes"] + len(found["changes"]) + 1  # + the import row


def test_the_restored_workshop_is_the_same_workshop(source, restored):
    wb, ws, raw, token = source
    target, copy = restored[:2]
    # the participant comes back through the link they already have
    assert target.workshops.resume(copy.code, token).name == "Zoë"

    def names(book, workshop):
        return {m.id: m.name for m in book.workshops.members(workshop)}

    def group_names(book, workshop):
        return {g.id: g.name for g in book.workshops.groups(workshop)}

    # ids inside values point at the same people, groups and meetings
    def owners(book, workshop):
        people = names(book, workshop)
        return sorted((c.text, people.get(c.fields.get("owner")))
                      for c in book.store.find_cards(workshop.id) if "owner" in c.fields)

    assert owners(target, copy) == owners(wb, ws) and any(o for _t, o in owners(wb, ws))

    def room(book, workshop):
        state = room_state(book.workshops.get(workshop.code))
        meeting = book.store.find_meeting(state.meeting_id)
        groups, people = group_names(book, workshop), names(book, workshop)
        return (meeting.number, meeting.title, groups[state.prompt_group],
                {groups[g]: [people[m] for m in q.order] for g, q in state.queues.items()},
                {groups.get(k, k): q.text for k, q in state.questions.items()})

    assert room(target, copy) == room(wb, ws)
    parents = {c.text: c.parent_id for c in target.store.find_cards(copy.id)}
    by_id = {c.id: c.text for c in target.store.find_cards(copy.id)}
    assert by_id[parents["child"]] == "parent"
    # the session record reads the same (the store-wide revision and the export time aside)
    records = [get_exporter("md").render(replace(book.records.build(w.code), exported_at=AT, revision=0))
               for book, w in ((wb, ws), (target, copy))]
    assert records[0] == records[1] and "Zoë" in records[0]


def test_hostile_texts_survive_exactly(source, restored):
    raw = source[2]
    target, copy = restored[:2]
    assert "👩🏽‍💻".encode() in raw and b"<script>" in raw  # UTF-8 as is, not escaped
    texts = [c.text for c in target.store.find_cards(copy.id)]
    for text in HOSTILE:
        assert text in texts
    assert HOSTILE[3] in [lesson.text for lesson in target.store.find_lessons(copy.id)]
    member = next(m for m in target.workshops.members(copy) if m.subtask == HOSTILE[0])
    assert member.name == "<b>👩🏽‍💻\x01 ‮x"


def test_a_workshop_already_in_the_store_is_refused_and_nothing_is_written(source):
    wb, ws, raw, _token = source
    before = _counts(wb.store)
    with pytest.raises(InvalidInput) as err:
        backup.restore(wb.store, raw)
    message = err.value.translated(translator("en"))
    assert ws.code in message and "already exists" in message and "--as-new" in message
    assert ws.code in err.value.translated(translator("zh"))
    assert _counts(wb.store) == before


def test_as_new_imports_a_copy_under_a_new_code(source, wb):
    raw, token = source[2], source[3]
    first = backup.restore(wb.store, raw)
    copy = backup.restore(wb.store, raw, new_code=True)
    assert copy.code != first.code and len(copy.code) == 6 and copy.title == first.title
    assert [w.code for w in wb.workshops.all()] == [first.code, copy.code]
    # the links stay with the first; the copy's members join again from their devices
    assert wb.workshops.resume(first.code, token).workshop_id == first.id
    assert all(m.token_hash is None for m in wb.workshops.members(copy))
    mine = backup.dump(wb.store, first.code, exported_at=AT)
    theirs = backup.dump(wb.store, copy.code, exported_at=AT)
    mine["workshop"]["code"] = theirs["workshop"]["code"]
    for row in mine["tables"]["members"]:
        row["token_hash"] = None
    assert mine == theirs


@pytest.mark.parametrize("cut", [0.5, 0.999])
def test_a_cut_off_file_is_refused_clearly(source, empty, cut):
    raw = source[2]
    before = _counts(empty.store)
    with pytest.raises(InvalidInput) as err:
        backup.restore(empty.store, raw[: int(len(raw) * cut)])
    assert err.value.translated(translator("en")) == (
        "This backup file is incomplete or damaged (the file ends too early: it was cut off).")
    assert "截断" in err.value.translated(translator("zh"))
    assert _counts(empty.store) == before


def test_a_cut_inside_a_character_and_other_damage(source):
    raw = source[2]
    middle = raw.index("👩".encode()) + 2
    for data, words in [
        (raw[:middle], "cut off"),
        (b"", "empty"),
        (b"  \n", "empty"),
        (b'{"format": "actionlab-backup", "format_version": 1,, }', "line 1, column 52"),
        (b"\xff\xfe{}", "not UTF-8"),
    ]:
        with pytest.raises(InvalidInput) as err:
            backup.loads(data)
        assert words in str(err.value), (data[:30], str(err.value))


@pytest.mark.parametrize("data", [b"[]", b'"text"', b'{"tables": {}}', b'{"format": "other"}'])
def test_something_else_is_not_a_backup(data):
    with pytest.raises(InvalidInput, match="not an actionlab backup"):
        backup.loads(data)


def test_a_backup_from_a_newer_actionlab_names_both_versions(source, empty):
    doc = json.loads(source[2])
    before = _counts(empty.store)
    newer = {**doc, "schema": "9999"}
    with pytest.raises(InvalidInput) as err:
        backup.restore(empty.store, json.dumps(newer).encode())
    message = err.value.translated(translator("en"))
    assert "newer actionlab" in message and "9999" in message and migrate.head_revision() in message
    assert "Upgrade actionlab" in message
    assert "9999" in err.value.translated(translator("zh"))
    with pytest.raises(InvalidInput) as err:
        backup.restore(empty.store, {**doc, "format_version": 2})
    assert "backup format 2" in str(err.value) and "up to format 1" in str(err.value)
    assert _counts(empty.store) == before


def _damaged(doc: dict, change) -> dict:
    doc = json.loads(json.dumps(doc))
    change(doc)
    return doc


@pytest.mark.parametrize("change,where", [
    (lambda d: d["tables"].pop("votes"), "tables.votes is missing"),
    (lambda d: d["tables"].update(extra=[]), "tables.extra is not a table"),
    (lambda d: d.pop("workshop"), "workshop is missing"),
    (lambda d: d["tables"]["cards"][2].pop("text"), "tables.cards[2].text is missing"),
    (lambda d: d["tables"]["cards"][2].update(colour="red"), "cards[2].colour is not a column"),
    (lambda d: d["tables"]["votes"][0].update(card_id=99999), "votes[0].card_id points to a row"),
    (lambda d: d["tables"]["members"][0].update(name=7), "members[0].name is wrong"),
    (lambda d: d["tables"]["members"][0].update(name="x" * 81), "longer than 80 characters"),
    (lambda d: d["tables"]["meetings"][0].update(held_on="soon"), "meetings[0].held_on is wrong"),
    (lambda d: d["tables"]["groups"][1].update(id=1), "tables.groups[1].id is wrong"),
    (lambda d: d["workshop"].update(is_demo="yes"), "workshop.is_demo is wrong"),
])
def test_a_damaged_document_says_where_and_writes_nothing(source, empty, change, where):
    doc = _damaged(json.loads(source[2]), change)
    before = _counts(empty.store)
    with pytest.raises(InvalidInput) as err:
        backup.restore(empty.store, json.dumps(doc).encode())
    assert where in str(err.value) and "incomplete or damaged" in str(err.value)
    assert _counts(empty.store) == before


def test_a_clash_in_the_middle_of_the_import_leaves_nothing_behind(source, empty):
    """Two marks for one member at one meeting pass the document checks but not the
    database: the rows written before it are rolled back."""
    doc = json.loads(source[2])
    doc["tables"]["attendance"].append({**doc["tables"]["attendance"][0], "id": 99999})
    before = _counts(empty.store)
    with pytest.raises(InvalidInput) as err:
        backup.restore(empty.store, doc)
    assert "could not be imported" in str(err.value) and "Nothing was imported" in str(err.value)
    assert _counts(empty.store) == before


def test_file_name():
    assert backup.filename("ab-c12") == "ABC12-backup.json"
