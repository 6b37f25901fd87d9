"""Evaluation (考核评估): surveys answered on the participants' devices, and the member
assessment with its editable weights.

Plain Python, no pandas: the arithmetic is in small pure functions (``share_satisfied``,
``flag_groups``, ``weighted_total``, ``normalise``) that the services and the tests share.

Room document: ``{"survey": key | None}`` is the survey open on the devices.
Workshop options: ``{"evaluation": {"flag_gap": 0.10}, "assessment": {"weights": {key: w}}}``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import InvalidInput, NotFound
from ..i18n import N_
from ..library import Item, Library, LibraryError, SurveyForm, SurveyQuestion
from ..storetypes import RoomEdit
from ..text import block_text
from .access import FACILITATOR, member_actor
from .room import RoomWriter
from .teams import NON_MEMBER_ROLES, TeamsService

if TYPE_CHECKING:
    from ..db.models import Member, Workshop
    from ..store import Store

#: A breakdown entry this far (as a share, 0.10 = 10 points) or more below the overall share
#: of "satisfied or above" is flagged. A workshop may set its own in its options.
FLAG_GAP = 0.10
MAX_TEXT = 2000
NOT_GIVEN = "—"  # the breakdown entry of people whose attribute is empty
SCORE_LOW, SCORE_HIGH = 0.0, 100.0


# -- arithmetic -------------------------------------------------------------------------------
def share_satisfied(values: Iterable[int], satisfied_from: int) -> float | None:
    """The share (0–1) of ``values`` at ``satisfied_from`` or above; None without values."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return sum(1 for v in values if v >= satisfied_from) / len(values)


def flag_groups(shares: Mapping[str, float | None], overall: float | None,
                gap: float = FLAG_GAP) -> list[str]:
    """Entries of ``shares`` at least ``gap`` below ``overall`` (70 % against 88 % with a gap
    of 0.10), in the order given. Entries without answers are never flagged."""
    if overall is None:
        return []
    return [key for key, share in shares.items()
            if share is not None and overall - share >= gap - 1e-9]


def normalise(weights: Mapping[str, float]) -> dict[str, float]:
    """Each weight as its share of the sum (they need not add up to 100)."""
    total = sum(weights.values())
    if total <= 0:
        return {key: 0.0 for key in weights}
    return {key: value / total for key, value in weights.items()}


def weighted_total(scores: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """The weighted total (0–100) of the component scores, each weight taken as its share
    of the sum of weights. A missing score of a component that carries weight makes the total
    missing (None): it is never counted as 0."""
    shares = normalise(weights)
    if not any(shares.values()):
        return None
    total = 0.0
    for key, share in shares.items():
        if not share:
            continue
        score = scores.get(key)
        if score is None:
            return None
        total += share * float(score)
    return round(total, 2)


def ranks(totals: Mapping[int, float | None]) -> dict[int, int | None]:
    """Rank 1 for the highest total; equal totals share a rank (1, 1, 3); no total, no rank."""
    present = sorted((t for t in totals.values() if t is not None), reverse=True)
    return {key: (present.index(t) + 1 if t is not None else None) for key, t in totals.items()}


# -- surveys ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Share:
    """How many answers were at "satisfied" or above out of how many."""

    satisfied: int = 0
    answered: int = 0

    @property
    def share(self) -> float | None:
        return self.satisfied / self.answered if self.answered else None

    def __add__(self, other: Share) -> Share:
        return Share(self.satisfied + other.satisfied, self.answered + other.answered)


@dataclass
class QuestionResult:
    question: SurveyQuestion
    overall: Share = field(default_factory=Share)  # likert
    by: dict[str, Share] = field(default_factory=dict)  # likert, per breakdown entry
    flagged: list[str] = field(default_factory=list)  # likert
    counts: dict[str, int] = field(default_factory=dict)  # choice: option key → answers
    counts_by: dict[str, dict[str, int]] = field(default_factory=dict)  # choice, per entry
    texts: list[str] = field(default_factory=list)  # text answers, without names

    @property
    def answered(self) -> int:
        return self.overall.answered if self.question.type == "likert" else (
            sum(self.counts.values()) if self.question.type == "choice" else len(self.texts))


@dataclass
class SurveyResults:
    survey: SurveyForm
    by: str  # "group" or a member attribute (level, unit, department …)
    entries: list[str]  # breakdown entries in display order
    respondents: int  # people who answered at least one question
    respondents_by: dict[str, int]
    invited: int  # members of the workshop
    gap: float
    overall: Share  # every Likert answer of the survey
    overall_by: dict[str, Share]
    flagged: list[str]  # entries flagged on all Likert questions together
    questions: list[QuestionResult]

    def question(self, key: str) -> QuestionResult:
        return next(q for q in self.questions if q.question.key == key)

    @property
    def has_likert(self) -> bool:
        return any(q.question.type == "likert" for q in self.questions)


def survey_gap(workshop: Workshop) -> float:
    raw = ((workshop.options or {}).get("evaluation") or {}).get("flag_gap")
    try:
        gap = float(raw)
    except (TypeError, ValueError):
        return FLAG_GAP
    return gap if 0 < gap < 1 else FLAG_GAP


def _as_int(value) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() else None


class SurveyService(RoomWriter):
    # -- which survey is open ----------------------------------------------------------------
    def surveys(self) -> list[SurveyForm]:
        return list(self.library.surveys().values())

    def form(self, key: str) -> SurveyForm:
        try:
            return self.library.survey(str(key))
        except LibraryError:
            raise InvalidInput(N_("There is no such survey.")) from None

    def open(self, workshop: Workshop, survey_key: str) -> Workshop:
        """Put the survey on every participant's device (the facilitator)."""
        form = self.form(survey_key)

        def mutate(room: dict) -> RoomEdit:
            before = room.get("survey")
            room["survey"] = form.key
            return RoomEdit({"survey": form.key, "before": before})

        return self._write(workshop, "survey.open", mutate)

    def close(self, workshop: Workshop) -> Workshop:
        """Take the survey off the devices; answers are kept."""
        def mutate(room: dict) -> RoomEdit:
            before = room.get("survey")
            room["survey"] = None
            return RoomEdit({"survey": None, "before": before})

        return self._write(workshop, "survey.close", mutate)

    def open_key(self, workshop: Workshop) -> str | None:
        return (workshop.room or {}).get("survey") or None

    def open_survey(self, workshop: Workshop) -> SurveyForm | None:
        """The survey open on the devices, as the page's copy of the workshop says."""
        key = self.open_key(workshop)
        if not key:
            return None
        try:
            return self.library.survey(key)
        except LibraryError:
            return None  # a form removed from the library

    # -- answering ---------------------------------------------------------------------------
    def _clean(self, form: SurveyForm, answers: Mapping[str, object],
               lang: str) -> dict[str, tuple[int | None, str | None]]:
        known = {q.key for q in form.questions}
        unknown = sorted(set(answers) - known)
        if unknown:
            raise InvalidInput(N_("This survey has no question {key}."), key=", ".join(unknown))
        out: dict[str, tuple[int | None, str | None]] = {}
        missing = []
        for q in form.questions:
            raw = answers.get(q.key)
            title = q.title(lang)
            value: int | None = None
            text: str | None = None
            if q.type == "text":
                text = block_text(raw or "") or None
                if text is not None and len(text) > MAX_TEXT:
                    raise InvalidInput(N_("The answer to “{question}” is too long (at most {n} characters)."),
                                       question=title, n=MAX_TEXT)
            elif raw is not None and raw != "":
                if q.type == "likert":
                    value = _as_int(raw)
                    if value is None or not 1 <= value <= len(form.scale):
                        raise InvalidInput(N_("Choose one of the answers for “{question}”."),
                                           question=title)
                else:
                    keys = [o.key for o in q.options]
                    if str(raw) not in keys:
                        raise InvalidInput(N_("Choose one of the answers for “{question}”."),
                                           question=title)
                    value = keys.index(str(raw)) + 1
            if value is None and text is None and q.required:
                missing.append(title)
            out[q.key] = (value, text)
        if missing:
            raise InvalidInput(N_("Please answer: {questions}. Nothing has been sent yet, and what you chose is still there."),
                               questions="; ".join(missing))
        return out

    def answer(self, workshop: Workshop, member: Member, survey_key: str,
               answers: Mapping[str, object]) -> int:
        """Store a member's answers to the open survey, replacing their earlier ones.
        ``answers``: likert → scale position (1 = lowest), choice → option key, text → str.
        Nothing is written when any answer is refused."""
        workshop = self.fresh(workshop)
        if self.open_key(workshop) != survey_key:
            raise InvalidInput(N_("This survey is closed. Your answers were not sent."))
        form = self.form(survey_key)
        try:
            member = self.store.find_member(member.id)
        except NotFound:
            raise InvalidInput(N_("You are not on the list of this workshop any more.")) from None
        if member.workshop_id != workshop.id:
            raise InvalidInput(N_("You are not on the list of this workshop any more."))
        clean = self._clean(form, answers, workshop.lang)
        return self.store.set_survey_answers(member_actor(member.id), workshop_id=workshop.id,
                                             survey=form.key, member_id=member.id,
                                             group_id=member.group_id, answers=clean)

    def my_answers(self, workshop: Workshop, member: Member, survey: SurveyForm | str) -> dict:
        """The member's stored answers in the form :meth:`answer` takes."""
        form = survey if isinstance(survey, SurveyForm) else self.form(survey)
        questions = {q.key: q for q in form.questions}
        out: dict[str, object] = {}
        for row in self.store.find_survey_answers(workshop.id, survey=form.key, member_id=member.id):
            q = questions.get(row.question)
            if q is None:
                continue
            if q.type == "text" and row.text:
                out[q.key] = row.text
            elif q.type == "likert" and row.value is not None:
                out[q.key] = int(row.value)
            elif q.type == "choice" and row.value is not None and 1 <= row.value <= len(q.options):
                out[q.key] = q.options[row.value - 1].key
        return out

    # -- results -----------------------------------------------------------------------------
    def flag_gap(self, workshop: Workshop) -> float:
        return survey_gap(workshop)

    def set_flag_gap(self, workshop: Workshop, gap: float) -> Workshop:
        """How far below the overall share an entry is flagged, as a share (0.10 = 10 points)."""
        try:
            gap = float(gap)
        except (TypeError, ValueError):
            gap = -1.0
        if not 0.01 <= gap <= 0.5:
            raise InvalidInput(N_("The gap is between 1 and 50 percentage points."))
        return self.store.update_workshop_options(FACILITATOR, workshop.id,
                                                  ("evaluation", "flag_gap"), round(gap, 4))

    def _answers(self, workshop: Workshop, survey_key: str) -> list:
        """Stored answers that say something (a cleared optional text does not)."""
        return [a for a in self.store.find_survey_answers(workshop.id, survey=survey_key)
                if a.value is not None or a.text]

    def respondents(self, workshop: Workshop, survey_key: str) -> int:
        """How many people have answered the survey."""
        return len({a.member_id for a in self._answers(workshop, survey_key)})

    def results(self, workshop: Workshop, survey_key: str) -> SurveyResults:
        """The roll-up of one survey: "satisfied or above" overall and by ``survey.by``,
        flagged entries, choice counts and the text answers."""
        form = self.form(survey_key)
        workshop = self.fresh(workshop)
        members = {m.id: m for m in self.store.find_members(workshop.id)}
        groups = self.store.find_groups(workshop.id)
        group_names = {g.id: g.name for g in groups}

        def entry_of(row) -> str:
            if form.by == "group":
                gid = row.group_id if row.group_id is not None else getattr(members.get(row.member_id), "group_id", None)
                return group_names.get(gid, NOT_GIVEN)
            value = getattr(members.get(row.member_id), form.by, None)
            return " ".join(str(value).split()) if value not in (None, "") else NOT_GIVEN

        rows = self._answers(workshop, form.key)
        seen = {entry_of(a) for a in rows}
        if form.by == "group":
            entries = [g.name for g in groups if g.name in seen]
        else:
            entries = sorted(e for e in seen if e != NOT_GIVEN)
        entries += [NOT_GIVEN] if NOT_GIVEN in seen and NOT_GIVEN not in entries else []
        gap = survey_gap(workshop)
        results = {q.key: QuestionResult(q) for q in form.questions}
        people: dict[str, set[int]] = {e: set() for e in entries}
        for a in rows:
            entry = entry_of(a)
            people[entry].add(a.member_id)
            result = results.get(a.question)
            if result is None:
                continue
            q = result.question
            if q.type == "likert" and a.value is not None:
                one = Share(int(a.value >= form.satisfied_from), 1)
                result.overall += one
                result.by[entry] = result.by.get(entry, Share()) + one
            elif q.type == "choice" and a.value is not None and 1 <= a.value <= len(q.options):
                key = q.options[a.value - 1].key
                result.counts[key] = result.counts.get(key, 0) + 1
                per = result.counts_by.setdefault(entry, {})
                per[key] = per.get(key, 0) + 1
            elif q.type == "text" and a.text:
                result.texts.append(a.text)
        overall, overall_by = Share(), {}
        for result in results.values():
            if result.question.type != "likert":
                continue
            result.by = {e: result.by[e] for e in entries if e in result.by}
            result.flagged = flag_groups({e: s.share for e, s in result.by.items()},
                                         result.overall.share, gap)
            overall += result.overall
            for e, s in result.by.items():
                overall_by[e] = overall_by.get(e, Share()) + s
        overall_by = {e: overall_by[e] for e in entries if e in overall_by}
        return SurveyResults(
            survey=form, by=form.by, entries=entries,
            respondents=len({a.member_id for a in rows}),
            respondents_by={e: len(ids) for e, ids in people.items()},
            invited=sum(1 for m in members.values() if m.role not in NON_MEMBER_ROLES),
            gap=gap, overall=overall, overall_by=overall_by,
            flagged=flag_groups({e: s.share for e, s in overall_by.items()}, overall.share, gap),
            questions=[results[q.key] for q in form.questions])


# -- member assessment ------------------------------------------------------------------------
@dataclass(frozen=True)
class AssessmentRow:
    member_id: int
    name: str
    group: str | None
    scores: dict[str, float | None]  # component → 0–100, None when not entered
    total: float | None  # None while a weighted component has no score
    rank: int | None

    @property
    def complete(self) -> bool:
        return self.total is not None

    @property
    def missing(self) -> list[str]:
        return [key for key, value in self.scores.items() if value is None]


class AssessmentService:
    """The member assessment: components from ``data/method/assessment.yaml``, scores 0–100
    entered by the facilitator, weights editable per workshop."""

    def __init__(self, store: Store, library: Library):
        self.store = store
        self.library = library
        self.teams = TeamsService(store, library)

    def components(self) -> tuple[Item, ...]:
        return self.library.items("assessment")

    def default_weights(self) -> dict[str, float]:
        return {c.key: float(c.weight if c.weight is not None else 0) for c in self.components()}

    def weights(self, workshop: Workshop) -> dict[str, float]:
        """Component → weight as entered (the library's 40/30/30 unless the workshop set its own)."""
        raw = ((workshop.options or {}).get("assessment") or {}).get("weights") or {}
        out = self.default_weights()
        for key in out:
            try:
                value = float(raw[key])
            except (KeyError, TypeError, ValueError):
                continue
            if math.isfinite(value) and value >= 0:
                out[key] = value
        return out

    def shares(self, workshop: Workshop) -> dict[str, float]:
        """Component → its share of the total (0–1), whatever the weights add up to."""
        return normalise(self.weights(workshop))

    def set_weights(self, workshop: Workshop, weights: Mapping[str, object]) -> Workshop:
        """New weights for every component: numbers of 0 or more, not all 0. Each counts as
        its share of the sum, so they need not add up to 100."""
        keys = [c.key for c in self.components()]
        unknown = sorted(set(weights) - set(keys))
        if unknown:
            raise InvalidInput(N_("The assessment has no part called {key}."), key=", ".join(unknown))
        clean = {}
        for key in keys:
            try:
                value = float(weights.get(key, 0) if weights.get(key, 0) not in (None, "") else 0)
            except (TypeError, ValueError):
                value = -1.0
            if not math.isfinite(value) or value < 0:
                raise InvalidInput(N_("A weight is a number of 0 or more."))
            clean[key] = value
        if not any(clean.values()):
            raise InvalidInput(N_("At least one weight must be more than 0."))
        return self.store.update_workshop_options(FACILITATOR, workshop.id,
                                                  ("assessment", "weights"), clean)

    def set_score(self, workshop: Workshop, member_id: int, component: str,
                  value: float | str | None) -> None:
        """A member's score (0–100) on one component; None or an empty text clears it."""
        if component not in {c.key for c in self.components()}:
            raise InvalidInput(N_("The assessment has no part called {key}."), key=component)
        member = self.teams._member(workshop, member_id)  # one of this workshop's people
        if isinstance(value, str):
            value = value.strip().replace(",", ".") or None
        if value is not None:
            try:
                value = float(value)
            except (TypeError, ValueError):
                value = math.nan
            if not (math.isfinite(value) and SCORE_LOW <= value <= SCORE_HIGH):
                raise InvalidInput(N_("A score is a number from 0 to 100."))
        self.store.set_assessment_score(FACILITATOR, workshop_id=workshop.id, member_id=member.id,
                                        component=component, value=value)

    def table(self, workshop: Workshop) -> list[AssessmentRow]:
        """One row per member (group by group, then by name) with the weighted total and rank.
        A row missing a weighted component has no total and no rank."""
        workshop = self.store.find_workshop_by_id(workshop.id)
        weights = self.weights(workshop)
        keys = list(weights)
        groups = {g.id: g for g in self.store.find_groups(workshop.id)}
        members = [m for m in self.store.find_members(workshop.id) if m.role not in NON_MEMBER_ROLES]
        members.sort(key=lambda m: (groups[m.group_id].number if m.group_id in groups else 99,
                                    m.name.casefold()))
        scores: dict[int, dict[str, float]] = {}
        for row in self.store.find_assessment_scores(workshop.id):
            scores.setdefault(row.member_id, {})[row.component] = row.value
        totals = {}
        for m in members:
            mine = scores.get(m.id, {})
            totals[m.id] = weighted_total({k: mine.get(k) for k in keys}, weights)
        rank = ranks(totals)
        return [AssessmentRow(member_id=m.id, name=m.name,
                              group=groups[m.group_id].name if m.group_id in groups else None,
                              scores={k: scores.get(m.id, {}).get(k) for k in keys},
                              total=totals[m.id], rank=rank[m.id])
                for m in members]


__all__ = ["FLAG_GAP", "AssessmentRow", "AssessmentService", "QuestionResult", "Share",
           "SurveyResults", "SurveyService", "flag_groups", "normalise", "ranks",
           "share_satisfied", "weighted_total"]
