"""Full backup of one workshop as a JSON document, and its restore into a store.

The document::

    {"format": "actionlab-backup", "format_version": 1,
     "schema": "<Alembic revision of the store that wrote it>", "app_version": "…",
     "exported_at": "YYYY-MM-DDTHH:MM:SS",
     "workshop": {every column of the workshop but its id},
     "tables": {"groups": [rows], "members": [rows], …, "changes": [rows]}}

``tables`` holds every table that hangs off a workshop (:data:`TABLES`), the change log
included. Each row has every column of its table except ``workshop_id`` (the workshop is the
document). Ids are local: each table's rows are numbered 1, 2, 3 … in the order they were
written (the change log in revision order, its ``revision`` becoming the local ``id``), and
every reference gives the local id of the row it points to — foreign keys, the member ids in
``member`` fields of cards, the group, member and meeting ids inside the room state, the ids
and ``member:<id>`` actors in the change log. The workshop itself is local id 1. A reference
to a row that is no longer there (a card removed since it was logged) becomes ``null``. So the
document does not depend on the database it came from, and restoring gives every row a new id.

Times are ISO 8601 as stored (UTC, no zone); the output is UTF-8, keys sorted, rows in a
stable order, so the same workshop always gives the same bytes (``exported_at`` aside, which
callers may fix).

Participants' links: a member's ``token_hash`` (a SHA-256 of the secret in their personal
link, not the secret itself) is kept, so after a restore on another machine everyone comes back
through the link they already have. A hash the target store already holds (the original
workshop, when a copy is imported next to it) is left out of the restored member, who then
joins again from their device like someone on an imported roster.

Restore (:func:`restore`) writes everything in one transaction: a damaged document, a clash or
a database error leaves the store as it was. A workshop whose join code is already in the store
is refused unless it is imported as a copy with a new code (``new_code=True``). The restore
adds one change row of its own (``workshop.import``, outside the workshop's log), so an
imported workshop backs up to the very document it came from.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import cache

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, String
from sqlalchemy import inspect as sa_inspect

from . import __version__, migrate
from .db.models import Workshop, utcnow
from .errors import Conflict, InvalidInput, LibraryError, StoreError
from .i18n import N_
from .library import default_library
from .services.access import FACILITATOR, new_join_code, normalize_code
from .store import Store, table_model
from .text import whole_characters

FORMAT = "actionlab-backup"
FORMAT_VERSION = 1
#: Every table that hangs off a workshop, in the order a restore writes them (a row comes
#: after the rows it refers to; a card's parent is set once all cards are in).
TABLES = ("groups", "members", "meetings", "cards", "progress_reports", "scores", "votes",
          "attendance", "speaking_turns", "prompt_answers", "questions_asked", "action_updates",
          "reflections", "lessons", "decisions", "survey_answers", "assessment_scores", "changes")
#: Tables that hold nothing of a workshop (the workshop row is the document's ``workshop``).
OTHER_TABLES = ("workshops", "revision_counter", "facilitator_keys", "server_state")
ENVELOPE = ("format", "format_version", "schema", "app_version", "exported_at", "workshop",
            "tables")
#: How files that are certainly no backup begin: a zip (an .xlsx or .docx export), a PDF,
#: gzip, an old Office file.
NOT_JSON = (b"PK\x03\x04", b"%PDF", b"\x1f\x8b", b"\xd0\xcf\x11\xe0")
#: Columns that hold who did something: ``member:<id>``, ``facilitator`` …
ACTOR_COLUMNS = frozenset({"actor", "entered_by", "marked_by", "asked_by", "decided_by", "author"})
_MEMBER_ACTOR = re.compile(r"member:(\d+)")
#: The change log's ``entity`` → the table its ``entity_id`` points into.
ENTITY_TABLES = {"workshop": "workshops", "room": "workshops", "member": "members",
                 "card": "cards", "score": "cards", "vote": "votes", "meeting": "meetings",
                 "attendance": "members", "progress": "progress_reports",
                 "reflection": "reflections", "lesson": "lessons", "decision": "decisions",
                 "survey": "members", "assessment": "members"}
#: Keys of change payloads (at any depth) that hold a row's id.
PAYLOAD_REFS = {"meeting_id": "meetings", "group_id": "groups", "before_group_id": "groups",
                "member_id": "members", "card_id": "cards", "parent_id": "cards",
                "report_id": "progress_reports"}


class DamagedBackup(InvalidInput):
    """A backup that cannot be read; the detail says what is wrong and where."""

    def __init__(self, detail: str, **params):
        super().__init__(N_("This backup file is incomplete or damaged ({problem})."),
                         problem=detail.format(**params))
        self.detail, self.detail_params = detail, params

    def translated(self, _) -> str:
        return _(self.message_id, problem=_(self.detail, **self.detail_params))


# -- the shape of each table ---------------------------------------------------------------
@dataclass(frozen=True)
class _Column:
    key: str  # the attribute (and document) name
    kind: str  # int, float, bool, str, datetime, date, json
    nullable: bool
    length: int | None  # longest text a String column takes
    ref: str | None  # the table a local id in it points into


def _kind(sql_type) -> str:
    for cls, kind in ((Boolean, "bool"), (Integer, "int"), (Float, "float"), (DateTime, "datetime"),
                      (Date, "date"), (String, "str"), (JSON, "json")):
        if isinstance(sql_type, cls):
            return kind
    raise StoreError(f"no backup rule for column type {sql_type!r}")


@cache
def _columns(table: str) -> tuple[_Column, ...]:
    """The document's columns of ``table``: ``id`` first, no ``workshop_id``."""
    out = []
    for attr in sa_inspect(table_model(table)).column_attrs:
        col = attr.columns[0]
        if attr.key == "workshop_id" or (table == "workshops" and attr.key == "id"):
            continue
        key = "id" if col.primary_key else attr.key
        ref = next((fk.column.table.name for fk in col.foreign_keys), None)
        if table == "changes" and key == "group_id":
            ref = "groups"
        out.append(_Column(key, _kind(col.type), bool(col.nullable) and not col.primary_key,
                           getattr(col.type, "length", None), ref))
    out.sort(key=lambda c: c.key != "id")
    return tuple(out)


@cache
def _member_fields() -> dict[tuple[str, str], tuple[str, ...]]:
    """(canvas, column) → the keys of its card fields that hold a member id."""
    found = {}
    try:
        canvases = default_library().canvases()
    except LibraryError:
        return {}
    for canvas in canvases.values():
        for column in canvas.columns:
            keys = tuple(f.key for f in column.fields if f.type == "member")
            if keys:
                found[canvas.key, column.key] = keys
    return found


def _known_schemas() -> list[str]:
    """The schema revisions this program knows, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


# -- ids: database ↔ local -----------------------------------------------------------------
class _Ids:
    """Id maps per table; called as ``ids(table, value)`` → the mapped id or None. Dumping
    maps database ids to local ones, restoring local ids to the new database ones."""

    def __init__(self):
        self.maps: dict[str, dict[int, int]] = {}

    def __call__(self, table: str, value):
        if value is None or isinstance(value, bool):
            return None
        try:
            return self.maps.get(table, {}).get(int(value))
        except (TypeError, ValueError):
            return None

    def same_type(self, table: str, value):
        """Like calling, but a number written as text stays text."""
        new = self(table, value)
        return str(new) if isinstance(value, str) and new is not None else new

    def actor(self, value):
        match = _MEMBER_ACTOR.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            return value
        new = self("members", match.group(1))
        return f"member:{new}" if new is not None else "member"


def _fields(fields, canvas, column, ids: _Ids):
    keys = _member_fields().get((canvas, column), ())
    if not isinstance(fields, dict) or not keys:
        return fields
    return {k: ids.same_type("members", v) if k in keys and v not in (None, "") else v
            for k, v in fields.items()}


def _by_group(node, ids: _Ids) -> dict:
    """A room map keyed by group id (or ``"all"``), keys remapped; lost groups dropped."""
    out = {}
    for key, value in (node or {}).items():
        new = key if key == "all" else ids("groups", key)
        if new is not None:
            out[str(new)] = value
    return out


def _room(room, ids: _Ids):
    """The room state with its meeting, group and member ids remapped."""
    if not isinstance(room, dict):
        return room
    out = copy.deepcopy(room)
    if out.get("meeting") is not None:
        out["meeting"] = ids("meetings", out["meeting"])
    step = out.get("step")
    if isinstance(step, dict) and isinstance(step.get("groups"), dict):
        step["groups"] = _by_group(step["groups"], ids)
    for key in ("questions", "question_first", "queues"):
        if isinstance(out.get(key), dict):
            out[key] = _by_group(out[key], ids)
    prompt = out.get("prompt")
    if isinstance(prompt, dict) and prompt.get("group") is not None:
        prompt["group"] = ids("groups", prompt["group"])
    for queue in (out.get("queues") or {}).values():
        if isinstance(queue, dict) and isinstance(queue.get("order"), list):
            queue["order"] = [m for m in (ids("members", v) for v in queue["order"]) if m is not None]
    return out


def _payload(payload, entity: str, ids: _Ids, canvas=None, column=None):
    """A change's payload with the ids in it remapped (nested ``before``/``changed`` too)."""
    if not isinstance(payload, dict):
        return payload
    canvas, column = payload.get("canvas", canvas), payload.get("column", column)
    out = {}
    for key, value in payload.items():
        if key in PAYLOAD_REFS and not isinstance(value, (dict, list)):
            out[key] = ids(PAYLOAD_REFS[key], value)
        elif key == "order" and isinstance(value, list):
            out[key] = [ids("members", v) for v in value]
        elif key == "ids" and isinstance(value, list) and entity in ids.maps:  # times.set
            out[key] = [ids(entity, v) for v in value]
        elif key == "fields":
            out[key] = _fields(value, canvas, column, ids)
        elif key in ("before", "changed") and isinstance(value, dict):
            out[key] = _payload(value, entity, ids, canvas, column)
        else:
            out[key] = value
    return out


def _special(table: str, row: dict, ids: _Ids) -> dict:
    """Ids held inside values: actors, card fields, the change log's entity and payload."""
    for key in ACTOR_COLUMNS & row.keys():
        row[key] = ids.actor(row[key])
    if table == "cards":
        row["fields"] = _fields(row["fields"], row["canvas"], row["column"], ids)
    elif table == "changes":
        target = ENTITY_TABLES.get(row["entity"])
        if target is not None:
            row["entity_id"] = ids(target, row["entity_id"])
        row["payload"] = _payload(row["payload"], row["entity"], ids)
    return row


# -- export ----------------------------------------------------------------------------------
def _out(value, col: _Column):
    if value is None:
        return None
    if col.kind in ("datetime", "date"):
        return value.isoformat()
    if col.kind == "float":
        return float(value)
    return copy.deepcopy(value) if col.kind == "json" else value


def dump(store: Store, code: str, *, exported_at: datetime | None = None) -> dict:
    """The backup document of the workshop with join code ``code``."""
    ws = store.find_workshop(normalize_code(code))
    found = store.find_workshop_rows(ws.id, ["workshops", *TABLES])
    ws = found["workshops"][0]
    ids = _Ids()
    ids.maps["workshops"] = {ws.id: 1}
    for table in TABLES:
        key = "revision" if table == "changes" else "id"
        ids.maps[table] = {getattr(obj, key): n for n, obj in enumerate(found[table], start=1)}
    tables = {}
    for table in TABLES:
        rows = []
        for n, obj in enumerate(found[table], start=1):
            row = {"id": n}
            for col in _columns(table)[1:]:
                value = _out(getattr(obj, col.key), col)
                row[col.key] = ids(col.ref, value) if col.ref else value
            rows.append(_special(table, row, ids))
        tables[table] = rows
    workshop = {col.key: _out(getattr(ws, col.key), col) for col in _columns("workshops")}
    workshop["room"] = _room(workshop["room"], ids)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema": migrate.current_revision(store.engine),
        "app_version": __version__,
        "exported_at": (exported_at or utcnow()).replace(microsecond=0).isoformat(),
        "workshop": workshop,
        "tables": tables,
    }


def to_bytes(doc: dict) -> bytes:
    """The document as UTF-8 JSON: keys sorted, one item per line, non-ASCII kept as is."""
    return (json.dumps(doc, ensure_ascii=False, sort_keys=True, indent=1, allow_nan=False)
            + "\n").encode("utf-8")


def dumps(store: Store, code: str, *, exported_at: datetime | None = None) -> bytes:
    """The backup of workshop ``code`` as UTF-8 JSON bytes."""
    return to_bytes(dump(store, code, exported_at=exported_at))


def filename(code: str) -> str:
    """The file name a backup of ``code`` is saved under: ``<CODE>-backup.json``."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", normalize_code(code)).strip("_") or "workshop"
    return f"{safe}-backup.json"


# -- reading and checking ----------------------------------------------------------------------
def loads(data: bytes | str) -> dict:
    """The backup document in ``data``, checked: raises InvalidInput with a clear message
    for a damaged or cut-off file, something else than a backup, or one from a newer
    actionlab."""
    if isinstance(data, bytes):
        if not data.strip():
            raise DamagedBackup(N_("the file is empty"))
        if data.startswith(NOT_JSON):
            raise InvalidInput(N_("This file is not an actionlab backup."))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if exc.start >= len(data) - 3:
                raise DamagedBackup(N_("the file ends too early: it was cut off")) from None
            raise DamagedBackup(N_("it is not UTF-8 text (byte {pos})"), pos=exc.start) from None
    else:
        text = data
    if not text.lstrip().startswith(("{", "[", '"')):  # a table, a page, a document: not JSON
        raise InvalidInput(N_("This file is not an actionlab backup."))
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise DamagedBackup(N_("the file ends too early: it was cut off")) from None
        raise DamagedBackup(N_("not valid JSON at line {line}, column {column}"),
                            line=exc.lineno, column=exc.colno) from None
    except RecursionError:
        raise DamagedBackup(N_("not valid JSON at line {line}, column {column}"),
                            line=1, column=1) from None
    check(doc)
    return doc


def check(doc) -> None:
    """Raise InvalidInput unless ``doc`` is a whole backup this program can restore."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InvalidInput(N_("This file is not an actionlab backup."))
    version = doc.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DamagedBackup(N_("{where} is wrong"), where="format_version")
    if version > FORMAT_VERSION:
        raise InvalidInput(N_("This backup was made by a newer actionlab (backup format {found}); this one reads up to format {known}. Upgrade actionlab to import it."),  # noqa: E501
                           found=version, known=FORMAT_VERSION)
    schemas = _known_schemas()
    schema = doc.get("schema")
    if not isinstance(schema, str):
        raise DamagedBackup(N_("{where} is missing"), where="schema")
    if schema not in schemas:
        raise InvalidInput(N_("This backup was made by a newer actionlab (schema {found}); this one knows up to {known}. Upgrade actionlab to import it."),  # noqa: E501
                           found=schema, known=schemas[-1])
    for key in ENVELOPE:
        if key not in doc:
            raise DamagedBackup(N_("{where} is missing"), where=key)
    for key in ("app_version", "exported_at"):
        _check_value(doc[key], _Column(key, "str", False, None, None), key)
    if not isinstance(doc["workshop"], dict):
        raise DamagedBackup(N_("{where} is wrong"), where="workshop")
    _check_row(doc["workshop"], "workshops", "workshop")
    tables = doc["tables"]
    if not isinstance(tables, dict):
        raise DamagedBackup(N_("{where} is wrong"), where="tables")
    unknown = sorted(tables.keys() - set(TABLES))
    if unknown:
        raise DamagedBackup(N_("{where} is not a table of a workshop"), where=f"tables.{unknown[0]}")
    ids: dict[str, set] = {}
    for table in TABLES:
        rows = tables.get(table)
        if not isinstance(rows, list):
            raise DamagedBackup(N_("{where} is missing"), where=f"tables.{table}")
        for n, row in enumerate(rows):
            where = f"tables.{table}[{n}]"
            if not isinstance(row, dict):
                raise DamagedBackup(N_("{where} is wrong"), where=where)
            _check_row(row, table, where)
            if row["id"] < 1 or row["id"] in ids.setdefault(table, set()):
                raise DamagedBackup(N_("{where} is wrong"), where=f"{where}.id")
            ids[table].add(row["id"])
    for table in TABLES:
        refs = [c for c in _columns(table) if c.ref]
        for n, row in enumerate(tables[table]):
            for col in refs:
                if row[col.key] is not None and row[col.key] not in ids.get(col.ref, ()):
                    raise DamagedBackup(N_("{where} points to a row that is not there"),
                                        where=f"tables.{table}[{n}].{col.key}")


def _check_row(row: dict, table: str, where: str) -> None:
    columns = _columns(table)
    for col in columns:
        if col.key not in row:
            raise DamagedBackup(N_("{where} is missing"), where=f"{where}.{col.key}")
        _check_value(row[col.key], col, f"{where}.{col.key}")
    unknown = sorted(row.keys() - {c.key for c in columns})
    if unknown:
        raise DamagedBackup(N_("{where} is not a column of this table"), where=f"{where}.{unknown[0]}")


def _check_value(value, col: _Column, where: str) -> None:
    if value is None:
        if not col.nullable:
            raise DamagedBackup(N_("{where} is missing"), where=where)
        return
    ok = {
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "str": lambda v: isinstance(v, str),
        "json": lambda v: isinstance(v, (dict, list)),
        "datetime": lambda v: _parse(v, datetime.fromisoformat),
        "date": lambda v: _parse(v, date.fromisoformat),
    }[col.kind](value)
    if not ok:
        raise DamagedBackup(N_("{where} is wrong"), where=where)
    if col.length is not None and isinstance(value, str) and len(value) > col.length:
        raise DamagedBackup(N_("{where} is longer than {n} characters"), where=where, n=col.length)


def _parse(value, parse) -> bool:
    try:
        parse(value)
    except (TypeError, ValueError):
        return False
    return True


# -- restore -----------------------------------------------------------------------------------
def _in(value, col: _Column):
    """A document value as the database takes it. Half a surrogate pair in a text, which JSON
    can carry as ``"\\ud800"`` but no database can hold, becomes U+FFFD; nothing else changes
    (a NUL kept by SQLite comes back as it was; PostgreSQL refuses it, and the import with it)."""
    if value is None:
        return None
    if col.kind == "datetime":
        when = datetime.fromisoformat(value)
        return when.astimezone(timezone.utc).replace(tzinfo=None) if when.tzinfo else when
    if col.kind == "date":
        return date.fromisoformat(value)
    if col.kind == "float":
        return float(value)
    if col.kind == "str":
        return whole_characters(value)
    return _whole_json(value) if col.kind == "json" else value


def _whole_json(value):
    """A copy of a JSON value with whole characters in every text, keys too."""
    if isinstance(value, str):
        return whole_characters(value)
    if isinstance(value, dict):
        return {whole_characters(k): _whole_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_json(v) for v in value]
    return value


def restore(store: Store, data: bytes | str | dict, *, new_code: bool = False,
            actor: str = FACILITATOR) -> Workshop:
    """Import a backup into ``store`` (at the newest schema) as a new workshop, in one
    transaction; returns the workshop. The join code must be free, unless ``new_code``: then
    the workshop is imported as a copy under a new code."""
    doc = data if isinstance(data, dict) else loads(data)
    if isinstance(data, dict):
        check(doc)
    try:
        ws_id = store.restore(actor, lambda writer: _write(writer, doc, new_code))
    except (Conflict, StoreError) as exc:
        raise InvalidInput(N_("The backup could not be imported ({problem}). Nothing was imported."),
                           problem=str(exc)) from exc
    return store.find_workshop_by_id(ws_id)


def _write(writer, doc: dict, new_code: bool) -> int:
    source = doc["workshop"]
    code = source["code"]
    if new_code:
        code = new_join_code()
        while writer.taken("workshops", "code", [code]):
            code = new_join_code()
    elif writer.taken("workshops", "code", [code]):
        raise InvalidInput(N_("A workshop with the code {code} already exists in this store. Import the backup as a copy with a new code (--as-new)."),  # noqa: E501
                           code=code)
    columns = _columns("workshops")
    row = {col.key: _in(source[col.key], col) for col in columns}
    row.update(code=code, room={})
    ids = _Ids()
    ws_id = writer.insert("workshops", [row])[0]
    ids.maps["workshops"] = {1: ws_id}
    tables = doc["tables"]
    taken_links = writer.taken("members", "token_hash", [m["token_hash"] for m in tables["members"]])
    parents = []
    for table in TABLES[:-1]:
        rows = []
        for given in tables[table]:
            row = {"workshop_id": ws_id} if table != "attendance" else {}
            for col in _columns(table)[1:]:
                value = _in(given[col.key], col)
                row[col.key] = ids(col.ref, value) if col.ref else value
            if table == "members" and row["token_hash"] in taken_links:
                row["token_hash"] = None
            if table == "cards" and given["parent_id"] is not None:
                parents.append((given["id"], given["parent_id"]))  # set once all cards are in
            rows.append(_special(table, row, ids))
        new = writer.insert(table, rows)
        ids.maps[table] = {given["id"]: n for given, n in zip(tables[table], new, strict=True)}
    writer.update("cards", [{"id": ids("cards", card), "parent_id": ids("cards", parent)}
                            for card, parent in parents])
    writer.update("workshops", [{"id": ws_id, "room": _room(source["room"], ids)}])
    changes = []
    for given in tables["changes"]:
        row = {"workshop_id": ws_id}
        for col in _columns("changes")[1:]:
            value = _in(given[col.key], col)
            row[col.key] = ids(col.ref, value) if col.ref else value
        changes.append(_special("changes", row, ids))
    writer.add_changes(changes)
    writer.log("workshop.import", "workshop", entity_id=ws_id, code=code, title=source["title"],
               source_code=source["code"], exported_at=doc["exported_at"],
               app_version=doc["app_version"], schema=doc["schema"])
    return ws_id
