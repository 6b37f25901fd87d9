"""A participant's kernel stays small: building a member's board, working on it and taking the
room's changes imports none of the heavy libraries only the facilitator's side, the exports or
the migrations need (tables, charts, spreadsheets, images, documents, Alembic).

Each page is a kernel of its own and a room holds forty of them, so every megabyte a library
costs is paid forty times (issue 8: participant kernel at most 60 MB). The check runs in a
fresh interpreter: this test process has imported everything already. Beside it: a member's
boards are built as their tabs are opened, and the schema check on opening the store needs no
Alembic.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from actionlab import migrate
from actionlab.services import Workbook
from actionlab.services.canvas import FACILITATOR_AUTHOR, Author
from actionlab.settings import Settings

#: Not one of these may be in a participant kernel's ``sys.modules``.
HEAVY = ("pandas", "matplotlib", "numpy", "openpyxl", "PIL", "alembic", "mako", "docx", "fpdf",
         "lxml", "segno", "jinja2", "babel", "fontTools")

PAGE = """
import json, sys
from actionlab.services.canvas import FACILITATOR_AUTHOR
from widgets.pages import participant_page

page = participant_page(sys.argv[1], show=False)
assert page.board is not None, "no member board"
# the member adds a card and opens it for editing; every canvas tab is looked at
column = page.board.columns[0]
column.add_text.value = "A card of my own"
column._add()
next(iter(column.views.values()))._start_edit()
for index in range(len(page.canvases)):
    page.tabs.selected_index = index
# the facilitator writes on the group's board: the page takes the change
board = page.boards[-1]
page.workbook.canvas.add_card(FACILITATOR_AUTHOR, board.workshop, board.group.id,
                              board.canvas.key, board.canvas.columns[0].key, "From the front")
page.loop.tick()
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(sys.argv[2])))))
"""


def test_participant_kernel_imports_no_heavy_library(tmp_path, fresh_db):
    url = fresh_db(tmp_path / "room.db")
    wb = Workbook.open(Settings(db_url=url))
    try:
        canvases = tuple(wb.library.canvases())  # every kind of canvas on the member's board
        ws = wb.workshops.create("Kernel", "en", 2, canvases=canvases)
        group = wb.workshops.groups(ws)[0]
        joined = wb.workshops.join(ws.code, group.id, "Ann")
        for key in canvases:
            first = wb.canvas.definition(key).columns[0].key
            wb.canvas.add_card(Author(joined.member), ws, group.id, key, first, f"on {key}")
    finally:
        wb.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACTIONLAB_")}
    env.update(ACTIONLAB_DB=url, ACTIONLAB_HOME=str(tmp_path / "home"), MPLCONFIGDIR=str(tmp_path))
    done = subprocess.run(
        [sys.executable, "-c", PAGE, f"code={ws.code}&me={joined.token}", json.dumps(HEAVY)],
        env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert not loaded, (f"a participant kernel imported {loaded}: import them where they are "
                        "used (`python -X importtime` shows who pulls them in)")


def test_member_page_builds_a_board_when_its_tab_is_first_opened(wb, monkeypatch):
    """The member's board of each canvas is built when it is first shown, not all at once;
    one opened later shows its cards and follows the room from then on."""
    from widgets.live import LiveLoop
    from widgets.participant import ParticipantPage

    monkeypatch.setattr(LiveLoop, "start", lambda self: None)  # ticked by hand below

    ws = wb.workshops.create("Tabs", "en", 1, canvases=("restructure", "goals", "actions"))
    group = wb.workshops.groups(ws)[0]
    joined = wb.workshops.join(ws.code, group.id, "Ann")
    first = wb.canvas.definition("goals").columns[0].key
    wb.canvas.add_card(FACILITATOR_AUTHOR, ws, group.id, "goals", first, "A goal")
    page = ParticipantPage(wb, {"code": ws.code, "me": joined.token}, wb.settings, "en")
    assert [b.canvas.key for b in page.boards] == ["restructure"]
    assert [len(tab.children) for tab in page.tabs.children] == [1, 0, 0]
    page.tabs.selected_index = 1
    goals = page.boards[1]
    assert goals.canvas.key == "goals" and page.tabs.children[1].children == (goals.widget,)

    def texts():
        column = next(c for c in goals.columns if c.column.key == first)
        return [v.card.text for v in column.views.values()]

    assert texts() == ["A goal"]
    wb.canvas.add_card(FACILITATOR_AUTHOR, ws, group.id, "goals", first, "Another goal")
    page.loop.tick()
    assert texts() == ["A goal", "Another goal"]
    assert len(page.boards) == 2  # the third tab has not been opened


def test_schema_check_without_alembic_agrees_with_alembic(migrated_db, tmp_path):
    """Opening the store checks its schema without Alembic; Alembic gives the same answers."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    head = migrate.head_revision()
    assert head == migrate._alembic_head()
    for path in (migrated_db, tmp_path / "empty.db"):
        engine = create_engine(f"sqlite:///{path}")
        try:
            with engine.connect() as conn:
                expected = MigrationContext.configure(conn).get_current_revision()
            assert migrate.current_revision(engine) == expected
        finally:
            engine.dispose()
        assert expected == (head if path == migrated_db else None)
