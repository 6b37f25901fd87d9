"""Bad files (issue 7, item 4): rosters and backups that are mis-encoded, damaged or of
another kind give a clear message in both languages, and nothing of them is imported.

tests/unit/test_roster.py and tests/unit/test_backup.py hold the main cases (GBK, GB18030,
UTF-16 and UTF-8 with a BOM; a picture named .csv; cut-off XLSX; empty and header-only files;
cut-off, damaged and newer backups); these are the ones they leave out.
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile

import pytest
from openpyxl import Workbook as XlsxBook
from sqlalchemy import func, select

from actionlab import backup
from actionlab.db.models import Base
from actionlab.errors import InvalidInput
from actionlab.i18n import catalog, translator
from actionlab.services import Workbook
from actionlab.services.canvas import FACILITATOR_AUTHOR
from actionlab.settings import Settings

ZH_ROWS = "姓名,单位,小组\n林晓,示例市水务局,1\n王堃,示例区街道办,2\n买买提·艾力,示例公司,1\n"
ENCODING = "The file's characters are in an encoding that cannot be read"


@pytest.fixture(scope="module")
def wb(tmp_path_factory):
    """One store for the module (each test has its own workshop): quicker than one each."""
    book = Workbook.open(Settings(db_url=f"sqlite:///{tmp_path_factory.mktemp('bad') / 'wb.db'}"),
                         upgrade=True)
    yield book
    book.close()


@pytest.fixture
def ws(wb):
    return wb.workshops.create("Bad files", "en", 2)


def counts(store) -> dict[str, int]:
    with store.read() as s:
        return {m.class_.__tablename__: s.scalar(select(func.count()).select_from(m.class_))
                for m in Base.registry.mappers}


def refused(call, *args, starts: str) -> InvalidInput:
    """``call`` raises InvalidInput whose message starts with ``starts`` and reads in both
    languages."""
    with pytest.raises(InvalidInput) as err:
        call(*args)
    assert err.value.message_id.startswith(starts), err.value.message_id
    for lang in ("en", "zh"):
        assert err.value.message_id in catalog(lang)
    assert err.value.translated(translator("zh")) != err.value.translated(translator("en"))
    return err.value


def xlsx(rows, *, merge: tuple[str, ...] = ()) -> bytes:
    book = XlsxBook()
    for row in rows:
        book.active.append(row)
    for area in merge:
        book.active.merge_cells(area)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# -- rosters ---------------------------------------------------------------------------------
def test_chinese_csv_in_utf8_without_a_bom_and_in_gbk_with_rare_characters(wb, ws):
    for encoding in ("utf-8", "gbk"):
        report = wb.teams.read_roster(ws, ZH_ROWS.encode(encoding), "名单.csv")
        assert report.ok, encoding
        assert [r.name for r in report.rows] == ["林晓", "王堃", "买买提·艾力"]  # 堃: GBK only


@pytest.mark.parametrize("text,encoding", [
    ("Name,Unit,Group\nJosé Müller,Fábrica Norte,1\nZoë Ångström,Café,2\n", "latin-1"),
    ("Name,Unit\nMüller,Straße\n", "latin-1"),  # reads as GB18030 too, into 黮 and 遝
    ("Name,Unit\nFrançois “Frank” Lefèvre,Société\n", "cp1252"),
])
def test_a_western_encoding_is_named_not_read_as_garbled_chinese(wb, ws, text, encoding):
    before = counts(wb.store)
    data = text.encode(encoding)
    for call in (wb.teams.read_roster, wb.teams.import_roster):
        refused(call, ws, data, "roster.csv", starts=ENCODING)
    assert "Latin-1" in refused(wb.teams.import_roster, ws, data, "roster.csv",
                                starts=ENCODING).translated(translator("zh"))
    assert counts(wb.store) == before


def test_a_formula_without_its_result_names_the_cell(wb, ws):
    before = counts(wb.store)
    data = xlsx([["姓名", "单位"], ["林晓", "示例"], ['=CONCAT("王","浩")', "示例"]])
    err = refused(wb.teams.import_roster, ws, data, "roster.xlsx", starts="Cell {cell} holds a formula")
    assert "A3" in err.translated(translator("en")) and "A3" in err.translated(translator("zh"))
    assert counts(wb.store) == before


def test_a_formula_with_its_saved_result_gives_the_result(wb, ws):
    """What Excel writes: the formula and the value it last computed; the value counts."""
    data = xlsx([["姓名", "单位"], ["林晓", "PLACEHOLDER"]])
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode("utf-8")
    sheet, n = re.subn(r'<c r="B2"[^>]*>.*?</c>',
                       '<c r="B2" t="str"><f>"示例"&amp;"单位"</f><v>示例单位</v></c>', sheet)
    assert n == 1
    parts["xl/worksheets/sheet1.xml"] = sheet.encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name, content in parts.items():
            dst.writestr(name, content)
    report = wb.teams.import_roster(ws, out.getvalue(), "roster.xlsx")
    assert report.ok and report.imported == 1
    assert wb.workshops.members(ws)[0].unit == "示例单位"


def test_merged_cells_count_for_every_row_they_cover(wb, ws):
    g1, g2 = wb.workshops.groups(ws)
    data = xlsx([["姓名", "单位", "小组"],
                 ["林晓", "示例市水务局", 1], ["王浩", None, None], ["赵敏", None, None],
                 ["陈静", "示例公司", 2], ["刘洋", None, None]],
                merge=("B2:B4", "C2:C4", "B5:B6", "C5:C6"))
    report = wb.teams.import_roster(ws, data, "roster.xlsx")
    assert report.ok and report.imported == 5
    people = {m.name: (m.group_id, m.unit) for m in wb.workshops.members(ws)}
    assert people == {"林晓": (g1.id, "示例市水务局"), "王浩": (g1.id, "示例市水务局"),
                      "赵敏": (g1.id, "示例市水务局"), "陈静": (g2.id, "示例公司"),
                      "刘洋": (g2.id, "示例公司")}


@pytest.mark.parametrize("data,name,starts", [
    (xlsx([["学员名单"], ["姓名", "单位"], ["林晓", "示例"]], merge=("A1:B1",)), "r.xlsx",
     "No name column"),  # a merged title above the column titles
    (b"PK\x03\x04" + bytes(range(200)), "r.xlsx", "The XLSX file is damaged"),
    (gzip.compress(b"name\nA\n", mtime=0), "roster.csv", "This file is not a CSV or XLSX table"),
    (b"name,unit\nA\x00B,x\n", "roster.csv", "This file is not a CSV or XLSX table"),
    ("name\nA\n".encode("utf-16-le"), "roster.csv", "This file is not a CSV or XLSX table"),
    (b"\xef\xbb\xbf", "bom-only.csv", "The file is empty."),
    (b"\xef\xbb\xbf\xe5\xa7\x93\xe5\x90\x8d\r\n", "header-bom.csv", "The file lists nobody"),
])
def test_other_bad_rosters_are_refused_whole(wb, ws, data, name, starts):
    before = counts(wb.store)
    refused(wb.teams.import_roster, ws, data, name, starts=starts)
    assert counts(wb.store) == before


def test_a_word_file_named_xlsx_is_damaged_not_a_crash(wb, ws):
    refused(wb.teams.import_roster, ws, _docx(), "roster.xlsx", starts="The XLSX file is damaged")


# -- backups ---------------------------------------------------------------------------------
@pytest.fixture
def saved(wb, ws):
    group = wb.workshops.groups(ws)[0]
    wb.canvas.add_card(FACILITATOR_AUTHOR, ws, group.id, "restructure", "symptoms", "一张卡片")
    return backup.dumps(wb.store, ws.code)


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.mark.parametrize("kind", ["csv", "html", "markdown", "xlsx", "docx", "pdf", "gzip"])
def test_a_file_that_is_not_json_is_not_a_backup(wb, saved, kind):
    """Another file picked by mistake: a roster, a page, a record (the exports are a zip or
    a PDF), a compressed backup."""
    data = {
        "csv": "姓名,单位\n林晓,示例\n".encode(),
        "html": b"<!DOCTYPE html><html><body>{}</body></html>",
        "markdown": "# 记录\n\n{\"format\": 1}\n".encode(),
        "xlsx": xlsx([["姓名"], ["林晓"]]),
        "docx": _docx(),
        "pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
        "gzip": gzip.compress(saved),
    }[kind]
    before = counts(wb.store)
    for call in (backup.loads, lambda d: backup.restore(wb.store, d)):
        refused(call, data, starts="This file is not an actionlab backup.")
    assert counts(wb.store) == before
