"""Roster import (stage 2): real CSV and XLSX files, Chinese and English, all rows or none."""

from __future__ import annotations

import pytest
from openpyxl import Workbook as XlsxBook

from actionlab.errors import InvalidInput
from actionlab.roster import read_roster, read_table

EN_CSV = (
    "Name,Unit,Department,Profession,Level,Gender,Age band,Group,Role\n"
    "Mei Fang,North Works,Planning,Engineer,Section,F,30-39,1,Group leader\n"
    "Tom Reyes,North Works,Finance,Accountant,Staff,M,40-49,Group 1,liaison\n"
    "\n"
    "Ana Diaz,South Depot,Service,Nurse,Staff,F,20-29,2,\n"
    "Kai Moss,,,,,,,,\n"
)
ZH_CSV = (
    "姓名, 单位 ,部门,专业,职级,性别,年龄段,小组,角色\n"
    "林晓,示例市水务局,规划科,给排水,科员,女,30-39,第1组,组长\n"
    "王浩,示例市水务局,财务科,会计,副科,男,40-49,2,学习委员\n"
    "赵敏,示例区街道办,综合科,管理,科员,女,20-29,,\n"
)



@pytest.fixture
def ws(wb):
    return wb.workshops.create("Roster", "en", 2)


def import_file(wb, ws, path):
    return wb.teams.import_roster(ws, path.read_bytes(), path.name)


def by_name(wb, ws):
    return {m.name: m for m in wb.workshops.members(ws)}


def test_english_csv_in_utf8(wb, ws, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(EN_CSV, encoding="utf-8")
    report = import_file(wb, ws, path)
    assert report.ok and report.imported == 4
    assert [r.row for r in report.rows] == [2, 3, 5, 6]  # the blank line keeps its number
    g1, g2 = wb.workshops.groups(ws)
    people = by_name(wb, ws)
    mei = people["Mei Fang"]
    assert (mei.group_id, mei.role, mei.unit, mei.department, mei.profession, mei.level,
            mei.gender, mei.age_band) == (g1.id, "group_leader", "North Works", "Planning",
                                          "Engineer", "Section", "F", "30-39")
    assert mei.token_hash is None  # no device yet
    assert people["Tom Reyes"].group_id == g1.id and people["Tom Reyes"].role == "liaison"
    assert people["Ana Diaz"].group_id == g2.id and people["Ana Diaz"].role == "member"
    kai = people["Kai Moss"]
    assert kai.group_id is None and kai.unit is None and kai.role == "member"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_chinese_csv_in_every_encoding_excel_writes(wb, ws, tmp_path, encoding):
    path = tmp_path / "名单.csv"
    path.write_bytes(ZH_CSV.encode(encoding))
    report = import_file(wb, ws, path)
    assert report.problems == [] and report.imported == 3
    assert report.columns["name"] == "姓名" and report.columns["unit"] == "单位"
    g1, g2 = wb.workshops.groups(ws)
    people = by_name(wb, ws)
    assert people["林晓"].group_id == g1.id and people["林晓"].role == "group_leader"
    assert people["林晓"].unit == "示例市水务局" and people["林晓"].gender == "女"
    assert people["王浩"].group_id == g2.id and people["王浩"].role == "learning_officer"
    assert people["赵敏"].group_id is None


def test_xlsx_with_numbers_extra_columns_and_a_blank_row(wb, tmp_path):
    ws = wb.workshops.create("表格", "zh", 3)
    book = XlsxBook()
    sheet = book.active
    sheet.append(["序号", "姓名", "单位", "部门", "专业", "级别", "性别", "年龄段", "组", "角色", "电话"])
    sheet.append([1, "陈静", "示例公司", "人事部", "人力资源", "经理", "女", "30-39", 3, "Convener", "n/a"])
    sheet.append([2, "  周  宁 ", "示例公司", "技术部", "软件", "工程师", "男", "20-29", 1.0, None, None])
    sheet.append([])
    sheet.append([4, "刘洋", None, None, None, None, None, None, "第2组", "外援", None])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    report = import_file(wb, ws, path)
    assert report.ok and report.imported == 3
    assert [r.row for r in report.rows] == [2, 3, 5]
    groups = wb.workshops.groups(ws)
    people = by_name(wb, ws)
    assert people["陈静"].group_id == groups[2].id and people["陈静"].role == "convener"
    assert people["周 宁"].group_id == groups[0].id  # spaces tidied, 1.0 is group 1
    assert people["刘洋"].group_id == groups[1].id and people["刘洋"].role == "expert"
    # a path works as well as bytes
    again = read_roster(path, groups=groups, roles=wb.teams.roles())
    assert [r.name for r in again.rows] == ["陈静", "周 宁", "刘洋"]


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_imported(wb, ws, tmp_path):
    g1 = wb.workshops.groups(ws)[0]
    wb.workshops.join(ws.code, g1.id, "Already Here")
    before = len(wb.store.find_changes())
    path = tmp_path / "bad.csv"
    path.write_text(
        "NAME,Gender,GROUP,ROLE\n"
        "Good Person,F,1,member\n"
        ",M,1,\n"  # row 3: no name
        "Someone,M,7,\n"  # row 4: no group 7
        "Other,F,1,captain\n"  # row 5: no such role
        "Twin,F,2,\n"
        "twin,M,Group 2,\n"  # row 7: twice in group 2
        "already here,F,1,\n"  # row 8: on the roster of group 1
        f"{'x' * 41},F,,\n"  # row 9: name too long
        f"Long Gender,{'g' * 41},,\n",  # row 10: longer than the gender column holds
        encoding="utf-8",
    )
    report = import_file(wb, ws, path)
    assert report.imported == 0
    found = {(p.row, p.column, p.message_id) for p in report.problems}
    assert found == {
        (3, "NAME", "The name is missing."),
        (4, "GROUP", "There is no group {value} in this workshop."),
        (5, "ROLE", "{value} is not one of the roles."),
        (7, "NAME", "{name} is listed twice in {group} (also row {other})."),
        (8, "NAME", "{name} is already on the roster of {group}."),
        (9, "NAME", "The name is longer than {n} characters."),
        (10, "Gender", "Longer than {n} characters."),
    }
    twice = next(p for p in report.problems if p.row == 7)
    assert twice.translated(lambda m, **kw: m.format(**kw)) == "twin is listed twice in Group 2 (also row 6)."
    assert [m.name for m in wb.workshops.members(ws)] == ["Already Here"]
    assert len(wb.store.find_changes()) == before  # not one write


@pytest.mark.parametrize("content,name,message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "photo.csv", "This file is not a CSV or XLSX table"),
    (bytes(range(256)) * 4, "data.bin", "This file is not a CSV or XLSX table"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old.xls", "Old Excel .xls files"),
    (b"", "empty.csv", "The file is empty."),
    (b"\n \n", "blank.csv", "The file is empty."),
    (b"unit,department\nA,B\n", "noname.csv", "No name column"),
    (b"name,unit\n", "header-only.csv", "The file lists nobody"),
    (b"name,Name\nA,B\n", "twice.csv", "Two columns mean the same"),
])
def test_unreadable_files_raise_a_clear_invalid_input(wb, ws, tmp_path, content, name, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInput) as info:
        import_file(wb, ws, path)
    assert info.value.message_id.startswith(message)
    assert wb.workshops.members(ws) == []


def test_truncated_xlsx_is_refused(wb, ws, tmp_path):
    book = XlsxBook()
    book.active.append(["name"])
    book.active.append(["Someone"])
    whole = tmp_path / "whole.xlsx"
    book.save(whole)
    data = whole.read_bytes()
    for cut in (len(data) // 2, len(data) - 30, 10):
        path = tmp_path / "cut.xlsx"
        path.write_bytes(data[:cut])
        with pytest.raises(InvalidInput, match="damaged or incomplete"):
            import_file(wb, ws, path)
    assert wb.workshops.members(ws) == []


def test_delimiters_and_headers_are_forgiving(tmp_path):
    for text in ("Full Name;AGE_BAND\nA;20-29\n", "full name\tage-band\nA\t20-29\n",
                 "姓名，年龄段\nA，20-29\n"):
        _filename, rows = read_table(text.encode("utf-8"), "x.csv")
        assert rows == [(1, rows[0][1]), (2, ["A", "20-29"])]


def test_a_roster_member_claims_the_entry_when_joining(wb, ws, tmp_path):
    g1, g2 = wb.workshops.groups(ws)
    path = tmp_path / "roster.csv"
    path.write_text(EN_CSV, encoding="utf-8")
    import_file(wb, ws, path)
    mei = by_name(wb, ws)["Mei Fang"]
    joined = wb.workshops.join(ws.code, g1.id, "  mei   FANG ")
    assert joined.member.id == mei.id and joined.member.token_hash
    assert joined.member.role == "group_leader" and joined.member.unit == "North Works"
    assert wb.workshops.resume(ws.code, joined.token).id == mei.id
    assert len(wb.workshops.members(ws)) == 4  # nobody new
    # the entry is claimed now: a second device with that name is refused as before
    with pytest.raises(InvalidInput, match="already uses"):
        wb.workshops.join(ws.code, g1.id, "Mei Fang")
    # the same name in another group is another person
    other = wb.workshops.join(ws.code, g2.id, "Mei Fang")
    assert other.member.id != mei.id and len(wb.workshops.members(ws)) == 5
