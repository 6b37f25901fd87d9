"""The method library: stages, roles, meeting rules and canvas definitions, read from data/.

Everything here is data in YAML with a ``zh`` and an ``en`` text for every visible string
(``{zh: …, en: …}``); a new canvas kind needs a file in ``data/canvases/``, not code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from .errors import LibraryError
from .i18n import LANGS, normalize_lang
from .paths import DATA_DIR


@dataclass(frozen=True)
class Text:
    """A text in every workshop language."""

    zh: str
    en: str

    def __call__(self, lang: str) -> str:
        return getattr(self, normalize_lang(lang))

    @classmethod
    def parse(cls, value, where: str) -> Text:
        if not isinstance(value, dict) or any(not value.get(lang) for lang in LANGS):
            raise LibraryError(f"{where}: needs a non-empty text for each of {sorted(LANGS)}")
        return cls(zh=str(value["zh"]).strip(), en=str(value["en"]).strip())


FIELD_TYPES = ("text", "choice", "date", "member")


@dataclass(frozen=True)
class Option:
    key: str
    title: Text


@dataclass(frozen=True)
class FieldDef:
    """A typed field on every card of a column (a goal's deadline, an action's owner …)."""

    key: str
    title: Text
    type: str = "text"  # one of FIELD_TYPES; "member" holds a member id of the group
    options: tuple[Option, ...] = ()
    required: bool = False

    def option_title(self, key: str, lang: str) -> str:
        for opt in self.options:
            if opt.key == key:
                return opt.title(lang)
        return key


@dataclass(frozen=True)
class Criterion:
    key: str
    title: Text
    weight: float = 1.0


@dataclass(frozen=True)
class ScoreDef:
    """Members score each card of the column on these criteria (``low``–``high``)."""

    criteria: tuple[Criterion, ...]
    low: int = 1
    high: int = 5
    weighted: bool = False  # the facilitator may change the weights
    chart: str = "bars"  # "bars" (score per criterion) or "matrix" (first two criteria, x and y)


@dataclass(frozen=True)
class ColumnDef:
    key: str
    title: Text
    hint: Text
    fields: tuple[FieldDef, ...] = ()
    link_to: str | None = None  # "column" or "canvas.column": cards pick a parent card there
    why: str | None = None  # column a "why?" answer goes to, linked to the card asked about
    score: ScoreDef | None = None
    vote: bool = False  # dot voting with the workshop's budget and cap
    consensus: bool = False  # fist-to-five per card
    decide: Text | None = None  # label of the group's decision ("Agree as key problem")
    private: bool = False  # members write privately until the facilitator reveals the column
    count: tuple[int, int] | None = None  # expected number of cards; outside it, a warning
    subtasks: bool = False  # show every member's sub-task beside the column

    def field(self, key: str) -> FieldDef:
        for f in self.fields:
            if f.key == key:
                return f
        raise LibraryError(f"column {self.key!r} has no field {key!r}")


@dataclass(frozen=True)
class CanvasDef:
    key: str
    title: Text
    intro: Text
    columns: tuple[ColumnDef, ...]
    stage: int | None = None
    step: int | None = None
    order: int = 100  # position in the facilitator's list of canvases
    #: Two columns shown side by side as "first stated" and "agreed" (restructuring).
    compare: tuple[str, ...] = ()
    #: Chain of "canvas.column" levels drawn as a map through card links (strategy map).
    map: tuple[str, ...] = ()

    def column(self, key: str) -> ColumnDef:
        for col in self.columns:
            if col.key == key:
                return col
        raise LibraryError(f"canvas {self.key!r} has no column {key!r}")

    @property
    def column_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.columns)


@dataclass(frozen=True)
class Item:
    """A titled entry of a list in the library (a stage, a role, a rule)."""

    key: str
    title: Text
    body: Text
    may: tuple[str, ...] = ()  # powers of a role: "decide", "run_round" (the speaking round)
    purpose: str | None = None  # what a facilitator question is for (clarify, team, apply)
    weight: float | None = None  # a component's default weight (member assessment)


def _read(path: Path) -> dict:
    try:
        with path.open(encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as exc:
        raise LibraryError(f"{path.name}: cannot be read ({exc})") from exc
    if not isinstance(doc, dict):
        raise LibraryError(f"{path.name}: expected a mapping at the top")
    return doc


def _options(raw, where: str) -> tuple[Option, ...]:
    return tuple(
        Option(key=str(o.get("key")), title=Text.parse(o.get("title"), f"{where}: option {i + 1}"))
        for i, o in enumerate(raw or [])
        if isinstance(o, dict) and o.get("key")
    )


def _field(raw, where: str) -> FieldDef:
    if not isinstance(raw, dict) or not raw.get("key"):
        raise LibraryError(f"{where}: a field needs a 'key'")
    kind = raw.get("type", "text")
    if kind not in FIELD_TYPES:
        raise LibraryError(f"{where}: field type must be one of {', '.join(FIELD_TYPES)}")
    options = _options(raw.get("options"), f"{where}: field {raw['key']}")
    if kind == "choice" and not options:
        raise LibraryError(f"{where}: a choice field needs options")
    return FieldDef(key=str(raw["key"]), title=Text.parse(raw.get("title"), f"{where}: field title"),
                    type=kind, options=options, required=bool(raw.get("required", False)))


def _criteria(raw, where: str, library: Library | None) -> tuple[Criterion, ...]:
    """Inline criteria, or ``{from: <method list>, keys: [...]}`` taken from data/method/."""
    if isinstance(raw, dict) and raw.get("from"):
        if library is None:
            raise LibraryError(f"{where}: criteria from a method list need a library")
        items = {i.key: i for i in library.items(str(raw["from"]))}
        keys = raw.get("keys") or list(items)
        missing = [k for k in keys if k not in items]
        if missing:
            raise LibraryError(f"{where}: unknown criteria {missing}")
        return tuple(Criterion(k, items[k].title) for k in keys)
    out = []
    for i, c in enumerate(raw or []):
        if not isinstance(c, dict) or not c.get("key"):
            raise LibraryError(f"{where}: criterion {i + 1} needs a 'key'")
        out.append(Criterion(str(c["key"]), Text.parse(c.get("title"), f"{where}: criterion"),
                             float(c.get("weight", 1.0))))
    return tuple(out)


def _score(raw, where: str, library: Library | None) -> ScoreDef | None:
    if not raw:
        return None
    criteria = _criteria(raw.get("criteria"), where, library)
    if not criteria:
        raise LibraryError(f"{where}: scoring needs criteria")
    low, high = int(raw.get("low", 1)), int(raw.get("high", 5))
    if not low < high:
        raise LibraryError(f"{where}: scoring needs low < high")
    chart = raw.get("chart", "bars")
    if chart not in ("bars", "matrix") or (chart == "matrix" and len(criteria) != 2):
        raise LibraryError(f"{where}: chart is 'bars', or 'matrix' with exactly two criteria")
    return ScoreDef(criteria, low, high, bool(raw.get("weighted", False)), chart)


def _column(col, i: int, where: str, library: Library | None) -> ColumnDef:
    if not isinstance(col, dict) or not col.get("key"):
        raise LibraryError(f"{where}: column {i + 1} needs a 'key'")
    key = str(col["key"])
    here = f"{where}: column {key}"
    count = col.get("count")
    if count is not None:
        if not (isinstance(count, list) and len(count) == 2 and count[0] <= count[1]):
            raise LibraryError(f"{here}: count is [lowest, highest]")
        count = (int(count[0]), int(count[1]))
    fields = tuple(_field(f, here) for f in col.get("fields") or [])
    if len({f.key for f in fields}) != len(fields):
        raise LibraryError(f"{here}: field keys must be unique")
    return ColumnDef(
        key=key,
        title=Text.parse(col.get("title"), f"{here} title"),
        hint=Text.parse(col.get("hint"), f"{here} hint"),
        fields=fields,
        link_to=col.get("link_to"),
        why=col.get("why"),
        score=_score(col.get("score"), here, library),
        vote=bool(col.get("vote", False)),
        consensus=bool(col.get("consensus", False)),
        decide=Text.parse(col["decide"], f"{here} decide") if col.get("decide") else None,
        private=bool(col.get("private", False)),
        count=count,
        subtasks=bool(col.get("subtasks", False)),
    )


def parse_canvas(doc: dict, where: str, library: Library | None = None) -> CanvasDef:
    key = doc.get("key")
    if not key or not isinstance(key, str):
        raise LibraryError(f"{where}: a canvas needs a 'key'")
    cols = doc.get("columns") or []
    if not cols:
        raise LibraryError(f"{where}: a canvas needs at least one column")
    columns = [_column(col, i, where, library) for i, col in enumerate(cols)]
    keys = {c.key for c in columns}
    if len(keys) != len(columns):
        raise LibraryError(f"{where}: column keys must be unique")
    for col in columns:
        if col.why and col.why not in keys:
            raise LibraryError(f"{where}: column {col.key}: 'why' names no column of this canvas")
        if col.link_to and "." not in col.link_to and col.link_to not in keys:
            raise LibraryError(f"{where}: column {col.key}: 'link_to' names no column")
    compare = tuple(doc.get("compare") or ())
    if compare and (len(compare) != 2 or any(k not in keys for k in compare)):
        raise LibraryError(f"{where}: 'compare' names two columns of this canvas")
    return CanvasDef(
        key=key,
        title=Text.parse(doc.get("title"), f"{where}: title"),
        intro=Text.parse(doc.get("intro"), f"{where}: intro"),
        columns=tuple(columns),
        stage=doc.get("stage"),
        step=doc.get("step"),
        order=int(doc.get("order", 100)),
        compare=compare,
        map=tuple(doc.get("map") or ()),
    )


#: What a meeting's agenda step is about; the pages show the matching form or board.
STEP_KINDS = ("rules", "talk", "canvas", "canvases", "tracking", "progress", "discussion",
              "reports", "exchange", "decision", "review")


@dataclass(frozen=True)
class AgendaStep:
    key: str
    kind: str  # one of STEP_KINDS; "canvases" stands for every canvas of the workshop
    minutes: int
    title: Text | None = None
    canvas: str | None = None


@dataclass(frozen=True)
class MeetingType:
    """A meeting template (data/meetings/): its stage in the programme and its agenda."""

    key: str
    title: Text
    intro: Text
    stage: str  # a key of data/method/stages.yaml
    agenda: tuple[AgendaStep, ...]
    order: int = 100
    days: float = 1.0  # how long the meeting usually takes


def parse_meeting_type(doc: dict, where: str) -> MeetingType:
    key = doc.get("key")
    if not key or not isinstance(key, str):
        raise LibraryError(f"{where}: a meeting type needs a 'key'")
    steps = []
    for i, raw in enumerate(doc.get("agenda") or []):
        here = f"{where}: agenda step {i + 1}"
        if not isinstance(raw, dict) or not raw.get("key"):
            raise LibraryError(f"{here} needs a 'key'")
        kind = raw.get("kind", "talk")
        if kind not in STEP_KINDS:
            raise LibraryError(f"{here}: kind must be one of {', '.join(STEP_KINDS)}")
        minutes = raw.get("minutes", 20)
        if not isinstance(minutes, int) or not 1 <= minutes <= 600:
            raise LibraryError(f"{here}: minutes must be a whole number from 1 to 600")
        if kind == "canvas" and not raw.get("canvas"):
            raise LibraryError(f"{here}: a canvas step names its canvas")
        title = Text.parse(raw["title"], f"{here} title") if raw.get("title") else None
        if title is None and kind not in ("rules", "canvas", "canvases"):
            raise LibraryError(f"{here} needs a title")
        steps.append(AgendaStep(str(raw["key"]), kind, minutes, title, raw.get("canvas")))
    if not steps:
        raise LibraryError(f"{where}: a meeting type needs an agenda")
    if len({s.key for s in steps}) != len(steps):
        raise LibraryError(f"{where}: agenda step keys must be unique")
    return MeetingType(key=key, title=Text.parse(doc.get("title"), f"{where}: title"),
                       intro=Text.parse(doc.get("intro"), f"{where}: intro"),
                       stage=str(doc.get("stage") or "learning"), agenda=tuple(steps),
                       order=int(doc.get("order", 100)), days=float(doc.get("days", 1)))


QUESTION_TYPES = ("likert", "choice", "text")


@dataclass(frozen=True)
class SurveyQuestion:
    key: str
    type: str  # likert | choice | text
    title: Text
    options: tuple[Option, ...] = ()  # choice answers
    required: bool = True


@dataclass(frozen=True)
class SurveyForm:
    """A survey form (data/surveys/): questions on a Likert scale, choices or free text."""

    key: str
    title: Text
    intro: Text
    scale: tuple[Option, ...]  # the Likert answers, lowest first
    satisfied_from: int  # the scale position (1-based) from which an answer counts as satisfied
    questions: tuple[SurveyQuestion, ...]
    by: str = "group"  # the member attribute results are broken down by (group, level, unit …)

    def question(self, key: str) -> SurveyQuestion:
        for q in self.questions:
            if q.key == key:
                return q
        raise LibraryError(f"survey {self.key!r} has no question {key!r}")


def parse_survey(doc: dict, where: str) -> SurveyForm:
    key = doc.get("key")
    if not key or not isinstance(key, str):
        raise LibraryError(f"{where}: a survey needs a 'key'")
    scale = _options(doc.get("scale"), f"{where}: scale")
    questions = []
    for i, raw in enumerate(doc.get("questions") or []):
        here = f"{where}: question {i + 1}"
        if not isinstance(raw, dict) or not raw.get("key"):
            raise LibraryError(f"{here} needs a 'key'")
        kind = raw.get("type", "likert")
        if kind not in QUESTION_TYPES:
            raise LibraryError(f"{here}: type must be one of {', '.join(QUESTION_TYPES)}")
        options = _options(raw.get("options"), here)
        if kind == "choice" and not options:
            raise LibraryError(f"{here}: a choice question needs options")
        questions.append(SurveyQuestion(str(raw["key"]), kind,
                                        Text.parse(raw.get("title"), f"{here} title"), options,
                                        bool(raw.get("required", kind != "text"))))
    if not questions:
        raise LibraryError(f"{where}: a survey needs questions")
    if any(q.type == "likert" for q in questions) and len(scale) < 3:
        raise LibraryError(f"{where}: a Likert scale needs at least 3 answers")
    satisfied_from = int(doc.get("satisfied_from", max(1, len(scale) - 1)))
    if scale and not 1 <= satisfied_from <= len(scale):
        raise LibraryError(f"{where}: satisfied_from is a position on the scale")
    return SurveyForm(key=key, title=Text.parse(doc.get("title"), f"{where}: title"),
                      intro=Text.parse(doc.get("intro"), f"{where}: intro"), scale=scale,
                      satisfied_from=satisfied_from, questions=tuple(questions),
                      by=str(doc.get("by", "group")))


class Library:
    """The method library found in one data folder (``data/`` by default)."""

    def __init__(self, root: Path = DATA_DIR):
        self.root = Path(root)

    @cache  # noqa: B019 - a library lives as long as the process
    def canvases(self) -> dict[str, CanvasDef]:
        found = []
        for path in sorted((self.root / "canvases").glob("*.yaml")):
            found.append(parse_canvas(_read(path), path.name, self))
        found.sort(key=lambda c: (c.order, c.key))
        return {c.key: c for c in found}

    def canvas(self, key: str) -> CanvasDef:
        try:
            return self.canvases()[key]
        except KeyError:
            raise LibraryError(f"no canvas named {key!r} in {self.root}") from None

    def column(self, ref: str, canvas: str | None = None) -> tuple[CanvasDef, ColumnDef]:
        """The column a reference names: ``"column"`` within ``canvas``, or ``"canvas.column"``."""
        key, _, col = ref.rpartition(".")
        definition = self.canvas(key or canvas)
        return definition, definition.column(col)

    @cache  # noqa: B019
    def items(self, name: str) -> tuple[Item, ...]:
        """Entries of ``data/method/<name>.yaml`` (stages, roles, rules …) in their order."""
        path = self.root / "method" / f"{name}.yaml"
        doc = _read(path)
        entries = doc.get("items") or []
        out = []
        for i, entry in enumerate(entries):
            where = f"{path.name}: item {i + 1}"
            if not isinstance(entry, dict) or not entry.get("key"):
                raise LibraryError(f"{where} needs a 'key'")
            out.append(
                Item(
                    key=str(entry["key"]),
                    title=Text.parse(entry.get("title"), f"{where} title"),
                    body=Text.parse(entry.get("body"), f"{where} body"),
                    may=tuple(entry.get("may") or ()),
                    purpose=entry.get("purpose"),
                    weight=float(entry["weight"]) if entry.get("weight") is not None else None,
                )
            )
        return tuple(out)

    @cache  # noqa: B019
    def meeting_types(self) -> dict[str, MeetingType]:
        """The meeting templates of ``data/meetings/`` in programme order."""
        found = [parse_meeting_type(_read(p), p.name)
                 for p in sorted((self.root / "meetings").glob("*.yaml"))]
        found.sort(key=lambda m: (m.order, m.key))
        return {m.key: m for m in found}

    def meeting_type(self, key: str) -> MeetingType:
        try:
            return self.meeting_types()[key]
        except KeyError:
            raise LibraryError(f"no meeting type named {key!r} in {self.root}") from None

    @cache  # noqa: B019
    def surveys(self) -> dict[str, SurveyForm]:
        """The survey forms of ``data/surveys/``."""
        found = [parse_survey(_read(p), p.name) for p in sorted((self.root / "surveys").glob("*.yaml"))]
        return {f.key: f for f in found}

    def survey(self, key: str) -> SurveyForm:
        try:
            return self.surveys()[key]
        except KeyError:
            raise LibraryError(f"no survey named {key!r} in {self.root}") from None

    def item(self, name: str, key: str) -> Item:
        for entry in self.items(name):
            if entry.key == key:
                return entry
        raise LibraryError(f"{name}: no entry {key!r}")


@cache
def default_library() -> Library:
    return Library(DATA_DIR)
