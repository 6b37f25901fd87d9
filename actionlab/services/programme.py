"""Where the programme stands in the six stages (data/method/stages.yaml), read from what
happened: the dates of each stage, its status and what it produced.

Each stage's dates come from its own traces in the store:

* ``topic``: cards of the stage-1 canvases (topic choice);
* ``teams``: members joining (or imported from the roster);
* ``learning``: meetings held whose template belongs to stage 3 (kickoff, first workshop,
  group follow-up, whole-class workshop; a meeting of an unknown kind counts here too) and
  cards of the stage-3 canvases;
* ``decision``: decision meetings held and the decisions taken;
* ``tracking``: action status changes after the first proposal was adopted;
* ``consolidation``: lessons filed under this stage and the cases written up.

The facilitator may plan dates per stage, mark a stage as the current one (otherwise the
latest stage with activity is current) and note cases (案例) under stage 6. All of it lives in
``workshop.options["programme"]``::

    {"current": "tracking" | None,
     "<stage>": {"start": "YYYY-MM-DD" | None, "end": "YYYY-MM-DD" | None},
     "consolidation": {…, "cases": [{"text": "…", "at": "YYYY-MM-DDTHH:MM:SS"}]}}
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING

from ..clock import utcnow
from ..errors import InvalidInput
from ..i18n import N_, translator
from ..library import Library
from ..text import line_text
from .access import FACILITATOR
from .decisions import ADOPT, REJECT, REVISE
from .progress import ACTIONS, due_date, status_of
from .progress import DONE as ACTION_DONE
from .reflection import ReflectionService

if TYPE_CHECKING:
    from ..db.models import Card, Decision, Meeting, Workshop
    from ..store import Store

OPTION = "programme"
DONE, CURRENT, UPCOMING = "done", "current", "upcoming"
STATUS_TITLES = {DONE: N_("done"), CURRENT: N_("current"), UPCOMING: N_("upcoming")}
OUTCOME_TITLES = {ADOPT: N_("Adopted"), REVISE: N_("To be revised"), REJECT: N_("Rejected")}
#: The stage a meeting of an unknown kind belongs to.
DEFAULT_MEETING_STAGE = "learning"
#: Longest case note.
CASE_LIMIT = 500


def local_day(value: datetime | date | None) -> date | None:
    """A stored UTC time as the local calendar day (a date stays as it is)."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    return value.replace(tzinfo=timezone.utc).astimezone().date()


def parse_day(value, message: str = N_("Write the date as YYYY-MM-DD.")) -> date | None:
    """A date from a date, a datetime or an ISO text; None for nothing."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(message) from None


@dataclass(frozen=True)
class StageView:
    """One of the six stages as the programme view shows it."""

    key: str
    number: int  # 1–6
    title: str  # in the language asked for
    status: str  # done | current | upcoming
    start: date | None  # first activity
    end: date | None  # last activity
    planned_start: date | None
    planned_end: date | None
    produced: tuple[str, ...]  # short lines in the language asked for; may hold typed text
    active: bool  # something happened in this stage
    chosen: bool = False  # the facilitator set this stage as the current one


@dataclass(frozen=True)
class Case:
    text: str
    at: datetime | None


class _Facts:
    """Everything the view reads, read once."""

    def __init__(self, store: Store, library: Library, workshop: Workshop):
        wid = workshop.id
        self.workshop = workshop
        self.groups = store.find_groups(wid)
        self.members = store.find_members(wid)
        self.cards = store.find_cards(wid)
        self.meetings = store.find_meetings(wid)
        self.decisions = store.find_decisions(wid)
        self.updates = store.find_action_updates(wid)
        self.reports = store.find_progress_reports(wid)
        self.reflections = store.find_reflections(wid)
        self.lessons = store.find_lessons(wid)
        keys = [s.key for s in library.items("stages")]
        #: canvas key → the stage its work belongs to (a canvas names its stage by number)
        self.canvas_stage = {key: keys[c.stage - 1] for key, c in library.canvases().items()
                             if isinstance(c.stage, int) and 1 <= c.stage <= len(keys)}


class ProgrammeService:
    def __init__(self, store: Store, library: Library):
        self.store = store
        self.library = library
        self._meetings = ReflectionService(store, library)

    # -- the stages ----------------------------------------------------------------------
    def stages(self):
        return self.library.items("stages")

    def stage_keys(self) -> list[str]:
        return [s.key for s in self.stages()]

    def meeting_stage(self, meeting: Meeting) -> str:
        """The stage a meeting belongs to: its template's; an unknown kind counts as stage 3."""
        stage = self._meetings.stage_of(meeting)
        return stage if stage in self.stage_keys() else DEFAULT_MEETING_STAGE

    # -- the facilitator's settings ------------------------------------------------------
    @staticmethod
    def settings(workshop: Workshop) -> dict:
        return dict((workshop.options or {}).get(OPTION) or {})

    def current_override(self, workshop: Workshop) -> str | None:
        key = self.settings(workshop).get("current")
        return key if key in self.stage_keys() else None

    def planned(self, workshop: Workshop, stage_key: str) -> tuple[date | None, date | None]:
        raw = self.settings(workshop).get(stage_key) or {}
        out = []
        for name in ("start", "end"):
            try:
                out.append(parse_day(raw.get(name)))
            except InvalidInput:
                out.append(None)
        return out[0], out[1]

    def cases(self, workshop: Workshop) -> list[Case]:
        raw = (self.settings(workshop).get("consolidation") or {}).get("cases") or []
        out = []
        for item in raw:
            if isinstance(item, dict) and item.get("text"):
                try:
                    at = datetime.fromisoformat(str(item.get("at"))) if item.get("at") else None
                except ValueError:
                    at = None
                out.append(Case(str(item["text"]), at))
        return out

    def _check_stage(self, stage_key: str | None) -> str:
        if stage_key not in self.stage_keys():
            raise InvalidInput(N_("Choose one of the six stages."))
        return stage_key

    def _stage_options(self, workshop: Workshop, stage_key: str) -> tuple[Workshop, dict]:
        fresh = self.store.find_workshop_by_id(workshop.id)
        return fresh, dict(self.settings(fresh).get(stage_key) or {})

    def set_dates(self, workshop: Workshop, stage_key: str, start=None, end=None) -> Workshop:
        """Plan a stage from ``start`` to ``end`` (dates or ISO texts; None clears one)."""
        stage_key = self._check_stage(stage_key)
        start, end = parse_day(start), parse_day(end)
        if start and end and end < start:
            raise InvalidInput(N_("A stage cannot end before it starts."))
        fresh, value = self._stage_options(workshop, stage_key)
        value.update(start=start.isoformat() if start else None,
                     end=end.isoformat() if end else None)
        return self.store.update_workshop_options(FACILITATOR, fresh.id, (OPTION, stage_key), value)

    def set_current(self, workshop: Workshop, stage_key: str | None) -> Workshop:
        """Mark ``stage_key`` as where the programme stands; None follows the activity again."""
        if stage_key is not None:
            self._check_stage(stage_key)
        return self.store.update_workshop_options(FACILITATOR, workshop.id, (OPTION, "current"),
                                                  stage_key)

    def add_case(self, workshop: Workshop, text: str) -> Workshop:
        """Note a case (案例): a proven solution written up to be shared (stage 6)."""
        text = line_text(text)
        if not text:
            raise InvalidInput(N_("Write the case first."))
        if len(text) > CASE_LIMIT:
            raise InvalidInput(N_("The text is too long (at most {n} characters)."), n=CASE_LIMIT)
        fresh, value = self._stage_options(workshop, "consolidation")
        value["cases"] = [*(value.get("cases") or []),
                          {"text": text, "at": utcnow().isoformat(timespec="seconds")}]
        return self.store.update_workshop_options(FACILITATOR, fresh.id, (OPTION, "consolidation"),
                                                  value)

    def remove_case(self, workshop: Workshop, index: int) -> Workshop:
        fresh, value = self._stage_options(workshop, "consolidation")
        cases = list(value.get("cases") or [])
        if not 0 <= index < len(cases):
            raise InvalidInput(N_("That case is no longer there."))
        del cases[index]
        value["cases"] = cases
        return self.store.update_workshop_options(FACILITATOR, fresh.id, (OPTION, "consolidation"),
                                                  value)

    # -- the view ------------------------------------------------------------------------
    def view(self, workshop: Workshop, today: date | None = None,
             lang: str | None = None) -> list[StageView]:
        """The six stages with their dates, status and what each produced (texts in ``lang``,
        the workshop's language by default)."""
        today = today or date.today()
        lang = lang or workshop.lang
        _ = translator(lang)
        facts = _Facts(self.store, self.library, workshop)
        days = self._days(facts)
        produced = self._produced(facts, today, lang, _)
        stages = self.stages()
        keys = [s.key for s in stages]
        planned = {k: self.planned(workshop, k) for k in keys}
        chosen = self.current_override(workshop)
        current = self._current(keys, days, planned, chosen, today)
        out = []
        for number, stage in enumerate(stages, start=1):
            mine = days.get(stage.key) or []
            index = keys.index(stage.key)
            status = DONE if index < current else CURRENT if index == current else UPCOMING
            out.append(StageView(
                key=stage.key, number=number, title=stage.title(lang), status=status,
                start=min(mine) if mine else None, end=max(mine) if mine else None,
                planned_start=planned[stage.key][0], planned_end=planned[stage.key][1],
                produced=tuple(produced.get(stage.key, ())), active=bool(mine),
                chosen=stage.key == chosen))
        return out

    @staticmethod
    def _current(keys, days, planned, chosen, today) -> int:
        """The facilitator's choice, else the latest stage with activity, else the latest
        whose planned start has come, else the first."""
        if chosen:
            return keys.index(chosen)
        active = [i for i, k in enumerate(keys) if days.get(k)]
        if active:
            return active[-1]
        begun = [i for i, k in enumerate(keys) if planned[k][0] and planned[k][0] <= today]
        return begun[-1] if begun else 0

    def _days(self, facts: _Facts) -> dict[str, list[date]]:
        """The days on which something happened in each stage."""
        days: dict[str, list[date]] = {}
        keys = self.stage_keys()

        def note(stage: str, value) -> None:
            day = local_day(value)
            if day is not None and stage in keys:
                days.setdefault(stage, []).append(day)

        for card in facts.cards:
            if card.canvas in facts.canvas_stage:
                note(facts.canvas_stage[card.canvas], card.created_at)
        for member in facts.members:
            note("teams", member.joined_at)
        for meeting in facts.meetings:
            if meeting.started_at is not None:
                note(self.meeting_stage(meeting), meeting.held_on or meeting.started_at)
        for decision in facts.decisions:
            note("decision", decision.at)
        adopted = _first_adoption(facts.decisions)
        if adopted is not None:
            for update in facts.updates:
                if update.at > adopted:
                    note("tracking", update.at)
        for lesson in facts.lessons:
            if lesson.stage == "consolidation":
                note("consolidation", lesson.at)
        for case in self.cases(facts.workshop):
            note("consolidation", case.at)
        return days

    def _produced(self, facts: _Facts, today: date, lang: str, _) -> dict[str, list[str]]:
        group_names = {g.id: g.name for g in facts.groups}
        out: dict[str, list[str]] = {k: [] for k in self.stage_keys()}
        out["topic"] = _topic_lines(facts.cards, _)
        out["teams"] = _team_lines(facts, _)
        out["learning"] = self._learning_lines(facts, _)
        out["decision"] = self._decision_lines(facts, group_names, _)
        out["tracking"] = _tracking_lines(facts, today, _)
        out["consolidation"] = [_("Case: {text}", text=c.text) for c in self.cases(facts.workshop)]
        lessons = Counter(lesson.stage for lesson in facts.lessons)
        for key, lines in out.items():
            if lessons.get(key):
                lines.append(_("Lessons learned: {n}", n=lessons[key]))
        return out

    def _learning_lines(self, facts: _Facts, _) -> list[str]:
        mine = [m for m in facts.meetings if self.meeting_stage(m) == "learning"]
        held = sum(1 for m in mine if m.started_at is not None)
        lines = []
        if held:
            lines.append(_("Meetings held: {n}", n=held))
        if len(mine) > held:
            lines.append(_("Meetings planned: {n}", n=len(mine) - held))
        cards = sum(1 for c in facts.cards if facts.canvas_stage.get(c.canvas) == "learning")
        if cards:
            lines.append(_("Cards on the canvases: {n}", n=cards))
        if facts.reports:
            lines.append(_("Progress reports: {n}", n=len(facts.reports)))
        if facts.reflections:
            lines.append(_("Reflections: {n}", n=len(facts.reflections)))
        return lines

    def _decision_lines(self, facts: _Facts, group_names: dict, _) -> list[str]:
        held = sum(1 for m in facts.meetings
                   if m.started_at is not None and self.meeting_stage(m) == "decision")
        lines = [_("Decision meetings held: {n}", n=held)] if held else []
        latest = _latest(facts.decisions)
        for outcome, title in OUTCOME_TITLES.items():
            groups = [group_names.get(g, "?") for g, d in latest.items() if d.outcome == outcome]
            if groups:
                lines.append(_("{outcome} ({n}): {groups}", outcome=_(title), n=len(groups),
                               groups=" · ".join(groups)))
        return lines


def _latest(decisions: list[Decision]) -> dict[int, Decision]:
    """Each group's latest decision (a revised proposal may be decided again)."""
    return {d.group_id: d for d in decisions}  # oldest first, so the last one stays


def _first_adoption(decisions: list[Decision]) -> datetime | None:
    times = [d.at for d in decisions if d.outcome == ADOPT]
    return min(times) if times else None


def _topic_lines(cards: list[Card], _) -> list[str]:
    topic = [c for c in cards if c.canvas == "topic"]
    candidates = [c for c in topic if c.column == "candidates"]
    subtopics = [c for c in topic if c.column == "subtopics"]
    lines = [_("Chosen topic: {text}", text=text)
             for text in dict.fromkeys(c.text for c in candidates if c.decided)]
    if candidates:
        lines.append(_("Candidate topics: {n}", n=len(candidates)))
    if subtopics:
        lines.append(_("Sub-topics ({n}): {names}", n=len(subtopics),
                       names=" · ".join(c.text for c in subtopics)))
    return lines


def _team_lines(facts: _Facts, _) -> list[str]:
    if not facts.members:
        return []
    sizes = Counter(m.group_id for m in facts.members)
    lines = [_("{groups} groups, {members} members", groups=len(facts.groups),
               members=len(facts.members))]
    lines += [_("{group}: {n} members", group=g.name, n=sizes.get(g.id, 0)) for g in facts.groups]
    return lines


def _tracking_lines(facts: _Facts, today: date, _) -> list[str]:
    """Actions of the groups whose proposal stands adopted: done, open, overdue."""
    adopted = {g for g, d in _latest(facts.decisions).items() if d.outcome == ADOPT}
    if not adopted:
        return []
    actions = [c for c in facts.cards
               if c.canvas == ACTIONS and c.column == ACTIONS and c.group_id in adopted]
    done = [c for c in actions if status_of(c) == ACTION_DONE]
    open_ = [c for c in actions if status_of(c) != ACTION_DONE]
    overdue = [c for c in open_ if (due_date(c) or date.max) < today]
    first = _first_adoption(facts.decisions)
    updates = sum(1 for u in facts.updates if first is not None and u.at > first)
    return [_("Actions done: {n}", n=len(done)), _("Actions open: {n}", n=len(open_)),
            _("Actions overdue: {n}", n=len(overdue)), _("Status updates: {n}", n=updates)]


