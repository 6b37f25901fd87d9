"""Reading a roster (stage 2, form the teams) from a CSV or XLSX file.

A roster is a table with one person a row: name, unit, department, profession, level, gender,
age band, and optionally the group (number or name) and the role. Headers may be English or
Chinese, in any case and spacing. Every row is checked; problems name the row as the person
sees it in the file (the spreadsheet's row number) and the column as it is titled there.
Nothing here touches the store: :meth:`actionlab.services.teams.TeamsService.import_roster`
writes the rows when the report has no problems.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InvalidInput
from .i18n import N_
from .library import Item
from .text import line_text

if TYPE_CHECKING:
    from .db.models import Group, Member

MAX_NAME = 40  # as when a person joins (actionlab.services.workshops)
MAX_TEXT = 120
MAX_ROWS = 500
MAX_BYTES = 5 * 1024 * 1024
DEFAULT_ROLE = "member"

#: Profile columns in the order of the roster table.
PROFILE_FIELDS = ("unit", "department", "profession", "level", "gender", "age_band")
FIELDS = ("name", *PROFILE_FIELDS, "group", "role")

#: Accepted headers, compared without case, spaces, underscores or hyphens.
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("name", "fullname", "姓名", "名字"),
    "unit": ("unit", "organisation", "organization", "单位", "工作单位"),
    "department": ("department", "dept", "部门", "科室"),
    "profession": ("profession", "speciality", "specialty", "major", "专业"),
    "level": ("level", "rank", "grade", "职级", "级别"),
    "gender": ("gender", "sex", "性别"),
    "age_band": ("ageband", "agegroup", "agerange", "age", "年龄段", "年龄"),
    "group": ("group", "groupno", "groupnumber", "组", "小组", "组别", "分组"),
    "role": ("role", "角色", "职务"),
}
_HEADER_KEYS = {alias: key for key, aliases in HEADERS.items() for alias in aliases}
#: Short forms people write for the library's roles (used when the role exists).
ROLE_ALIASES = {
    "组长": "group_leader", "小组组长": "group_leader", "leader": "group_leader",
    "联络员": "liaison", "组员": "member", "成员": "member",
    "外援": "expert", "专家": "expert", "expert": "expert",
}

_GROUP_NUMBER = re.compile(r"^(?:第\s*(\d+)\s*(?:组|小组)|(?:group|g|组|小组)\s*(\d+)|(\d+)\s*组?)$")


def _norm_header(text: str) -> str:
    return re.sub(r"[\s_\-.:：]+", "", text.casefold())


def _norm(text: str) -> str:
    """Text for comparing names, group names and role titles (case and spacing ignored)."""
    return " ".join(text.split()).casefold()


def _tidy(text: str) -> str:
    return line_text(text)


def _max_length(key: str) -> int:
    """The shorter of the roster limit and the database column (gender holds 40 …)."""
    from .db.models import (
        Member,  # the console's kernel has the models; a participant's never reads a roster
    )

    length = getattr(Member.__table__.columns[key].type, "length", None)
    return min(MAX_TEXT, length) if length else MAX_TEXT


@dataclass(frozen=True)
class RosterProblem:
    """One problem of one row: ``row`` as numbered in the file, ``column`` as titled there."""

    row: int
    column: str
    message_id: str
    params: dict = field(default_factory=dict)

    def translated(self, _) -> str:
        return _(self.message_id, **self.params)


@dataclass(frozen=True)
class RosterRow:
    """A good row, ready for the store."""

    row: int
    name: str
    group_id: int | None
    role: str
    profile: dict[str, str | None]

    def member_fields(self) -> dict:
        """Fields for :meth:`actionlab.store.Store.add_members` (no device yet)."""
        return {"name": self.name, "group_id": self.group_id, "role": self.role,
                "token_hash": None, **self.profile}


@dataclass
class RosterReport:
    filename: str
    columns: dict[str, str]  # field → header as written in the file
    rows: list[RosterRow] = field(default_factory=list)
    problems: list[RosterProblem] = field(default_factory=list)
    imported: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


# -- reading the table ---------------------------------------------------------------------
def _source(source: bytes | str | PathLike, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), filename or ""
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(N_("The file {name} cannot be read: {detail}"),
                           name=path.name, detail=exc.strerror or str(exc)) from exc
    return data, filename or path.name


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _xlsx_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """The first sheet's non-blank rows. A merged cell (a group or a unit written once for
    several people) counts for every row it covers. A formula whose result the file does not
    hold (written by a program, never opened and saved in a spreadsheet) is refused, naming
    the cell, rather than read as an empty cell."""
    from openpyxl import load_workbook  # heavy (numpy, PIL, lxml): only when a file comes
    from openpyxl.utils import get_column_letter

    damaged = N_("The XLSX file is damaged or incomplete. Save it again and retry.")
    try:  # not read-only: merged cells are known only this way (the file is at most 5 MB)
        book = load_workbook(io.BytesIO(data), data_only=True)
        formulas = load_workbook(io.BytesIO(data), read_only=True)
    except Exception as exc:  # openpyxl raises zip, XML, key and value errors alike
        raise InvalidInput(damaged) from exc
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise InvalidInput(N_("The file is empty."))
        merged = {}
        for area in sheet.merged_cells.ranges:
            value = sheet.cell(area.min_row, area.min_col).value
            for row in range(area.min_row, area.max_row + 1):
                for col in range(area.min_col, area.max_col + 1):
                    merged[row, col] = value
        written = formulas.worksheets[0].iter_rows(values_only=True)
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > MAX_ROWS + 50 and len(rows) > MAX_ROWS:
                break
            raw = next(written, ())
            for col, (value, source) in enumerate(zip(values, raw, strict=False), start=1):
                if value is None and isinstance(source, str) and source.startswith("="):
                    raise InvalidInput(N_("Cell {cell} holds a formula whose result is not saved in the file. Open the roster in Excel or LibreOffice, save it, and import it again."),  # noqa: E501
                                       cell=f"{get_column_letter(col)}{number}")
            cells = [_cell(merged.get((number, col), value))
                     for col, value in enumerate(values, start=1)]
            if any(c.strip() for c in cells):
                rows.append((number, cells))
        return rows
    except InvalidInput:
        raise
    except Exception as exc:
        raise InvalidInput(damaged) from exc
    finally:
        book.close()
        formulas.close()


def _text_like(data: bytes) -> bool:
    """No NUL and no control byte but tab, line breaks and form feed: text, not a binary."""
    return not any(b < 32 and b not in b"\t\r\n\f" for b in data)


def _reads_as_chinese(text: str) -> bool:
    """Whether a GB18030 reading of a file is Chinese rather than a Western file misread.

    A Latin-1 or Windows-1252 file decodes as GB18030 too, into rare ideographs: an accented
    letter and the letter after it make one character of the GBK extension. A Chinese roster
    holds few of those (a name's rare character), so at least half of its characters
    beyond ASCII are common ones (GB2312) or not ideographs at all (punctuation)."""
    wide = [ch for ch in text if ord(ch) > 127]
    common = sum(1 for ch in wide if unicodedata.category(ch) != "Lo" or _in_gb2312(ch))
    return 2 * common >= len(wide)


def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _decode(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without BOM), UTF-16 with its BOM, or GBK /
    GB18030. A text file in another encoding (Latin-1 …) is refused with a message saying so,
    never read as garbled Chinese; a binary file is not a table."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif _text_like(data):
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            pass
        try:  # gb18030 is a superset of GBK and GB2312
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            text = None
        if text is not None and _reads_as_chinese(text):
            return text
        raise InvalidInput(N_("The file's characters are in an encoding that cannot be read (UTF-8, UTF-16 and GBK are read; this looks like another one, such as Latin-1). Save the roster as CSV UTF-8 or XLSX."))  # noqa: E501
    raise InvalidInput(N_("This file is not a CSV or XLSX table. Save the roster as CSV (UTF-8) or XLSX."))


def _csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    text = _decode(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", "\t", ";", "，"), key=first.count) if first else ","
    if first and first.count(delimiter) == 0:
        delimiter = ","
    rows = []
    try:
        # numbered as a spreadsheet numbers them: one row a record
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter),
                                       start=1):
            if number > MAX_ROWS + 50 and len(rows) > MAX_ROWS:
                break
            if any(c.strip() for c in cells):
                rows.append((number, cells))
    except csv.Error as exc:
        raise InvalidInput(N_("This file is not a CSV or XLSX table. Save the roster as CSV (UTF-8) or XLSX.")) from exc
    return rows


def read_table(source: bytes | str | PathLike, filename: str | None = None
               ) -> tuple[str, list[tuple[int, list[str]]]]:
    """The file's name and its non-blank rows as ``(row number, cells)``, header first.

    XLSX is recognised by its content (a zip), CSV otherwise; raises :class:`InvalidInput`
    for a file that is not a readable table."""
    data, filename = _source(source, filename)
    if not data.strip():
        raise InvalidInput(N_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise InvalidInput(N_("The file is too large (at most {n} MB)."), n=MAX_BYTES // (1024 * 1024))
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InvalidInput(N_("Old Excel .xls files cannot be read. Save the roster as .xlsx or CSV."))
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith((".xlsx", ".xlsm")):
        rows = _xlsx_rows(data)
    else:
        rows = _csv_rows(data)
    if not rows:
        raise InvalidInput(N_("The file is empty."))
    return filename, rows


def _columns(header: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    index: dict[str, int] = {}
    titles: dict[str, str] = {}
    for i, title in enumerate(header):
        key = _HEADER_KEYS.get(_norm_header(title))
        if key is None:
            continue  # extra columns (phone, notes …) are left alone
        if key in index:
            raise InvalidInput(N_("Two columns mean the same: {first} and {second}."),
                               first=titles[key], second=_tidy(title))
        index[key] = i
        titles[key] = _tidy(title)
    if "name" not in index:
        raise InvalidInput(N_("No name column: the first row must hold the column titles, one of them 姓名 or name."))
    return index, titles


# -- checking the rows ---------------------------------------------------------------------
class _Lookup:
    def __init__(self, groups: Sequence[Group], roles: Sequence[Item]):
        self.by_name = {_norm(g.name): g for g in groups}
        self.by_number = {g.number: g for g in groups}
        self.roles: dict[str, str] = {}
        for item in roles:
            for text in (item.key, item.title.zh, item.title.en):
                self.roles.setdefault(_norm(text), item.key)
            self.roles.setdefault(_norm(item.key.replace("_", " ")), item.key)
        keys = {item.key for item in roles}
        for alias, key in ROLE_ALIASES.items():
            if key in keys:
                self.roles.setdefault(_norm(alias), key)

    def group(self, value: str) -> Group | None:
        found = self.by_name.get(_norm(value))
        if found is not None:
            return found
        match = _GROUP_NUMBER.match(_norm(value))
        if match:
            number = int(next(g for g in match.groups() if g))
            return self.by_number.get(number)
        return None

    def role(self, value: str) -> str | None:
        return self.roles.get(_norm(value))


def check_rows(filename: str, rows: list[tuple[int, list[str]]], *, groups: Sequence[Group],
               roles: Sequence[Item], members: Sequence[Member] = ()) -> RosterReport:
    """Check the data rows (after the header ``rows[0]``) against the workshop."""
    index, titles = _columns(rows[0][1])
    body = rows[1:]
    if not body:
        raise InvalidInput(N_("The file lists nobody: under the column titles there are no rows."))
    if len(body) > MAX_ROWS:
        raise InvalidInput(N_("A roster holds at most {n} people."), n=MAX_ROWS)
    report = RosterReport(filename=filename, columns=titles)
    lookup = _Lookup(groups, roles)
    group_names = {g.id: g.name for g in groups}
    taken = {(m.group_id, _norm(m.name)) for m in members}
    seen: dict[tuple[int | None, str], int] = {}

    for number, cells in body:
        def value(key: str, cells=cells) -> str:
            i = index.get(key)
            return _tidy(cells[i]) if i is not None and i < len(cells) else ""

        problems = []

        def problem(key: str, message_id: str, number=number, problems=problems, **params) -> None:
            problems.append(RosterProblem(number, titles[key], message_id, params))

        name = value("name")
        if not name:
            problem("name", N_("The name is missing."))
        elif len(name) > MAX_NAME:
            problem("name", N_("The name is longer than {n} characters."), n=MAX_NAME)
        profile: dict[str, str | None] = {}
        for key in PROFILE_FIELDS:
            text = value(key)
            limit = _max_length(key)
            if len(text) > limit:
                problem(key, N_("Longer than {n} characters."), n=limit)
            profile[key] = text or None
        group_id = None
        if value("group"):
            group = lookup.group(value("group"))
            if group is None:
                problem("group", N_("There is no group {value} in this workshop."), value=value("group"))
            else:
                group_id = group.id
        role = DEFAULT_ROLE
        if value("role"):
            role = lookup.role(value("role"))
            if role is None:
                problem("role", N_("{value} is not one of the roles."), value=value("role"))
        if name and len(name) <= MAX_NAME:
            where = group_names.get(group_id, "")
            slot = (group_id, _norm(name))
            if slot in seen:
                if group_id is None:
                    problem("name", N_("{name} is listed twice without a group (also row {other})."),
                            name=name, other=seen[slot])
                else:
                    problem("name", N_("{name} is listed twice in {group} (also row {other})."),
                            name=name, group=where, other=seen[slot])
            elif slot in taken:
                if group_id is None:
                    problem("name", N_("{name} is already on the roster without a group."), name=name)
                else:
                    problem("name", N_("{name} is already on the roster of {group}."),
                            name=name, group=where)
            seen.setdefault(slot, number)
        if problems:
            report.problems.extend(problems)
        else:
            report.rows.append(RosterRow(number, name, group_id, role or DEFAULT_ROLE, profile))
    return report


def read_roster(source: bytes | str | PathLike, filename: str | None = None, *,
                groups: Sequence[Group], roles: Sequence[Item],
                members: Sequence[Member] = ()) -> RosterReport:
    """Read and check a roster file (bytes or a path) for a workshop with ``groups``,
    the library's ``roles`` and the ``members`` already on its roster."""
    filename, rows = read_table(source, filename)
    return check_rows(filename, rows, groups=groups, roles=roles, members=members)
