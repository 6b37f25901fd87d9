"""The review at the end of a meeting (回顾小结) and the lessons-learned log.

Each member rates the meeting and their own part (1–5) and suggests one improvement; a lesson
learned may go with it. Lessons are filed under a stage of the programme, so the log reads
stage by stage ("every meeting keeps a record, above all the lessons learned").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import mean
from typing import TYPE_CHECKING

from ..errors import InvalidInput, LibraryError, NotFound
from ..i18n import N_
from ..library import Library
from .access import FACILITATOR, member_actor
from .progress import clean_text
from .roomstate import room_state

if TYPE_CHECKING:
    from ..db.models import Lesson, Meeting, Member, Reflection, Workshop
    from ..store import Store

LOW, HIGH = 1, 5


@dataclass
class ReflectionSummary:
    """How a meeting went, by the reviews given."""

    count: int = 0
    quality: float | None = None
    own_part: float | None = None
    by_group: dict[int | None, tuple[int, float, float]] = field(default_factory=dict)
    improvements: list[tuple[int, str]] = field(default_factory=list)  # (member id, text)


_TRAILING = "。.!！;；,，、 "


def same_together(texts) -> list[tuple[str, int]]:
    """Suggestions said in the same words, once each with how many gave them: most often
    given first, then in the order they came. Case, runs of spaces and the closing
    punctuation do not make two suggestions different; the first wording is kept."""
    counts: dict[str, list] = {}
    for text in texts:
        shown = " ".join(str(text).split())
        key = shown.rstrip(_TRAILING).casefold()
        if not key:
            continue
        if key in counts:
            counts[key][1] += 1
        else:
            counts[key] = [shown, 1]
    ranked = sorted(enumerate(counts.values()), key=lambda item: (-item[1][1], item[0]))
    return [(shown, n) for _i, (shown, n) in ranked]


def summarise(reflections: list[Reflection]) -> ReflectionSummary:
    out = ReflectionSummary(count=len(reflections))
    if not reflections:
        return out
    out.quality = round(mean(r.quality for r in reflections), 2)
    out.own_part = round(mean(r.own_part for r in reflections), 2)
    groups: dict[int | None, list[Reflection]] = {}
    for r in reflections:
        groups.setdefault(r.group_id, []).append(r)
    out.by_group = {g: (len(rs), round(mean(r.quality for r in rs), 2),
                        round(mean(r.own_part for r in rs), 2)) for g, rs in groups.items()}
    out.improvements = [(r.member_id, r.improvement) for r in reflections if r.improvement]
    return out


def _rating(value) -> int:
    try:
        value = int(value)
    except (TypeError, ValueError):
        value = 0
    if not LOW <= value <= HIGH:
        raise InvalidInput(N_("Give a rating from {low} to {high}."), low=LOW, high=HIGH)
    return value


class ReflectionService:
    def __init__(self, store: Store, library: Library):
        self.store = store
        self.library = library

    def stage_of(self, meeting: Meeting | None) -> str:
        """The programme stage a meeting belongs to (its template says; else stage 3)."""
        if meeting is None:
            return "learning"
        try:
            return self.library.meeting_type(meeting.kind).stage
        except LibraryError:
            return "learning"

    def _running(self, workshop: Workshop) -> Meeting:
        meeting_id = room_state(self.store.find_workshop_by_id(workshop.id)).meeting_id
        if not meeting_id:
            raise InvalidInput(N_("The review is given at a meeting: wait until the facilitator starts one."))
        return self.store.find_meeting(meeting_id)

    def reflect(self, workshop: Workshop, member: Member, *, quality, own_part,
                improvement: str, lesson: str = "") -> Reflection:
        meeting = self._running(workshop)
        quality, own_part = _rating(quality), _rating(own_part)
        improvement, lesson = clean_text(improvement), clean_text(lesson)
        if not improvement:
            raise InvalidInput(N_("Suggest one thing to do better next time."))
        row = self.store.set_reflection(member_actor(member.id), workshop_id=workshop.id,
                                        meeting_id=meeting.id, group_id=member.group_id,
                                        member_id=member.id, quality=quality, own_part=own_part,
                                        improvement=improvement)
        if lesson:
            self.store.add_lesson(member_actor(member.id), workshop_id=workshop.id,
                                  stage=self.stage_of(meeting), text=lesson,
                                  group_id=member.group_id, meeting_id=meeting.id,
                                  member_id=member.id, author=member.name)
        return row

    def my_reflection(self, workshop: Workshop, member: Member) -> Reflection | None:
        meeting_id = room_state(workshop).meeting_id
        if not meeting_id:
            return None
        return next((r for r in self.store.find_reflections(workshop.id, meeting_id=meeting_id)
                     if r.member_id == member.id), None)

    def reflections(self, workshop: Workshop, meeting_id: int | None = None) -> list[Reflection]:
        return self.store.find_reflections(workshop.id, meeting_id=meeting_id)

    def summary(self, workshop: Workshop, meeting_id: int) -> ReflectionSummary:
        return summarise(self.reflections(workshop, meeting_id))

    # -- the lessons log -----------------------------------------------------------------
    def stages(self):
        return self.library.items("stages")

    def add_lesson(self, workshop: Workshop, stage: str, text: str, *,
                   group_id: int | None = None, member: Member | None = None) -> Lesson:
        if stage not in {s.key for s in self.stages()}:
            raise InvalidInput(N_("Choose a stage."))
        text = clean_text(text)
        if not text:
            raise InvalidInput(N_("Write the lesson first."))
        if member is not None and group_id not in (None, member.group_id):
            raise InvalidInput(N_("You can add lessons only for your own group."))
        meeting_id = room_state(self.store.find_workshop_by_id(workshop.id)).meeting_id
        actor = member_actor(member.id) if member else FACILITATOR
        return self.store.add_lesson(actor, workshop_id=workshop.id, stage=stage, text=text,
                                     group_id=member.group_id if member else group_id,
                                     meeting_id=meeting_id or None,
                                     member_id=member.id if member else None,
                                     author=member.name if member else "")

    def remove_lesson(self, workshop: Workshop, lesson_id: int) -> None:
        lesson = next((x for x in self.lessons(workshop) if x.id == lesson_id), None)
        if lesson is None:
            raise NotFound(f"no lesson #{lesson_id}")
        self.store.remove_lesson(FACILITATOR, lesson_id)

    def lessons(self, workshop: Workshop, stage: str | None = None,
                group_id: int | None = None) -> list[Lesson]:
        return self.store.find_lessons(workshop.id, stage=stage, group_id=group_id)
