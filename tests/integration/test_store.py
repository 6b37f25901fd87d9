"""The store, its migrations and its change log, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from actionlab import migrate
from actionlab.db.engine import make_engine
from actionlab.db.models import Base
from actionlab.errors import Conflict, NotFound, SchemaOutOfDate
from actionlab.services import Workbook
from actionlab.services.canvas import Author
from actionlab.settings import Settings
from actionlab.store import Store

pytestmark = pytest.mark.integration


@pytest.fixture
def workbook(db_url):
    wb = Workbook.open(Settings(db_url=db_url), upgrade=True)
    yield wb
    wb.close()


def test_schema_comes_only_from_migrations_and_matches_the_models(db_url):
    engine = make_engine(db_url)
    try:
        assert inspect(engine).get_table_names() == []
        with pytest.raises(SchemaOutOfDate):
            Store.open(db_url)
        assert migrate.upgrade(engine) == migrate.head_revision()
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], diff
    finally:
        engine.dispose()


def test_every_write_adds_a_change_row_with_increasing_revisions(workbook):
    ws = workbook.workshops.create("Store test", "en", 2)
    groups = workbook.workshops.groups(ws)
    joined = workbook.workshops.join(ws.code, groups[0].id, "Ada")
    author = Author(joined.member)
    card = workbook.canvas.add_card(author, ws, groups[0].id, "restructure", "symptoms", "Slow")
    workbook.canvas.edit_card(author, card.id, "Very slow")
    workbook.canvas.delete_card(author, card.id)

    changes = workbook.store.find_changes(workshop_id=ws.id)
    assert [c.action for c in changes] == [
        "workshop.add", "member.add", "card.add", "card.update", "card.remove"]
    revisions = [c.revision for c in changes]
    assert revisions == sorted(set(revisions))
    assert workbook.store.find_latest_revision() == revisions[-1]
    assert changes[2].actor == f"member:{joined.member.id}"
    assert changes[3].payload["before"] == {"text": "Slow"} and changes[3].payload["text"] == "Very slow"
    assert changes[4].payload["text"] == "Very slow"
    assert all(c.at is not None for c in changes)


def test_a_failed_write_leaves_neither_data_nor_change_row(workbook):
    ws = workbook.workshops.create("Atomic", "zh", 1)
    before = workbook.store.find_latest_revision()
    with pytest.raises(Conflict):
        # the same join code twice breaks a unique constraint inside the transaction
        workbook.store.add_workshop("test", code=ws.code, title="dup", lang="zh",
                                    group_names=["G"], canvases=["restructure"])
    assert workbook.store.find_latest_revision() == before
    assert len(workbook.store.find_workshops()) == 1
    with pytest.raises(RuntimeError):
        with workbook.store.write("test") as tx:
            tx.log("noop", "nothing")
            raise RuntimeError("boom")
    assert workbook.store.find_latest_revision() == before


def test_feed_sees_only_new_changes_of_its_workshop(workbook):
    a = workbook.workshops.create("A", "en", 1)
    b = workbook.workshops.create("B", "en", 1)
    feed = workbook.feed(a.id)
    assert not feed.poll()
    group_a = workbook.workshops.groups(a)[0]
    group_b = workbook.workshops.groups(b)[0]
    from actionlab.services.canvas import FACILITATOR_AUTHOR as F

    workbook.canvas.add_card(F, b, group_b.id, "restructure", "symptoms", "elsewhere")
    workbook.canvas.add_card(F, a, group_a.id, "restructure", "causes", "here")
    batch = feed.poll()
    assert [c.payload["text"] for c in batch.changes] == ["here"]
    assert batch.touches("card", group_a.id) and not batch.touches("member")
    assert not feed.poll()


def test_concurrent_writers_get_unique_gapless_revisions(db_url):
    setup = Workbook.open(Settings(db_url=db_url), upgrade=True)
    ws = setup.workshops.create("Busy room", "en", 4)
    groups = setup.workshops.groups(ws)
    start = setup.store.find_latest_revision()
    errors: list[BaseException] = []

    def writer(group_id: int) -> None:
        wb = Workbook.open(Settings(db_url=db_url))  # its own engine, like another kernel
        try:
            from actionlab.services.canvas import FACILITATOR_AUTHOR as F

            for i in range(15):
                wb.canvas.add_card(F, ws, group_id, "restructure", "symptoms", f"card {i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            wb.close()

    threads = [threading.Thread(target=writer, args=(g.id,)) for g in groups]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    changes = setup.store.find_changes(after=start)
    assert [c.revision for c in changes] == list(range(start + 1, start + 1 + 60))
    assert len(setup.canvas.cards(ws)) == 60
    setup.close()


def test_missing_things_raise_not_found(workbook):
    with pytest.raises(NotFound):
        workbook.store.find_workshop("NOPE00")
    with pytest.raises(NotFound):
        workbook.store.update_card("test", 999, text="x")
    with pytest.raises(NotFound):
        workbook.store.remove_card("test", 999)


def test_concurrent_votes_never_exceed_the_budget(workbook):
    """Several devices of one person (or a facilitator's proxy and the person) vote at once:
    the store keeps the budget on both databases."""
    ws = workbook.workshops.create("Votes", "en", 1, canvases=["restructure"])
    group = workbook.workshops.groups(ws)[0]
    member = workbook.workshops.join(ws.code, group.id, "Ann").member
    author = Author(member)
    cards = [workbook.canvas.add_card(author, ws, group.id, "restructure", "key_problem", f"K{i}")
             for i in range(4)]
    refused: list[str] = []

    def vote(card_id: int) -> None:
        for _ in range(3):
            try:
                workbook.voting.vote(author, card_id)
            except Exception as exc:  # noqa: BLE001 - collected and checked below
                refused.append(getattr(exc, "message_id", repr(exc)))

    threads = [threading.Thread(target=vote, args=(c.id,)) for c in cards for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    tally = workbook.voting.tally(ws, group.id, "restructure")
    assert sum(tally.counts.values()) == 5  # the default budget, exactly
    assert all(n <= 3 for n in tally.counts.values())
    assert len(refused) == 24 - 5
    assert set(refused) <= {"All {n} votes are used. Take one back to vote again.",
                            "At most {n} votes on one card."}


def test_the_canvases_migration_downgrades_and_upgrades_again(db_url):
    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine, "0001")
        store_url = db_url
        from sqlalchemy import text

        with engine.begin() as conn:
            conn.execute(text("INSERT INTO workshops (code, title, lang, group_count, canvases, "
                              "is_demo, created_at) VALUES ('AAAAAA', 't', 'en', 1, '[]', false, "
                              "'2026-01-01 00:00:00')"))
        migrate.upgrade(engine)
        with Workbook.open(Settings(db_url=store_url)) as wb:
            ws = wb.workshops.get("AAAAAA")
            assert ws.options == {}
        from alembic import command

        cfg = migrate.alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0001")
        assert migrate.current_revision(engine) == "0001"
        assert "votes" not in inspect(engine).get_table_names()
        assert migrate.upgrade(engine) == migrate.head_revision()
    finally:
        engine.dispose()


def test_the_room_migration_keeps_workshops_and_downgrades_and_upgrades_again(db_url):
    """0002 → 0003 keeps what was there (room state starts empty); 0003 → 0002 drops the room
    tables and columns; upgrading again gives a working room."""
    from alembic import command

    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine, "0002")
        from sqlalchemy import text

        with engine.begin() as conn:
            conn.execute(text("INSERT INTO workshops (code, title, lang, group_count, canvases, "
                              "options, is_demo, created_at) VALUES ('BBBBBB', 't', 'en', 1, "
                              "'[\"restructure\"]', '{}', false, '2026-01-01 00:00:00')"))
        migrate.upgrade(engine)
        with Workbook.open(Settings(db_url=db_url)) as wb:
            ws = wb.workshops.get("BBBBBB")
            assert ws.room == {} and ws.canvases == ["restructure"]
            meeting = wb.meetings.add(ws, "First")
            ws = wb.meetings.start(ws, meeting.id)
            assert wb.meetings.current(ws).title == "First"
        cfg = migrate.alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0002")
        assert migrate.current_revision(engine) == "0002"
        tables = inspect(engine).get_table_names()
        assert "meetings" not in tables and "speaking_turns" not in tables
        assert "room" not in {c["name"] for c in inspect(engine).get_columns("workshops")}
        assert migrate.upgrade(engine) == migrate.head_revision()
        with Workbook.open(Settings(db_url=db_url)) as wb:
            assert wb.workshops.get("BBBBBB").room == {}
    finally:
        engine.dispose()


def test_the_follow_up_migration_keeps_meetings_and_downgrades_and_upgrades_again(db_url):
    """0003 → 0004 keeps the workshop and its meeting; the follow-up rows written after it go
    with a downgrade to 0003, and upgrading again works."""
    from alembic import command
    from sqlalchemy import text

    engine = make_engine(db_url)
    try:
        migrate.upgrade(engine, "0003")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO workshops (code, title, lang, group_count, canvases, "
                              "options, room, is_demo, created_at) VALUES ('CCCCCC', 't', 'en', 1, "
                              "'[\"actions\"]', '{}', '{}', false, '2026-01-01 00:00:00')"))
            ws_id = conn.execute(text("SELECT id FROM workshops WHERE code = 'CCCCCC'")).scalar_one()
            conn.execute(text(f"INSERT INTO groups (workshop_id, number, name) VALUES ({ws_id}, 1, 'G')"))
            conn.execute(text("INSERT INTO meetings (workshop_id, number, kind, title, agenda, "
                              f"created_at) VALUES ({ws_id}, 1, 'workshop', 'Before', '[]', "
                              "'2026-01-02 00:00:00')"))
        migrate.upgrade(engine)
        with Workbook.open(Settings(db_url=db_url)) as wb:
            ws = wb.workshops.get("CCCCCC")
            assert [m.title for m in wb.meetings.meetings(ws)] == ["Before"]
            member = wb.store.add_member("t", workshop_id=ws.id,
                                         group_id=wb.workshops.groups(ws)[0].id, name="Ann",
                                         token_hash=None)
            meeting = wb.meetings.add(ws, kind="group_followup")
            ws = wb.meetings.start(ws, meeting.id)
            wb.progress.report(ws, member, done="Did it")
            wb.reflection.reflect(ws, member, quality=4, own_part=4, improvement="More time")
        cfg = migrate.alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0003")
        tables = inspect(engine).get_table_names()
        assert "progress_reports" not in tables and "reflections" not in tables
        assert "meetings" in tables
        assert migrate.upgrade(engine) == migrate.head_revision()
        with Workbook.open(Settings(db_url=db_url)) as wb:
            ws = wb.workshops.get("CCCCCC")
            assert len(wb.meetings.meetings(ws)) == 2
            assert wb.progress.reports(ws) == []
    finally:
        engine.dispose()


def test_rooms_starting_together_store_their_shared_key_once(db_url):
    """Several `actionlab serve` processes started at once with one key: none fails, the key is
    stored once (it used to fail with a duplicate key on PostgreSQL)."""
    import threading

    from actionlab.services.access import hash_secret
    from actionlab.store import Store

    Store.open(db_url, upgrade=True).close()
    stores = [Store.open(db_url) for _ in range(6)]
    failures: list[BaseException] = []
    try:
        for round_ in range(8):
            key_hash = hash_secret(f"shared-key-{round_}")
            barrier = threading.Barrier(len(stores))

            def start(store, key_hash=key_hash, barrier=barrier):
                barrier.wait()
                try:
                    store.add_facilitator_key("system", key_hash, keep=50)
                except BaseException as exc:  # noqa: BLE001 - reported below
                    failures.append(exc)

            threads = [threading.Thread(target=start, args=(s,)) for s in stores]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert stores[0].find_facilitator_key_hashes().count(key_hash) == 1
        assert failures == []
    finally:
        for store in stores:
            store.close()
