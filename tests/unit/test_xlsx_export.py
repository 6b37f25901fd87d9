"""The Excel export of a workshop's data: one sheet per table after an About sheet, titles in
the workshop's language, typed cells, a frozen and filterable header row, typed text kept
exactly and never taken for a formula, the same bytes for the same data, and the part for one
group or one meeting."""

from __future__ import annotations

import io
import os
import subprocess
import time
import zipfile
from datetime import datetime

import openpyxl
import pandas as pd
import pytest

from actionlab.demo import create_demo
from actionlab.errors import InvalidInput
from actionlab.exporters import xlsx
from actionlab.exporters.xlsx import export_workshop_xlsx, render_xlsx, scope_frames
from actionlab.frames import TABLES, workshop_frames
from actionlab.services import Workbook
from actionlab.services.access import FACILITATOR
from actionlab.settings import Settings

EXPORTED = datetime(2026, 3, 4, 5, 6, 7)
RISKY = ["=1+2", "+cmd", "-2", "@SUM(A1)", "  =A1", "\t=1", "\r=1", "＝1+2",
         '=HYPERLINK("http://example.com","click")']


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo workshop (zh), made once for the module: (workbook, workshop, frames)."""
    path = tmp_path_factory.mktemp("xlsx") / "demo.db"
    workbook = Workbook.open(Settings(db_url=f"sqlite:///{path}"), upgrade=True)
    ws = create_demo(workbook, "zh")
    yield workbook, ws, workshop_frames(workbook.store, ws)
    workbook.close()


@pytest.fixture(scope="module")
def demo_book(demo):
    workbook, ws, _frames = demo
    return openpyxl.load_workbook(io.BytesIO(
        export_workshop_xlsx(workbook.store, ws, exported_at=EXPORTED)))


def read(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def rows(sheet) -> list[dict]:
    """A table sheet as dicts keyed by its header."""
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def cells(sheet, title: str) -> list:
    """The cells below the header titled ``title``."""
    header = [c.value for c in sheet[1]]
    col = header.index(title) + 1
    return [sheet.cell(row=r, column=col) for r in range(2, sheet.max_row + 1)]


@pytest.fixture
def typed(wb):
    """A small English workshop with risky typed texts on cards of group 1."""
    ws = wb.workshops.create("Typed texts", "en", 2, group_names=["Alpha", "Beta"])
    alpha, _beta = wb.workshops.groups(ws)
    ann = wb.store.add_member(FACILITATOR, workshop_id=ws.id, group_id=alpha.id,
                              name="=cmd|' /C calc'!A0", token_hash=None)
    texts = [*RISKY, "#N/A", "plain words", "a\x00b\x07c\x1fd", "two\nlines\tand a tab",
             "中文 🎉 مرحبا", "x" * 40_000]
    for text in texts:
        wb.store.add_card(FACILITATOR, workshop_id=ws.id, group_id=alpha.id, canvas="restructure",
                          column="symptoms", text=text, author_id=ann.id)
    return wb, ws


def card_cells(book) -> dict[str, object]:
    """Text cell of every card on the All cards sheet, by the text read back."""
    return {c.value: c for c in cells(book["All cards"], "Text")}


# -- sheets, titles, header ----------------------------------------------------------------
def test_one_sheet_per_table_after_the_about_sheet_with_a_frozen_filtered_bold_header(demo_book, demo):
    frames = demo[2]
    book = demo_book
    assert len(book.sheetnames) == len(TABLES) + 1
    assert book.sheetnames[0] == "说明"
    assert book.sheetnames[1:5] == ["工作坊", "小组", "成员", "全部卡片"]
    assert len(set(book.sheetnames)) == len(book.sheetnames)
    assert all(len(name) <= 31 for name in book.sheetnames)
    for table, sheet in zip(TABLES, book.worksheets[1:], strict=True):
        assert sheet.freeze_panes == "A2", table
        assert sheet.max_row == len(frames[table]) + 1, table
        assert sheet.max_column == len(frames[table].columns), table
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"
        assert all(c.font.b for c in sheet[1]), table
    about = {r[0]: r[1] for r in book["说明"].iter_rows(values_only=True) if r[0]}
    assert about["工作坊代码"] == demo[1].code
    assert about["范围"] == "整个项目"
    assert about["成员"] == len(frames["members"])  # rows per sheet
    assert "UTC" in about["时间"]


def test_headers_and_sheet_names_in_chinese_and_in_english(demo, demo_book):
    workbook, ws, frames = demo
    zh = demo_book
    en = read(export_workshop_xlsx(workbook.store, ws, lang="en", exported_at=EXPORTED))
    assert [c.value for c in zh["成员"][1]][:4] == ["成员编号(ID)", "姓名", "小组编号(ID)", "小组"]
    assert [c.value for c in en["Members"][1]][:4] == ["Member ID", "Name", "Group ID", "Group"]
    assert en.sheetnames[0] == "About" and "Action plan" in en.sheetnames
    # canvas fields take the canvas's own titles
    assert {"负责人", "完成日期", "状态"} <= {c.value for c in zh["行动计划"][1]}
    assert {"Owner", "Due date", "Status"} <= {c.value for c in en["Action plan"][1]}
    # no column is left under its raw name in either language
    raw = {col for frame in frames.values() for col in frame.columns}
    for book in (zh, en):
        for sheet in book.worksheets[1:]:
            assert not raw & {c.value for c in sheet[1]} - {"Text"}, sheet.title


def test_chinese_text_arrives_intact(demo_book, demo):
    frames = demo[2]
    texts = [c.value for c in cells(demo_book["全部卡片"], "内容")]
    assert texts == frames["cards"]["text"].tolist()
    assert demo_book["说明"]["A1"].value.startswith(str(frames["workshops"]["title"][0]))


# -- typed cells ---------------------------------------------------------------------------
def test_numbers_booleans_times_and_missing_values_are_typed(demo_book, demo):
    frames = demo[2]
    groups = cells(demo_book["小组"], "组号")
    assert [c.value for c in groups] == [1, 2, 3] and all(c.data_type == "n" for c in groups)
    device = cells(demo_book["成员"], "已绑定设备")
    assert all(isinstance(c.value, bool) for c in device)
    created = cells(demo_book["全部卡片"], "创建时间")
    assert all(isinstance(c.value, datetime) for c in created)
    assert {c.number_format for c in created} == {"yyyy-mm-dd hh:mm"}
    held = cells(demo_book["会议"], "会议日期")
    stored_days = frames["meetings"]["held_on"].dt.date.tolist()
    assert [c.value.date() if c.value else None for c in held] == stored_days  # days never shift
    assert {c.number_format for c in held if c.value} == {"yyyy-mm-dd"}
    consensus = [c.value for c in cells(demo_book["目标"], "举手表决（平均）") if c.value is not None]
    assert consensus and all(isinstance(v, (int, float)) for v in consensus)
    # a member without a unit, a status change outside any meeting: empty cells
    assert None in [c.value for c in cells(demo_book["状态变更记录"], "会议序号")]
    fields = cells(demo_book["全部卡片"], "卡片字段")
    assert any(c.value and c.value.startswith("{") and "problem" in c.value for c in fields)


def test_times_are_shown_in_local_time_and_the_about_sheet_says_so(typed):
    wb, ws = typed
    stored = workshop_frames(wb.store, ws)["cards"]["created_at"][0]
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "Asia/Shanghai"
    time.tzset()
    try:
        book = read(export_workshop_xlsx(wb.store, ws, exported_at=EXPORTED))
    finally:
        if previous is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = previous
        time.tzset()
    shown = cells(book["All cards"], "Created")[0].value
    assert shown == (stored + pd.Timedelta(hours=8)).to_pydatetime().replace(microsecond=0)
    about = {r[0]: r[1] for r in book["About"].iter_rows(values_only=True) if r[0]}
    assert "UTC+08:00" in about["Times"]
    assert about["Exported at"] == datetime(2026, 3, 4, 13, 6, 7)


# -- typed text is untrusted ---------------------------------------------------------------
def test_text_that_looks_like_a_formula_stays_text_with_the_quote_prefix(typed):
    wb, ws = typed
    data = export_workshop_xlsx(wb.store, ws, exported_at=EXPORTED)
    by_text = card_cells(read(data))
    for text in RISKY:
        cell = by_text[text]
        assert cell.value == text and cell.data_type == "s" and cell.quotePrefix, text
    assert by_text["#N/A"].data_type == "s" and not by_text["#N/A"].quotePrefix
    assert not by_text["plain words"].quotePrefix
    member = read(data)["Members"]["B2"]
    assert member.value == "=cmd|' /C calc'!A0" and member.quotePrefix
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert not any(b"<f>" in xml or b"<f " in xml for xml in sheets)  # no formula anywhere


def test_control_characters_become_a_replacement_mark_and_long_texts_are_cut(typed):
    wb, ws = typed
    zh = read(export_workshop_xlsx(wb.store, ws, lang="zh", exported_at=EXPORTED))
    texts = [c.value for c in cells(zh["全部卡片"], "内容")]
    assert "a\ufffdb\ufffdc\ufffdd" in texts  # as documented: U+FFFD, nothing dropped
    assert "two\nlines\tand a tab" in texts  # line breaks and tabs are fine
    assert "中文 🎉 مرحبا" in texts
    long = next(t for t in texts if t.startswith("xxxx"))
    assert len(long.encode("utf-16-le")) // 2 <= 32_767
    assert long.endswith("[……以下省略：一个单元格最多容纳 32,767 个字符]")


def test_neutralise_marks_what_a_spreadsheet_could_run():
    assert xlsx.neutralise("=1") == ("=1", True)
    assert xlsx.neutralise(" \u3000-5") == (" \u3000-5", True)
    assert xlsx.neutralise("a=1") == ("a=1", False)
    assert xlsx.neutralise("bad\x01") == ("bad\ufffd", False)
    assert xlsx.neutralise("\ud800x") == ("\ufffdx", False)


# -- deterministic, no office suite --------------------------------------------------------
def test_the_same_data_gives_the_same_bytes_and_the_export_time_is_kept(demo):
    workbook, ws, frames = demo
    first = render_xlsx(frames, lang="zh", title="演示", exported_at=EXPORTED)
    assert render_xlsx(frames, lang="zh", title="演示", exported_at=EXPORTED) == first
    props = read(first).properties
    assert props.created == props.modified == EXPORTED
    # without an export time, the latest time in the data stands for it
    latest = max(frames["cards"]["updated_at"].max(), frames["votes"]["at"].max())
    assert read(render_xlsx({t: frames[t] for t in ("cards", "votes")}, lang="en",
                            title="Demo")).properties.modified == latest.to_pydatetime().replace(microsecond=0)


def test_no_office_suite_or_other_program_is_needed(typed, monkeypatch):
    wb, ws = typed

    def no_program(*args, **kwargs):
        raise AssertionError("the export started a program")

    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(subprocess, "Popen", no_program)
    data = export_workshop_xlsx(wb.store, ws, exported_at=EXPORTED)
    assert data[:2] == b"PK" and read(data).sheetnames[0] == "About"


# -- scope ---------------------------------------------------------------------------------
def test_scope_by_group_keeps_that_groups_rows(demo):
    workbook, ws, frames = demo
    book = read(export_workshop_xlsx(workbook.store, ws, group=2, exported_at=EXPORTED))
    name = frames["groups"].set_index("number").loc[2, "group"]
    for sheet in book.worksheets[1:]:
        header = [c.value for c in sheet[1]]
        if "小组" in header:
            assert {r["小组"] for r in rows(sheet)} <= {name, None}, sheet.title
    members = frames["members"][frames["members"]["group"] == name]
    assert [r["姓名"] for r in rows(book["成员"])] == members["name"].tolist()
    assert len(rows(book["小组"])) == 1
    assert len(rows(book["会议"])) == len(frames["meetings"])  # meetings are the programme's
    lessons = rows(book["经验教训"])
    assert any(r["小组"] is None for r in lessons)  # lessons for the whole programme stay
    assert len(rows(book["行动计划"])) == (frames["actions"]["group"] == name).sum()
    about = {r[0]: r[1] for r in book["说明"].iter_rows(values_only=True) if r[0]}
    number, theme = name.split(" · ", 1)  # the demo's "第2组 · …": the number is not said twice
    assert number == "第2组" and about["范围"] == f"第 2 组：{theme}"


def test_scope_by_meeting_keeps_that_meetings_rows_and_the_canvases_whole(demo):
    workbook, ws, frames = demo
    book = read(export_workshop_xlsx(workbook.store, ws, meeting=3, exported_at=EXPORTED))
    assert [r["会议序号"] for r in rows(book["会议"])] == [3]
    for title in ("考勤", "进展汇报", "状态变更记录", "回顾小结", "经验教训", "决策", "发言记录"):
        assert {r["会议序号"] for r in rows(book[title])} <= {3}, title
    assert len(rows(book["考勤"])) == (frames["attendance"]["meeting_number"] == 3).sum() > 0
    assert len(rows(book["全部卡片"])) == len(frames["cards"])
    assert len(rows(book["行动计划"])) == len(frames["actions"])


def test_scope_frames_leaves_its_input_alone_and_refuses_unknown_numbers(demo):
    frames = demo[2]
    before = {t: len(f) for t, f in frames.items()}
    both = scope_frames(frames, group=1, meeting=3)
    assert {t: len(f) for t, f in frames.items()} == before
    assert set(both["attendance"]["meeting_number"]) == {3}
    assert set(both["attendance"]["group_id"]) <= set(frames["groups"].query("number == 1")["group_id"])
    assert scope_frames(frames) == frames
    with pytest.raises(InvalidInput):
        scope_frames(frames, group=99)
    with pytest.raises(InvalidInput):
        scope_frames(frames, meeting=99)
