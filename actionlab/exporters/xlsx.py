"""A workshop's data as an Excel workbook (XLSX): one sheet per table, typed cells.

``export_workshop_xlsx(store, workshop)`` reads the tables of :mod:`actionlab.frames`, keeps
the part asked for (:func:`scope_frames`: one group, one meeting, or the whole programme) and
renders them (:func:`render_xlsx`):

* a first sheet "About" (说明) with the title, what was exported (workshop, scope, time of
  export, how times are given, anything the caller adds such as the organisation's name) and
  the number of rows of every sheet;
* then one sheet per table in :data:`actionlab.frames.TABLES` order, under a translated name
  (at most 31 characters, unique), with translated column titles (:data:`COLUMN_TITLES`;
  the fields and score criteria of a canvas table take their titles from the canvas
  definition), a bold header row that stays in view (frozen) and carries a filter, and
  column widths fitted to the content (a Chinese character counts twice, capped).

Cells are typed: whole numbers and decimals are numbers, yes/no values are TRUE/FALSE,
times are Excel dates, missing values are empty cells, everything else is text. Times are
stored in UTC and shown here in the **local time of the computer that makes the export**,
as the session records show them (the About sheet names the UTC offset); dates without a
time (a meeting's day, an action's due date) are not shifted.

Typed text is untrusted. Every text cell is written as a string (never a formula, never an
error code), and a text that a spreadsheet could take for a formula when someone edits the
cell (it begins with ``= + - @``, a tab or a carriage return, also after leading blanks, or
with their full-width forms) gets the cell's *quote prefix* (Excel's own "this is text"
marker), so the value stays exactly what was typed. Control characters that a workbook
cannot hold (all below U+0020 but tab, line feed and carriage return; also lone surrogates,
U+FFFE and U+FFFF) are replaced by U+FFFD (�), so one can see that something was there; a text
longer than Excel's 32,767 characters per cell is cut, with a note at the end.

The same data, language, title and export time give the same bytes: the workbook's
created/modified properties are the export time (or, without one, the latest time in the
data) and every file of the zip archive carries a fixed date.

pandas and openpyxl are heavy imports: only facilitator-side code imports this module.
"""

from __future__ import annotations

import io
import json
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone
from typing import Any

import pandas as pd
from openpyxl import Workbook as XlWorkbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from ..db.models import utcnow
from ..errors import InvalidInput
from ..frames import CANVAS_TABLES, TABLES, workshop_frames
from ..groupname import own_name
from ..i18n import N_, Translator, normalize_lang, translator
from ..library import Library, default_library
from ..store import Store

__all__ = ["COLUMN_TITLES", "SHEET_TITLES", "MEDIA_TYPE", "SUFFIX", "scope_frames",
           "render_xlsx", "export_workshop_xlsx", "neutralise"]

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SUFFIX = ".xlsx"

#: Table → sheet title (English message id; translated, then cut to 31 characters).
SHEET_TITLES: dict[str, str] = {
    "workshops": N_("Workshop"),
    "groups": N_("Groups"),
    "members": N_("Members"),
    "cards": N_("All cards"),
    "votes": N_("Votes cast"),
    "scores": N_("Scores"),
    "goals": N_("Goals"),
    "strategies": N_("Strategies"),
    "actions": N_("Action plan"),
    "action_updates": N_("Status history"),
    "meetings": N_("Meetings"),
    "attendance": N_("Attendance"),
    "progress_reports": N_("Progress reports"),
    "reflections": N_("Reflections"),
    "lessons": N_("Lessons learned"),
    "decisions": N_("Decisions"),
    "survey_answers": N_("Survey answers"),
    "assessment_scores": N_("Member assessment"),
    "speaking_turns": N_("Speaking turns"),
}

#: Column → readable title (English message id). A ``table.column`` key overrides the plain
#: column for one table. Field and criterion columns of the canvas tables not listed here
#: take the title of the canvas definition; any other column shows its own name.
COLUMN_TITLES: dict[str, str] = {
    "workshop": N_("Workshop code"),
    "title": N_("Title"),
    "lang": N_("Language"),
    "group_count": N_("Number of groups"),
    "is_demo": N_("Demo"),
    "created_at": N_("Created"),
    "updated_at": N_("Last changed"),
    "group_id": N_("Group ID"),
    "group": N_("Group"),
    "number": N_("Number"),
    "groups.number": N_("Group number"),
    "meetings.number": N_("Meeting number"),
    "member_id": N_("Member ID"),
    "member": N_("Member"),
    "name": N_("Name"),
    "role": N_("Role"),
    "unit": N_("Unit"),
    "department": N_("Department"),
    "profession": N_("Profession"),
    "level": N_("Level"),
    "gender": N_("Gender"),
    "age_band": N_("Age band"),
    "subtask": N_("Sub-task"),
    "device": N_("Device linked"),
    "joined_at": N_("Joined"),
    "last_seen": N_("Last seen"),
    "card_id": N_("Card ID"),
    "card": N_("Card"),
    "canvas": N_("Canvas"),
    "column": N_("Canvas column"),
    "text": N_("Text"),
    "lessons.text": N_("Lesson"),
    "survey_answers.text": N_("Written answer"),
    "author_id": N_("Author ID"),
    "author": N_("Author"),
    "parent_id": N_("Linked card ID"),
    "parent": N_("Linked card"),
    "decided": N_("Chosen by the group"),
    "fields": N_("Card fields"),
    "vote_id": N_("Vote ID"),
    "at": N_("Time"),
    "score_id": N_("Score ID"),
    "criterion": N_("Criterion"),
    "value": N_("Value"),
    "scores.value": N_("Score"),
    "survey_answers.value": N_("Answer number"),
    "assessment_scores.value": N_("Score (0-100)"),
    "consensus": N_("Fist to five (mean)"),
    "raters": N_("Raters"),
    "update_id": N_("Update ID"),
    "action": N_("Action"),
    "status": N_("Status"),
    "before": N_("Status before"),
    "note": N_("Note"),
    "meeting_id": N_("Meeting ID"),
    "meeting_number": N_("Meeting number"),
    "report_id": N_("Progress report ID"),
    "entered_by": N_("Entered by"),
    "kind": N_("Meeting type"),
    "held_on": N_("Meeting day"),
    "started_at": N_("Started"),
    "ended_at": N_("Ended"),
    "marked_by": N_("Marked by"),
    "done": N_("Done since the last meeting"),
    "problems": N_("Problems met"),
    "help": N_("Help needed"),
    "reflection_id": N_("Reflection ID"),
    "quality": N_("Quality of the meeting (1-5)"),
    "own_part": N_("Own contribution (1-5)"),
    "improvement": N_("To improve"),
    "lesson_id": N_("Lesson ID"),
    "stage": N_("Stage"),
    "decision_id": N_("Decision ID"),
    "proposal": N_("Proposal"),
    "outcome": N_("Outcome"),
    "reasons": N_("Reasons"),
    "conditions": N_("Conditions"),
    "decided_by": N_("Decided by"),
    "answer_id": N_("Answer ID"),
    "survey": N_("Survey"),
    "survey_title": N_("Survey title"),
    "question": N_("Question"),
    "question_title": N_("Question text"),
    "question_type": N_("Question type"),
    "answer": N_("Answer"),
    "satisfied": N_("Satisfied"),
    "component": N_("Component"),
    "component_title": N_("Component title"),
    "turn_id": N_("Turn ID"),
    "allotted": N_("Time allotted (s)"),
    "spoken": N_("Time spoken (s)"),
    "skipped": N_("Turn skipped"),
    "reason": N_("Reason"),
}

#: Excel's limit of characters in one cell (counted in UTF-16 code units, as Excel does).
CELL_LIMIT = 32_767
#: Longest sheet title Excel accepts, and the characters it refuses in one.
SHEET_TITLE_LIMIT = 31
_SHEET_TITLE_BAD = re.compile(r"[\\/?*\[\]:]")
#: Width of a column in characters: at least, at most, and for a time.
MIN_WIDTH, MAX_WIDTH, TIME_WIDTH = 6, 60, 17
#: Number formats of time and date cells.
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
DATE_FORMAT = "yyyy-mm-dd"
#: Characters a workbook cannot hold: the control characters openpyxl refuses, lone
#: surrogates and the two non-characters XML forbids.
_UNFIT = re.compile(f"{ILLEGAL_CHARACTERS_RE.pattern}|[\ud800-\udfff\ufffe\uffff]")
#: A text that a spreadsheet may read as a formula once someone edits the cell.
_FORMULA_START = re.compile(r"^[\t\r]|^\s*[=+\-@＝＋－＠]")
#: The date of every file in the zip archive (the earliest a zip can hold).
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_BOLD = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=14)
_TOP = Alignment(vertical="top")


# -- scope ---------------------------------------------------------------------------------
def _ids(frame: pd.DataFrame, column: str) -> set[int]:
    return {int(v) for v in frame[column].dropna()} if column in frame else set()


def scope_frames(frames: dict[str, pd.DataFrame], *, group: int | None = None,
                 meeting: int | None = None) -> dict[str, pd.DataFrame]:
    """The part of a workshop's tables (from :func:`actionlab.frames.workshop_frames`) that
    concerns one group, one meeting, or both; ``None`` for both gives the tables unchanged.

    ``group`` is a group's **number** (1, 2 …). Every table with a ``group_id`` column keeps
    the rows of that group; a row without a group stays when its ``member_id`` is a member
    of the group (a reflection, a survey answer, an assessment score), or when it has no
    member either (a lesson for the whole programme). So: the group's own row in Groups, its
    members, cards, votes, scores, goals, strategies, actions and their status history,
    progress reports, decisions and speaking turns, its members' attendance. Tables without
    a group (Workshop, Meetings) stay whole.

    ``meeting`` is a meeting's **number**. Meetings keeps that meeting's row; every table
    with a ``meeting_number`` column (attendance, status history, progress reports,
    reflections, lessons, decisions, speaking turns) keeps the rows of that meeting, so a
    status change or a lesson entered outside any meeting is left out. The canvases (cards,
    votes, scores, goals, strategies, actions), the members and the surveys and assessment
    of the programme stay whole: they are the state of the work at the time of export.

    An unknown group or meeting number raises :class:`~actionlab.errors.InvalidInput`.
    The frames given are not changed.
    """
    out = dict(frames)
    if group is not None:
        out = _scope_group(out, int(group))
    if meeting is not None:
        out = _scope_meeting(out, int(meeting))
    return out


def _scope_group(frames: dict[str, pd.DataFrame], number: int) -> dict[str, pd.DataFrame]:
    groups = frames.get("groups")
    found = groups[groups["number"] == number] if groups is not None else groups
    if found is None or found.empty:
        raise InvalidInput(N_("There is no group {n} in this workshop."), n=number)
    group_ids = _ids(found, "group_id")
    members = frames.get("members")
    member_ids = _ids(members[members["group_id"].isin(group_ids)], "member_id") \
        if members is not None else set()
    out = {}
    for table, frame in frames.items():
        if "group_id" not in frame.columns:
            out[table] = frame
            continue
        keep = frame["group_id"].isin(group_ids).fillna(False)
        if "member_id" in frame.columns:
            loose = frame["group_id"].isna() & (frame["member_id"].isin(member_ids).fillna(False)
                                                | frame["member_id"].isna())
        else:
            loose = frame["group_id"].isna()
        out[table] = frame[(keep | loose).astype(bool)].reset_index(drop=True)
    return out


def _scope_meeting(frames: dict[str, pd.DataFrame], number: int) -> dict[str, pd.DataFrame]:
    meetings = frames.get("meetings")
    if meetings is None or not (meetings["number"] == number).any():
        raise InvalidInput(N_("There is no meeting {n} in this workshop."), n=number)
    out = {}
    for table, frame in frames.items():
        column = "number" if table == "meetings" else "meeting_number"
        if column in frame.columns:
            keep = (frame[column] == number).fillna(False).astype(bool)
            out[table] = frame[keep].reset_index(drop=True)
        else:
            out[table] = frame
    return out


# -- cell values ---------------------------------------------------------------------------
def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, _: Translator) -> str:
    """``text`` cut to Excel's limit, with a note at the end saying so."""
    if len(text) <= CELL_LIMIT // 2 or _utf16_length(text) <= CELL_LIMIT:
        return text
    note = _("[… cut here: a cell holds at most 32,767 characters]")
    room = CELL_LIMIT - _utf16_length(note) - 1
    kept = text[:room]
    while _utf16_length(kept) > room:  # characters outside the BMP take two units
        kept = kept[:-1]
    return f"{kept} {note}"


def neutralise(text: str) -> tuple[str, bool]:
    """A typed text made fit for a cell (control characters → U+FFFD) and whether the cell
    needs the quote prefix because a spreadsheet could take the text for a formula."""
    clean = _UNFIT.sub("\ufffd", text)
    return clean, bool(_FORMULA_START.match(clean))


def _local(stamp: pd.Timestamp) -> datetime:
    """A stored UTC time as the wall-clock time of this computer, to the second."""
    moment = stamp.to_pydatetime().replace(microsecond=0, tzinfo=timezone.utc)
    return moment.astimezone().replace(tzinfo=None)


def _utc(moment: datetime) -> datetime:
    """A time as naive UTC to the second (an aware time is converted, a naive one is UTC)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def _present(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return False
    try:
        return not bool(pd.isna(value))
    except (TypeError, ValueError):  # a dict or a list
        return True


def _cell_value(value: Any, kind: str) -> Any:
    """The Python value a cell gets for one value of a column of ``kind``."""
    if not _present(value):
        return None
    if kind == "int":
        return int(value)
    if kind == "float":
        number = float(value)
        return number if math.isfinite(number) else None
    if kind == "bool":
        return bool(value)
    if kind == "datetime":
        return _local(pd.Timestamp(value))
    if kind == "date":
        return pd.Timestamp(value).date()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else None
    text = str(value)
    return text or None


def _kind(series: pd.Series, date_only: bool) -> str:
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "text"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date" if date_only else "datetime"
    return "text"


def _write(ws: Worksheet, row: int, col: int, value: Any, _: Translator, kind: str = "text"):
    """One typed cell; a text is always a string, with the quote prefix when it needs one."""
    cell = ws.cell(row=row, column=col)
    if value is None:
        return cell
    if isinstance(value, str):
        text, risky = neutralise(value)
        text = _cut(text, _)
        cell.value = text
        cell.data_type = "s"  # never a formula ("=…") nor an error code ("#N/A")
        if risky:
            cell.quotePrefix = True
        return cell
    cell.value = value
    if kind == "datetime" or (isinstance(value, datetime) and kind != "date"):
        cell.number_format = DATETIME_FORMAT
    elif kind == "date" or isinstance(value, date):
        cell.number_format = DATE_FORMAT
    return cell


# -- titles --------------------------------------------------------------------------------
def _display_width(text: str) -> int:
    """Columns the widest line of ``text`` takes (a Chinese character two), measured up to
    the widest a column gets."""
    return max((sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1
                    for ch in line[:MAX_WIDTH]) for line in text.splitlines() or [""]),
               default=0)


def _sheet_titles(tables: Iterable[str], _: Translator, taken: Iterable[str]) -> dict[str, str]:
    """Table → a sheet title Excel accepts: translated, cleaned, ≤ 31 characters, unique."""
    used = {t.lower() for t in taken}
    titles = {}
    for table in tables:
        base = _SHEET_TITLE_BAD.sub(" ", _(SHEET_TITLES[table]) if table in SHEET_TITLES
                                    else table).strip(" '") or table
        title, n = base[:SHEET_TITLE_LIMIT], 1
        while title.lower() in used:
            n += 1
            suffix = f" ({n})"
            title = base[:SHEET_TITLE_LIMIT - len(suffix)] + suffix
        used.add(title.lower())
        titles[table] = title
    return titles


def _canvas_titles(library: Library, lang: str) -> dict[str, dict[str, str]]:
    """Canvas table → column → title of its fields and score criteria (the canvas's words)."""
    out: dict[str, dict[str, str]] = {}
    _ = translator(lang)
    for table, key in CANVAS_TABLES.items():
        titles: dict[str, str] = {}
        for column in library.canvas(key).columns:
            for f in column.fields:
                title = f.title(lang)
                if f.type == "member":
                    titles.setdefault(f"{f.key}_id", _("{field} (ID)", field=title))
                titles.setdefault(f.key, title)
            if column.score is not None:
                for c in column.score.criteria:
                    titles.setdefault(c.key, _("{criterion} (mean)", criterion=c.title(lang)))
        out[table] = titles
    return out


def _date_columns(library: Library) -> dict[str, set[str]]:
    """Table → columns that hold a day without a time (never shifted to local time)."""
    out = {"meetings": {"held_on"}}
    for table, key in CANVAS_TABLES.items():
        out[table] = {f.key for column in library.canvas(key).columns for f in column.fields
                      if f.type == "date"}
    return out


def _column_title(table: str, column: str, _: Translator,
                  canvas_titles: dict[str, dict[str, str]]) -> str:
    if f"{table}.{column}" in COLUMN_TITLES:
        return _(COLUMN_TITLES[f"{table}.{column}"])
    from_canvas = canvas_titles.get(table, {})
    if column in from_canvas and column not in ("group_id", "group", "text", "column"):
        return from_canvas[column]
    if column in COLUMN_TITLES:
        return _(COLUMN_TITLES[column])
    return column


# -- workbook ------------------------------------------------------------------------------
class _FixedDateZip(zipfile.ZipFile):
    """A zip archive whose files all carry the same date, so the bytes do not depend on
    the moment they were written."""

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):
        if isinstance(zinfo_or_arcname, str):
            info = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zinfo_or_arcname = info
        return super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):
        """A file from disk (openpyxl writes each sheet to a temporary file first), without
        the file's own date."""
        with open(filename, "rb") as fh:
            self.writestr(arcname or str(filename), fh.read())


def _latest_time(frames: dict[str, pd.DataFrame]) -> datetime:
    """The latest time found in the tables (a fixed date when there is none)."""
    latest = None
    for frame in frames.values():
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column].dtype) and frame[column].notna().any():
                top = frame[column].max()
                latest = top if latest is None or top > latest else latest
    if latest is None:
        return datetime(2000, 1, 1)
    return pd.Timestamp(latest).to_pydatetime().replace(microsecond=0)


def _fit_widths(ws: Worksheet, widths: Sequence[int]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(MIN_WIDTH, min(MAX_WIDTH, width + 2))


def _table_sheet(ws: Worksheet, table: str, frame: pd.DataFrame, _: Translator,
                 canvas_titles: dict[str, dict[str, str]], date_columns: set[str]) -> None:
    columns = list(frame.columns)
    widths = []
    for col, name in enumerate(columns, start=1):
        cell = _write(ws, 1, col, _column_title(table, name, _, canvas_titles), _)
        cell.font = _BOLD
        cell.alignment = _TOP
        kind = _kind(frame[name], name in date_columns)
        width = _display_width(str(cell.value or ""))
        for row, value in enumerate(frame[name].tolist(), start=2):
            written = _write(ws, row, col, _cell_value(value, kind), _, kind)
            if kind in ("datetime", "date"):
                width = max(width, TIME_WIDTH if kind == "datetime" else len("2000-01-01"))
            elif written.value is not None:
                width = max(width, _display_width(str(written.value)))
        widths.append(width)
    last = get_column_letter(max(len(columns), 1))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{last}{len(frame) + 1}"
    _fit_widths(ws, widths)


def _about_sheet(ws: Worksheet, title: str, about: Sequence[tuple[str, Any]],
                 counts: Sequence[tuple[str, int]], _: Translator) -> None:
    _write(ws, 1, 1, title, _).font = _TITLE_FONT
    row = 3
    widths = [0, 0]
    for label, value in about:
        _write(ws, row, 1, str(label), _).font = _BOLD
        value = value if isinstance(value, (int, float, datetime, date)) else (
            None if value is None else str(value))
        written = _write(ws, row, 2, value, _)
        widths = [max(widths[0], _display_width(str(label))),
                  max(widths[1], _display_width(str(written.value or "")))]
        row += 1
    row += 1
    for col, head in enumerate((_("Sheet"), _("Rows")), start=1):
        _write(ws, row, col, head, _).font = _BOLD
    for sheet, n in counts:
        row += 1
        _write(ws, row, 1, sheet, _)
        _write(ws, row, 2, n, _, "int")
        widths[0] = max(widths[0], _display_width(sheet))
    _fit_widths(ws, widths)


def _utc_offset() -> str:
    """The UTC offset of this computer now, as ``+08:00``."""
    offset = datetime.now().astimezone().strftime("%z") or "+0000"
    return f"{offset[:3]}:{offset[3:]}"


def render_xlsx(frames: dict[str, pd.DataFrame], *, lang: str, title: str,
                about: Sequence[tuple[str, Any]] = (), exported_at: datetime | None = None,
                library: Library | None = None) -> bytes:
    """An XLSX workbook of ``frames`` (table name → DataFrame, as :mod:`actionlab.frames`
    gives them): the About sheet with ``title`` and the ``about`` rows (label, value; the
    caller translates the labels), then one sheet per table in :data:`TABLES` order (tables
    not in TABLES follow in the order given). ``exported_at`` (UTC, naive; None: the latest
    time in the data) becomes the workbook's created/modified date, so the same arguments
    give the same bytes. Times appear in local time; see the module's notes. ``library``
(None: the default one) gives the titles of canvas fields and which columns are days."""
    lang = normalize_lang(lang)
    _ = translator(lang)
    library = library or default_library()
    canvas_titles = _canvas_titles(library, lang)
    date_columns = _date_columns(library)
    order = [t for t in TABLES if t in frames] + [t for t in frames if t not in TABLES]

    book = XlWorkbook()
    about_ws = book.active
    about_ws.title = _("About")
    sheet_titles = _sheet_titles(order, _, [about_ws.title])
    for table in order:
        _table_sheet(book.create_sheet(sheet_titles[table]), table, frames[table], _,
                     canvas_titles, date_columns.get(table, set()))
    rows = [*about, (_("Times"),
                     _("Local time of the computer that made the export (UTC{offset})",
                       offset=_utc_offset()))]
    _about_sheet(about_ws, title, rows, [(sheet_titles[t], len(frames[t])) for t in order], _)

    stamp = _utc(exported_at or _latest_time(frames))
    props = book.properties
    props.title = neutralise(title)[0]
    props.creator = "actionlab"
    props.language = "zh-CN" if lang == "zh" else "en"
    props.created = props.modified = stamp
    props.lastModifiedBy = None
    buffer = io.BytesIO()
    with _FixedDateZip(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(book, archive).write_data()
    return buffer.getvalue()


# -- one workshop --------------------------------------------------------------------------
def _scope_label(frames: dict[str, pd.DataFrame], group: int | None, meeting: int | None,
                 _: Translator) -> str:
    parts = []
    if group is not None:
        groups = frames["groups"]
        name = groups.loc[groups["number"] == group, "group"]
        own = own_name(group, str(name.iloc[0]) if len(name) else "")
        parts.append(_("Group {n}: {name}", n=group, name=own) if own
                     else _("Group {number}", number=group))
    if meeting is not None:
        meetings = frames["meetings"]
        name = meetings.loc[meetings["number"] == meeting, "title"]
        parts.append(_("Meeting {n}: {title}", n=meeting,
                       title=str(name.iloc[0]) if len(name) and _present(name.iloc[0]) else ""))
    return " · ".join(parts) if parts else _("Whole programme")


def export_workshop_xlsx(store: Store, workshop, *, group: int | None = None,
                         meeting: int | None = None, lang: str | None = None,
                         about: Sequence[tuple[str, Any]] = (),
                         exported_at: datetime | None = None,
                         library: Library | None = None) -> bytes:
    """The XLSX export of one workshop (a Workshop or its join code): every table, or the
    part for one group and/or one meeting (their numbers; :func:`scope_frames`), in ``lang``
    (None: the workshop's language). The About sheet names the workshop, its code, the scope
    and the time of export (``exported_at``, UTC; None: now), followed by the ``about`` rows
    of the caller (the organisation's name …, labels already translated)."""
    library = library or default_library()
    frames = workshop_frames(store, workshop, library=library)
    info = frames["workshops"].iloc[0]
    lang = normalize_lang(lang or str(info["lang"]))
    _ = translator(lang)
    scoped = scope_frames(frames, group=group, meeting=meeting)
    exported_at = _utc(exported_at or utcnow())
    rows = [(_("Workshop"), str(info["title"])), (_("Workshop code"), str(info["workshop"])),
            (_("Scope"), _scope_label(frames, group, meeting, _)),
            (_("Exported at"), _local(pd.Timestamp(exported_at))), *about]
    return render_xlsx(scoped, lang=lang, title=_("{title}: workshop data", title=str(info["title"])),
                       about=rows, exported_at=exported_at, library=library)
