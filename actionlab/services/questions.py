"""The facilitator's questions (step 10, 见缝插针): a library by purpose, pushing a question
to one group or the room, the question log, and question-first mode."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..clock import utcnow
from ..errors import InvalidInput
from ..i18n import N_
from ..library import Item
from ..storetypes import NewRow, RoomEdit
from ..text import line_text
from .access import FACILITATOR
from .room import RoomWriter
from .roomstate import ALL

if TYPE_CHECKING:
    from ..db.models import QuestionAsked, Workshop

PURPOSES = {
    "clarify": N_("Clarify the problem"),
    "team": N_("Work better as a team"),
    "apply": N_("Apply what was learned"),
}
MAX_QUESTION = 300


class QuestionService(RoomWriter):
    def library_questions(self, purpose: str | None = None) -> list[Item]:
        return [q for q in self.library.items("questions")
                if purpose is None or q.purpose == purpose]

    def push(self, workshop: Workshop, *, key: str | None = None, text: str | None = None,
             group_id: int | None = None, lang: str | None = None) -> Workshop:
        """Put a question from the library (``key``) or typed (``text``) to a group or all."""
        purpose = None
        if key:
            item = next((q for q in self.library_questions() if q.key == key), None)
            if item is None:
                raise InvalidInput(N_("Choose a question."))
            text, purpose = item.title(lang or workshop.lang), item.purpose
        text = line_text(text)
        if not text:
            raise InvalidInput(N_("Choose a question or type one."))
        if len(text) > MAX_QUESTION:
            raise InvalidInput(N_("A question holds at most {n} characters."), n=MAX_QUESTION)
        if group_id is not None and group_id not in {g.id for g in self.store.find_groups(workshop.id)}:
            raise InvalidInput(N_("Choose your group."))

        def mutate(room: dict) -> RoomEdit:
            seq = int(room.get("question_seq") or 0) + 1
            room["question_seq"] = seq
            target = ALL if group_id is None else str(group_id)
            questions = room.setdefault("questions", {})
            if group_id is None:  # a question to the room replaces the groups' questions
                questions.clear()
            questions[target] = {"id": seq, "text": text, "purpose": purpose}
            row = NewRow("QuestionAsked", dict(
                workshop_id=workshop.id, meeting_id=room.get("meeting"), group_id=group_id,
                question_key=key or None, purpose=purpose, text=text, asked_by=FACILITATOR,
                at=utcnow()))
            return RoomEdit({"text": text, "key": key, "purpose": purpose}, [row])

        return self._write(workshop, "question.push", mutate, group_id=group_id)

    def clear(self, workshop: Workshop, group_id: int | None = None) -> Workshop:
        """Take the question down (for one group, or every question in the room)."""
        def mutate(room: dict) -> RoomEdit:
            questions = room.setdefault("questions", {})
            if group_id is None:
                questions.clear()
            else:
                questions.pop(str(group_id), None)
            return RoomEdit({})

        return self._write(workshop, "question.clear", mutate, group_id=group_id)

    def log(self, workshop: Workshop) -> list[QuestionAsked]:
        return self.store.find_questions_asked(workshop.id)

    def set_question_first(self, workshop: Workshop, on: bool,
                           group_id: int | None = None) -> Workshop:
        """Questions only (``on``) or statements open, for the room or one group."""
        def mutate(room: dict) -> RoomEdit:
            node = room.setdefault("question_first", {})
            if group_id is None:
                node.clear()
                node[ALL] = bool(on)
            else:
                node[str(group_id)] = bool(on)
            return RoomEdit({"on": bool(on)})

        return self._write(workshop, "room.question_first", mutate, group_id=group_id)
