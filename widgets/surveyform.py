"""The survey on a participant's phone: shown while the facilitator has a survey open.

Plain widgets, no charts: a participant's page never imports pandas or matplotlib. Answers
stay editable after sending (the form comes back filled in); a refused answer keeps
everything that was chosen or typed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w

from actionlab.library import SurveyForm as SurveyDef
from actionlab.services import Workbook
from actionlab.services.live import ChangeBatch

from .common import HIDDEN, MessageLine, button, esc, guarded, html_box, set_shown, vbox, wb_classes
from .roomwatch import RoomWatch

if TYPE_CHECKING:
    from actionlab.db.models import Member


class SurveyForm:
    def __init__(self, workbook: Workbook, room: RoomWatch, member: Member, _):
        self.workbook = workbook
        self.room = room
        self.member = member
        self._ = _
        self.lang = room.workshop.lang
        self.message = MessageLine(_)
        self.inputs: dict[str, w.Widget] = {}
        self.survey: SurveyDef | None = None
        self.thanks = html_box("", "wb-survey-thanks")
        self.submit = button(_("Send my answers"), "wb-survey-submit", style="primary")
        self.submit.on_click(lambda _b: self._send())
        self.widget = vbox((), "wb-survey-form", HIDDEN)
        self._key: str | None = None
        self.refresh()

    def refresh(self) -> None:
        """Show the open survey (filled in with this person's answers), or nothing."""
        survey = self.workbook.surveys.open_survey(self.room.workshop)
        key = survey.key if survey else None
        if key == self._key:
            return
        self._key, self.survey = key, survey
        self.message.clear()
        if survey is None:
            self.inputs = {}
            self.widget.children = []
            set_shown(self.widget, False)
            return
        self._build(survey)
        set_shown(self.widget, True)

    def _build(self, survey: SurveyDef) -> None:
        lang, _ = self.lang, self._
        mine = self.workbook.surveys.my_answers(self.room.workshop, self.member, survey)
        scale = [(o.title(lang), i + 1) for i, o in enumerate(survey.scale)]
        self.inputs = {}
        rows = []
        for q in survey.questions:
            if q.type == "likert":
                field = w.RadioButtons(options=scale, value=mine.get(q.key),
                                       layout=w.Layout(width="auto"),
                                       **wb_classes("wb-survey-answer-likert"))
            elif q.type == "choice":
                field = w.RadioButtons(options=[(o.title(lang), o.key) for o in q.options],
                                       value=mine.get(q.key), layout=w.Layout(width="auto"),
                                       **wb_classes("wb-survey-answer-choice"))
            else:
                field = w.Textarea(value=str(mine.get(q.key, "")), rows=3,
                                   layout=w.Layout(width="100%"),
                                   **wb_classes("wb-survey-answer-text"))
            self.inputs[q.key] = field
            mark = "" if q.required else f' <span class="wb-hint">{esc(_("optional"))}</span>'
            rows.append(vbox([
                html_box(f'<span class="wb-label">{esc(q.title(lang))}</span>{mark}'), field,
            ], "wb-survey-question", f"wb-survey-question-{q.key}"))
        self._thank(bool(mine))
        self.widget.children = [
            html_box(f'<h3 class="wb-survey-title">{esc(survey.title(lang))}</h3>'
                     f'<p class="wb-survey-intro">{esc(survey.intro(lang))}</p>', "wb-survey-head"),
            *rows, self.submit, self.message.widget, self.thanks,
        ]

    def _thank(self, answered: bool) -> None:
        _ = self._
        self.thanks.value = (
            f'<div class="wb-notice">{esc(_("Thank you! Your answers are saved. You can change them and send again until the survey closes."))}</div>'
            if answered else "")

    def answers(self) -> dict:
        return {key: field.value for key, field in self.inputs.items()}

    def _send(self) -> None:
        if self.survey is None:
            return
        done = guarded(self.message, self.workbook.surveys.answer, self.room.workshop, self.member,
                       self.survey.key, self.answers())
        self._thank(done is not None)  # a refused answer: the error alone, nothing else

    def on_changes(self, batch: ChangeBatch) -> None:
        if self.room.on_changes(batch):
            self.refresh()
