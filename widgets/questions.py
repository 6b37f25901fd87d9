"""The facilitator's questions panel: the library by purpose, pushing a question to one group
or the room, taking it down, question-first mode, and the question log."""

from __future__ import annotations

import ipywidgets as w

from actionlab.services import Workbook
from actionlab.services.live import ChangeBatch
from actionlab.services.questions import PURPOSES

from .common import MessageLine, button, esc, guarded, html_box, local_time, wb_classes
from .roomwatch import RoomWatch


class QuestionsPanel:
    def __init__(self, workbook: Workbook, room: RoomWatch, _):
        self.workbook = workbook
        self.room = room
        self._ = _
        self.lang = room.workshop.lang
        self.message = MessageLine(_)
        groups = workbook.workshops.groups(room.workshop)
        self.purpose = w.ToggleButtons(options=[(_(t), k) for k, t in PURPOSES.items()],
                                       value="clarify", **wb_classes("wb-question-purpose"))
        self.pick = w.Select(options=[], rows=6, layout=w.Layout(width="100%"),
                             **wb_classes("wb-question-pick"))
        self.purpose.observe(lambda _c: self._fill(), names="value")
        self.custom = w.Text(placeholder=_("…or type your own question"),
                             layout=w.Layout(width="100%"), **wb_classes("wb-question-custom"))
        self.target = w.Dropdown(options=[(_("All groups"), 0)] + [(g.name, g.id) for g in groups],
                                 value=0, layout=w.Layout(width="10em"),
                                 **wb_classes("wb-question-target"))
        self.target.observe(lambda _c: self.refresh(), names="value")
        self.push = button(_("Put the question"), "wb-question-push", style="primary")
        self.push.on_click(lambda _b: self._push())
        self.clear = button(_("Take it down"), "wb-question-clear")
        self.clear.on_click(lambda _b: self._act(workbook.questions.clear, (self.target.value or None)))
        self.first = w.ToggleButton(value=False, description=_("Questions first"), layout=w.Layout(width="auto"),
                                    **wb_classes("wb-question-first"))
        self._guard = False
        self.first.observe(self._first_changed, names="value")
        self.log = html_box("", "wb-question-log")
        self.widget = w.VBox([
            html_box(f'<h4>{esc(_("Questions for the groups"))}</h4>'),
            self.purpose, self.pick, self.custom,
            w.HBox([html_box(f'<span class="wb-label">{esc(_("To"))}</span>'), self.target,
                    self.push, self.clear]),
            w.HBox([self.first, html_box(f'<span class="wb-hint">{esc(_("While on, the chosen groups can only add questions."))}</span>')]),
            self.message.widget,
            html_box(f'<h4>{esc(_("Question log"))}</h4>'),
            self.log,
        ], **wb_classes("wb-questions"))
        self._fill()
        self.refresh()

    def _fill(self) -> None:
        items = self.workbook.questions.library_questions(self.purpose.value)
        self.pick.options = [(q.title(self.lang), q.key) for q in items]
        self.pick.value = None

    def _push(self) -> None:
        text = self.custom.value.strip()
        key = None if text else self.pick.value
        done = guarded(self.message, self.workbook.questions.push, self.room.workshop, key=key,
                       text=text or None, group_id=(self.target.value or None), lang=self.lang)
        if done is not None:
            self.custom.value = ""
            self.room.reload()
            self.refresh()

    def _act(self, action, *args) -> None:
        if guarded(self.message, action, self.room.workshop, *args) is not None:
            self.room.reload()
            self.refresh()

    def _first_changed(self, change) -> None:
        if not self._guard:
            self._act(self.workbook.questions.set_question_first, change["new"], (self.target.value or None))

    def refresh(self) -> None:
        _ = self._
        self._guard = True
        try:
            self.first.value = self.room.state.asks_questions_first(self.target.value or None)
        finally:
            self._guard = False
        groups = {g.id: g.name for g in self.workbook.workshops.groups(self.room.workshop)}
        rows = []
        for q in reversed(self.workbook.questions.log(self.room.workshop)):
            to = groups.get(q.group_id, _("All groups")) if q.group_id else _("All groups")
            purpose = _(PURPOSES[q.purpose]) if q.purpose in PURPOSES else ""
            rows.append(f'<tr class="wb-question-row"><td>{esc(local_time(q.at))}</td><td>{esc(to)}</td>'
                        f'<td>{esc(purpose)}</td><td class="wb-question-logged">{esc(q.text)}</td></tr>')
        self.log.value = (f'<table class="wb-question-table">{"".join(rows)}</table>' if rows else
                          f'<div class="wb-empty">{esc(_("No questions put yet."))}</div>')

    def on_changes(self, batch: ChangeBatch) -> None:
        if self.room.on_changes(batch):
            self.refresh()
