"""Hostile text on both databases (issue 7, item 3): PostgreSQL refuses a NUL character in
text that SQLite keeps, and neither can hold half of a surrogate pair, so the services' text
rule (actionlab/text.py) is what keeps a typed NUL from failing a write there. The
fields and the rule come from tests/unit/test_hostile_text.py; here they run on each backend.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from actionlab import backup
from actionlab.db.models import Card, Workshop
from actionlab.errors import InvalidInput
from actionlab.i18n import translator
from actionlab.services import Workbook
from actionlab.settings import Settings
from tests.unit.test_hostile_text import HARD, Room, check, fields

pytestmark = pytest.mark.integration


@pytest.fixture
def room(db_url):
    wb = Workbook.open(Settings(db_url=db_url), upgrade=True)
    yield Room(wb)
    wb.close()


@pytest.mark.parametrize("kind", ["controls", "nul and lone surrogates", "cjk and emoji",
                                  "right to left", "zero width", "markup"])
def test_hostile_text_in_every_field_on_each_database(room, kind):
    for field in fields(room):
        check(room, field, HARD[kind])


def _count(store, model) -> int:
    with store.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_backup_holding_a_nul_or_half_a_character(room):
    """Half a surrogate pair (JSON's "\\ud800") becomes U+FFFD on the way in; a NUL is
    restored as it was where the database holds it, and refused with a clear message, nothing
    written, where it does not (PostgreSQL)."""
    wb, ws = room.wb, room.ws
    doc = json.loads(backup.dumps(wb.store, ws.code))
    doc["tables"]["cards"][0]["text"] = "half \ud800 pair"
    doc["tables"]["members"][0]["name"] = "\udfff"
    copy = backup.restore(wb.store, json.dumps(doc).encode(), new_code=True)
    texts = {c.text for c in wb.store.find_cards(copy.id)}
    assert "half \ufffd pair" in texts
    assert "\ufffd" in {m.name for m in wb.workshops.members(copy)}

    doc["tables"]["cards"][0]["text"] = "nul \x00 inside"
    before = (_count(wb.store, Workshop), _count(wb.store, Card))
    if wb.store.engine.dialect.name == "sqlite":
        copy = backup.restore(wb.store, json.dumps(doc).encode(), new_code=True)
        assert "nul \x00 inside" in {c.text for c in wb.store.find_cards(copy.id)}
        return
    with pytest.raises(InvalidInput) as err:
        backup.restore(wb.store, json.dumps(doc).encode(), new_code=True)
    for lang in ("en", "zh"):
        assert "NUL" in err.value.translated(translator(lang))
    assert "Nothing was imported" in str(err.value)
    assert (_count(wb.store, Workshop), _count(wb.store, Card)) == before
