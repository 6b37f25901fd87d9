"""A workshop's data as tidy pandas tables, for analysis in JupyterLab and for the tracking
views of the console.

``load_workshop(db_url, code)`` opens a store by its URL, reads one workshop and returns a dict
of DataFrames keyed by table name (:data:`TABLES`); ``load_workshops(db_url, codes)`` puts
several workshops one below the other with a ``workshop`` column (the join code).
``workshop_frames(store, workshop)`` does the same on a store that is already open.

Every table has one row per record, the columns of :data:`SCHEMAS` in that order (also when it
is empty), typed: ``datetime64[ns]`` for dates and times (UTC, as stored), ``Int64`` for ids
that may be missing, ``string`` for text, ``category`` where the values come from a short list
(statuses, kinds, groups). Group names are joined in as ``group``, member names as ``member``,
``owner`` or ``author``. Anonymous votes keep their voter out, as on the projector.

The functions :func:`action_timeline`, :func:`progress_trend` and :func:`overdue` compute the
tracking views (stage 5) from those tables; they read nothing else and write nothing.

pandas is a heavy import: only facilitator-side code and notebooks import this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import make_url

from .db.models import Card, Workshop
from .errors import NotFound, StoreError
from .library import FieldDef, Library, default_library
from .services.access import normalize_code
from .services.meetings import STATUSES as ATTENDANCE_STATUSES
from .services.options import vote_rules
from .services.scoring import CONSENSUS
from .settings import Settings
from .store import Store

__all__ = ["TABLES", "SCHEMAS", "load_workshop", "load_workshops", "workshop_frames",
           "empty_frames", "canvas_schema", "concat", "action_timeline", "progress_trend",
           "overdue", "TIMELINE_COLUMNS", "TREND_COLUMNS"]

INT, N, S, T, F, B, C = "int64", "Int64", "string", "datetime64[ns]", "float64", "bool", "category"
#: The column type of a canvas field (a member field becomes two columns: ``owner_id, owner``).
FIELD_KINDS = {"date": T, "choice": C, "text": S}
#: Card tables → the canvas whose cards they hold.
CANVAS_TABLES = {"goals": "goals", "strategies": "strategy", "actions": "actions"}
OUTCOMES = ("adopt", "revise", "reject")
#: Action statuses when no definition says otherwise (data/canvases/actions.yaml).
STATUS_KEYS = ("not_started", "in_progress", "done", "blocked")
DONE = "done"

_CARD_HEAD = {"card_id": INT, "group_id": INT, "group": C, "column": S, "text": S, "parent_id": N,
              "parent": S, "author_id": N, "author": S, "decided": B}
_CARD_TAIL = {"created_at": T, "updated_at": T}

#: Table name → column → dtype, for the tables that do not depend on a canvas definition.
#: The card tables of :data:`CANVAS_TABLES` get their field columns from the definition.
SCHEMAS: dict[str, dict[str, str]] = {
    "workshops": {"workshop": S, "title": S, "lang": C, "group_count": INT, "is_demo": B,
                  "created_at": T},
    "groups": {"group_id": INT, "number": INT, "group": C},
    "members": {"member_id": INT, "name": S, "group_id": N, "group": C, "role": C, "unit": S,
                "department": S, "profession": S, "level": S, "gender": S, "age_band": S,
                "subtask": S, "device": B, "joined_at": T, "last_seen": T},
    "cards": {"card_id": INT, "group_id": INT, "group": C, "canvas": C, "column": S, "text": S,
              "author_id": N, "author": S, "parent_id": N, "decided": B, "fields": "object",
              "created_at": T, "updated_at": T},
    "votes": {"vote_id": INT, "group_id": INT, "group": C, "canvas": C, "card_id": INT, "card": S,
              "member_id": N, "member": S, "at": T},
    "scores": {"score_id": INT, "group_id": INT, "group": C, "canvas": C, "card_id": INT, "card": S,
               "criterion": C, "member_id": INT, "member": S, "value": INT, "updated_at": T},
    "action_updates": {"update_id": INT, "card_id": INT, "action": S, "group_id": INT, "group": C,
                       "status": C, "before": C, "note": S, "meeting_id": N,
                       "meeting_number": N, "report_id": N, "entered_by": S, "at": T},
    "meetings": {"meeting_id": INT, "number": INT, "kind": C, "title": S, "held_on": T,
                 "started_at": T, "ended_at": T, "created_at": T},
    "attendance": {"meeting_id": INT, "meeting_number": INT, "member_id": INT, "member": S,
                   "group_id": N, "group": C, "status": C, "marked_by": S, "at": T},
    "progress_reports": {"report_id": INT, "meeting_id": N, "meeting_number": N, "group_id": INT,
                         "group": C, "member_id": INT, "member": S, "done": S, "problems": S,
                         "help": S, "created_at": T, "updated_at": T},
    "reflections": {"reflection_id": INT, "meeting_id": INT, "meeting_number": INT, "group_id": N,
                    "group": C, "member_id": INT, "member": S, "quality": INT, "own_part": INT,
                    "improvement": S, "created_at": T, "updated_at": T},
    "lessons": {"lesson_id": INT, "stage": C, "group_id": N, "group": C, "meeting_id": N,
                "meeting_number": N, "member_id": N, "member": S, "text": S, "author": S,
                "at": T},
    "decisions": {"decision_id": INT, "group_id": INT, "group": C, "meeting_id": N,
                  "meeting_number": N, "proposal": S, "outcome": C, "reasons": S,
                  "conditions": S, "decided_by": S, "at": T},
    "survey_answers": {"answer_id": INT, "survey": C, "survey_title": S, "question": C,
                       "question_title": S, "question_type": C, "member_id": INT, "member": S,
                       "group_id": N, "group": C, "value": N, "answer": S,
                       "satisfied": "boolean", "text": S, "at": T},
    "assessment_scores": {"score_id": INT, "member_id": INT, "member": S, "group_id": N,
                          "group": C, "component": C, "component_title": S, "value": F,
                          "entered_by": S, "at": T},
    "speaking_turns": {"turn_id": INT, "meeting_id": N, "meeting_number": N, "group_id": INT,
                       "group": C, "member_id": N, "member": S, "allotted": INT, "spoken": INT,
                       "skipped": B, "reason": S, "started_at": T, "ended_at": T},
}
#: Every table, in the order of the returned dict.
TABLES: tuple[str, ...] = ("workshops", "groups", "members", "cards", "votes", "scores",
                           "goals", "strategies", "actions", "action_updates", "meetings",
                           "attendance", "progress_reports", "reflections", "lessons",
                           "decisions", "survey_answers", "assessment_scores",
                           "speaking_turns")


# -- typed frames --------------------------------------------------------------------------
def _timestamp(value) -> pd.Timestamp | None:
    """A stored date or time (or an ISO date typed into a card field) as a Timestamp."""
    if value is None or value == "":
        return None
    if isinstance(value, (datetime, date, pd.Timestamp)):
        return pd.Timestamp(value)
    try:
        return pd.Timestamp(date.fromisoformat(str(value).strip()))
    except ValueError:
        try:
            return pd.Timestamp(datetime.fromisoformat(str(value).strip()))
        except ValueError:
            return None  # free text in a date field ("next week") is no date


def _series(values: list, dtype: str, categories: Sequence[str] = ()) -> pd.Series:
    if dtype == C:
        known = list(dict.fromkeys([*categories, *(v for v in values if v is not None)]))
        return pd.Series(pd.Categorical(values, categories=known))
    if dtype == T:
        return pd.Series([_timestamp(v) for v in values], dtype=object).astype(T)
    return pd.Series(values, dtype=object).astype(dtype)


def _frame(rows: list[dict], schema: dict[str, str],
           categories: dict[str, Sequence[str]] | None = None) -> pd.DataFrame:
    """A DataFrame with exactly the schema's columns and dtypes (also with no rows)."""
    categories = categories or {}
    return pd.DataFrame({col: _series([r.get(col) for r in rows], dtype, categories.get(col, ()))
                         for col, dtype in schema.items()}, columns=list(schema))


def _column(name: str) -> str:
    """A field's column name; one that a card column already has is prefixed ``field_``."""
    return name if name not in _CARD_HEAD and name not in _CARD_TAIL else f"field_{name}"


def _field_columns(field: FieldDef) -> dict[str, str]:
    if field.type == "member":
        return {_column(f"{field.key}_id"): N, _column(field.key): S}
    return {_column(field.key): FIELD_KINDS.get(field.type, S)}


def canvas_schema(library: Library, canvas_key: str) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Columns of a canvas's card table (card columns, its fields flattened, the mean of each
    score criterion and ``raters`` when the canvas is scored) and the options of its choice
    fields (their categories)."""
    definition = library.canvas(canvas_key)
    fields: dict[str, str] = {}
    categories: dict[str, list[str]] = {}
    scored: dict[str, str] = {}
    for column in definition.columns:
        for field in column.fields:
            for name, dtype in _field_columns(field).items():
                fields.setdefault(name, dtype)
            if field.type == "choice":
                categories.setdefault(field.key, []).extend(o.key for o in field.options)
        if column.score is not None:
            scored.update({c.key: F for c in column.score.criteria})
        if column.consensus:
            scored[CONSENSUS] = F
    if scored:
        scored["raters"] = INT
    return {**_CARD_HEAD, **fields, **scored, **_CARD_TAIL}, categories


# -- reading one workshop ------------------------------------------------------------------
class _Reader:
    """The rows of one workshop, read once each, and the tables made from them."""

    def __init__(self, store: Store, workshop: Workshop, library: Library):
        self.store, self.ws, self.library = store, workshop, library
        self.lang = workshop.lang

    @cached_property
    def groups(self):
        return self.store.find_groups(self.ws.id)

    @cached_property
    def group_names(self) -> dict[int, str]:
        return {g.id: g.name for g in self.groups}

    @cached_property
    def members(self):
        return self.store.find_members(self.ws.id)

    @cached_property
    def member_names(self) -> dict[int, str]:
        return {m.id: m.name for m in self.members}

    @cached_property
    def member_groups(self) -> dict[int, int | None]:
        return {m.id: m.group_id for m in self.members}

    @cached_property
    def cards(self) -> list[Card]:
        return self.store.find_cards(self.ws.id)

    @cached_property
    def card_texts(self) -> dict[int, str]:
        return {c.id: c.text for c in self.cards}

    @cached_property
    def meetings(self):
        return self.store.find_meetings(self.ws.id)

    @cached_property
    def meeting_numbers(self) -> dict[int, int]:
        return {m.id: m.number for m in self.meetings}

    @cached_property
    def scores(self):
        return self.store.find_scores(self.ws.id)

    @property
    def _categories(self) -> dict[str, Sequence[str]]:
        return {"group": list(dict.fromkeys(g.name for g in self.groups))}

    def _who(self, group_id=None, member_id=None, meeting_id=None) -> dict:
        """The joined-in names for a row's group, member and meeting."""
        out: dict[str, Any] = {}
        if group_id is not None:
            out["group"] = self.group_names.get(group_id)
        if member_id is not None:
            out["member"] = self.member_names.get(member_id)
        if meeting_id is not None:
            out["meeting_number"] = self.meeting_numbers.get(meeting_id)
        return out

    def frame(self, table: str) -> pd.DataFrame:
        if table in CANVAS_TABLES:
            return self._canvas_frame(CANVAS_TABLES[table])
        return getattr(self, f"_{table}")()

    def _make(self, table: str, rows: list[dict], **categories) -> pd.DataFrame:
        return _frame(rows, SCHEMAS[table], {**self._categories, **categories})

    # -- one builder per table ---------------------------------------------------------
    def _workshops(self):
        ws = self.ws
        return self._make("workshops", [{
            "workshop": ws.code, "title": ws.title, "lang": ws.lang,
            "group_count": ws.group_count, "is_demo": bool(ws.is_demo),
            "created_at": ws.created_at}])

    def _groups(self):
        return self._make("groups", [{"group_id": g.id, "number": g.number, "group": g.name}
                                     for g in self.groups])

    def _members(self):
        roles = [r.key for r in self.library.items("roles")]
        rows = [{**{k: getattr(m, k) for k in SCHEMAS["members"] if hasattr(m, k)},
                 "member_id": m.id, "device": m.token_hash is not None,
                 **self._who(group_id=m.group_id)} for m in self.members]
        return self._make("members", rows, role=roles)

    def _cards(self):
        rows = [{"card_id": c.id, "group_id": c.group_id, "canvas": c.canvas, "column": c.column,
                 "text": c.text, "author_id": c.author_id,
                 "author": self.member_names.get(c.author_id), "parent_id": c.parent_id,
                 "decided": bool(c.decided), "fields": dict(c.fields or {}),
                 "created_at": c.created_at, "updated_at": c.updated_at,
                 **self._who(group_id=c.group_id)} for c in self.cards]
        return self._make("cards", rows, canvas=list(self.ws.canvases or ()))

    def _votes(self):
        anonymous = {}
        rows = []
        for v in self.store.find_votes(self.ws.id):
            if v.canvas not in anonymous:
                anonymous[v.canvas] = vote_rules(self.ws, v.canvas).anonymous
            voter = None if anonymous[v.canvas] else v.member_id
            rows.append({"vote_id": v.id, "group_id": v.group_id, "canvas": v.canvas,
                         "card_id": v.card_id, "card": self.card_texts.get(v.card_id),
                         "member_id": voter, "at": v.at,
                         **self._who(group_id=v.group_id, member_id=voter)})
        return self._make("votes", rows, canvas=list(self.ws.canvases or ()))

    def _scores(self):
        canvas_of = {c.id: c.canvas for c in self.cards}
        rows = [{"score_id": s.id, "group_id": s.group_id, "canvas": canvas_of.get(s.card_id),
                 "card_id": s.card_id, "card": self.card_texts.get(s.card_id),
                 "criterion": s.criterion, "member_id": s.member_id, "value": s.value,
                 "updated_at": s.updated_at,
                 **self._who(group_id=s.group_id, member_id=s.member_id)} for s in self.scores]
        return self._make("scores", rows, canvas=list(self.ws.canvases or ()))

    def _canvas_frame(self, canvas_key: str) -> pd.DataFrame:
        schema, categories = canvas_schema(self.library, canvas_key)
        definition = self.library.canvas(canvas_key)
        field_defs = {f.key: f for col in definition.columns for f in col.fields}
        criteria = [k for k, dtype in schema.items() if dtype == F]
        cards = [c for c in self.cards if c.canvas == canvas_key]
        values: dict[int, dict[str, list[int]]] = {}
        raters: dict[int, set[int]] = {}
        ids = {c.id for c in cards}
        for s in self.scores:
            if s.card_id in ids and s.criterion in criteria:
                values.setdefault(s.card_id, {}).setdefault(s.criterion, []).append(s.value)
                raters.setdefault(s.card_id, set()).add(s.member_id)
        rows = []
        for c in cards:
            row = {"card_id": c.id, "group_id": c.group_id, "column": c.column, "text": c.text,
                   "parent_id": c.parent_id, "parent": self.card_texts.get(c.parent_id),
                   "author_id": c.author_id, "author": self.member_names.get(c.author_id),
                   "decided": bool(c.decided), "created_at": c.created_at,
                   "updated_at": c.updated_at, **self._who(group_id=c.group_id)}
            for key, field in field_defs.items():
                value = (c.fields or {}).get(key)
                if field.type == "member":
                    member_id = _int_or_none(value)
                    row[_column(f"{key}_id")] = member_id
                    row[_column(key)] = self.member_names.get(member_id)
                else:
                    row[_column(key)] = None if value in (None, "") else str(value)
            for criterion in criteria:
                got = values.get(c.id, {}).get(criterion)
                row[criterion] = sum(got) / len(got) if got else None
            if criteria:
                row["raters"] = len(raters.get(c.id, ()))
            rows.append(row)
        return _frame(rows, schema, {**self._categories, **categories})

    def _action_updates(self):
        status = self.library.canvas("actions").column("actions").field("status")
        keys = [o.key for o in status.options]
        rows = [{"update_id": u.id, "card_id": u.card_id, "action": self.card_texts.get(u.card_id),
                 "group_id": u.group_id, "status": u.status, "before": u.before, "note": u.note,
                 "meeting_id": u.meeting_id, "report_id": u.report_id,
                 "entered_by": u.entered_by, "at": u.at,
                 **self._who(group_id=u.group_id, meeting_id=u.meeting_id)}
                for u in self.store.find_action_updates(self.ws.id)]
        return self._make("action_updates", rows, status=keys, before=keys)

    def _meetings(self):
        kinds = [*self.library.meeting_types(), "workshop"]
        rows = [{"meeting_id": m.id, "number": m.number, "kind": m.kind, "title": m.title,
                 "held_on": m.held_on, "started_at": m.started_at, "ended_at": m.ended_at,
                 "created_at": m.created_at} for m in self.meetings]
        return self._make("meetings", rows, kind=kinds)

    def _attendance(self):
        rows = []
        for meeting in self.meetings:
            for a in self.store.find_attendance(meeting.id):
                group_id = self.member_groups.get(a.member_id)
                rows.append({"meeting_id": meeting.id, "member_id": a.member_id,
                             "group_id": group_id, "status": a.status,
                             "marked_by": a.marked_by, "at": a.at,
                             **self._who(group_id, a.member_id, meeting.id)})
        return self._make("attendance", rows, status=list(ATTENDANCE_STATUSES))

    def _progress_reports(self):
        rows = [{"report_id": r.id, "meeting_id": r.meeting_id, "group_id": r.group_id,
                 "member_id": r.member_id, "done": r.done, "problems": r.problems,
                 "help": r.help, "created_at": r.created_at, "updated_at": r.updated_at,
                 **self._who(r.group_id, r.member_id, r.meeting_id)}
                for r in self.store.find_progress_reports(self.ws.id)]
        return self._make("progress_reports", rows)

    def _reflections(self):
        rows = [{"reflection_id": r.id, "meeting_id": r.meeting_id, "group_id": r.group_id,
                 "member_id": r.member_id, "quality": r.quality, "own_part": r.own_part,
                 "improvement": r.improvement, "created_at": r.created_at,
                 "updated_at": r.updated_at, **self._who(r.group_id, r.member_id, r.meeting_id)}
                for r in self.store.find_reflections(self.ws.id)]
        return self._make("reflections", rows)

    def _lessons(self):
        stages = [s.key for s in self.library.items("stages")]
        rows = [{"lesson_id": r.id, "stage": r.stage, "group_id": r.group_id,
                 "meeting_id": r.meeting_id, "member_id": r.member_id, "text": r.text,
                 "author": r.author, "at": r.at,
                 **self._who(r.group_id, r.member_id, r.meeting_id)}
                for r in self.store.find_lessons(self.ws.id)]
        return self._make("lessons", rows, stage=stages)

    def _decisions(self):
        rows = [{"decision_id": r.id, "group_id": r.group_id, "meeting_id": r.meeting_id,
                 "proposal": r.proposal, "outcome": r.outcome, "reasons": r.reasons,
                 "conditions": r.conditions, "decided_by": r.decided_by, "at": r.at,
                 **self._who(r.group_id, None, r.meeting_id)}
                for r in self.store.find_decisions(self.ws.id)]
        return self._make("decisions", rows, outcome=list(OUTCOMES))

    def _survey_answers(self):
        forms = self.library.surveys()
        rows = []
        for a in self.store.find_survey_answers(self.ws.id):
            group_id = a.group_id if a.group_id is not None else self.member_groups.get(a.member_id)
            row = {"answer_id": a.id, "survey": a.survey, "question": a.question,
                   "member_id": a.member_id, "group_id": group_id, "value": a.value,
                   "text": a.text, "at": a.at, **self._who(group_id, a.member_id)}
            form = forms.get(a.survey)
            question = next((q for q in form.questions if q.key == a.question), None) if form else None
            if form is not None:
                row["survey_title"] = form.title(self.lang)
            if question is not None:
                row.update(question_title=question.title(self.lang), question_type=question.type,
                           answer=_answer_label(form, question, a.value, self.lang))
                if question.type == "likert" and a.value is not None:
                    row["satisfied"] = a.value >= form.satisfied_from
            rows.append(row)
        return self._make("survey_answers", rows, survey=list(forms),
                          question_type=["likert", "choice", "text"])

    def _assessment_scores(self):
        components = {c.key: c for c in self.library.items("assessment")}
        rows = []
        for s in self.store.find_assessment_scores(self.ws.id):
            group_id = self.member_groups.get(s.member_id)
            item = components.get(s.component)
            rows.append({"score_id": s.id, "member_id": s.member_id, "group_id": group_id,
                         "component": s.component,
                         "component_title": item.title(self.lang) if item else None,
                         "value": s.value, "entered_by": s.entered_by, "at": s.at,
                         **self._who(group_id, s.member_id)})
        return self._make("assessment_scores", rows, component=list(components))

    def _speaking_turns(self):
        rows = [{"turn_id": t.id, "meeting_id": t.meeting_id, "group_id": t.group_id,
                 "member_id": t.member_id, "member": t.member_name, "allotted": t.allotted,
                 "spoken": t.spoken, "skipped": bool(t.skipped), "reason": t.reason,
                 "started_at": t.started_at, "ended_at": t.ended_at,
                 **self._who(group_id=t.group_id, meeting_id=t.meeting_id)}
                for t in self.store.find_turns(self.ws.id)]
        return self._make("speaking_turns", rows)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _answer_label(form, question, value, lang: str) -> str | None:
    """The words of an answer: the value is the position of the answer on the Likert scale
    or among the choice's options, 1 for the first (as ``satisfied_from`` counts)."""
    options = form.scale if question.type == "likert" else question.options
    if value is None or question.type not in ("likert", "choice") or not 1 <= value <= len(options):
        return None
    return options[value - 1].title(lang)


# -- public loaders ------------------------------------------------------------------------
def workshop_frames(store: Store, workshop: Workshop | str, *,
                    tables: Iterable[str] | None = None,
                    library: Library | None = None) -> dict[str, pd.DataFrame]:
    """The tables of one workshop (a Workshop or its join code) from an open store; with
    ``tables``, only those (the console's tracking view reads actions, action_updates,
    meetings and groups)."""
    if isinstance(workshop, str):
        workshop = _find(store, workshop)
    wanted = list(TABLES if tables is None else tables)
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        raise ValueError(f"no table named {', '.join(unknown)}; the tables are {', '.join(TABLES)}")
    reader = _Reader(store, workshop, library or default_library())
    return {t: reader.frame(t) for t in TABLES if t in wanted}


def _find(store: Store, code: str) -> Workshop:
    try:
        return store.find_workshop(normalize_code(code))
    except NotFound:
        known = ", ".join(w.code for w in store.find_workshops()) or "none"
        raise NotFound(f"no workshop with code {code!r} in this store (codes: {known})") from None


def _open(db_url: str | None) -> Store:
    """The store at ``db_url`` (None: ACTIONLAB_DB or the embedded SQLite file), as it is:
    never created, never upgraded (an old schema raises SchemaOutOfDate)."""
    url = db_url or Settings.from_env().db_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database).expanduser()
        if not path.is_file():
            raise StoreError(f"no database file at {path}")
    return Store.open(url)


def load_workshop(db_url: str | None, code: str) -> dict[str, pd.DataFrame]:
    """Every table of the workshop with join code ``code`` in the store at ``db_url``
    (None: ACTIONLAB_DB, else the embedded SQLite file): ``{table name: DataFrame}``."""
    store = _open(db_url)
    try:
        return workshop_frames(store, code)
    finally:
        store.close()


def load_workshops(db_url: str | None, codes: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """The tables of several workshops (``codes``; None: every workshop in the store, oldest
    first) one below the other, with a first column ``workshop`` holding the join code (a
    category, in the order loaded)."""
    store = _open(db_url)
    try:
        if codes is None:
            workshops = store.find_workshops()
        else:
            workshops = [_find(store, code) for code in dict.fromkeys(codes)]
        library = default_library()
        parts = [(ws.code, workshop_frames(store, ws, library=library)) for ws in workshops]
    finally:
        store.close()
    codes = pd.CategoricalDtype([code for code, _frames in parts])
    if not parts:
        tables = {t: _with_workshop(f, None) for t, f in empty_frames(library).items()}
    else:
        tables = {t: concat([_with_workshop(frames[t], code) for code, frames in parts])
                  for t in TABLES}
    for frame in tables.values():  # in the order loaded, not alphabetical
        frame["workshop"] = frame["workshop"].astype(object).astype(codes)
    return tables


def empty_frames(library: Library | None = None) -> dict[str, pd.DataFrame]:
    """Every table with its columns and no rows (what a store without workshops gives)."""
    library = library or default_library()
    return {t: _frame([], canvas_schema(library, CANVAS_TABLES[t])[0] if t in CANVAS_TABLES
                      else SCHEMAS[t]) for t in TABLES}


def _with_workshop(frame: pd.DataFrame, code: str | None) -> pd.DataFrame:
    if "workshop" in frame.columns:
        return frame
    out = frame.copy()
    out.insert(0, "workshop", pd.Series([code] * len(frame), index=frame.index, dtype=S))
    return out


def concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Tables of the same kind one below the other; a category column keeps every category
    of every part (in order of appearance)."""
    frames = list(frames)
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    out = pd.concat(frames, ignore_index=True)
    for column in frames[0].columns:
        if isinstance(frames[0][column].dtype, pd.CategoricalDtype):
            known = dict.fromkeys(c for f in frames for c in f[column].cat.categories)
            out[column] = out[column].astype(object).astype(pd.CategoricalDtype(list(known)))
    return out


# -- tracking (stage 5) --------------------------------------------------------------------
TIMELINE_SCHEMA = {"card_id": INT, "group_id": INT, "group": C, "action": S, "owner_id": N,
                   "owner": S, "start": T, "due": T, "status": C, "done_on": T, "overdue": B,
                   "days_overdue": INT}
TIMELINE_COLUMNS = list(TIMELINE_SCHEMA)
TREND_COLUMNS = ["meeting_id", "meeting_number", "meeting", "date", "group_id", "group",
                 "actions", *STATUS_KEYS, *(f"{k}_share" for k in STATUS_KEYS)]


def _day(today) -> pd.Timestamp:
    """``today`` (a date, a datetime, an ISO string; None: the current date) at midnight."""
    if today is None:
        return pd.Timestamp(date.today())
    stamp = _timestamp(today)
    if stamp is None:
        raise ValueError(f"not a date: {today!r}")
    return stamp.normalize()


def _statuses(actions: pd.DataFrame) -> list[str]:
    dtype = actions["status"].dtype if "status" in actions else None
    if isinstance(dtype, pd.CategoricalDtype):
        return [str(c) for c in dtype.categories]
    return list(STATUS_KEYS)


class _History:
    """Each action's status changes, in the order they were made, for "status at a time"."""

    def __init__(self, frames: dict[str, pd.DataFrame]):
        updates = frames.get("action_updates")
        self.by_card: dict[int, list[tuple]] = {}
        if updates is not None and len(updates):
            ordered = updates.sort_values("update_id", kind="stable")
            numbers = ordered["meeting_number"] if "meeting_number" in ordered else [None] * len(ordered)
            for card, at, status, before, number in zip(
                    ordered["card_id"], ordered["at"], ordered["status"], ordered["before"],
                    numbers, strict=True):
                self.by_card.setdefault(int(card), []).append(
                    (at, _text(status), _text(before), None if pd.isna(number) else int(number)))

    def status(self, card_id: int, cutoff: pd.Timestamp, current, created_at,
               upto_meeting: int | None = None) -> tuple[str | None, pd.Timestamp | None]:
        """The action's status just before ``cutoff`` (counting the changes entered at a
        meeting up to ``upto_meeting`` too, even if typed in later), and when it last
        became done. An action with no history has its present status once it exists."""
        history = self.by_card.get(int(card_id), [])
        seen = [h for h in history if (not pd.isna(h[0]) and h[0] < cutoff) or (
            upto_meeting is not None and h[3] is not None and h[3] <= upto_meeting)]
        if seen:
            status = seen[-1][1]
            if status != DONE:
                return status, None
            first = len(seen) - 1  # the start of the last run of "done" (notes repeat it)
            while first > 0 and seen[first - 1][1] == DONE:
                first -= 1
            return status, seen[first][0]
        if history:
            return history[0][2], None  # what it was before its first recorded change
        if pd.isna(created_at) or created_at < cutoff:
            return _text(current), None
        return None, None


def _text(value) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _categories_of(frame: pd.DataFrame, column: str) -> list[str]:
    if column in frame and isinstance(frame[column].dtype, pd.CategoricalDtype):
        return [str(c) for c in frame[column].cat.categories]
    return []


def _tracking_frame(rows: list[dict], schema: dict[str, str], source: pd.DataFrame,
                    categories: dict[str, Sequence[str]], day: pd.Timestamp) -> pd.DataFrame:
    """A tracking table, led by the ``workshop`` column when ``source`` has one."""
    if "workshop" in source.columns:
        schema = {"workshop": C, **schema}
        categories = {**categories, "workshop": _categories_of(source, "workshop")}
    out = _frame(rows, schema, categories)
    out.attrs["today"] = day.date()
    return out


def action_timeline(frames: dict[str, pd.DataFrame], today=None) -> pd.DataFrame:
    """One row per action: ``card_id, group_id, group, action`` (its text), ``owner_id,
    owner``, ``start`` (the day it was written), ``due``, ``status`` as of ``today`` (None:
    the current date; read from the status history), ``done_on`` (the day it became done,
    if it is), ``overdue`` (due before ``today`` and not done) and ``days_overdue`` (0 when
    not). Ordered by group, due date, card. ``attrs["today"]`` keeps the day used."""
    day = _day(today)
    cutoff = day + timedelta(days=1)
    actions = frames["actions"]
    history = _History(frames)
    rows = []
    for a in actions.to_dict("records"):
        status, done_at = history.status(a["card_id"], cutoff, a["status"], a["created_at"])
        times = [h[0] for h in history.by_card.get(int(a["card_id"]), []) if not pd.isna(h[0])]
        if not pd.isna(a["created_at"]):
            times.append(a["created_at"])
        due = a.get("due")
        late = bool(status not in (None, DONE) and not pd.isna(due) and due < day)
        rows.append({"workshop": a.get("workshop"), "card_id": a["card_id"],
                     "group_id": a["group_id"], "group": _text(a["group"]), "action": a["text"],
                     "owner_id": None if pd.isna(a.get("owner_id")) else a["owner_id"],
                     "owner": _text(a.get("owner")),
                     "start": min(times).normalize() if times else None, "due": due,
                     "status": status,
                     "done_on": done_at.normalize() if done_at is not None else None,
                     "overdue": late, "days_overdue": (day - due).days if late else 0})
    out = _tracking_frame(rows, TIMELINE_SCHEMA, actions,
                          {"group": _categories_of(actions, "group"), "status": _statuses(actions)},
                          day)
    order = [c for c in ("workshop", "group", "due", "card_id") if c in out.columns]
    return out.sort_values(order, kind="stable", na_position="last").reset_index(drop=True)


def overdue(frames: dict[str, pd.DataFrame], today=None) -> pd.DataFrame:
    """The actions past their due date and not done as of ``today`` (None: the current
    date), longest overdue first; the columns of :func:`action_timeline`."""
    timeline = action_timeline(frames, today)
    late = timeline[timeline["overdue"]]
    order = [c for c in ("days_overdue", "workshop", "group", "card_id") if c in late.columns]
    out = late.sort_values(order, ascending=[c != "days_overdue" for c in order],
                           kind="stable").reset_index(drop=True)
    out.attrs["today"] = timeline.attrs["today"]
    return out


def progress_trend(frames: dict[str, pd.DataFrame], today=None) -> pd.DataFrame:
    """Per meeting held (a ``held_on`` date up to ``today``; None: the current date) and per
    group: how many actions the group had then (``actions``), how many were in each status
    (``not_started, in_progress, done, blocked``) and their shares (``…_share``, NaN without
    actions). A status is the one in force at the end of the meeting's day, from the
    history, counting what was reported at that meeting. Ordered by meeting, then group."""
    day = _day(today)
    actions, meetings = frames["actions"], frames["meetings"]
    groups = frames.get("groups")
    if groups is None:
        groups = actions.drop_duplicates("group_id").assign(number=lambda g: g["group_id"])
    statuses = _statuses(actions)
    by_workshop = "workshop" in meetings.columns and "workshop" in groups.columns
    history = _History(frames)
    held = meetings[meetings["held_on"].notna() & (meetings["held_on"] <= day)]
    held = held.sort_values([c for c in ("workshop", "number") if c in held], kind="stable")
    rows = []
    for m in held.to_dict("records"):
        cutoff = m["held_on"] + timedelta(days=1)
        mine = groups[groups["workshop"] == m["workshop"]] if by_workshop else groups
        for g in mine.sort_values("number", kind="stable").to_dict("records"):
            counts = dict.fromkeys(statuses, 0)
            for a in actions[actions["group_id"] == g["group_id"]].to_dict("records"):
                status, _done = history.status(a["card_id"], cutoff, a["status"],
                                               a["created_at"], int(m["number"]))
                if status is not None:
                    counts[status] = counts.get(status, 0) + 1
            total = sum(counts.values())
            rows.append({"workshop": m.get("workshop"), "meeting_id": m["meeting_id"],
                         "meeting_number": m["number"], "meeting": m["title"],
                         "date": m["held_on"], "group_id": g["group_id"],
                         "group": _text(g["group"]), "actions": total, **counts,
                         **{f"{k}_share": counts[k] / total if total else float("nan")
                            for k in counts}})
    keys = list(dict.fromkeys([*STATUS_KEYS, *statuses]))
    schema = {"meeting_id": INT, "meeting_number": INT, "meeting": S, "date": T, "group_id": INT,
              "group": C, "actions": INT, **dict.fromkeys(keys, INT),
              **dict.fromkeys((f"{k}_share" for k in keys), F)}
    for row in rows:
        for k in keys:
            row.setdefault(k, 0)
            row.setdefault(f"{k}_share", float("nan"))
    return _tracking_frame(rows, schema, meetings, {"group": _categories_of(groups, "group")}, day)
