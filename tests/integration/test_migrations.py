"""A store created by the first released schema (0001), filled the way that version wrote it,
is upgraded one migration at a time to the newest with nothing lost: every row and value
stays, participants' personal links and the facilitator keys still work, the new tables take
rows. Then every migration's downgrade runs back to an empty schema, keeping what the older
schema can hold, and the upgrade runs again. On SQLite and on a real PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import JSON, inspect, text

from actionlab import backup, migrate
from actionlab.db.engine import make_engine
from actionlab.db.models import Base
from actionlab.services import Workbook
from actionlab.services.access import FACILITATOR, hash_secret, member_actor
from actionlab.services.canvas import Author
from actionlab.settings import Settings

pytestmark = pytest.mark.integration

TOKENS = {1: "ana-link-Z9", 2: "-bo-link_7", 3: "李-link", 4: "dee-link"}
KEYS = ("first-facilitator-key", "second-facilitator-key")
TEXTS = ["Residents wait three weeks", "排队时间太长 🙃", 'Quotes "double" and \'single\'',
         "Line one\nline two", "<b>not markup</b> & more"]


def t(minute: int) -> datetime:
    return datetime(2026, 1, 5, 9, minute, 0)


def insert(conn, table: str, rows: list[dict]) -> None:
    """Plain SQL inserts into ``table`` as the schema stands (JSON given as Python data)."""
    json_columns = {c["name"] for c in inspect(conn).get_columns(table) if isinstance(c["type"], JSON)}
    pg = conn.dialect.name == "postgresql"  # (SQLite would make a number of CAST(… AS JSON))
    for row in rows:
        names = list(row)
        values = [f"CAST(:{n} AS JSON)" if pg and n in json_columns else f":{n}" for n in names]
        params = {n: json.dumps(v, ensure_ascii=False) if n in json_columns else v
                  for n, v in row.items()}
        conn.execute(text(f'INSERT INTO {table} ({", ".join(_q(n) for n in names)}) '
                          f'VALUES ({", ".join(values)})'), params)
    if pg and "id" in rows[0]:  # ids were given: move the sequence past them
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                          f"(SELECT max(id) FROM {table}))"))


def fill_first_schema(conn) -> None:
    """Rows as actionlab with schema 0001 wrote them (plain SQL on that schema)."""
    workshops = [
        dict(id=1, code="ABC234", title="行动学习 · Service desk", lang="zh", group_count=2,
             canvases=["restructure"], is_demo=False, created_at=t(0)),
        dict(id=2, code="XYZ789", title="Demo workshop", lang="en", group_count=1,
             canvases=["restructure"], is_demo=True, created_at=t(1)),
    ]
    groups = [dict(id=1, workshop_id=1, number=1, name="第一组"),
              dict(id=2, workshop_id=1, number=2, name="Group 2"),
              dict(id=3, workshop_id=2, number=1, name="Group 1")]
    members = [
        dict(id=1, workshop_id=1, group_id=1, name="Ana Example", role="leader"),
        dict(id=2, workshop_id=1, group_id=2, name="Bo Sample", role="member"),
        dict(id=3, workshop_id=1, group_id=None, name="李 Test", role="member"),
        dict(id=4, workshop_id=2, group_id=3, name="Dee Demo", role="liaison"),
    ]
    for m in members:
        m.update(token_hash=hash_secret(TOKENS[m["id"]]), joined_at=t(2 + m["id"]))
    cards = [dict(id=n, workshop_id=1 if n <= 4 else 2, group_id=(1, 1, 2, 2, 3)[n - 1],
                  canvas="restructure", column=("symptoms", "causes", "symptoms", "problems",
                                                "symptoms")[n - 1],
                  text=TEXTS[n - 1], author_id=(1, None, 2, 2, 4)[n - 1],
                  created_at=t(10 + n), updated_at=t(20 + n)) for n in range(1, 6)]
    changes = [dict(workshop_id=None, group_id=None, actor="system", action="key.add",
                    entity="facilitator_key", entity_id=None, payload={}, at=t(0))]
    for ws in workshops:
        changes.append(dict(workshop_id=ws["id"], group_id=None, actor=FACILITATOR,
                            action="workshop.add", entity="workshop", entity_id=ws["id"],
                            payload={"title": ws["title"], "code": ws["code"]}, at=ws["created_at"]))
    for m in members:
        changes.append(dict(workshop_id=m["workshop_id"], group_id=m["group_id"],
                            actor="participant", action="member.add", entity="member",
                            entity_id=m["id"], payload={"name": m["name"]}, at=m["joined_at"]))
    for c in cards:
        changes.append(dict(workshop_id=c["workshop_id"], group_id=c["group_id"],
                            actor=member_actor(c["author_id"]) if c["author_id"] else FACILITATOR,
                            action="card.add", entity="card", entity_id=c["id"],
                            payload={"canvas": c["canvas"], "column": c["column"],
                                     "text": c["text"], "nested": {"list": [1, "二", None]}},
                            at=c["created_at"]))
    for n, change in enumerate(changes, start=1):
        change["revision"] = n
    keys = [dict(id=n, key_hash=hash_secret(key), created_at=t(n)) for n, key in enumerate(KEYS, 1)]
    for table, rows in (("workshops", workshops), ("groups", groups), ("members", members),
                        ("cards", cards), ("changes", changes), ("facilitator_keys", keys)):
        insert(conn, table, rows)
    conn.execute(text("UPDATE revision_counter SET value = :v WHERE id = 1"), {"v": len(changes)})


#: Rows written at a schema before the newest, into what that migration added: they must
#: survive every later migration as well (a table copied on SQLite must not take them along).
LATER_ROWS = {
    "0002": [
        ("cards", [dict(id=6, workshop_id=1, group_id=1, canvas="restructure", column="causes",
                        text="Linked cause", author_id=1, created_at=t(30), updated_at=t(30),
                        parent_id=1, fields={"owner": 1, "note": "由谁"}, decided=True)]),
        ("scores", [dict(id=1, workshop_id=1, group_id=1, card_id=1, member_id=1,
                         criterion="urgent", value=4, entered_by="member:1", updated_at=t(31))]),
        ("votes", [dict(id=1, workshop_id=1, group_id=1, canvas="restructure", card_id=6,
                        member_id=1, entered_by="member:1", at=t(32))]),
    ],
    "0003": [
        ("meetings", [dict(id=1, workshop_id=1, number=1, kind="workshop", title="First meeting",
                           agenda=[{"step": "rules", "minutes": 5}], held_on=t(0).date(),
                           started_at=t(40), ended_at=None, created_at=t(39))]),
        ("attendance", [dict(id=1, meeting_id=1, member_id=2, status="present",
                             marked_by="facilitator", at=t(41))]),
    ],
    "0004": [
        ("progress_reports", [dict(id=1, workshop_id=1, meeting_id=1, group_id=1, member_id=1,
                                   done="Called the desk", problems="", help="",
                                   created_at=t(42), updated_at=t(42))]),
        ("action_updates", [dict(id=1, workshop_id=1, group_id=1, card_id=6, meeting_id=1,
                                 report_id=1, status="doing", before=None, note="",
                                 entered_by="member:1", at=t(43))]),
    ],
}


def _q(column: str) -> str:
    return f'"{column}"'


def snapshot(engine) -> dict[str, list[dict]]:
    """Every row of every table (but Alembic's), all columns, in primary-key order; JSON
    compared as data (its spacing is the database's business)."""
    out = {}
    with engine.connect() as conn:
        insp = inspect(conn)
        for table in sorted(set(insp.get_table_names()) - {"alembic_version"}):
            columns = insp.get_columns(table)
            json_columns = {c["name"] for c in columns if isinstance(c["type"], JSON)}
            key = ", ".join(_q(c) for c in insp.get_pk_constraint(table)["constrained_columns"])
            found = conn.execute(text(f"SELECT * FROM {table} ORDER BY {key}")).mappings().all()
            out[table] = [{k: json.loads(v) if k in json_columns and isinstance(v, str) else v
                           for k, v in row.items()} for row in found]
    return out


def projected(before: dict[str, list[dict]], now: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """``before`` cut down to the tables and columns ``now`` has."""
    return {table: [{k: row[k] for k in (now[table][0] if now[table] else row) if k in row}
                    for row in rows]
            for table, rows in before.items() if table in now}


def revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    return [s.revision for s in reversed(list(script.walk_revisions()))]


def test_the_first_schema_upgrades_with_nothing_lost_and_downgrades(db_url, tmp_path):
    steps = revisions()
    assert steps[0] == "0001" and steps[-1] == migrate.head_revision()
    assert set(LATER_ROWS) < set(steps[1:])
    engine = make_engine(db_url)
    try:
        assert migrate.upgrade(engine, "0001") == "0001"
        with engine.begin() as conn:
            fill_first_schema(conn)
        before = snapshot(engine)
        assert len(before["cards"]) == 5 and len(before["changes"]) == 12

        for step in steps[1:]:  # one migration at a time, each must keep every row and value
            assert migrate.upgrade(engine, step) == step
            now = snapshot(engine)
            assert projected(now, before) == before, f"rows changed by migration {step}"
            with engine.begin() as conn:
                for table, rows in LATER_ROWS.get(step, []):
                    insert(conn, table, rows)
            before = snapshot(engine)
    finally:
        engine.dispose()

    with Workbook.open(Settings(db_url=db_url)) as wb:
        use_the_upgraded_store(wb, tmp_path)
    engine = make_engine(db_url)
    try:
        # Down one migration at a time to 0001: every row the older schema can hold stays,
        # except that 0001 has no place for a roster member without a personal link (their
        # cards stay, without an author).
        before = snapshot(engine)
        linkless = {m["id"] for m in before["members"] if m["token_hash"] is None}
        assert len(linkless) == 1
        for step in reversed(steps[:-1]):
            assert migrate.downgrade(engine, step) == step
            now = snapshot(engine)
            expected = projected(before, now)
            if step == "0001":
                expected["members"] = [m for m in expected["members"] if m["id"] not in linkless]
                for card in expected["cards"]:
                    if card["author_id"] in linkless:
                        card["author_id"] = None
            assert now == expected, f"rows changed going down to {step}"
            before = now
        assert migrate.downgrade(engine, "base") is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        assert migrate.upgrade(engine) == migrate.head_revision()  # and up again, from nothing
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()
    with Workbook.open(Settings(db_url=db_url)) as wb:
        ws = wb.workshops.create("After the round trip", "en", 1)
        assert wb.workshops.get(ws.code).title == "After the round trip"


def use_the_upgraded_store(wb: Workbook, tmp_path) -> None:
    """The old rows read through the services, old links and keys work, new tables take rows."""
    store = wb.store
    ws = wb.workshops.get("abc234")
    assert (ws.title, ws.lang, ws.canvases, ws.is_demo, ws.created_at) == (
        "行动学习 · Service desk", "zh", ["restructure"], False, t(0))
    assert ws.options == {} and ws.room == {}  # new columns, their defaults
    demo = wb.workshops.get("XYZ789")
    assert demo.is_demo is True and [g.name for g in wb.workshops.groups(ws)] == ["第一组", "Group 2"]

    # every participant comes back through the personal link they already have
    for member_id, token in TOKENS.items():
        code = "XYZ789" if member_id == 4 else "ABC234"
        member = wb.workshops.resume(code, token)
        assert member.id == member_id and member.last_seen is None and member.unit is None
    assert all(wb.access.is_facilitator_key(key) for key in KEYS)
    assert not wb.access.is_facilitator_key("not-a-key")

    cards = [c for c in wb.canvas.cards(ws) if c.id <= 4]
    assert [c.text for c in cards] == TEXTS[:4]
    assert [(c.author_id, c.created_at, c.updated_at) for c in cards] == [
        (1, t(11), t(21)), (None, t(12), t(22)), (2, t(13), t(23)), (2, t(14), t(24))]
    assert all(c.fields == {} and c.parent_id is None and c.decided is False for c in cards)
    log = store.find_changes(workshop_id=ws.id)
    assert log[-1].payload["nested"] == {"list": [1, "二", None]}
    # what was written at the intermediate schemas reads as the services expect
    linked = wb.store.find_card(6)
    assert (linked.parent_id, linked.fields, linked.decided) == (1, {"owner": 1, "note": "由谁"}, True)
    assert [(v.card_id, v.member_id) for v in store.find_votes(ws.id)] == [(6, 1)]
    assert [(s.card_id, s.criterion, s.value) for s in store.find_scores(ws.id)] == [(1, "urgent", 4)]
    meeting = store.find_meetings(ws.id)[0]
    assert meeting.agenda == [{"step": "rules", "minutes": 5}] and meeting.held_on == t(0).date()
    assert [a.status for a in store.find_attendance(meeting.id)] == ["present"]
    assert [(u.card_id, u.status, u.report_id) for u in store.find_action_updates(ws.id)] == [
        (6, "doing", 1)]
    assert store.find_progress_reports(ws.id)[0].done == "Called the desk"

    # writing goes on from the old revision, through the services, into every new table
    ana = Author(wb.workshops.resume("ABC234", TOKENS[1]))
    new_card = wb.canvas.add_card(ana, ws, 1, "restructure", "symptoms", "Written after upgrade")
    assert store.find_changes(after=12)[0].entity_id == new_card.id
    assert store.find_latest_revision() == 13
    wb.canvas.edit_card(ana, cards[0].id, "Residents wait four weeks")
    assert new_card.id == 7  # after every id ever used (also on SQLite, AUTOINCREMENT since 0005)
    store.set_score("test", new_card, 1, "urgent", 4)
    store.add_vote("test", new_card, 1, budget=3, cap=2)
    meeting = store.add_meeting("test", workshop_id=ws.id, kind="workshop", title="First", agenda=[])
    store.set_attendance("test", meeting, 1, "present")
    store.set_progress_report("test", workshop_id=ws.id, meeting_id=meeting.id, group_id=1,
                              member_id=1, done="Called the desk", problems="", help="")
    store.add_lesson("test", workshop_id=ws.id, stage="learning", text="Ask why five times",
                     group_id=1)
    store.add_decision("test", workshop_id=ws.id, group_id=1, meeting_id=meeting.id,
                       proposal="One counter", outcome="adopt", reasons="cheap", conditions="")
    store.update_server_state("backup", lambda doc: doc.update(ok=True))
    roster = store.add_members("facilitator", ws.id, [{"name": "Roster Only", "group_id": 2}])[0]
    assert roster.token_hash is None
    store.add_card("facilitator", workshop_id=ws.id, group_id=2, canvas="restructure",
                   column="symptoms", text="By a roster member", author_id=roster.id)
    assert [c.text for c in wb.canvas.cards(ws, 1)] == [
        "Residents wait four weeks", TEXTS[1], "Linked cause", "Written after upgrade"]
    doc = backup.dump(store, ws.code)  # the whole workshop still reads as a backup
    assert len(doc["tables"]["cards"]) == 7 and len(doc["tables"]["members"]) == 4
    assert len(doc["tables"]["votes"]) == 2 and len(doc["tables"]["action_updates"]) == 1
    out = wb.records.export(ws.code, "md", tmp_path / "record.md")
    assert "排队时间太长 🙃" in out.read_text(encoding="utf-8")
