"""The programme view: the six stages side by side, where the programme stands, the dates of
each stage (what happened and what was planned) and what each produced. The facilitator may
mark the current stage, plan dates and note cases (stage 6)."""

from __future__ import annotations

import ipywidgets as w

from actionlab.services import Workbook
from actionlab.services.live import ChangeBatch
from actionlab.services.programme import STATUS_TITLES, ProgrammeService, StageView

from .common import MessageLine, button, esc, guarded, html_box, wb_classes
from .roomwatch import RoomWatch

#: Entities whose changes can move a stage's dates or what it produced.
WATCHED = ("card", "member", "meeting", "decision", "progress", "reflection", "lesson",
           "workshop")
STATUS_CLASSES = tuple(f"wb-stage-{s}" for s in STATUS_TITLES)


def programme_service(workbook: Workbook) -> ProgrammeService:
    """The workbook's programme service (a new one over its store until it has one)."""
    found = getattr(workbook, "programme", None)
    return found if found is not None else ProgrammeService(workbook.store, workbook.library)


def span(first, last) -> str:
    if first and last and first != last:
        return f"{first.isoformat()} – {last.isoformat()}"
    one = first or last
    return one.isoformat() if one else "—"


def stage_html(stage: StageView, _) -> str:
    """One stage's box: number, title, status, dates and what it produced (escaped)."""
    produced = "".join(f'<li class="wb-stage-line">{esc(line)}</li>' for line in stage.produced)
    planned = ""
    if stage.planned_start or stage.planned_end:
        planned = (f'<div class="wb-stage-planned">'
                   f'{esc(_("Planned: {span}", span=span(stage.planned_start, stage.planned_end)))}</div>')
    chosen = f' <span class="wb-stage-chosen">{esc(_("set by the facilitator"))}</span>' if stage.chosen else ""
    return (
        f'<div class="wb-stage-head"><span class="wb-stage-number">{stage.number}</span> '
        f'<span class="wb-stage-title">{esc(stage.title)}</span></div>'
        f'<div class="wb-stage-status">{esc(_(STATUS_TITLES[stage.status]))}{chosen}</div>'
        f'<div class="wb-stage-dates">{esc(_("Dates: {span}", span=span(stage.start, stage.end)))}</div>'
        f'{planned}'
        + (f'<ul class="wb-stage-produced">{produced}</ul>' if produced else
           f'<div class="wb-empty">{esc(_("Nothing yet."))}</div>')
    )


class StageBox:
    """A stage's box with its planned-date pickers."""

    def __init__(self, panel: ProgrammePanel, key: str, _):
        self.key = key
        self.panel = panel
        self.info = html_box("", "wb-stage-info")
        self.start = w.DatePicker(value=None, layout=w.Layout(width="auto"),
                                  **wb_classes("wb-stage-start"))
        self.end = w.DatePicker(value=None, layout=w.Layout(width="auto"),
                                **wb_classes("wb-stage-end"))
        self.save = button(_("Save the plan"), "wb-stage-save")
        self.save.on_click(lambda _b: panel.plan(key, self.start.value, self.end.value))
        self.widget = w.VBox([
            self.info,
            w.VBox([html_box(f'<span class="wb-label">{esc(_("Planned start"))}</span>'), self.start,
                    html_box(f'<span class="wb-label">{esc(_("Planned end"))}</span>'), self.end,
                    self.save], **wb_classes("wb-stage-plan")),
        ], layout=w.Layout(min_width="11em", flex="1 1 0"),
            **wb_classes("wb-stage", f"wb-stage-{key}"))
        self._shown: tuple | None = None

    def show(self, stage: StageView, _) -> None:
        html = stage_html(stage, _)
        if html != self.info.value:
            self.info.value = html
        for cls in STATUS_CLASSES:
            self.widget.remove_class(cls)
        self.widget.add_class(f"wb-stage-{stage.status}")
        planned = (stage.planned_start, stage.planned_end)
        if planned != self._shown:  # keep what the facilitator is picking until saved
            self.start.value, self.end.value = planned
            self._shown = planned


class ProgrammePanel:
    def __init__(self, workbook: Workbook, room: RoomWatch, _):
        self.workbook = workbook
        self.service = programme_service(workbook)
        self.room = room
        self._ = _
        self.lang = getattr(_, "lang", None) or room.workshop.lang
        self.message = MessageLine(_)
        stages = self.service.stages()
        self.boxes = [StageBox(self, s.key, _) for s in stages]
        self.current = w.Dropdown(
            options=[(_("Follow the activity"), "")] + [
                (f"{n}. {s.title(self.lang)}", s.key) for n, s in enumerate(stages, start=1)],
            value="", layout=w.Layout(width="18em"), **wb_classes("wb-programme-current"))
        self.set_current = button(_("Set as current stage"), "wb-programme-set-current", style="primary")
        self.set_current.on_click(lambda _b: self._act(self.service.set_current,
                                                       self.current.value or None))
        self.case = w.Text(placeholder=_("A case written up from a proven solution"),
                           layout=w.Layout(width="28em"), **wb_classes("wb-programme-case"))
        self.add_case = button(_("Add the case"), "wb-programme-add-case")
        self.add_case.on_click(lambda _b: self._add_case())
        self.summary = html_box("", "wb-programme-summary")
        self._chosen: str | None = None
        self.widget = w.VBox([
            html_box(f'<h4>{esc(_("The programme in six stages"))}</h4>'),
            self.summary,
            w.HBox([b.widget for b in self.boxes], layout=w.Layout(flex_flow="row wrap"),
                   **wb_classes("wb-stages")),
            w.HBox([html_box(f'<span class="wb-label">{esc(_("Current stage"))}</span>'),
                    self.current, self.set_current], layout=w.Layout(flex_flow="row wrap")),
            w.HBox([html_box(f'<span class="wb-label">{esc(_("Cases (stage 6)"))}</span>'),
                    self.case, self.add_case], layout=w.Layout(flex_flow="row wrap")),
            self.message.widget,
        ], **wb_classes("wb-programme"))
        self.refresh()

    def _act(self, action, *args) -> None:
        if guarded(self.message, action, self.room.workshop, *args) is not None:
            self.room.reload()
            self.refresh()

    def plan(self, key: str, start, end) -> None:
        self._act(self.service.set_dates, key, start, end)

    def _add_case(self) -> None:
        text = self.case.value
        if guarded(self.message, self.service.add_case, self.room.workshop, text) is not None:
            self.case.value = ""
            self.room.reload()
            self.refresh()

    def refresh(self) -> None:
        _ = self._
        stages = self.service.view(self.room.workshop, lang=self.lang)
        for box, stage in zip(self.boxes, stages, strict=True):
            box.show(stage, _)
        now = next((s for s in stages if s.status == "current"), None)
        if now is not None:
            self.summary.value = (f'<div class="wb-programme-now" data-stage="{esc(now.key)}">'
                                  + esc(_("The programme is in stage {number}: {title}",
                                          number=now.number, title=now.title)) + "</div>")
        chosen = self.service.current_override(self.room.workshop) or ""
        if chosen != self._chosen:  # keep a choice not yet applied
            self.current.value = self._chosen = chosen

    def on_changes(self, batch: ChangeBatch) -> None:
        self.room.on_changes(batch)
        if any(batch.touches(entity) for entity in WATCHED):
            self.refresh()
